"""mod_python's `apache` module: constants, SERVER_RETURN and the functions
of the manual's "apache -- Access to Apache Internals" section.

`from mod_python import apache` gives this module.
"""
from __future__ import annotations

import os
import urllib.parse
from typing import Optional

from modpy.config.grammar import HandlerSpec
from modpy.constants import *  # noqa: F401,F403  (OK, DECLINED, HTTP_*, APLOG_* ...)
from modpy.constants import AP_MPMQ_IS_THREADED, APLOG_ERR, APLOG_NOTICE, APR_FINFO_NORM
from modpy.core import log as _log  # `log` is also import_module's argument
from modpy.core import runtime
from modpy.core.errors import SERVER_RETURN  # noqa: F401
from modpy.core.ffi import NULL, ffi, lib, text, to_bytes
from modpy.objects import records
from modpy.objects.conftree import config_tree  # noqa: F401
from modpy.objects.request import Request  # noqa: F401  (the manual's request type)
from modpy.objects.table import Table
from modpy.phases import importer

table = Table
make_table = Table


def log_error(message, level: int = APLOG_ERR, server=None) -> None:
    """Write to the error log of `server` (a req.server), or the main one."""
    _log.log_error(message, level, server._s if server is not None else None)


def import_module(module_name: str, autoreload: Optional[bool] = None, log: bool = False,
                  path: Optional[list] = None):
    """Import a module the way handlers are imported: a path or a name
    found in `path` loads from its file (re-loaded when it changes, unless
    autoreload is False); anything else is a normal import."""
    spec = HandlerSpec(module_name)
    name = importer.current_interpreter()
    reload = autoreload is not False
    for directory in path or [None]:
        if importer.module_file(spec, directory):
            module = importer.load(spec, directory, name, reload)
            break
    else:
        module = importer.load(spec, None, name, reload)
    if log:
        _log.log_error(f"modpy: import_module {module_name!r} in {name!r}: "
                       f"{getattr(module, '__file__', None) or module.__name__}", APLOG_NOTICE)
    return module


def stat(fname: str, wanted: int = APR_FINFO_NORM) -> records.FileInfo:
    """apr_stat(): a finfo tuple, assignable to req.finfo (filetype
    APR_NOFILE when there is no such file)."""
    raw = ffi.new("apr_finfo_t *")
    pool = ffi.new("apr_pool_t **")
    if lib.apr_pool_create_ex(pool, NULL, NULL, NULL) != 0:
        raise MemoryError("cannot create an APR pool")
    try:
        name = to_bytes(os.fspath(fname), "file name")    # raw.fname points into it
        status = lib.apr_stat(raw, name, wanted, pool[0])
        info = records.file_info(raw)
    finally:
        raw.fname = raw.name = NULL      # they pointed into the pool going now
        lib.apr_pool_destroy(pool[0])
    if status not in (0, lib.APR_INCOMPLETE) and raw.filetype:
        from modpy.objects.brigade import os_error
        raise os_error(status, f"stat {fname!r} failed")
    info._raw = raw                      # what req.finfo = ... copies
    return info


def register_cleanup(callable, data=None) -> None:
    """Call `callable(data)` (`callable()` without data) when the child
    process serving this request shuts down."""
    from modpy.core.cleanups import register_child
    register_child(callable, data)


def server_root() -> str:
    return text(lib.ap_server_root)


def exists_config_define(name: str) -> bool:
    return bool(lib.ap_exists_config_define(to_bytes(name, "define name")))


def mpm_query(code: int) -> int:
    """ap_mpm_query(AP_MPMQ_...): what the MPM says (threads, daemons ...)."""
    result = ffi.new("int *")
    lib.ap_mpm_query(code, result)
    return result[0]


def build_info() -> dict:
    """What modpy runs on: Apache's version and build date, the MPM, Python."""
    import sys

    from modpy import __version__
    return {"modpy": __version__, "apache": text(lib.ap_get_server_description()),
            "apache_built": text(lib.ap_get_server_built()),
            "mpm_threaded": bool(mpm_query(AP_MPMQ_IS_THREADED)),
            "python": sys.version}


def parse_qs(qs: str, keep_blank_values: bool = False, strict_parsing: bool = False) -> dict:
    return urllib.parse.parse_qs(qs, keep_blank_values, strict_parsing)


def parse_qsl(qs: str, keep_blank_values: bool = False, strict_parsing: bool = False) -> list:
    return urllib.parse.parse_qsl(qs, keep_blank_values, strict_parsing)


def __getattr__(name: str):
    """main_server is known once Apache has said; interpreter is the name
    of the interpreter the asking code runs in (set while a handler module
    is imported and while a handler runs)."""
    if name == "main_server":
        from modpy.objects.server import Server
        return Server(runtime.main_server) if runtime.main_server is not None else None
    if name == "interpreter":
        return importer.current_interpreter()
    if name == "version":
        return text(lib.ap_get_server_description())
    raise AttributeError(f"module 'mod_python.apache' has no attribute '{name}'")


MODULE_MAGIC_NUMBER_MAJOR = lib.MODULE_MAGIC_NUMBER_MAJOR
MODULE_MAGIC_NUMBER_MINOR = lib.MODULE_MAGIC_NUMBER_MINOR


def build_cgi_env(req) -> dict:
    """The CGI environment of a request as a dict (mod_python's, which
    scripts ported from CGI call): req.add_cgi_vars()'s variables, the
    request's Authorization header as HTTP_AUTHORIZATION, and
    GATEWAY_INTERFACE naming Python's CGI."""
    req.add_cgi_vars()
    env = dict(req.subprocess_env.items())
    env["GATEWAY_INTERFACE"] = "Python-CGI/1.1"
    authorization = req.headers_in.get("Authorization")
    if authorization is not None:
        env["HTTP_AUTHORIZATION"] = authorization
    return env
