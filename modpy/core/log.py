"""Apache's error log from Python: apache.log_error, req.log_error, and the
plumbing that sends `print(file=sys.stderr)` and the `logging` module there.
"""
from __future__ import annotations

import io
import logging
import sys
import threading

from modpy import constants as C
from modpy.core import runtime
from modpy.core.ffi import NULL, data_bytes, ffi, lib

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
            log_error(line, self.level)
        return len(s)

    def flush(self) -> None:
        pending = getattr(self._local, "pending", "")
        if pending:
            self._local.pending = ""
            log_error(pending, self.level)


_LEVELS = ((logging.CRITICAL, C.APLOG_CRIT), (logging.ERROR, C.APLOG_ERR),
           (logging.WARNING, C.APLOG_WARNING), (logging.INFO, C.APLOG_INFO))


class ErrorLogHandler(logging.Handler):
    """`logging` records to the error log, at Apache's matching level."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level = next((ap for py, ap in _LEVELS if record.levelno >= py), C.APLOG_DEBUG)
            for line in self.format(record).splitlines() or [""]:
                log_error(line, level)
        except Exception:
            self.handleError(record)


def install() -> None:
    """Route stderr and the root logger to the error log (once a process)."""
    if not isinstance(sys.stderr, ErrorLogStream):
        sys.stderr = ErrorLogStream(C.APLOG_ERR, "<stderr>")
        logging.getLogger().addHandler(ErrorLogHandler())
