"""The entry points the shim calls, each an `extern "Python"` of the cffi
library.  Thin on purpose: each forwards to the module that owns the work
and makes sure no Python exception ever unwinds into Apache.
"""
from __future__ import annotations

import sys
import traceback

from modpy import constants as C
from modpy.core import cleanups, configs, directive_module, globallock, log, runtime
from modpy.core.ffi import ffi, lib, pstr, text
from modpy.devloop import debug
from modpy.objects import request as requests
from modpy.phases import connections, filters, includes, request, startup


def _log_exception(exc_type, exc, tb) -> None:
    for line in "".join(traceback.format_exception(exc_type, exc, tb)).splitlines():
        log.log_error("modpy: " + line, C.APLOG_CRIT)


@ffi.def_extern(onerror=_log_exception)
def modpy_boot(module_index):
    runtime.module_index = module_index
    runtime.boots += 1      # >1: a config re-read or restart found Python alive
    runtime.optimize = -1   # until this reading's PythonOptimize says otherwise
    log.install()
    debug.install()
    startup.interpreter_ready()
    # The mod_python alias package, now, while one thread runs: a package
    # is in sys.modules before its __init__ has run, and a request thread
    # importing mod_python.X then would skip the import of mod_python,
    # search for X before the alias finder is in place, and fail.
    import mod_python  # noqa: F401

    # mod_python's C module, built into its interpreters: `import _apache`
    from modpy.library import _apache
    sys.modules.setdefault("_apache", _apache)
    return 1


@ffi.def_extern(onerror=_log_exception)
def modpy_directive(cmd, dconf, sconf, args):
    return configs.directive(cmd, dconf, sconf, args)


def _phase_failed(exc_type, exc, tb) -> None:
    _log_exception(exc_type, exc, tb)


@ffi.def_extern(error=C.HTTP_INTERNAL_SERVER_ERROR, onerror=_phase_failed)
def modpy_phase(r, which, config):
    return request.phase(r, which, config)


@ffi.def_extern(error=C.HTTP_INTERNAL_SERVER_ERROR, onerror=_log_exception)
def modpy_post_config(pconf, s):
    runtime.main_server = s
    startup.announce(pconf)
    globallock.create(pconf, s)
    return C.OK


@ffi.def_extern(onerror=_log_exception)
def modpy_child_init(pchild, s):
    runtime.child_pool = pchild
    globallock.child_init(pchild)
    startup.run_imports(s)


@ffi.def_extern(error=lib.APR_EGENERAL, onerror=_log_exception)
def modpy_filter(f, bb, mode, block, readbytes):
    return filters.run(f, bb, mode, block, readbytes)


@ffi.def_extern(error=C.HTTP_INTERNAL_SERVER_ERROR, onerror=_log_exception)
def modpy_include(f, bb, tag, value):
    return includes.run(f, bb, ffi.string(tag), ffi.string(value))


@ffi.def_extern(error=C.DONE, onerror=_log_exception)
def modpy_connection(c, sconf):
    return connections.handle(c)


@ffi.def_extern(onerror=_log_exception)
def modpy_pool_cleanup(data):
    cleanups.run(int(ffi.cast("uintptr_t", data)))
    return 0


@ffi.def_extern(onerror=_log_exception)
def modpy_request_done(r):
    requests.request_done(r)
    return 0


@ffi.def_extern()
def modpy_user_directive(cmd, mconfig, args):
    """Every directive a PythonDirectives module declared: the shim's
    records for the section, then the path of the Python* directives.
    Returns NULL or the error text; never raises (a Python exception must
    not unwind into Apache's config reader)."""
    try:
        dconf, sconf = directive_module.section_records(cmd)
        return configs.directive(cmd, dconf, sconf, args)
    except Exception as e:
        return pstr(cmd.pool, f"{text(cmd.cmd.name)}: modpy failed: {type(e).__name__}: {e}")
