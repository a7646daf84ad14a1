"""The argument grammar of the Python* directives.

Pure functions from the raw argument text Apache hands over to values, or a
`DirectiveError` whose message Apache prints with the file and line.  No
Apache here: everything is unit-tested in-process.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_DOTTED = re.compile(rf"{_IDENT}(\.{_IDENT})*\Z")


class DirectiveError(ValueError):
    """A directive's arguments are wrong; the message says how."""


def split_words(args: str) -> list[str]:
    """Split like Apache's ap_getword_conf: whitespace separates words, and a
    word may be quoted with " or ' (a backslash escapes the quote inside)."""
    words: list[str] = []
    i, n = 0, len(args)
    while True:
        while i < n and args[i].isspace():
            i += 1
        if i >= n:
            return words
        quote = args[i] if args[i] in "\"'" else None
        if quote:
            i += 1
            word = []
            while i < n and args[i] != quote:
                if args[i] == "\\" and i + 1 < n and args[i + 1] == quote:
                    i += 1
                word.append(args[i])
                i += 1
            if i >= n:
                raise DirectiveError(f"unterminated {quote} quote")
            i += 1
            words.append("".join(word))
        else:
            start = i
            while i < n and not args[i].isspace():
                i += 1
            words.append(args[start:i])


@dataclass(frozen=True)
class HandlerSpec:
    """`module[::object]`: module is a dotted name or a path to a .py file."""

    module: str
    object: Optional[str] = None

    @property
    def is_path(self) -> bool:
        return "/" in self.module

    def __str__(self) -> str:
        return self.module + (f"::{self.object}" if self.object else "")


def parse_handler(word: str) -> HandlerSpec:
    module, sep, obj = word.partition("::")
    if not module:
        raise DirectiveError(f"'{word}' has no module name (expected module[::object])")
    if "/" in module:
        if not module.startswith("/"):
            raise DirectiveError(f"'{module}' is a relative path; a handler file must be an absolute path")
    elif not _DOTTED.match(module):
        raise DirectiveError(f"'{module}' is not a module name (expected dotted Python identifiers)")
    if sep and not _DOTTED.match(obj):
        raise DirectiveError(f"'{obj}' is not an object name in '{word}' (expected module::name[.attr...])")
    return HandlerSpec(module, obj or None)


def parse_handler_line(args: str) -> tuple[tuple[HandlerSpec, ...], tuple[str, ...]]:
    """`handler [handler ...] [| .ext [.ext ...]]` -> (handlers, extensions)."""
    words = split_words(args.replace("|", " | "))
    if "|" in words:
        at = words.index("|")
        names, exts = words[:at], words[at + 1:]
        if not exts:
            raise DirectiveError("'|' must be followed by one or more file extensions")
        for ext in exts:
            if ext == "|" or not ext.startswith(".") or len(ext) < 2:
                raise DirectiveError(f"'{ext}' is not a file extension (expected .ext)")
    else:
        names, exts = words, []
    if not names:
        raise DirectiveError("takes one or more handlers (module[::object])")
    return tuple(parse_handler(w) for w in names), tuple(exts)


def parse_one(args: str, what: str) -> str:
    words = split_words(args)
    if len(words) != 1:
        raise DirectiveError(f"takes exactly one argument, {what}")
    return words[0]


def parse_flag(args: str) -> bool:
    word = parse_one(args, "On or Off").lower()
    if word not in ("on", "off"):
        raise DirectiveError(f"must be On or Off, not '{args.strip()}'")
    return word == "on"


def parse_option(args: str) -> tuple[str, Optional[str]]:
    """`key [value]`; no value (or an empty one) means: remove the key."""
    words = split_words(args)
    if not 1 <= len(words) <= 2:
        raise DirectiveError("takes a key and an optional value (PythonOption key [value])")
    key = words[0]
    value = words[1] if len(words) == 2 and words[1] != "" else None
    return key, value


def parse_python_path(args: str) -> str:
    """A Python expression giving a list of directories, e.g. sys.path+['/x']."""
    expr = parse_one(args, "a quoted Python list expression").strip()
    try:
        compile(expr, "<PythonPath>", "eval")
    except SyntaxError as e:
        raise DirectiveError(f"'{expr}' is not a valid Python expression: {e.msg}") from None
    return expr


def check_python_path(value: object, expr: str) -> list[str]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(p, str) for p in value):
        raise DirectiveError(f"'{expr}' must give a list of directory names, not {type(value).__name__}")
    return list(value)


def parse_import(args: str) -> tuple[HandlerSpec, str]:
    """`module[::function] interpreter_name`."""
    words = split_words(args)
    if len(words) != 2:
        raise DirectiveError("takes a module and an interpreter name (PythonImport module interpreter_name)")
    return parse_handler(words[0]), words[1]


def parse_filter(args: str) -> tuple[HandlerSpec, str]:
    """`handler name` of PythonInputFilter / PythonOutputFilter."""
    words = split_words(args)
    if len(words) != 2:
        raise DirectiveError("takes a handler and a filter name (handler name)")
    return parse_handler(words[0]), words[1]
