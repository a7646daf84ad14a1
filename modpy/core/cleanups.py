"""Python callables run when an APR pool is cleared or destroyed.

One C callback (modpy_pool_cleanup, declared extern "Python", entered
through modpy_guarded_pool_cleanup, which stays out of Python when a signal
ends the process in the middle of it) serves every pool cleanup modpy
registers; its data pointer is a ticket number into this registry, so C
never holds a Python object.
"""
from __future__ import annotations

import itertools
from typing import Any, Callable, Optional

from modpy.core import runtime
from modpy.core.ffi import ffi, lib

_pending: dict[int, Callable[[], object]] = {}
_tickets = itertools.count(1)


def register(pool, callback: Callable[[], object]) -> int:
    """Run `callback()` when `pool` goes away; returns its ticket."""
    ticket = next(_tickets)
    _pending[ticket] = callback
    lib.apr_pool_cleanup_register(pool, ffi.cast("void *", ticket),
                                  ffi.addressof(lib, "modpy_guarded_pool_cleanup"),
                                  ffi.addressof(lib, "apr_pool_cleanup_null"))
    return ticket


def run(ticket: int) -> None:
    callback = _pending.pop(ticket, None)
    if callback is not None:
        callback()


def register_child(callback: Callable[..., Any], data: Optional[Any] = None) -> int:
    """Run `callback(data)` (or `callback()` without data) when this child
    process shuts down: its pool is destroyed as the child exits, under
    every MPM, on graceful and hard stops and restarts alike."""
    if runtime.child_pool is None:
        raise RuntimeError("register_cleanup() works in a child process (a handler or "
                           "a PythonImport), not while Apache reads its configuration")
    if not callable(callback):
        raise TypeError(f"register_cleanup() needs a callable, not {type(callback).__name__}")
    return register(runtime.child_pool, (lambda: callback()) if data is None else (lambda: callback(data)))
