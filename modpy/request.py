"""The request object handlers receive: a view of Apache's request_rec.

Members read and write request_rec fields through cffi when they are used;
nothing is copied per request that a handler does not ask for.  Each member
is one line below, in the order of the manual's member list, so the two
read side by side.  Handlers may set attributes of their own on `req` to
pass data from one phase to the next (the object lives as long as the
request).
"""
from __future__ import annotations

from typing import Callable, Optional, Union

from . import constants as C
from . import log
from ._ffi import NULL, ffi, lib, pstr, text, to_bytes
from .table import Table


class _Str:
    """A char * member; writable ones are copied into the request pool."""

    def __init__(self, field: str, writable: bool = False) -> None:
        self.field, self.writable = field, writable

    def __set_name__(self, owner, name) -> None:
        self.name = name

    def __get__(self, req, owner=None):
        if req is None:
            return self
        return text(getattr(req._r, self.field))

    def __set__(self, req, value) -> None:
        if not self.writable:
            raise AttributeError(f"req.{self.name} is read-only")
        r = req._r
        setattr(r, self.field, NULL if value is None else pstr(r.pool, value, f"req.{self.name}"))


class _Int(_Str):
    """An integer member."""

    def __get__(self, req, owner=None):
        if req is None:
            return self
        return int(getattr(req._r, self.field))

    def __set__(self, req, value) -> None:
        if not self.writable:
            raise AttributeError(f"req.{self.name} is read-only")
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"req.{self.name} must be an int, not {type(value).__name__}")
        setattr(req._r, self.field, value)


class _Table(_Str):
    """An apr_table_t member, wrapped once per request."""

    def __get__(self, req, owner=None):
        if req is None:
            return self
        cache = req.__dict__.setdefault("_tables", {})
        table = cache.get(self.field)
        if table is None:
            table = cache[self.field] = Table(getattr(req._r, self.field))
        return table


class Request:
    """mod_python's request object (see the manual's "Request Object")."""

    # members, as the manual lists them
    the_request = _Str("the_request")
    assbackwards = _Int("assbackwards", writable=True)
    proxyreq = _Int("proxyreq", writable=True)
    header_only = _Int("header_only")
    protocol = _Str("protocol")
    proto_num = _Int("proto_num")
    hostname = _Str("hostname")
    request_time = _Int("request_time")
    status_line = _Str("status_line", writable=True)
    status = _Int("status", writable=True)
    method = _Str("method")
    method_number = _Int("method_number")
    allowed = _Int("allowed", writable=True)
    sent_bodyct = _Int("sent_bodyct")
    bytes_sent = _Int("bytes_sent")
    mtime = _Int("mtime")
    chunked = _Int("chunked", writable=True)
    range = _Str("range")
    clength = _Int("clength")
    remaining = _Int("remaining")
    read_length = _Int("read_length")
    read_body = _Int("read_body")
    read_chunked = _Int("read_chunked")
    expecting_100 = _Int("expecting_100")
    headers_in = _Table("headers_in")
    headers_out = _Table("headers_out")
    err_headers_out = _Table("err_headers_out")
    subprocess_env = _Table("subprocess_env")
    notes = _Table("notes")
    handler = _Str("handler", writable=True)
    content_encoding = _Str("content_encoding", writable=True)
    user = _Str("user", writable=True)
    ap_auth_type = _Str("ap_auth_type", writable=True)
    no_cache = _Int("no_cache", writable=True)
    no_local_copy = _Int("no_local_copy", writable=True)
    unparsed_uri = _Str("unparsed_uri")
    uri = _Str("uri", writable=True)
    filename = _Str("filename", writable=True)
    canonical_filename = _Str("canonical_filename", writable=True)
    path_info = _Str("path_info", writable=True)
    args = _Str("args", writable=True)
    useragent_ip = _Str("useragent_ip")

    def __init__(self, r, slot) -> None:
        self._r = r
        self._slot = slot                    # our request_config slot (void **)
        self._config = None                  # DirConfig of the phase in progress
        self._added: dict[int, list] = {}    # phase number -> entries from add_handler
        self.phase: Optional[str] = None     # "PythonHandler" ... while one runs
        self.hlist = None                    # the handler entry running now
        self.interpreter: Optional[str] = None
        self._body: Optional[bytearray] = None   # request body read ahead (readline)
        self._body_more = False                  # more body to come from Apache

    # content_type goes through ap_set_content_type so filters see it
    @property
    def content_type(self) -> Optional[str]:
        return text(self._r.content_type)

    @content_type.setter
    def content_type(self, value: Union[str, bytes]) -> None:
        lib.ap_set_content_type(self._r, pstr(self._r.pool, value, "req.content_type"))

    @property
    def server(self):
        from .server import Server
        return Server(self._r.server)

    @property
    def connection(self):
        from .connection import Connection
        return Connection(self._r.connection)

    # output ----------------------------------------------------------
    def write(self, data: Union[str, bytes], flush: int = 1) -> None:
        """Send data to the client (str as UTF-8); flush unless told not to,
        as mod_python does."""
        buf = to_bytes(data, "req.write() data") if not isinstance(data, bytes) else data
        if buf and lib.ap_rwrite(buf, len(buf), self._r) < 0:
            raise OSError("write failed: the client closed the connection")
        if flush:
            self.flush()

    def flush(self) -> None:
        if lib.ap_rflush(self._r) < 0:
            raise OSError("flush failed: the client closed the connection")

    # input -----------------------------------------------------------
    _CHUNK = 65536

    def _body_buffer(self) -> bytearray:
        """Start reading the body the first time (Content-Length or chunked,
        de-chunked by Apache); an error status from Apache is an OSError."""
        if self._body is None:
            status = lib.ap_setup_client_block(self._r, lib.REQUEST_CHUNKED_DECHUNK)
            if status != C.OK:
                raise OSError(f"cannot read the request body (HTTP status {status})")
            self._body = bytearray()
            self._body_more = bool(lib.ap_should_client_block(self._r))
        return self._body

    def _fill(self, want: int) -> bool:
        """Read up to `want` more bytes into the buffer; False at the end."""
        if not self._body_more:
            return False
        size = max(min(want, self._CHUNK), 1)
        buf = ffi.new("char[]", size)
        got = lib.ap_get_client_block(self._r, buf, size)
        if got < 0:
            self._body_more = False
            raise OSError("reading the request body failed (client gone, or a body "
                          "shorter than its Content-Length)")
        if got == 0:
            self._body_more = False
            return False
        self._body += ffi.buffer(buf, got)
        return True

    def read(self, size: int = -1) -> bytes:
        """Read `size` bytes of the body (all of it by default)."""
        body = self._body_buffer()
        while (size < 0 or len(body) < size) and self._fill(self._CHUNK if size < 0 else size - len(body)):
            pass
        size = len(body) if size < 0 else min(size, len(body))
        data = bytes(body[:size])
        del body[:size]
        return data

    def readline(self, size: int = -1) -> bytes:
        """Read one line of the body, with its newline."""
        body = self._body_buffer()
        start = 0
        while True:
            end = body.find(b"\n", start)
            if end >= 0:
                end += 1
                break
            if 0 <= size <= len(body):
                end = size
                break
            start = len(body)
            if not self._fill(self._CHUNK):
                end = len(body)
                break
        if 0 <= size < end:
            end = size
        data = bytes(body[:end])
        del body[:end]
        return data

    def readlines(self, sizehint: int = -1) -> list[bytes]:
        lines, total = [], 0
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)
            total += len(line)
            if 0 <= sizehint <= total:
                return lines

    def discard_request_body(self) -> int:
        return lib.ap_discard_request_body(self._r)

    # CGI variables and redirects --------------------------------------
    def add_common_vars(self) -> None:
        """ap_add_common_vars: HTTP_*, SERVER_*, REMOTE_* ... into subprocess_env."""
        lib.ap_add_common_vars(self._r)

    def add_cgi_vars(self) -> None:
        """ap_add_cgi_vars: GATEWAY_INTERFACE, SCRIPT_NAME, PATH_INFO ... too."""
        lib.ap_add_cgi_vars(self._r)

    def internal_redirect(self, new_uri: Union[str, bytes]) -> None:
        """Serve `new_uri` instead, as a new request in this connection."""
        lib.ap_internal_redirect(pstr(self._r.pool, new_uri, "uri"), self._r)

    # cleanups --------------------------------------------------------
    def register_cleanup(self, callable: Callable, data=None) -> None:
        """Call `callable(data)` when the request is over (its pool is
        cleared), whatever the handlers returned or raised."""
        from . import cleanups
        cleanups.register(self._r.pool, lambda: callable(data))

    # logging ---------------------------------------------------------
    def log_error(self, message, level: int = C.APLOG_ERR) -> None:
        log.log_rerror(self._r, message, level)

    # configuration ---------------------------------------------------
    def get_options(self) -> Table:
        """The PythonOption values in effect for this request."""
        table = Table()
        for key, value in self._config.get_options().items():
            table[key] = value
        return table

    def get_config(self) -> Table:
        """The other Python* settings in effect, by directive name."""
        from .dispatch import config_table
        return config_table(self._config)

    def add_handler(self, htype: str, handler: Union[str, Callable], dir: Optional[str] = None) -> None:
        """Run `handler` in phase `htype` (e.g. "PythonHandler") later in
        this request, or after the current handler when it is this phase."""
        from .dispatch import add_handler
        add_handler(self, htype, handler, dir)

    def __repr__(self) -> str:
        return f"<modpy.request {self.the_request!r}>"
