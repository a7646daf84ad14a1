"""mod_python.wsgi: run a WSGI application (PEP 3333) as the content handler.

    SetHandler mod_python
    PythonHandler mod_python.wsgi
    PythonOption mod_python.wsgi.application mypackage.app::application
    PythonOption mod_python.wsgi.base_uri /myapp      (optional)

The application is `module::callable` (callable defaults to `application`);
a module that is a path or a file next to the configuring section is loaded
like a handler module (autoreload by mtime), else imported.  With base_uri
(or, without it, in a <Location>: its path), SCRIPT_NAME is base_uri and
PATH_INFO the rest of the URI; else SCRIPT_NAME is empty and PATH_INFO the
whole URI.

Per request the work is kept small, and C calls above all (each one drops
and retakes the GIL): the environ is mod_python's CGI variables (one C call
sets them, as req.add_cgi_vars() does) read by a raw walk of the table,
decoded latin-1 as PEP 3333 wants ("bytes-as-str");
a one-block response is written without an extra flush so Apache can give
it a Content-Length, unless the application declared its Content-Length:
the block that completes a declared body is flushed at once, so that the
response leaves before the work after the handler and the client's next
request overlaps that work (as mod_wsgi's does).  Other blocks are flushed
one by one, as PEP 3333 requires.  wsgi.file_wrapper uses req.sendfile for
a regular named file and streams anything else in blocks.
"""
from __future__ import annotations

import os
import re
import sys
from typing import Any, Callable, Iterable, Optional

from modpy import constants as C
from modpy.config.grammar import DirectiveError, parse_handler
from modpy.core.ffi import NULL, data_bytes, ffi, lib
from modpy.objects.typenames import mod_python_type
from modpy.phases import importer

APP_OPTION = "mod_python.wsgi.application"
BASE_URI_OPTION = "mod_python.wsgi.base_uri"


class FileWrapper:
    """wsgi.file_wrapper: iterates a file in blocks; the handler sends a
    named regular file through req.sendfile when the request object has it
    (Apache's own file sending), and streams the blocks otherwise."""

    def __init__(self, filelike, blksize: int = 65536) -> None:
        self.filelike = filelike
        self.blksize = blksize
        if hasattr(filelike, "close"):
            self.close = filelike.close

    def __iter__(self):
        read, size = self.filelike.read, self.blksize
        while True:
            block = read(size)
            if not block:
                return
            yield block


@mod_python_type("mp_request")
class _Input:
    """wsgi.input over the request body, read from Apache as asked.  It
    bears the request's type name: mod_python hands the request object
    itself, and applications check the name."""

    __slots__ = ("read", "readline", "_req")

    def __init__(self, req) -> None:
        self._req = req
        self.read = req.read
        self.readline = req.readline

    def readlines(self, hint: int = -1) -> list:
        return self._req.readlines(hint)

    def __iter__(self):
        readline = self._req.readline
        while True:
            line = readline()
            if not line:
                return
            yield line




_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")


def _entries(t):
    """A table's entries.  apr_table_elts() is only a cast (an apr_table_t
    begins with its apr_array_header_t, as APR documents for the function);
    doing the cast here saves a C call, and a GIL release, per table."""
    elts = ffi.cast("apr_array_header_t *", t)
    return ffi.cast("apr_table_entry_t *", elts.elts), elts.nelts


_MULTITHREAD: Optional[bool] = None
_MULTIPROCESS: Optional[bool] = None


def _server_constants() -> tuple[bool, bool]:
    """(multithread, multiprocess) from the MPM, asked once."""
    global _MULTITHREAD, _MULTIPROCESS
    if _MULTITHREAD is None:
        from modpy.library.apache import mpm_query
        _MULTIPROCESS = mpm_query(C.AP_MPMQ_IS_FORKED) != C.AP_MPMQ_NOT_SUPPORTED
        _MULTITHREAD = mpm_query(C.AP_MPMQ_IS_THREADED) != C.AP_MPMQ_NOT_SUPPORTED
    return _MULTITHREAD, _MULTIPROCESS


class OutsideBaseURI(LookupError):
    """The request URI is not under base_uri: the application is not there."""


def split_uri(uri: str, base_uri: Optional[str]) -> tuple[str, str]:
    """(SCRIPT_NAME, PATH_INFO) of a request URI: base_uri and the rest."""
    if not base_uri:
        return "", uri
    script = base_uri.rstrip("/")
    if uri != script and not uri.startswith(script + "/"):
        raise OutsideBaseURI(f"request URI {uri!r} is not under {BASE_URI_OPTION} {base_uri!r}")
    return script, uri[len(script):]


def _base_uri(req) -> Optional[str]:
    """SCRIPT_NAME's source: the option, else the <Location> the handler
    is configured in (as mod_python's gateway)."""
    base_uri = req._config.options.get(BASE_URI_OPTION)
    entry = req.hlist
    if base_uri is None and entry is not None and entry.location and entry.directory \
            and req.uri.startswith(entry.directory.rstrip("/")):     # not a <LocationMatch> pattern
        base_uri = entry.directory
    return base_uri


def environ(req, base_uri: Optional[str]) -> dict:
    """The PEP 3333 environ of this request, all strings latin-1 decoded:
    what mod_python's gateway starts from, the CGI variables of
    req.add_cgi_vars() (the environment Apache set for the request, the
    request headers as HTTP_* less those CGI hides: credentials, Proxy, names
    with other than letters, digits and '-'), then SCRIPT_NAME and PATH_INFO
    split by the base URI, and the wsgi.* keys."""
    r = req._r
    lib.modpy_add_handler_cgi_vars(r)
    string = ffi.string
    env: dict = {}
    entries, n = _entries(r.subprocess_env)
    for i in range(n):
        e = entries[i]
        if e.key != NULL:
            env[string(e.key).decode("latin-1")] = string(e.val).decode("latin-1") if e.val != NULL else ""
    env["SCRIPT_NAME"], env["PATH_INFO"] = split_uri(
        string(r.uri).decode("latin-1") if r.uri != NULL else "", base_uri)
    https = env.get("HTTPS", "").lower() in ("on", "1")
    multithread, multiprocess = _server_constants()
    env["wsgi.version"] = (1, 0)
    env["wsgi.url_scheme"] = "https" if https else "http"
    env["wsgi.input"] = _Input(req)
    env["wsgi.errors"] = sys.stderr           # the error log, as mod_python's gateway gives it
    env["wsgi.multithread"] = multithread
    env["wsgi.multiprocess"] = multiprocess
    env["wsgi.run_once"] = False
    env["wsgi.file_wrapper"] = FileWrapper
    env["mod_python.request"] = req
    return env


_TYPES: dict[bytes, Any] = {}   # content type -> C string that lives as long as the process
_MAX_TYPES = 256


def _content_type(r, value: bytes):
    """A C string for r->content_type: the few types an application uses
    are kept for good (saving a pool copy per request), others are copied
    into the request pool."""
    cstr = _TYPES.get(value)
    if cstr is None:
        if len(_TYPES) >= _MAX_TYPES:
            return lib.apr_pstrmemdup(r.pool, value, len(value))
        cstr = _TYPES[value] = ffi.new("char[]", value)
    return cstr


class _Response:
    """start_response and write(), with the headers held back until the
    first byte of body (PEP 3333), so an error page can still replace them."""

    __slots__ = ("req", "status", "headers", "sent", "length")   # length: bytes still allowed

    def __init__(self, req) -> None:
        self.req = req
        self.status: Optional[str] = None
        self.headers: list = []
        self.sent = False
        self.length: Optional[int] = None

    def start_response(self, status: str, headers: list, exc_info=None) -> Callable:
        if exc_info is not None:
            try:
                if self.sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise AssertionError("start_response() called twice without exc_info")
        if type(status) is not str:
            raise TypeError(f"status must be str, not {type(status).__name__}")
        code = status[:3]
        if len(status) < 4 or not code.isdigit() or status[3] != " " or not status.isprintable():
            raise ValueError(f"status {status!r} is not '<3 digits> <reason>'")
        for item in headers:
            if type(item) is not tuple or len(item) != 2 or type(item[0]) is not str \
                    or type(item[1]) is not str:
                raise TypeError(f"header {item!r} is not a (str, str) tuple")
        self.status, self.headers = status, headers
        return self.write

    def send_headers(self, why: str = "wrote a body") -> None:
        if self.status is None:
            raise AssertionError(f"the application {why} before calling start_response()")
        r = self.req._r
        r.status = int(self.status[:3])
        if self.status != "200 OK":                 # Apache writes that one itself
            status_line = self.status.encode("latin-1")
            r.status_line = lib.apr_pstrmemdup(r.pool, status_line, len(status_line))
        out = r.headers_out
        for name, value in self.headers:
            lname = name.lower()
            if "\n" in value or "\r" in value or "\0" in value:
                raise ValueError(f"header {name!r} has a line break or NUL in its value")
            data = value.encode("latin-1")
            if not _TOKEN.match(name):
                raise ValueError(f"header name {name!r} is not an HTTP token")
            if lname == "content-type":
                # in the table too, where the application put it: Apache's
                # header filter then sets it in place (the order mod_python's
                # gateway sends)
                lib.ap_set_content_type(r, _content_type(r, data))
            elif lname == "content-length":
                self.length = int(value)
            lib.apr_table_add(out, name.encode("latin-1"), data)   # copies both
        self.sent = True

    def write(self, data: bytes, flush: int = 1) -> None:
        if type(data) is not bytes:
            # PEP 3333 asks for bytes; mod_python's gateway also sends a
            # str, as req.write() does (UTF-8), and applications rely on it
            data = data_bytes(data, "a WSGI body block")
        if not self.sent:
            self.send_headers()
        if self.length is not None:         # never more than the declared Content-Length
            data = data[:self.length]
            self.length -= len(data)
        if data:
            # the declared body complete: send it now, before the work after
            # the handler (the client's next request overlaps that work)
            self.req.write(data, flush or self.length == 0)


_apps: dict[tuple, Any] = {}   # (option, directory, interpreter) -> (spec, file or None, app)


def _application(req) -> Callable:
    """The application the options name; an imported module's is kept,
    a file-loaded one is looked up again so autoreload sees changes."""
    value = req._config.options.get(APP_OPTION)
    if not value:
        raise LookupError(f"PythonOption {APP_OPTION} is not set (module::callable)")
    entry = req.hlist
    directory = entry.directory if entry is not None else None
    interpreter = req.interpreter or "main_interpreter"
    key = (value, directory, interpreter)
    cached = _apps.get(key)
    if cached is None:
        try:
            spec = parse_handler(value)
        except DirectiveError as e:
            raise ValueError(f"PythonOption {APP_OPTION}: {e}") from None
        path = importer.module_file(spec, directory)
        app = None
        if path is None:
            module = importer.load(spec, None, interpreter)
            app = importer.resolve(module, spec.object or "application", req)
        cached = _apps[key] = (spec, path, app)
    spec, path, app = cached
    if app is not None:
        return app
    module = importer.namespace(interpreter).load_file(path, req._config.autoreload is not False)
    return importer.resolve(module, spec.object or "application", req)


def _send_file(req, response: _Response, wrapper: FileWrapper) -> bool:
    """Hand a regular named file to req.sendfile; False when that is not
    possible (no req.sendfile yet, not a real file) and blocks must stream."""
    sendfile = getattr(req, "sendfile", None)
    name = getattr(wrapper.filelike, "name", None)
    if sendfile is None or not isinstance(name, str) or not os.path.isfile(name):
        return False
    offset = wrapper.filelike.tell()
    response.write(b"", 0)
    size = os.path.getsize(name) - offset
    if response.length is not None:
        size = min(size, response.length)
    sendfile(name, offset, size)
    return True


def handler(req) -> int:
    app = _application(req)
    try:
        env = environ(req, _base_uri(req))
    except OutsideBaseURI as e:
        req.log_error(f"mod_python.wsgi: {e}", C.APLOG_INFO)
        return C.HTTP_NOT_FOUND
    response = _Response(req)
    result: Iterable = app(env, response.start_response)
    try:
        if type(result) in (list, tuple) and len(result) == 1:
            response.write(result[0], 0)      # whole body: no flush, Apache sets the length
        elif isinstance(result, FileWrapper) and _send_file(req, response, result):
            pass
        else:
            write = response.write
            for block in result:
                write(block)
        if not response.sent:
            response.send_headers("returned")
    finally:                                   # a failure: the dispatcher reports it
        close = getattr(result, "close", None)
        if close is not None:
            close()
        env["wsgi.errors"].flush()
    return C.OK
