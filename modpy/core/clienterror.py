"""When the client fails the request: a body that stops coming before its
Content-Length (Apache's `Timeout`), a body that is malformed or larger
than `LimitRequestBody`, a client that hangs up while its body is read or
its answer written.

Each is a `ClientError`, an OSError (mod_python's manual: req.read()
raises IOError when the Timeout expires) that also carries `status`: what
Apache's own handlers answer such a request (408, 413, 400), or None when
the client is gone and no answer can reach it.  A handler may catch it; one
that lets it escape ends the request with that status and one line in the
error log, not a 500 and a traceback: the server did nothing wrong.

Pure: the request object passes in what Apache reported.
"""
from __future__ import annotations

import errno
from typing import Optional

from modpy import constants as C

AP_FILTER_ERROR = -102        # httpd.h: a filter has already answered the client
APR_INCOMPLETE = 70008        # apr_errno.h: the connection ended before the body did
APR_EOF = 70014
# read statuses of a client that hung up: APR's own, and the socket's errno
GONE = frozenset({APR_INCOMPLETE, APR_EOF, errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED})


class ClientError(OSError):
    """A request the client broke off or sent wrong (see the module doc)."""

    def __init__(self, code: int, message: str, status: Optional[int]) -> None:
        super().__init__(code, message)
        self.status = status

    def __str__(self) -> str:            # the message alone: the errno is in .errno
        return self.strerror


def _progress(got: int, expected: Optional[int]) -> str:
    return f"after {got} of {expected} bytes" if expected is not None else f"after {got} bytes (chunked)"


def read_failed(apr_status: int, http_status: int, apr_message: str, got: int,
                expected: Optional[int]) -> ClientError:
    """The error for a body read that failed with `apr_status` (APR's text
    for it: `apr_message`).  `http_status` is Apache's own mapping of it
    (ap_map_http_request_error, 400 when it has none); `got` bytes had
    come of `expected` (None: chunked)."""
    error = _read_error(apr_status, http_status, apr_message, got, expected)
    # APR's own status, as the OSError it is (mod_python raises an IOError
    # here; a traceback names both)
    error.__cause__ = OSError(apr_status, apr_message)
    return error


def _read_error(apr_status: int, http_status: int, apr_message: str, got: int,
                expected: Optional[int]) -> ClientError:
    where = _progress(got, expected)
    if http_status == C.HTTP_REQUEST_TIME_OUT:
        return ClientError(errno.ETIMEDOUT, f"the request body stopped coming {where}: Apache's "
                                            f"Timeout expired", http_status)
    if http_status == C.HTTP_REQUEST_ENTITY_TOO_LARGE:
        return ClientError(errno.EFBIG, f"the request body is larger than LimitRequestBody allows "
                                        f"({where})", http_status)
    if http_status == AP_FILTER_ERROR:
        return ClientError(errno.EPROTO, f"the request body was refused by an input filter, which "
                                         f"has answered the client ({where})", C.DONE)
    if apr_status in GONE:
        return ClientError(errno.ECONNRESET, f"the client closed the connection {where} of the "
                                             f"request body", http_status)
    return ClientError(errno.EPROTO, f"the request body is malformed {where} ({apr_message})",
                       http_status)


def setup_failed(http_status: int) -> ClientError:
    """The error for a body Apache refuses before reading it (a
    Content-Length over LimitRequestBody: 413; a transfer coding it does
    not know: 501)."""
    if http_status == C.HTTP_REQUEST_ENTITY_TOO_LARGE:
        return ClientError(errno.EFBIG, "the request body is larger than LimitRequestBody allows "
                                        "(by its Content-Length)", http_status)
    return ClientError(errno.EPROTO, f"Apache refuses to read the request body (HTTP status "
                                     f"{http_status})", http_status)


def write_failed(what: str) -> ClientError:
    """The error for a write or flush the client is no longer there for:
    no status, nothing can reach it."""
    return ClientError(errno.ECONNRESET, f"{what} failed: the client closed the connection", None)
