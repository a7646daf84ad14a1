"""Where and how a handler runs: one set of rules for request phases,
filters and connection handlers alike.

- `interpreter_name`: which namespace of handler modules (the manual's
  "Multiple Interpreters": PythonInterpreter, PythonInterpPerDirective,
  PythonInterpPerDirectory, else the virtual host's name);
- `set_path`: PythonPath, or the handler's directory first on sys.path
  (`add_directory`, which places a CGI script's directory too);
- `load`: the handler's module imported into that namespace, and the
  callable it names;
- `log_failure`: a handler that raised, logged the same way wherever it ran.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
import time
import types
from typing import Optional

from modpy.config.model import DirConfig, HandlerEntry
from modpy.core.errors import describe
from modpy.core.ffi import text
from modpy.phases import importer

MAIN = "main_interpreter"


def interpreter_name(config: DirConfig, entry: HandlerEntry, server, req=None, early: bool = False) -> str:
    """The namespace a handler's module lives in.  `early`: a phase before
    the request is mapped to a file (post-read-request, trans), which runs
    in the main interpreter unless PythonInterpreter names one; `req`, the
    request whose file PythonInterpPerDirectory names (none for a
    connection), and whose virtual host names the default (then `server`
    may be None: read once a request)."""
    if config.interpreter:
        return config.interpreter
    if early:
        return MAIN
    if config.interp_per_directive and entry.directory:
        return entry.directory
    if config.interp_per_directory and req is not None:
        path = req.filename
        if path:            # a directory's name is its own (mod_python's rule)
            return path.rstrip("/") + "/" if os.path.isdir(path) else os.path.dirname(path) + "/"
    if req is None:
        return host_name(server)
    name = req._host_interpreter
    if name is None:
        name = req._host_interpreter = host_name(req._r.server)
    return name


def host_name(server) -> str:
    """The default interpreter of a virtual host: its name."""
    name = _hostnames.get(server)
    if name is None:
        name = _hostnames[server] = text(server.server_hostname) or MAIN
    return name


# server_rec * (cdata: hashed by address) -> its interpreter name; a
# child's server_recs and their names are fixed for its life.
_hostnames: dict = {}


class _Placed:
    """An entry's callable as placed in one interpreter, taken again
    without any lookup while it still holds: the same config (an entry may
    be shared by configs with different PythonPath or PythonAutoReload),
    sys.path as it was set for it, its module still the one placed (its
    holder, importer.holder), the name still bound to it, and, with
    autoreload, until the module's files are due for a look (mod_python's
    pace: importer.CHECK_EVERY_NS)."""

    __slots__ = ("target", "config", "paths", "where", "key", "value", "names", "due")

    def __init__(self, target, config: DirConfig, held: tuple, names: dict, due: float) -> None:
        self.target = target
        self.config = config
        self.paths = _paths
        self.where, self.key, self.value = held
        self.names = names              # the module's namespace
        self.due = due


_clock = time.monotonic_ns
_NEVER = float("inf")


def load(entry: HandlerEntry, config: DirConfig, interpreter: str, context=None):
    """The callable `entry` names, its module imported (or reloaded, with
    PythonAutoReload) into `interpreter` under the config's PythonPath.
    None for a PythonHandlerModule object that this module lacks.  Placed
    once per entry and interpreter (entry.placed), not per request."""
    placed = entry.placed.get(interpreter)
    if (placed is None or placed.config is not config or placed.paths != _paths
            or placed.where.get(placed.key) is not placed.value
            or placed.names.get(entry.object_name) is not placed.target or _clock() >= placed.due):
        return _place(entry, config, interpreter, context)
    importer.running.name = interpreter
    return placed.target


def _place(entry: HandlerEntry, config: DirConfig, interpreter: str, context):
    """load() the long way: sys.path, the module imported (or checked and
    reloaded), the callable found, and where remembered, unless the name
    walks through a class (instantiated with each request)."""
    set_path(config, entry.directory)
    autoreload = config.autoreload is not False
    module = importer.load(entry.spec, entry.directory, interpreter, autoreload)
    name = entry.object_name
    target = getattr(module, name, None) if "." not in name else None
    if target is None:
        return importer.resolve(module, name, context, silent=entry.silent)
    held = importer.holder(entry.spec, entry.directory, interpreter, module)
    due = _clock() + importer.CHECK_EVERY_NS if autoreload else _NEVER
    entry.placed[interpreter] = _Placed(target, config, held, vars(module), due)
    return target


_path_lock = threading.Lock()
_path_applied: Optional[str] = None   # the PythonPath expression sys.path was set from
_path_values: dict[str, list[str]] = {}   # each expression's value, computed once
_base_path: Optional[list[str]] = None    # sys.path before any PythonPath replaced it
_dirs_added: set = set()
_paths = 0          # sys.path's generation: one more each time a PythonPath replaces it


def set_path(config: DirConfig, directory: Optional[str]) -> None:
    """PythonPath: sys.path becomes the expression's value when the section
    in effect changes; else the section's directory goes first on sys.path,
    once."""
    global _path_applied, _paths
    expr = config.python_path
    if expr is not None:
        if expr != _path_applied:
            with _path_lock:
                sys.path[:] = _path_value(expr)
                _path_applied = expr
                _paths += 1
                _dirs_added.clear()         # a new path: directories go on it again
    elif directory:
        add_directory(directory)


def add_directory(directory: str) -> None:
    """A handler's (or a CGI script's) directory first on sys.path, once, so
    the modules beside it import."""
    if directory not in _dirs_added:
        with _path_lock:
            if directory not in sys.path and os.path.isdir(directory):
                sys.path.insert(0, directory)
            _dirs_added.add(directory)


def _path_value(expr: str) -> list[str]:
    """An expression like `sys.path + ['/x']`, evaluated once against the
    path from before any PythonPath: two sections taking turns then swap
    between two fixed paths instead of growing sys.path on every switch."""
    global _base_path
    value = _path_values.get(expr)
    if value is None:
        if _base_path is None:
            _base_path = list(sys.path)
        view = types.SimpleNamespace(**{**vars(sys), "path": list(_base_path)})
        value = _path_values[expr] = list(eval(expr, {"sys": view, "os": os}))
    return value


_handler_log = logging.getLogger("modpy.handler")


def log_failure(directive: str, entry: HandlerEntry, exc: BaseException,
                request_line: Optional[str] = None, name: str = "") -> tuple[str, list[str]]:
    """Log a handler that raised: one record through `logging` (so a user's
    own log handlers see it too) with the directive, the handler, where it
    was configured, the request and the traceback.  `name` qualifies the
    handler (a filter's name).  Returns (headline, traceback lines) for a
    PythonDebug page."""
    handler = f"{entry} ({name})" if name else str(entry)
    headline, lines = describe(directive, handler, entry.origin, request_line, exc)
    _handler_log.error("%s", "\n".join([headline] + lines))
    return headline, lines
