"""Python filters: the entry the shim calls for every brigade that passes
a filter named by PythonInputFilter/PythonOutputFilter or
req.register_*_filter.

A handler runs once per brigade Apache hands the filter (several times a
request), as in mod_python: it reads what came, writes what it makes, and
closes the stream when read() says it ended (None).
"""
from __future__ import annotations

from typing import Optional

from modpy.config.model import HandlerEntry
from modpy.core import cleanups, log, runtime
from modpy.core.configs import dir_config, server_config, server_dir_config
from modpy.core.ffi import NULL, address, lib, text
from modpy.devloop import debug
from modpy.objects.filter import Filter, FilterState
from modpy.objects.request import wrap
from modpy.phases.placement import interpreter_name, load, log_failure

_states: dict[int, FilterState] = {}


def run(f, bb, mode: int, block: int, readbytes: int) -> int:
    """The shim's modpy_filter: one brigade through a Python filter."""
    key = address(f)
    state = _states.get(key)
    if state is None:
        entry = _entry(f)
        if entry is None:
            log.log_error(f"modpy: no Python handler for filter {text(lib.modpy_filter_name(f))!r}")
            return _through(f, bb, mode, block, readbytes)
        state = _states[key] = FilterState(entry)
        pool = f.r.pool if f.r != NULL else f.c.pool
        cleanups.register(pool, lambda: _states.pop(key, None))
    if state.disabled or (state.closed and mode < 0):
        return _through(f, bb, mode, block, readbytes)
    if state.closed:
        lib.modpy_bb_eos(bb)              # an input stream the handler ended stays ended
        return lib.APR_SUCCESS
    req = _request(f)
    flt = Filter(f, bb, mode, block, readbytes, state, req)
    try:
        target = state.target or _load(state, f, req)
        while True:                       # until this brigade is used up
            flt._progress = False
            target(flt)
            if not flt._progress or state.closed or state.eos:
                break
            if lib.modpy_bb_empty(bb) != (mode >= 0):
                break                     # output: input used up; input: something to give
        if mode < 0 and state.pending and not state.closed:
            flt._pass()
        if mode < 0 and state.eos and not state.closed:
            flt.close()                   # the handler saw the end but did not say so
    except Exception as e:
        return _failed(flt, state, e)
    if mode < 0:
        lib.apr_brigade_cleanup(bb)
    return lib.APR_SUCCESS


log.request_entry(run, lambda local: local["f"].r)       # NULL for a connection filter


def _through(f, bb, mode, block, readbytes) -> int:
    if mode < 0:
        return lib.ap_pass_brigade(f.next, bb)
    return lib.ap_get_brigade(f.next, bb, mode, block, readbytes)


def _failed(flt: Filter, state: FilterState, exc: BaseException) -> int:
    """Log it; the filter is disabled for the rest of the request and the
    brigade fails, so Apache answers 500 (or the reader gets an error)."""
    state.disabled = True
    where = "PythonInputFilter" if flt.is_input else "PythonOutputFilter"
    log_failure(where, state.entry, exc, flt.req.the_request if flt.req is not None else None, flt.name)
    return lib.APR_EGENERAL


def _request(f):
    if f.r == NULL:
        return None
    return wrap(f.r)


def _entry(f) -> Optional[HandlerEntry]:
    """The handler for this filter's name: one registered on the request,
    else the server's Python*Filter directive."""
    name = text(lib.modpy_filter_name(f)).lower()
    if f.r != NULL:
        req = _request(f)
        entry = req.__dict__.get("_filters", {}).get(name)
        if entry is not None:
            return entry
    server = f.r.server if f.r != NULL else f.c.base_server
    for s in (server, runtime.main_server):
        config = server_config(s) if s is not None else None
        if config is not None:
            for filter_name, (entry, _) in config.filters.items():
                if filter_name.lower() == name:
                    return entry
    return None


def _load(state: FilterState, f, req):
    """The filter's handler, placed as any handler is (modpy.phases.placement):
    under the request's Python settings, or the server's for a connection
    filter, also when no Python handler ran."""
    entry = state.entry
    if req is not None:
        config = req._config
        if config is None:
            config = dir_config(req._r.per_dir_config)
        interpreter = interpreter_name(config, entry, None, req)
        req.interpreter = req.interpreter or interpreter
    else:
        server = f.c.base_server
        config = server_dir_config(server)
        interpreter = interpreter_name(config, entry, server)
    target = load(entry, config, interpreter, req)
    if config.enable_pdb:
        state.target = lambda flt: debug.call(target, flt, what="PythonEnablePdb On (filter)")
    else:
        state.target = target
    return state.target
