"""modpy.clienterror in-process: which error, errno and HTTP status a
failed body read or write becomes."""
import errno

import pytest

from modpy.constants import DONE
from modpy.core import clienterror as CE

TIMEUP = 70007                      # APR_TIMEUP: Apache maps it to 408


@pytest.mark.parametrize("apr_status,http_status,code,status,words", [
    (TIMEUP, 408, errno.ETIMEDOUT, 408, "stopped coming after 10 of 100 bytes: Apache's Timeout expired"),
    (errno.ENOSPC, 413, errno.EFBIG, 413, "larger than LimitRequestBody"),
    (CE.AP_FILTER_ERROR, CE.AP_FILTER_ERROR, errno.EPROTO, DONE, "refused by an input filter"),
    (CE.APR_INCOMPLETE, 400, errno.ECONNRESET, 400, "client closed the connection after 10 of 100"),
    (errno.ECONNRESET, 400, errno.ECONNRESET, 400, "client closed the connection"),
    (CE.APR_EOF, 400, errno.ECONNRESET, 400, "client closed the connection"),
    (22, 400, errno.EPROTO, 400, "malformed after 10 of 100 bytes (Invalid argument)"),
])
def test_read_failures(apr_status, http_status, code, status, words):
    e = CE.read_failed(apr_status, http_status, "Invalid argument", 10, 100)
    assert isinstance(e, OSError)           # the manual's IOError: `except IOError` catches it
    assert (e.errno, e.status) == (code, status)
    assert words in str(e)
    assert not str(e).startswith("[Errno")


def test_a_chunked_body_says_so():
    e = CE.read_failed(TIMEUP, 408, "", 5, None)
    assert "after 5 bytes (chunked)" in str(e)


def test_refused_before_reading():
    assert CE.setup_failed(413).status == 413
    assert "LimitRequestBody" in str(CE.setup_failed(413))
    e = CE.setup_failed(501)
    assert e.status == 501 and "501" in str(e)


def test_a_failed_write_has_no_status_to_send():
    e = CE.write_failed("flush")
    assert e.status is None and e.errno == errno.ECONNRESET
    assert str(e) == "flush failed: the client closed the connection"


def test_a_read_error_is_caused_by_aprs_status():
    from modpy.core.clienterror import read_failed
    e = read_failed(70007, 408, "The timeout specified has expired", 9, 10)
    assert isinstance(e.__cause__, OSError) and e.__cause__.errno == 70007
    assert str(e.__cause__) == "[Errno 70007] The timeout specified has expired"
