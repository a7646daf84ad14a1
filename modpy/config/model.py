"""Parsed configuration: what one <Directory>/<Location>/.htaccess (or a
server's defaults) says, how two of them merge, and what a server says.

Pure data and rules.  A `DirConfig` is filled in while Apache reads the
config and never written afterwards; merging makes new objects.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Optional

from modpy.config import userdirectives
from modpy.config.grammar import HandlerSpec
from modpy.config.phase_table import HANDLER, PHASES


@dataclass(frozen=True)
class HandlerEntry:
    """One handler of one phase, as a directive wrote it."""

    spec: HandlerSpec
    directive: str               # the directive that named it (default object, errors)
    exts: tuple[str, ...] = ()   # `| .ext` restriction, empty for none
    directory: Optional[str] = None   # the section's directory, for the import path
    origin: str = ""             # "file:line" of the directive
    silent: int = 0              # PythonHandlerModule: a missing object is no error (0/1, as hlist shows it)
    target: object = None        # a callable given to req.add_handler()
    location: bool = False       # written in a <Location>: directory is its URL path

    def __str__(self) -> str:
        return repr(self.target) if self.target is not None else str(self.spec)

    @cached_property
    def object_name(self) -> str:
        return self.spec.object or self.directive[len("Python"):].lower()

    @cached_property
    def placed(self) -> dict:
        """Where this entry's callable was found, by interpreter name
        (modpy.phases.placement fills it): placed once per configuration,
        not per request."""
        return {}

    # req.hlist as the manual describes it: handler, silent, directory, parent
    @property
    def handler(self) -> str:
        return str(self)

    @property
    def is_location(self) -> int:
        return int(self.location)

    parent = None



def file_extension(filename: Optional[str]) -> Optional[str]:
    """mod_python's extension of a file: its name from the first dot on
    ("x.tar.gz" -> ".tar.gz"), None when it has none."""
    _, dot, rest = (filename or "").rpartition("/")[2].partition(".")
    return "." + rest if dot and rest else None


def for_file(entries, filename: Optional[str]) -> list:
    """A phase's configured handlers for one file, as mod_python picks
    them: those restricted (`| .ext`) to the file's extension, if any;
    else those restricted to none.  The two lists never mix."""
    ext = file_extension(filename)
    if ext is not None:
        matching = [e for e in entries if ext in e.exts]
        if matching:
            return matching
    return [e for e in entries if not e.exts]


ON_WORDS = ("on", "1", "yes", "true")   # a PythonOption that says On


def option_on(options: dict, name: str) -> bool:
    """A switch given as `PythonOption NAME On` (also 1, yes, true)."""
    value = options.get(name)
    return value is not None and value.lower() in ON_WORDS


# Scalar settings: the nearest section that sets one wins.
SCALARS = ("debug", "enable_pdb", "autoreload", "interpreter", "interp_per_directory",
           "interp_per_directive", "python_path")
SETTING_DIRECTIVES = {
    "debug": "PythonDebug", "enable_pdb": "PythonEnablePdb", "autoreload": "PythonAutoReload",
    "interpreter": "PythonInterpreter", "interp_per_directory": "PythonInterpPerDirectory",
    "interp_per_directive": "PythonInterpPerDirective", "python_path": "PythonPath"}


@dataclass
class DirConfig:
    directory: Optional[str] = None
    cacheable: bool = True        # False for .htaccess (re-read every request)
    location: bool = False        # a <Location> or <LocationMatch> section
    handlers: dict[int, tuple[HandlerEntry, ...]] = field(default_factory=dict)
    options: dict[str, Optional[str]] = field(default_factory=dict)   # None: removed
    debug: Optional[bool] = None
    enable_pdb: Optional[bool] = None
    autoreload: Optional[bool] = None
    interpreter: Optional[str] = None
    interp_per_directory: Optional[bool] = None
    interp_per_directive: Optional[bool] = None
    python_path: Optional[str] = None
    extras: dict = field(default_factory=dict)      # directives declared in Python (userdirectives)

    @property
    def phases(self) -> int:
        """The shim's bit mask: one bit per phase with handlers."""
        bits = 0
        for number in self.handlers:
            bits |= PHASES[number].bit
        return bits

    @property
    def maps_to_file(self) -> bool:
        """False for a <Location> that names a PythonHandler: as in
        mod_python, its requests map to no file (req.filename None) and
        Apache does not walk the file system for them (the shim's no_file)."""
        return not (self.location and HANDLER.number in self.handlers)

    def add_handlers(self, number: int, entries: tuple[HandlerEntry, ...]) -> None:
        self.handlers[number] = self.handlers.get(number, ()) + entries

    def get_options(self) -> dict[str, str]:
        return {k: v for k, v in self.options.items() if v is not None}

    @cached_property
    def timing(self) -> bool:
        """`PythonOption modpy.timing On`: each request logs its phases'
        times (asked once per config, not per phase)."""
        return option_on(self.options, "modpy.timing")

    @property
    def post_mortem(self) -> bool:
        """`PythonOption modpy.post_mortem On`: pdb on a failed handler."""
        return option_on(self.options, "modpy.post_mortem")

    def settings(self) -> dict[str, str]:
        """req.get_config(): the settings in effect, by directive name."""
        out = {}
        for attr, directive_name in SETTING_DIRECTIVES.items():
            value = getattr(self, attr)
            if value is not None:
                out[directive_name] = ("1" if value else "0") if isinstance(value, bool) else value
        return out


def merge(base: DirConfig, add: DirConfig) -> DirConfig:
    """The more specific section (`add`) overrides `base` phase by phase and
    setting by setting; options merge key by key, and a removal in `add`
    hides the key."""
    scalars = {name: getattr(add, name) if getattr(add, name) is not None else getattr(base, name)
               for name in SCALARS}
    return replace(
        base,
        directory=add.directory or base.directory,
        cacheable=base.cacheable and add.cacheable,
        handlers={**base.handlers, **add.handlers},
        options={**base.options, **add.options},
        extras=userdirectives.merge(base.extras, add.extras),
        **scalars,
    )


@dataclass
class ServerConfig:
    """What only a server (or virtual host) may say."""

    imports: list[tuple[HandlerSpec, str, str]] = field(default_factory=list)  # spec, interp, origin
    filters: dict[str, tuple[HandlerEntry, bool]] = field(default_factory=dict)  # name -> entry, is_input
    connection: Optional[HandlerEntry] = None
    optimize: Optional[bool] = None       # PythonOptimize: On anywhere is on for the process


class Registry:
    """Parsed configs by the id the C records carry, and merged configs by
    the ids they join (a cached merge has an id of its own, which a merged
    C record then carries).  Safe under threads: entries are only added and
    removed whole, and merging is idempotent."""

    def __init__(self) -> None:
        self._configs: dict[int, object] = {}
        self._merged: dict[tuple[int, ...], int] = {}
        self._next = 1
        self._lock = threading.Lock()
        # get(number): a config by its id; the dict's own lookup, with no
        # Python frame (every request asks)
        self.get = self._configs.__getitem__

    def add(self, config: object) -> int:
        with self._lock:
            number = self._next
            self._next += 1
        self._configs[number] = config
        return number

    def release(self, number: int) -> None:
        """Forget a config whose pool is gone, and every merge it was in."""
        self._configs.pop(number, None)
        for key in [k for k in list(self._merged) if number in k]:   # list(): a snapshot
            self._configs.pop(self._merged.pop(key, 0), None)

    def merged(self, leaves: tuple[int, ...]) -> tuple[DirConfig, int]:
        """The config for a chain of leaf ids, merged left to right, and
        its id: cached under one when no .htaccess takes part (else 0)."""
        number = self._merged.get(leaves)
        if number is not None:
            return self._configs[number], number
        config = self._configs[leaves[0]]
        for leaf in leaves[1:]:
            config = merge(config, self._configs[leaf])
        if not config.cacheable:
            return config, 0
        with self._lock:
            number = self._merged.get(leaves)
            if number is None:
                number = self._merged[leaves] = self._next
                self._next += 1
                self._configs[number] = config
        return self._configs[number], number
