"""The constants of mod_python's `apache` module, with Apache's values.

Pure data: importable anywhere, inside Apache or not.
"""
from http import HTTPStatus as _HTTPStatus

# Handler return codes (httpd.h)
OK = 0
DECLINED = -1
DONE = -2

# Every HTTP status Python knows, under mod_python's names (HTTP_NOT_FOUND ...)
for _status in _HTTPStatus:
    globals()["HTTP_" + _status.name] = _status.value
# mod_python's spellings that differ from Python's
HTTP_NON_AUTHORITATIVE = 203
HTTP_MOVED_TEMPORARILY = 302
HTTP_REQUEST_TIME_OUT = 408
HTTP_REQUEST_ENTITY_TOO_LARGE = 413
HTTP_REQUEST_URI_TOO_LARGE = 414
HTTP_RANGE_NOT_SATISFIABLE = 416
HTTP_GATEWAY_TIME_OUT = 504
HTTP_VERSION_NOT_SUPPORTED = 505
HTTP_VARIANT_ALSO_VARIES = 506
HTTP_UNPROCESSABLE_ENTITY = 422
HTTP_NOT_EXTENDED = 510
del _status

# Log levels (http_log.h)
APLOG_EMERG = 0
APLOG_ALERT = 1
APLOG_CRIT = 2
APLOG_ERR = 3
APLOG_WARNING = 4
APLOG_NOTICE = 5
APLOG_INFO = 6
APLOG_DEBUG = 7
APLOG_NOERRNO = 16  # accepted for compatibility; Apache 2.4 ignores it

# ap_get_remote_host() lookup types (http_core.h)
REMOTE_HOST = 0
REMOTE_NAME = 1
REMOTE_NOLOOKUP = 2
REMOTE_DOUBLE_REV = 3

# conn_rec keepalive states (httpd.h)
AP_CONN_UNKNOWN = 0
AP_CONN_CLOSE = 1
AP_CONN_KEEPALIVE = 2

# ap_mpm_query() codes and answers (ap_mpm.h)
AP_MPMQ_NOT_SUPPORTED = 0
AP_MPMQ_STATIC = 1
AP_MPMQ_DYNAMIC = 2
AP_MPMQ_MAX_DAEMON_USED = 1
AP_MPMQ_IS_THREADED = 2
AP_MPMQ_IS_FORKED = 3
AP_MPMQ_HARD_LIMIT_DAEMONS = 4
AP_MPMQ_HARD_LIMIT_THREADS = 5
AP_MPMQ_MAX_THREADS = 6
AP_MPMQ_MIN_SPARE_DAEMONS = 7
AP_MPMQ_MIN_SPARE_THREADS = 8
AP_MPMQ_MAX_SPARE_DAEMONS = 9
AP_MPMQ_MAX_SPARE_THREADS = 10
AP_MPMQ_MAX_REQUESTS_DAEMON = 11
AP_MPMQ_MAX_DAEMONS = 12

# Method numbers (httpd.h)
M_GET = 0
M_PUT = 1
M_POST = 2
M_DELETE = 3
M_CONNECT = 4
M_OPTIONS = 5
M_TRACE = 6
M_PATCH = 7
M_PROPFIND = 8
M_PROPPATCH = 9
M_MKCOL = 10
M_COPY = 11
M_MOVE = 12
M_LOCK = 13
M_UNLOCK = 14
M_VERSION_CONTROL = 15
M_CHECKOUT = 16
M_UNCHECKOUT = 17
M_CHECKIN = 18
M_UPDATE = 19
M_LABEL = 20
M_REPORT = 21
M_MKWORKSPACE = 22
M_MKACTIVITY = 23
M_BASELINE_CONTROL = 24
M_MERGE = 25
M_INVALID = 26

# Filter read modes (util_filter.h)
MODE_READBYTES = 0
MODE_GETLINE = 1
MODE_EATCRLF = 2
MODE_SPECULATIVE = 3
MODE_EXHAUSTIVE = 4
MODE_INIT = 5

# What apache.log_error and friends print for a traceback
PROG_TRACEBACK = "PROG_TRACEBACK"
