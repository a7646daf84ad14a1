"""Apache's error log from Python: apache.log_error, req.log_error, and the
plumbing that sends `print(file=sys.stderr)` and the `logging` module there.

`logging` is left as Python users know it: the root logger has no handler,
so `logging.basicConfig(...)` and a logger's own handlers work as anywhere,
and a record that reaches no handler goes to the error log at its level
(`logging.lastResort`, WARNING and up, as in any Python program).  A record
made while a thread serves a request carries `client` (the client's
address) and `log_id` (the request's log id, Apache's %L), and the error log
lines of this module name the client as `req.log_error` does.
"""
from __future__ import annotations

import io
import logging
import sys
import threading
from typing import Callable, Optional

from modpy import constants as C
from modpy.core import runtime
from modpy.core.ffi import NULL, data_bytes, ffi, lib, text

_FILE = ffi.new("char[]", b"modpy")


def _message(message) -> object:
    text = message if isinstance(message, (str, bytes)) else str(message)
    return ffi.new("char[]", data_bytes(text, "log message").replace(b"\0", b"\\0"))


def log_error(message, level: int = C.APLOG_ERR, server=None) -> None:
    """ap_log_error: to the server's error log (the main one without `server`)."""
    lib.ap_log_error_(_FILE, 0, runtime.module_index, level & 0xF, 0,
                      server if server is not None else NULL, b"%s", _message(message))


def log_rerror(r, message, level: int = C.APLOG_ERR) -> None:
    """ap_log_rerror: with the request's client address and log id."""
    lib.ap_log_rerror_(_FILE, 0, runtime.module_index, level & 0xF, 0, r, b"%s", _message(message))


def log_cerror(c, message, level: int = C.APLOG_ERR) -> None:
    """ap_log_cerror: with the connection's client address."""
    lib.ap_log_cerror_(_FILE, 0, runtime.module_index, level & 0xF, 0, c, b"%s", _message(message))


_REQUEST_ENTRIES: dict = {}     # code of an entry point -> its request_rec from its locals


def request_entry(function, request: Callable[[dict], object]) -> None:
    """Mark `function` as an entry point that serves a request: `request`
    finds the request_rec (or NULL) among its local variables."""
    _REQUEST_ENTRIES[function.__code__] = request


def current_request():
    """The request_rec the running thread is serving, or None.  Read from
    the thread's own stack, so that no request pays for it until
    something is logged."""
    frame = sys._getframe(1)
    while frame is not None:
        find = _REQUEST_ENTRIES.get(frame.f_code)
        if find is not None:
            r = find(frame.f_locals)
            return r if r != NULL else None
        frame = frame.f_back
    return None


def request_log_id(r) -> Optional[str]:
    """The request's log id (Apache's %L in ErrorLogFormat), made as
    Apache makes it the first time something asks."""
    if r.log_id == NULL:
        lib.ap_run_generate_log_id(r.connection, r, ffi.addressof(r, "log_id"))
    return text(r.log_id)


def _record_with_request(make: Callable) -> Callable:
    """A LogRecord factory around `make` adding `client` and `log_id`."""
    def factory(*args, **kwargs) -> logging.LogRecord:
        record = make(*args, **kwargs)
        r = current_request()
        record.client = text(r.useragent_ip) if r is not None else None
        record.log_id = request_log_id(r) if r is not None else None
        return record
    return factory


def _log_line(line: str, level: int) -> None:
    r = current_request()
    if r is not None:
        log_rerror(r, line, level)
    else:
        log_error(line, level)


class ErrorLogStream(io.TextIOBase):
    """A text stream whose lines go to the error log at one level.

    Partial lines wait, per thread, for their newline, so two threads'
    output never interleaves within a line."""

    def __init__(self, level: int, name: str) -> None:
        self.level = level
        self.name = name
        self._local = threading.local()

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        pending = getattr(self._local, "pending", "") + s
        *lines, pending = pending.split("\n")
        self._local.pending = pending
        for line in lines:
            _log_line(line, self.level)
        return len(s)

    def flush(self) -> None:
        pending = getattr(self._local, "pending", "")
        if pending:
            self._local.pending = ""
            _log_line(pending, self.level)


_LEVELS = ((logging.CRITICAL, C.APLOG_CRIT), (logging.ERROR, C.APLOG_ERR),
           (logging.WARNING, C.APLOG_WARNING), (logging.INFO, C.APLOG_INFO))


class ErrorLogHandler(logging.Handler):
    """`logging` records to the error log, at Apache's matching level."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level = next((ap for py, ap in _LEVELS if record.levelno >= py), C.APLOG_DEBUG)
            for line in self.format(record).splitlines() or [""]:
                _log_line(line, level)
        except Exception:
            self.handleError(record)


def install() -> None:
    """Route stderr to the error log, and records no handler took (once a
    process)."""
    if not isinstance(sys.stderr, ErrorLogStream):
        sys.stderr = ErrorLogStream(C.APLOG_ERR, "<stderr>")
        logging.lastResort = ErrorLogHandler(logging.WARNING)
        logging.setLogRecordFactory(_record_with_request(logging.getLogRecordFactory()))
