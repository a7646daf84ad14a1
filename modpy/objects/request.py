"""The request object handlers receive: a view of Apache's request_rec.

Members read and write request_rec fields through cffi when they are used;
nothing is copied per request that a handler does not ask for.  Each member
is one line below, in the order of the manual's member list, so the two
read side by side.  Handlers may set attributes of their own on `req` to
pass data from one phase to the next (the object lives as long as the
request).
"""
from __future__ import annotations

import errno
import operator
import os
import threading
from typing import Any, Callable, Optional, Union

from modpy import constants as C
from modpy.config.grammar import DirectiveError, parse_handler
from modpy.config.model import HandlerEntry
from modpy.config.phase_table import BY_DIRECTIVE, HEADER_PARSER
from modpy.core import cleanups, clienterror, log, runtime
from modpy.core.clienterror import ClientError
from modpy.core.credentials import credential_text
from modpy.core.ffi import (
    ENCODING,
    ERRORS,
    NULL,
    c_string,
    data_bytes,
    ffi,
    header_bytes,
    lib,
    pstr,
    text,
    to_bytes,
)
from modpy.devloop import timing
from modpy.objects import records
from modpy.objects.brigade import apr_error, os_error
from modpy.objects.filter import register_filter_name
from modpy.objects.records import USEC
from modpy.objects.table import Table
from modpy.objects.typenames import mod_python_type

# Members are properties over request_rec fields: a getter called straight
# (the cheapest Python frame there is, or none at all for ints), and a setter
# that refuses a read-only one.

def _member(field: str, read: Callable, write: Optional[Callable] = None) -> property:
    if write is None:
        def write(req, value) -> None:
            raise AttributeError(f"attribute '{field}' of 'mp_request' objects is not writable")
    return property(read, write)


def _str(field: str, writable: bool = False, decode: Optional[Callable[[bytes], str]] = None) -> property:
    """A char * member; writable ones are copied into the request pool.
    `decode`: its own way from bytes to str (else UTF-8, surrogates kept)."""
    get_field = operator.attrgetter("_r." + field)

    def read(req):
        p = get_field(req)
        return c_string(p).decode(ENCODING, ERRORS) if p else None

    def read_decoded(req):
        p = get_field(req)
        return decode(c_string(p)) if p else None

    def write(req, value) -> None:
        r = req._r
        setattr(r, field, NULL if value is None else pstr(r.pool, value, f"req.{field}"))
    return _member(field, read if decode is None else read_decoded, write if writable else None)


def _header_str(field: str) -> property:
    """A writable char * member that Apache writes into the response head
    (status line, Content-Encoding, ETag): CR, LF and NUL are refused, so a
    value cannot add a header of its own."""
    plain = _str(field)

    def write(req, value) -> None:
        r = req._r
        if value is None:
            setattr(r, field, NULL)
            return
        data = header_bytes(value, f"req.{field}")
        setattr(r, field, lib.apr_pstrmemdup(r.pool, data, len(data)))
    return property(plain.fget, write)


def _int(field: str, writable: bool = False) -> property:
    """An integer member: read in C, with no Python frame (cffi gives an
    int field as an int)."""
    def write(req, value) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"req.{field} must be an int, not {type(value).__name__}")
        setattr(req._r, field, value)
    return _member(field, operator.attrgetter("_r." + field), write if writable else None)


def _table(field: str) -> property:
    """An apr_table_t member, wrapped once per request and cut loose with
    the request (Request.invalidate)."""
    get_field = operator.attrgetter("_r." + field)

    def read(req):
        cache = req.__dict__.get("_tables")
        if cache is None:
            cache = req._tables = {}
        table = cache.get(field)
        if table is None:
            table = cache[field] = Table(get_field(req))
        return table
    return _member(field, read)


def _seconds(field: str) -> property:
    """An apr_time_t member, as float seconds since the epoch."""
    get_field = operator.attrgetter("_r." + field)
    return _member(field, lambda req: get_field(req) / USEC)


def _strings(field: str) -> property:
    """An apr_array_header_t of strings, as a tuple."""
    get_field = operator.attrgetter("_r." + field)
    return _member(field, lambda req: records.strings(get_field(req)))


def _related(field: str) -> property:
    """main / prev / next: the Request of another request_rec, or None."""
    get_field = operator.attrgetter("_r." + field)

    def read(req):
        keep(req)           # so that the other request's prev/next/main is this one
        return wrap(get_field(req))
    return _member(field, read)


def wrap(r) -> Optional["Request"]:
    """The one Request of a request_rec (made on first sight, kept until
    its pool goes), or None."""
    if r == NULL:
        return None
    req = request_for(r, False)
    keep(req)
    return req


# A Request (and each table it hands out) reads memory of the request pool,
# so it must be cut loose (invalidate) when that pool goes: a handler may
# keep `req` or `req.headers_in` past the request.  Cutting loose at the
# pool's end is a call back into Python, and under load that call waits for
# the GIL: it was the largest single cost of a request that reads headers.
# So a Request kept only for its request's later phases is let go in the
# last of them (let_go; the C cleanup modpy_keep_request registered then
# stays out of Python); one pinned (for a filter, its cleanups, another
# request's main/prev/next, add_handler) is let go when the pool goes; and
# after the last Python phase a pool cleanup is registered only if
# something outside modpy still holds the Request or one of its tables
# (modpy.phases.request).

_live: dict = {}        # request_rec * (cdata, hashed by address) -> its Request
_records = timing.stats.records
_count_request = _records.append
_FOLD_AT = timing.Stats.FOLD_AT
_SLOTS = ffi.typeof("void **")          # a request_config vector (parsed once)


def request_for(r, keep_it: bool = True) -> "Request":
    """The one Request of a request_rec: made at its first Python phase (or
    when a filter or req.main first asks for it) and, when `keep_it`, kept
    for the others."""
    req = _live.get(r)
    if req is None:
        req = Request(r)
        _count_request(None)                # one more request (timing.Stats)
        if len(_records) > _FOLD_AT:
            timing.stats.fold()
        if keep_it:
            keep(req, pin=False)
    return req


def keep(req: "Request", pin: bool = True) -> None:
    """Remember a Request for the later phases of its request and, when
    `pin`, until the request pool goes, whatever its phases."""
    if pin:
        req._pinned = True
    r = req._r
    if r not in _live:
        _live[r] = req
        req._kept = lib.modpy_keep_request(r, req._slot)


def let_go(req: "Request") -> bool:
    """The request's last Python phase has run: a Request kept only for
    its phases is forgotten now (True); a pinned one stays (False)."""
    if req._pinned:
        return False
    del _live[req._r]
    req._kept.kept = 0
    return True


def request_done(r) -> None:
    """The request pool goes with its Request still kept: cut it loose."""
    req = _live.pop(r, None)
    if req is not None:
        req.invalidate()


is_kept = _live.__contains__     # is_kept(r): a Request kept for r's later phases (a C call, no frame)
kept_request = _live.get         # kept_request(r): that Request, or None (the same)


# The few content types a site uses, as C strings that live as long as the
# process: setting one costs no copy into the request pool (and no call into
# APR, where cffi would drop and retake the GIL).  Bounded; others are copied.
_content_types: dict = {}
_CONTENT_TYPES_MAX = 64


def _content_type_cstr(value: Union[str, bytes], pool):
    data = header_bytes(value, "req.content_type")
    if type(value) is not str or len(_content_types) >= _CONTENT_TYPES_MAX:
        return lib.apr_pstrmemdup(pool, data, len(data))
    return _content_types.setdefault(value, ffi.new("char[]", data))


@mod_python_type("mp_request")
class Request:
    """mod_python's request object (see the manual's "Request Object")."""

    # members, as the manual lists them
    the_request = _str("the_request")
    assbackwards = _int("assbackwards", writable=True)
    proxyreq = _int("proxyreq", writable=True)
    header_only = _int("header_only")
    protocol = _str("protocol")
    proto_num = _int("proto_num")
    hostname = _str("hostname")
    request_time = _seconds("request_time")
    status_line = _header_str("status_line")
    status = _int("status", writable=True)
    method = _str("method")
    method_number = _int("method_number")
    allowed = _int("allowed")
    allowed_xmethods = _strings("allowed_xmethods")
    sent_bodyct = _int("sent_bodyct")
    bytes_sent = _int("bytes_sent")
    mtime = _seconds("mtime")
    chunked = _int("chunked", writable=True)
    range = _str("range")
    clength = _int("clength")
    remaining = _int("remaining")
    read_length = _int("read_length")
    read_body = _int("read_body")
    read_chunked = _int("read_chunked")
    expecting_100 = _int("expecting_100")
    headers_in = _table("headers_in")
    headers_out = _table("headers_out")
    err_headers_out = _table("err_headers_out")
    subprocess_env = _table("subprocess_env")
    notes = _table("notes")
    content_languages = _strings("content_languages")
    handler = _str("handler", writable=True)
    content_encoding = _str("content_encoding")
    vlist_validator = _header_str("vlist_validator")
    user = _str("user", writable=True, decode=credential_text)
    ap_auth_type = _str("ap_auth_type", writable=True)
    no_cache = _int("no_cache", writable=True)
    no_local_copy = _int("no_local_copy", writable=True)
    unparsed_uri = _str("unparsed_uri")
    uri = _str("uri", writable=True)
    filename = _str("filename", writable=True)
    canonical_filename = _str("canonical_filename", writable=True)
    path_info = _str("path_info", writable=True)
    args = _str("args", writable=True)
    used_path_info = _int("used_path_info", writable=True)
    eos_sent = _int("eos_sent")
    useragent_ip = _str("useragent_ip")
    main = _related("main")
    prev = _related("prev")
    next = _related("next")

    # State of the object, set as the request goes (defaults here, not in
    # __init__: one is made per request, and most keep most defaults).
    _config = None                           # DirConfig of the phase in progress
    _added: Optional[dict[int, list]] = None # phase number -> entries from add_handler
    _running: Optional[list] = None          # the handler entries of the phase in progress
    _pinned = False                          # kept until the request pool goes (keep)
    _host_interpreter = None                 # its virtual host's interpreter name (phases.placement)
    _kept = None                             # its modpy_req_conf while kept (keep)
    phase: Optional[str] = None              # "PythonHandler" ... while one runs
    hlist = None                             # the handler entry running now
    interpreter: Optional[str] = None
    _body: Optional[bytearray] = None        # request body read ahead (readline)
    _body_more = False                       # more body to come from Apache
    _body_bb = NULL                          # the brigade body reads go through
    _body_failed: Optional[int] = None       # the APR status the body broke off with

    def __init__(self, r) -> None:
        self._r = r

    @property
    def _slot(self):
        """Our slot of r->request_config (void **), where the shim looks for
        this request's record (modpy_req_conf)."""
        return ffi.cast(_SLOTS, self._r.request_config) + runtime.module_index

    # content_type goes through ap_set_content_type so filters see it
    @property
    def content_type(self) -> Optional[str]:
        return text(self._r.content_type)

    @content_type.setter
    def content_type(self, value: Union[str, bytes]) -> None:
        ct = _content_types.get(value) if type(value) is str else None
        if ct is None:
            ct = _content_type_cstr(value, self._r.pool)
        lib.ap_set_content_type(self._r, ct)
        self._content_type_set = 1

    _content_type_set = 0      # mod_python's flag: the handler set content_type

    @property
    def ssi_globals(self) -> Optional[dict]:
        """The globals of this request's `<!--#python -->` elements
        (modpy.phases.includes); None until set or used."""
        return self.__dict__.get("_ssi_globals")

    @ssi_globals.setter
    def ssi_globals(self, value: dict) -> None:
        keep(self)                 # the includes run later, in mod_include's filter
        self.__dict__["_ssi_globals"] = value

    @property
    def server(self):
        from modpy.objects.server import Server
        return Server(self._r.server)

    @property
    def connection(self):
        conn = self.__dict__.get("_connection")
        if conn is None:
            from modpy.objects.connection import Connection
            conn = self._connection = Connection(self._r.connection)
        return conn

    @property
    def finfo(self) -> records.FileInfo:
        """The status of req.filename (apache.FINFO_* index it)."""
        return records.file_info(self._r.finfo)

    @finfo.setter
    def finfo(self, value: records.FileInfo) -> None:
        """Set from apache.stat(), as after changing req.filename."""
        raw = getattr(value, "_raw", None)
        if raw is None:
            raise TypeError("finfo must be a finfoobject")     # mod_python's words
        r = self._r
        r.finfo = raw[0]
        r.finfo.fname = NULL if value.fname is None else pstr(r.pool, value.fname)
        r.finfo.name = NULL if value.name is None else pstr(r.pool, value.name)

    @property
    def parsed_uri(self) -> records.ParsedURI:
        return records.parsed_uri(self._r.parsed_uri)

    @property
    def allowed_methods(self) -> tuple:
        """The extension methods in r->allowed_methods (the known ones are
        the bits of req.allowed)."""
        methods = self._r.allowed_methods
        return records.strings(methods.method_list) if methods != NULL else ()

    @property
    def useragent_addr(self) -> Optional[tuple]:
        return records.sockaddr(self._r.useragent_addr)

    def invalidate(self) -> None:
        """The request pool is going: any later use of this object or of
        its tables raises instead of touching freed memory (when it is
        called: modpy.phases.request, "requests")."""
        self._r = _GONE
        for table in self.__dict__.get("_tables", {}).values():
            table.invalidate()

    # output ----------------------------------------------------------
    def write(self, data: Union[str, bytes], flush: int = 1) -> None:
        """Send data to the client (str as UTF-8); flush unless told not to,
        as mod_python does."""
        buf = data_bytes(data, "req.write() data")
        status = lib.modpy_rwrite(self._r, buf, len(buf), 1 if flush else 0)
        if status < 0:
            raise self._write_error("write" if status == -1 else "flush")

    def flush(self) -> None:
        if lib.ap_rflush(self._r) < 0:
            raise self._write_error("flush")

    def _write_after_phase(self, data: bytes) -> None:
        """Have the shim write and flush `data` once this phase's Python has
        returned: output whose writer is done anyway (a CGI script that has
        exited) then costs no second turn at the GIL.  A failed write is
        Apache's to log, as for a client gone after the handler's end."""
        rconf = self._record()
        if rconf.after_len:
            data = ffi.unpack(rconf.after, rconf.after_len) + data
        rconf.after = lib.apr_pstrmemdup(self._r.pool, data, len(data))
        rconf.after_len = len(data)

    def _record(self):
        """This request's modpy_req_conf (shim/modpy.h), made on first use."""
        slot = self._slot
        rconf = ffi.cast("modpy_req_conf *", slot[0])
        if rconf == NULL:
            rconf = ffi.cast("modpy_req_conf *",
                             lib.apr_pcalloc(self._r.pool, ffi.sizeof("modpy_req_conf")))
            slot[0] = rconf
        return rconf

    def _write_error(self, what: str) -> OSError:
        """Why a write failed.  Apache's header filter may have refused the
        response (a header value with a line break, say) and sent its own
        error page instead: a plain OSError.  A client gone (Apache marks
        the connection aborted) is a ClientError.  Else an output filter
        failed: a plain OSError too."""
        r = self._r
        if r.eos_sent:
            return OSError(errno.EIO, f"Apache refused the response and answered {r.status} itself "
                                      f"(the reason is in the error log)")
        if lib.modpy_conn_aborted(r.connection):
            return clienterror.write_failed(what)
        return OSError(errno.EIO, f"{what} failed: an output filter returned an error")

    def _response_begun(self) -> bool:
        """Has any of the response reached the connection (the status
        line at least)?  Then its status can no longer change."""
        r = self._r
        return bool(r.eos_sent or r.sent_bodyct or r.bytes_sent)

    def _cut_short(self) -> None:
        """End a response that began but cannot be completed.  Returning
        an error status now would make Apache append its error page to
        what was sent, and a chunked response would still end as if
        complete; an aborted connection tells the client it was not."""
        if not self._r.eos_sent:
            lib.modpy_conn_set_aborted(self._r.connection)

    # input -----------------------------------------------------------
    _CHUNK = 65536

    def _body_buffer(self) -> bytearray:
        """Start reading the body the first time (Content-Length or chunked,
        de-chunked by Apache); a body Apache refuses is a ClientError."""
        if self._body is None:
            r = self._r
            status = lib.ap_setup_client_block(r, lib.REQUEST_CHUNKED_DECHUNK)
            if status != C.OK:
                raise clienterror.setup_failed(status)
            self._body = bytearray()
            self._body_more = bool(lib.ap_should_client_block(r))
            if self._body_more:
                self._body_bb = lib.apr_brigade_create(r.pool, r.connection.bucket_alloc)
        return self._body

    def _fill(self, want: int) -> bool:
        """Read up to `want` more bytes into the buffer; False at the end.
        A failed read is a ClientError, and so is every later attempt to
        read past what came: a broken body never reads as a short one."""
        if not self._body_more:
            if self._body_failed is not None:
                raise self._read_error(self._body_failed)
            return False
        size = max(min(want, self._CHUNK), 1)
        buf = ffi.new("char[]", size)
        rv = ffi.new("apr_status_t *")
        got = lib.modpy_read_block(self._r, self._body_bb, buf, size, rv)
        if got < 0:
            self._body_more = False
            self._body_failed = rv[0]    # the status, not the error: its traceback would hold self
            raise self._read_error(rv[0])
        if got == 0:
            self._body_more = False
            return False
        self._body += ffi.buffer(buf, got)
        return True

    def _read_error(self, rv: int) -> ClientError:
        r = self._r                          # r->remaining: still the Content-Length here
        return clienterror.read_failed(
            rv, lib.ap_map_http_request_error(rv, C.HTTP_BAD_REQUEST), apr_error(rv),
            int(r.read_length), None if r.read_chunked else int(r.remaining))

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
        """Read and throw away the body; an HTTP status (OK when fine)."""
        return lib.ap_discard_request_body(self._r)

    def sendfile(self, path: Union[str, bytes], offset: int = 0, len: int = -1) -> int:
        """Send (part of) a file through Apache's file bucket (sendfile(2)
        where it can); the number of bytes sent."""
        r = self._r
        holder = ffi.new("apr_file_t **")
        flags = lib.APR_FOPEN_READ | lib.APR_FOPEN_BINARY | lib.APR_FOPEN_SENDFILE_ENABLED
        name = to_bytes(os.fspath(path), "path")
        status = lib.apr_file_open(holder, name, flags, lib.APR_OS_DEFAULT, r.pool)
        if status != 0:
            raise os_error(status, f"cannot open {os.fsdecode(name)!r}")
        if len < 0:
            len = max(os.stat(name).st_size - offset, 0)
        sent = ffi.new("apr_size_t *")
        status = lib.ap_send_fd(holder[0], r, offset, len, sent)
        if status != 0:
            raise os_error(status, "sendfile failed")
        return int(sent[0])

    # CGI variables and redirects --------------------------------------
    def add_common_vars(self) -> None:
        """ap_add_common_vars: HTTP_*, SERVER_*, REMOTE_* ... into subprocess_env."""
        lib.modpy_add_common_vars(self._r)

    def add_cgi_vars(self) -> None:
        """The common variables and GATEWAY_INTERFACE, SCRIPT_NAME, PATH_INFO
        ... as mod_python sets them: no PATH_TRANSLATED (it would cost a
        sub-request), REQUEST_URI without the query."""
        lib.modpy_add_handler_cgi_vars(self._r)

    def internal_redirect(self, new_uri: Union[str, bytes]) -> None:
        """Serve `new_uri` instead, as a new request in this connection."""
        lib.ap_internal_redirect(pstr(self._r.pool, new_uri, "uri"), self._r)

    # HTTP helpers -----------------------------------------------------
    def send_http_header(self) -> None:
        """Nothing: Apache sends the headers with the first body data (the
        manual keeps the name for handlers written for Apache 1.3)."""

    def meets_conditions(self) -> int:
        """ap_meets_conditions: OK, or HTTP_NOT_MODIFIED / PRECONDITION_FAILED
        from the If-* headers against ETag and Last-Modified."""
        return lib.ap_meets_conditions(self._r)

    def set_etag(self) -> None:
        lib.ap_set_etag(self._r)

    def set_last_modified(self) -> None:
        lib.ap_set_last_modified(self._r)

    def update_mtime(self, dependency_mtime: float) -> None:
        """req.mtime becomes `dependency_mtime` (seconds) if that is later."""
        lib.ap_update_mtime(self._r, int(dependency_mtime * records.USEC))

    def set_content_length(self, len: int) -> None:
        if isinstance(len, bool) or not isinstance(len, int):
            raise TypeError(f"content length must be an int, not {type(len).__name__}")
        lib.ap_set_content_length(self._r, len)

    def allow_methods(self, methods, reset: int = 0) -> None:
        """Add methods to the Allow header Apache sends (with 405/OPTIONS)."""
        if isinstance(methods, (str, bytes)):
            raise TypeError("allow_methods takes a list of method names")
        names = [ffi.new("char[]", header_bytes(m, "a method name")) for m in methods]
        lib.ap_allow_methods(self._r, int(bool(reset)), *names, ffi.cast("char *", 0))

    def construct_url(self, uri: Union[str, bytes]) -> str:
        """An absolute URL for `uri` on this server (scheme, name, port)."""
        r = self._r
        return text(lib.ap_construct_url(r.pool, pstr(r.pool, uri, "uri"), r))

    def document_root(self) -> str:
        return text(lib.ap_document_root(self._r))

    def get_remote_host(self, type: int = C.REMOTE_NAME, str_is_ip=None):
        """The client's host name (DNS per HostnameLookups and `type`); with
        `str_is_ip` given, (name, whether it is an IP address)."""
        r = self._r
        is_ip = ffi.new("int *")
        host = text(lib.ap_get_remote_host(r.connection, r.per_dir_config, type,
                                           is_ip if str_is_ip is not None else NULL))
        return (host, bool(is_ip[0])) if str_is_ip is not None else host

    # authentication ----------------------------------------------------
    def get_basic_auth_pw(self) -> Optional[str]:
        """The Basic password sent (req.user is set too); None without one."""
        pw = ffi.new("const char **")
        if lib.ap_get_basic_auth_pw(self._r, pw) != C.OK:
            return None
        return credential_text(c_string(pw[0]))

    def auth_name(self) -> Optional[str]:
        return text(lib.ap_auth_name(self._r))

    def auth_type(self) -> Optional[str]:
        return text(lib.ap_auth_type(self._r))

    def requires(self) -> tuple:
        """The `Require` lines of the sections that apply to this request,
        read from the configuration tree (Apache 2.4 keeps no list)."""
        from modpy.objects.conftree import requires_for
        return requires_for(self.uri, self.filename)

    def is_https(self) -> int:
        return ssl.is_https(self._r.connection)

    def ssl_var_lookup(self, var_name: str) -> Optional[str]:
        r = self._r
        return ssl.var_lookup(r.pool, r.server, r.connection, r, var_name)

    # filters -----------------------------------------------------------
    def add_input_filter(self, filter_name: str) -> None:
        if lib.ap_add_input_filter(to_bytes(filter_name, "filter name"), NULL, self._r,
                                   self._r.connection) == NULL:
            raise ValueError(f"no filter named {filter_name!r} is registered with Apache")

    def add_output_filter(self, filter_name: str) -> None:
        if lib.ap_add_output_filter(to_bytes(filter_name, "filter name"), NULL, self._r,
                                    self._r.connection) == NULL:
            raise ValueError(f"no filter named {filter_name!r} is registered with Apache")

    def register_input_filter(self, filter_name: str, filter: str, dir: Optional[str] = None) -> None:
        """Make `filter` ("module::function") the input filter `filter_name`
        for this request; add it with req.add_input_filter()."""
        self._register_filter(filter_name, filter, dir, is_input=True)

    def register_output_filter(self, filter_name: str, filter: str, dir: Optional[str] = None) -> None:
        self._register_filter(filter_name, filter, dir, is_input=False)

    def _register_filter(self, filter_name: str, handler: str, directory: Optional[str],
                         is_input: bool) -> None:
        if not isinstance(filter_name, str) or not filter_name:
            raise TypeError("filter_name must be a non-empty str")
        if callable(handler):
            raise TypeError("a filter handler is named as 'module::function', not given as a callable")
        directive = "PythonInputFilter" if is_input else "PythonOutputFilter"
        self.__dict__.setdefault("_filters", {})[filter_name.lower()] = self._entry(
            directive, handler, directory, "req.register_filter",
            f"req.register_{'in' if is_input else 'out'}put_filter")
        keep(self)                           # the filter will ask for this Request
        runtime.python_filters = True
        register_filter_name(filter_name, is_input)

    def _entry(self, directive: str, handler: Union[str, Callable], directory: Optional[str],
               origin: str, caller: str) -> HandlerEntry:
        """A handler given at run time, as the entry a directive would make;
        its directory defaults to that of the handler running now; one
        given is made canonical with a trailing slash, as a section's is."""
        if directory is None and self.hlist is not None:
            directory = self.hlist.directory
        elif directory is not None:
            directory = os.path.normpath(directory).rstrip("/") + "/"
        if callable(handler):
            return HandlerEntry(parse_handler("callable"), directive, (), directory, origin, target=handler)
        try:
            return HandlerEntry(parse_handler(handler), directive, (), directory, origin)
        except DirectiveError as e:
            raise ValueError(f"{caller}: {e}") from None

    # cleanups ----------------------------------------------------------
    def register_cleanup(self, callable: Callable[[Any], object], data: Any = None) -> None:
        """Call `callable(data)` as the request ends (its pool goes); an
        exception there goes to the error log."""
        keep(self)          # first: cleanups run last-in first-out, so `req` is live in this one
        cleanups.register(self._r.pool, lambda: _run_cleanup(callable, data))

    # logging ---------------------------------------------------------
    def log_error(self, message, level: int = C.APLOG_ERR) -> None:
        log.log_rerror(self._r, message, level)

    # configuration ---------------------------------------------------
    def get_options(self) -> Table:
        """The PythonOption values in effect for this request."""
        return Table(self._config.get_options())

    def get_config(self) -> Table:
        """The other Python* settings in effect, by directive name."""
        return Table(self._config.settings())

    def get_addhandler_exts(self) -> str:
        """The file extensions that `AddHandler mod_python` (or
        python-program) maps where this request is, as mod_python 3.5 gives
        them: as mod_mime keeps them (lower case, no dot), each followed by
        a space (`"psp py "`; `""` for none, and without mod_mime).  The
        publisher strips them from a module's name.  In alphabetical order:
        mod_python's follows Apache's hash table, which changes from one
        start to the next."""
        r = self._r
        n = lib.modpy_addhandler_exts(r, NULL, 0)
        if not n:
            return ""
        found = ffi.new("const char *[]", n)
        lib.modpy_addhandler_exts(r, found, n)
        return "".join(f"{ext} " for ext in sorted(map(text, found)))

    def add_handler(self, htype: str, handler: Union[str, Callable], dir: Optional[str] = None) -> None:
        """Run `handler` in phase `htype` (e.g. "PythonHandler") later in
        this request, or after the current handler when it is this phase."""
        ph = HEADER_PARSER if htype == "PythonInitHandler" else BY_DIRECTIVE.get(htype)
        if ph is None:
            raise ValueError(f"'{htype}' is not a request handler directive (e.g. 'PythonHandler')")
        entry = self._entry(htype, handler, dir, "req.add_handler", "req.add_handler")
        if self.phase == ph.directive and self._running is not None:
            self._running.append(entry)      # the phase running now: it runs this one too
            return
        if self._added is None:
            self._added = {}
        self._added.setdefault(ph.number, []).append(entry)
        keep(self)
        self._record().phases |= ph.bit

    def __repr__(self) -> str:
        if self._r is _GONE:
            return "<modpy.request (finished)>"
        return f"<modpy.request {self.the_request!r}>"


class _Gone:
    """Stands in for the request_rec of a finished request."""

    def __getattr__(self, name):
        raise RuntimeError("this request is over: Apache has freed it (a req kept past "
                           "its request cannot be used)")

    def __setattr__(self, name, value):
        self.__getattr__(name)


_GONE = _Gone()


def _run_cleanup(callable, data) -> None:
    try:
        callable(data)
    except Exception as e:
        log.log_error(f"modpy: cleanup {callable!r} failed: {type(e).__name__}: {e}")


class _SSL:
    """mod_ssl's optional functions, looked up once per process (a server
    without mod_ssl has none: not https, no variables)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fns = None

    def _lookup(self):
        if self._fns is None:
            with self._lock:
                is_https = lib.apr_dynamic_fn_retrieve(b"ssl_is_https")
                lookup = lib.apr_dynamic_fn_retrieve(b"ssl_var_lookup")
                self._fns = (
                    ffi.cast("int (*)(conn_rec *)", is_https) if is_https != NULL else None,
                    ffi.cast("char *(*)(apr_pool_t *, server_rec *, conn_rec *, request_rec *, char *)",
                             lookup) if lookup != NULL else None)
        return self._fns

    def is_https(self, c) -> int:
        fn = self._lookup()[0]
        return int(fn(c)) if fn is not None else 0

    def var_lookup(self, pool, s, c, r, name: str) -> Optional[str]:
        fn = self._lookup()[1]
        if fn is None:
            return None
        value = text(fn(pool, s, c, r, pstr(pool, name, "variable name")))
        return value or None


ssl = _SSL()
