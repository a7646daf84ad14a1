"""mod_python's `apache` module: constants, SERVER_RETURN and the functions
of the manual's "apache -- Access to Apache Internals" section.

`from mod_python import apache` gives this module.
"""
from __future__ import annotations

import urllib.parse
from typing import Optional

from . import importer, log, runtime
from .constants import *  # noqa: F401,F403  (OK, DECLINED, HTTP_*, APLOG_* ...)
from .constants import APLOG_ERR
from ._ffi import NULL, ffi, lib, text, to_bytes
from .errors import SERVER_RETURN  # noqa: F401
from .grammar import HandlerSpec
from .table import Table

table = Table
make_table = Table


def log_error(message, level: int = APLOG_ERR, server=None) -> None:
    """Write to the error log of `server` (a req.server), or the main one."""
    log.log_error(message, level, server._s if server is not None else None)


def import_module(module_name: str, autoreload: Optional[bool] = None, log: bool = False,
                  path: Optional[list] = None):
    """Import a module the way handlers are imported: a path or a name
    found in `path` loads from its file (re-loaded when it changes, unless
    autoreload is False); anything else is a normal import."""
    spec = HandlerSpec(module_name)
    for directory in path or [None]:
        if importer.module_file(spec, directory):
            return importer.load(spec, directory, interpreter or "main_interpreter",
                                 autoreload is not False)
    return importer.load(spec, None, interpreter or "main_interpreter", autoreload is not False)


def register_cleanup(callable, data=None) -> None:
    """Call `callable(data)` (`callable()` without data) when the child
    process serving this request shuts down."""
    from .cleanups import register_child
    register_child(callable, data)


def server_root() -> str:
    return text(lib.ap_server_root)


def exists_config_define(name: str) -> bool:
    return bool(lib.ap_exists_config_define(to_bytes(name, "define name")))


def mpm_query(code: int) -> int:
    result = ffi.new("int *")
    lib.ap_mpm_query(code, result)
    return result[0]


def parse_qs(qs: str, keep_blank_values: bool = False, strict_parsing: bool = False) -> dict:
    return urllib.parse.parse_qs(qs, keep_blank_values, strict_parsing)


def parse_qsl(qs: str, keep_blank_values: bool = False, strict_parsing: bool = False) -> list:
    return urllib.parse.parse_qsl(qs, keep_blank_values, strict_parsing)


def __getattr__(name: str):
    """main_server and interpreter are known only once Apache has said."""
    if name == "main_server":
        from .server import Server
        return Server(runtime.main_server) if runtime.main_server is not None else None
    raise AttributeError(f"module 'mod_python.apache' has no attribute '{name}'")


interpreter: Optional[str] = None
