"""Apache directives declared in Python by a user package.

A package lists its directives in a module-level `DIRECTIVES` sequence:

    from modpy.config.userdirectives import Directive

    DIRECTIVES = [
        Directive("GreetingText", args="one", where=("server", "directory"),
                  help="GreetingText text: what the greeter says"),
        Directive("GreetingExtra", args="list", merge="append"),
    ]

and the site loads it, before the first use, with
`PythonDirectives package.module`.  Handlers read the value in effect with
`userdirectives.value(req, "GreetingText")`.

Pure: the declarations, their checks, the argument grammar and the merge
rules.  Turning them into an Apache module is directive_module.py's job.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any, Callable, Optional, Union

from modpy.config.grammar import DirectiveError, parse_flag, split_words

# Apache's override bits (http_config.h) for where a directive may stand.
OR_OPTIONS, ACCESS_CONF, RSRC_CONF = 2, 64, 128
WHERE_BITS = {"server": RSRC_CONF, "directory": ACCESS_CONF, "htaccess": OR_OPTIONS}
ARGS = ("flag", "one", "two", "list", "raw", "none")
MERGES = ("override", "append")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")

Merge = Union[str, Callable[[Any, Any], Any]]


@dataclass(frozen=True)
class Directive:
    """One directive.

    args:  "flag" (On|Off -> bool), "one" (str), "two" ((str, str)),
           "list" (one or more words -> list), "raw" (the text as written),
           "none" (no arguments -> True).
    where: any of "server" (main config, <VirtualHost>), "directory"
           (<Directory>, <Location>, <Files>), "htaccess" (.htaccess under
           AllowOverride Options).
    merge: how a more specific section combines with a more general one:
           "override" (the specific value wins), "append" (lists join, the
           general first), or a function (general, specific) -> value.
    """

    name: str
    args: str = "one"
    where: tuple = ("server", "directory")
    merge: Merge = "override"
    help: str = ""

    @property
    def req_override(self) -> int:
        bits = 0
        for w in self.where:
            bits |= WHERE_BITS[w]
        return bits

    def parse(self, text: str) -> Any:
        """The directive's arguments as its value, or DirectiveError."""
        if self.args == "raw":
            return text.strip()
        if self.args == "flag":
            return parse_flag(text)
        words = split_words(text)
        expected = {"one": 1, "two": 2, "none": 0}.get(self.args)
        if expected is not None and len(words) != expected:
            counts = {0: "no arguments", 1: "exactly one argument", 2: "exactly two arguments"}
            raise DirectiveError(f"takes {counts[expected]}, not {len(words)}"
                                 + (f" ({self.help})" if self.help else ""))
        if self.args == "list":
            if not words:
                raise DirectiveError("takes one or more arguments" + (f" ({self.help})" if self.help else ""))
            return words
        return {"one": lambda: words[0], "two": lambda: tuple(words), "none": lambda: True}[self.args]()

    def combine(self, base: Any, add: Any) -> Any:
        if callable(self.merge):
            return self.merge(base, add)
        if self.merge == "append":
            return list(base) + list(add)
        return add


def check(declared: object, source: str) -> tuple[Directive, ...]:
    """A module's DIRECTIVES, validated: what's wrong is said in terms of
    the declaration, since `apache2 -t` shows it to whoever wrote it."""
    if declared is None:
        raise DirectiveError(f"'{source}' has no DIRECTIVES list")
    try:
        items = tuple(declared)
    except TypeError:
        raise DirectiveError(f"{source}.DIRECTIVES must be a list of Directive, "
                             f"not {type(declared).__name__}") from None
    seen: set = set()
    for d in items:
        if not isinstance(d, Directive):
            raise DirectiveError(f"{source}.DIRECTIVES holds {d!r}, not a modpy.userdirectives.Directive")
        what = f"{source}: directive {d.name!r}"
        if not isinstance(d.name, str) or not _NAME.match(d.name):
            raise DirectiveError(f"{what}: a directive name is letters, digits and _")
        if d.name.lower().startswith("python"):
            raise DirectiveError(f"{what}: names starting with 'Python' are modpy's own")
        if d.name.lower() in seen:
            raise DirectiveError(f"{what} is declared twice")
        seen.add(d.name.lower())
        if d.args not in ARGS:
            raise DirectiveError(f"{what}: args must be one of {', '.join(ARGS)}, not {d.args!r}")
        if isinstance(d.where, str) or not d.where or any(w not in WHERE_BITS for w in d.where):
            raise DirectiveError(f"{what}: where must be a tuple of {', '.join(WHERE_BITS)}")
        if not callable(d.merge) and d.merge not in MERGES:
            raise DirectiveError(f"{what}: merge must be {' or '.join(MERGES)} or a function")
        if d.merge == "append" and d.args != "list":
            raise DirectiveError(f"{what}: merge='append' needs args='list'")
    return items


class Table:
    """The directives declared so far in this process, by lower-case name
    (Apache's directive names are case-insensitive)."""

    def __init__(self) -> None:
        self._by_name: dict[str, Directive] = {}
        self._lock = threading.Lock()

    def add(self, directives: tuple[Directive, ...]) -> None:
        with self._lock:
            for d in directives:
                self._by_name[d.name.lower()] = d

    def remove(self, directives: tuple[Directive, ...]) -> None:
        with self._lock:
            for d in directives:
                self._by_name.pop(d.name.lower(), None)

    def get(self, name: str) -> Optional[Directive]:
        return self._by_name.get(name.lower())


table = Table()


def apply(name: str, args: str, values: dict) -> None:
    """One use of a user directive: its value goes into the section's
    `values` (DirConfig.extras); a repeated `append` directive accumulates."""
    d = table.get(name)
    if d is None:
        raise DirectiveError("is not a modpy directive")
    value = d.parse(args)
    key = d.name
    values[key] = d.combine(values[key], value) if key in values and d.merge == "append" else value


def merge(base: dict, add: dict) -> dict:
    """Two sections' values, by each directive's merge rule."""
    if not base:
        return add
    if not add:
        return base
    out = dict(base)
    for key, value in add.items():
        d = table.get(key)
        out[key] = d.combine(base[key], value) if key in base and d is not None else value
    return out


def value(req, name: str, default: Any = None) -> Any:
    """The value of a user directive in effect for a request."""
    d = table.get(name)
    return req._config.extras.get(d.name if d else name, default)
