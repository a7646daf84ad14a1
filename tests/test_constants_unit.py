"""In-process: the apache module's constants have Apache's values."""
from modpy import constants as C


def test_core_values():
    assert (C.OK, C.DECLINED, C.DONE) == (0, -1, -2)
    assert (C.REQ_PROCEED, C.REQ_NOACTION, C.REQ_ABORTED) == (0, -1, 500)
    assert (C.HTTP_OK, C.HTTP_NOT_FOUND, C.HTTP_MOVED_TEMPORARILY, C.HTTP_INTERNAL_SERVER_ERROR) == \
        (200, 404, 302, 500)
    assert (C.APLOG_EMERG, C.APLOG_ERR, C.APLOG_DEBUG) == (0, 3, 7)
    assert (C.REMOTE_HOST, C.REMOTE_NAME, C.REMOTE_NOLOOKUP, C.REMOTE_DOUBLE_REV) == (0, 1, 2, 3)
    assert (C.AP_CONN_UNKNOWN, C.AP_CONN_CLOSE, C.AP_CONN_KEEPALIVE) == (0, 1, 2)
    assert (C.AP_MPMQ_IS_THREADED, C.AP_MPMQ_MAX_DAEMONS) == (2, 12)
    assert (C.FINFO_MODE, C.FINFO_FILETYPE, C.URI_SCHEME, C.URI_FRAGMENT) == (0, 12, 0, 8)
    assert (C.APR_NOFILE, C.APR_REG, C.APR_DIR) == (0, 1, 2)
    assert (C.PROXYREQ_REVERSE, C.AP_REQ_DEFAULT_PATH_INFO, C.REQUEST_CHUNKED_DECHUNK) == (2, 2, 2)
    assert C.PROG_TRACEBACK == "PROG_TRACEBACK"
