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
    connection)."""
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
    name = _hostnames.get(server)           # the virtual host's name (inline: every request asks)
    if name is None:
        name = _hostnames[server] = text(server.server_hostname) or MAIN
    return name


# server_rec * (cdata: hashed by address) -> its interpreter name; a
# child's server_recs and their names are fixed for its life.
_hostnames: dict = {}


def load(entry: HandlerEntry, config: DirConfig, interpreter: str, context=None,
         checked: Optional[set] = None):
    """The callable `entry` names, its module imported (or reloaded, with
    PythonAutoReload) into `interpreter` under the config's PythonPath.
    None for a PythonHandlerModule object that this module lacks.
    `checked`: the request's record of modules autoreload found fresh."""
    if config.python_path is not None or entry.directory not in _dirs_added:
        set_path(config, entry.directory)   # else: nothing for it to do (checked here: every request)
    module = importer.load(entry.spec, entry.directory, interpreter, config.autoreload is not False, checked)
    name = entry.object_name
    if "." not in name:                     # the usual `handler`: one getattr, here
        target = getattr(module, name, None)
        if target is not None:
            return target
    return importer.resolve(module, name, context, silent=entry.silent)


_path_lock = threading.Lock()
_path_applied: Optional[str] = None   # the PythonPath expression sys.path was set from
_path_values: dict[str, list[str]] = {}   # each expression's value, computed once
_base_path: Optional[list[str]] = None    # sys.path before any PythonPath replaced it
_dirs_added: set = set()


def set_path(config: DirConfig, directory: Optional[str]) -> None:
    """PythonPath: sys.path becomes the expression's value when the section
    in effect changes; else the section's directory goes first on sys.path,
    once."""
    global _path_applied
    expr = config.python_path
    if expr is not None:
        if expr != _path_applied:
            with _path_lock:
                sys.path[:] = _path_value(expr)
                _path_applied = expr
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
