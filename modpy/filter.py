"""Python filters: the filter object a PythonInputFilter/PythonOutputFilter
handler gets, and the entry the shim calls for every brigade.

A handler runs once per brigade Apache hands the filter (several times a
request), as in mod_python: it reads what came, writes what it makes, and
closes the stream when read() says it ended (None).  Streaming is bounded:
read() gives at most CHUNK bytes at a time, freeing each bucket as it is
taken, and write() passes its output down the chain whenever CHUNK bytes
are waiting, so a response of any size moves through in CHUNK-sized steps.
"""
from __future__ import annotations

import threading
from typing import Optional, Union

from . import brigade, cleanups, importer, log, runtime
from ._ffi import NULL, address, data_bytes, ffi, lib, text
from .config import HandlerEntry
from .grammar import DirectiveError, parse_handler

CHUNK = 65536


class _State:
    """What one filter instance (an ap_filter_t) keeps between brigades."""

    __slots__ = ("entry", "target", "disabled", "closed", "eos", "out", "pending", "held")

    def __init__(self, entry: HandlerEntry) -> None:
        self.entry = entry
        self.target = None
        self.disabled = self.closed = self.eos = False
        self.out = None          # output filters: our brigade for the next filter
        self.pending = 0         # bytes in `out` not yet passed on
        self.held = None         # input filters: what was read from below, not yet taken


class Filter:
    """mod_python's filter object (the manual's "Filter Object")."""

    def __init__(self, f, bb, mode: int, block: int, readbytes: int, state: _State, req) -> None:
        self._f, self._bb, self._state = f, bb, state
        self._mode, self._block, self._readbytes = mode, block, readbytes
        self.is_input = mode >= 0
        self.req = req
        self.name = text(lib.modpy_filter_name(f))
        self.softspace = 0
        self._in = bb if not self.is_input else state.held   # where read() takes from
        self._progress = False       # did this call consume or produce anything

    @property
    def closed(self) -> bool:
        return self._state.closed

    # reading ---------------------------------------------------------
    def _source(self):
        """The brigade to read: an output filter's own; an input filter's
        is filled from the next filter when empty."""
        if not self.is_input:
            return self._in
        if self._in is None:
            c = self._f.c
            self._in = self._state.held = lib.apr_brigade_create(c.pool, c.bucket_alloc)
        if lib.modpy_bb_empty(self._in) and not self._state.eos:
            status = lib.ap_get_brigade(self._f.next, self._in, self._mode, self._block,
                                        self._readbytes)
            if status == lib.APR_EOF:
                self._state.eos = True
            elif status != 0:
                raise OSError(f"filter {self.name}: reading failed: {brigade.apr_error(status)}")
        return self._in

    def _read(self, length: int, line: bool) -> Optional[bytes]:
        if self._state.eos and (self._in is None or lib.modpy_bb_empty(self._in)):
            return None
        limit = length if length >= 0 else (self._readbytes or CHUNK) if self.is_input else CHUNK
        parts, got = [], 0
        while got < limit:
            data, mark = brigade.take_until(self._source(), limit - got, stop_at_newline=line)
            parts.append(data)
            got += len(data)
            if mark == brigade.FLUSH:
                self.flush()
                continue
            if mark == brigade.EOS:
                self._state.eos = True
            if mark == brigade.EOS or not data or (line and data.endswith(b"\n")) or self.is_input:
                break
        result = b"".join(parts)
        if result:
            self._progress = True
        return None if not result and self._state.eos else result

    def read(self, length: int = -1) -> Optional[bytes]:
        """Up to `length` bytes (what is at hand, at most CHUNK, without
        one); b"" when this brigade is used up, None at the end of the
        stream."""
        return self._read(length, line=False)

    def readline(self, length: int = -1) -> Optional[bytes]:
        return self._read(length, line=True)

    # writing ---------------------------------------------------------
    def write(self, data: Union[str, bytes]) -> None:
        if self._state.closed:
            raise OSError(f"filter {self.name} is closed")
        buf = data_bytes(data, "filter.write() data")
        if self.is_input:
            brigade.append(self._bb, buf)
        else:
            brigade.append(self._out(), buf)
            self._state.pending += len(buf)
            if self._state.pending >= CHUNK:
                self._pass()
        self._progress = True

    def _out(self):
        state = self._state
        if state.out is None:
            c = self._f.c
            state.out = lib.apr_brigade_create(c.pool, c.bucket_alloc)
        return state.out

    def _pass(self) -> None:
        """Send what was written to the next output filter."""
        out = self._out()
        status = lib.ap_pass_brigade(self._f.next, out)
        lib.apr_brigade_cleanup(out)
        self._state.pending = 0
        if status != 0:
            raise OSError(f"filter {self.name}: passing data on failed: {brigade.apr_error(status)}")

    def flush(self) -> None:
        if self.is_input or self._state.closed:
            return
        lib.modpy_bb_flush(self._out())
        self._pass()

    def close(self) -> None:
        """End the stream: EOS goes after what was written."""
        if self._state.closed:
            return
        self._state.closed = True
        if self.is_input:
            lib.modpy_bb_eos(self._bb)
        else:
            lib.modpy_bb_eos(self._out())
            self._pass()

    def pass_on(self) -> None:
        """Let this brigade through untouched."""
        if self.is_input:
            status = lib.ap_get_brigade(self._f.next, self._bb, self._mode, self._block, self._readbytes)
        else:
            if self._state.pending:
                self._pass()
            status = lib.ap_pass_brigade(self._f.next, self._in)
        self._progress = True
        if status not in (0, lib.APR_EOF):
            raise OSError(f"filter {self.name}: pass_on failed: {brigade.apr_error(status)}")

    def disable(self) -> None:
        """From now on this filter passes everything through unchanged."""
        self._state.disabled = True

    def __repr__(self) -> str:
        return f"<modpy.filter {self.name} {'in' if self.is_input else 'out'}put>"


# ------------------------------------------------------------ the entry

_states: dict[int, _State] = {}


def run(f, bb, mode: int, block: int, readbytes: int) -> int:
    """The shim's modpy_filter: one brigade through a Python filter."""
    key = address(f)
    state = _states.get(key)
    if state is None:
        entry = _entry(f)
        if entry is None:
            log.log_error(f"modpy: no Python handler for filter {text(lib.modpy_filter_name(f))!r}")
            return _through(f, bb, mode, block, readbytes)
        state = _states[key] = _State(entry)
        pool = f.r.pool if f.r != NULL else f.c.pool
        cleanups.register(pool, lambda: _states.pop(key, None))
    if state.disabled or (state.closed and mode < 0):
        return _through(f, bb, mode, block, readbytes)
    if state.closed:
        lib.modpy_bb_eos(bb)              # an input stream the handler ended stays ended
        return lib.APR_SUCCESS
    req = _request(f)
    flt = Filter(f, bb, mode, block, readbytes, state, req)
    try:
        target = state.target or _load(state, req)
        while True:                       # until this brigade is used up
            flt._progress = False
            target(flt)
            if not flt._progress or state.closed or state.eos:
                break
            if lib.modpy_bb_empty(bb) != (mode >= 0):
                break                     # output: input used up; input: something to give
        if mode < 0 and state.pending and not state.closed:
            flt._pass()
        if mode < 0 and state.eos and not state.closed:
            flt.close()                   # the handler saw the end but did not say so
    except Exception as e:
        return _failed(flt, state, e)
    if mode < 0:
        lib.apr_brigade_cleanup(bb)
    return lib.APR_SUCCESS


def _through(f, bb, mode, block, readbytes) -> int:
    if mode < 0:
        return lib.ap_pass_brigade(f.next, bb)
    return lib.ap_get_brigade(f.next, bb, mode, block, readbytes)


def _failed(flt: Filter, state: _State, exc: BaseException) -> int:
    """Log it; the filter is disabled for the rest of the request and the
    brigade fails, so Apache answers 500 (or the reader gets an error)."""
    state.disabled = True
    from .errors import describe
    where = "PythonInputFilter" if flt.is_input else "PythonOutputFilter"
    headline, lines = describe(where, f"{state.entry.spec} ({flt.name})", state.entry.origin,
                               flt.req.the_request if flt.req is not None else None, exc)
    writer = flt.req.log_error if flt.req is not None else log.log_error
    writer("modpy: " + headline)
    for line in lines:
        writer(line)
    return lib.APR_EGENERAL


def _request(f):
    if f.r == NULL:
        return None
    from .request import wrap
    return wrap(f.r)


def _entry(f) -> Optional[HandlerEntry]:
    """The handler for this filter's name: one registered on the request,
    else the server's Python*Filter directive."""
    name = text(lib.modpy_filter_name(f)).lower()
    if f.r != NULL:
        req = _request(f)
        entry = req.__dict__.get("_filters", {}).get(name)
        if entry is not None:
            return entry
    from .dispatch import server_config
    server = f.r.server if f.r != NULL else f.c.base_server
    for s in (server, _main_server()):
        config = server_config(s) if s is not None else None
        if config is not None:
            for filter_name, (entry, _) in config.filters.items():
                if filter_name.lower() == name:
                    return entry
    return None


def _main_server():
    return runtime.main_server


def _load(state: _State, req):
    """Import the filter's handler under the request's Python settings
    (PythonPath, PythonInterpreter), also when no Python handler ran."""
    from .dispatch import resolve, set_path
    entry = state.entry
    interpreter = "main_interpreter"
    if req is not None:
        config = req._config
        if config is None:
            r = req._r
            record = ffi.cast("modpy_dir_conf **", r.per_dir_config)[runtime.module_index]
            config = resolve(record)
        set_path(config, entry.directory)
        interpreter = config.interpreter or text(req._r.server.server_hostname) or interpreter
        req.interpreter = req.interpreter or interpreter
    module = importer.load(entry.spec, entry.directory, interpreter)
    state.target = importer.resolve(module, entry.object_name, req)
    return state.target


# ------------------------------------------------------------ registration

_registered: dict[tuple[str, bool], object] = {}
_register_lock = threading.Lock()


def register(req, filter_name: str, handler: str, directory: Optional[str], is_input: bool) -> None:
    """req.register_input_filter / register_output_filter."""
    if not isinstance(filter_name, str) or not filter_name:
        raise TypeError("filter_name must be a non-empty str")
    directive = "PythonInputFilter" if is_input else "PythonOutputFilter"
    try:
        spec = parse_handler(handler)
    except DirectiveError as e:
        raise ValueError(f"req.register_{'in' if is_input else 'out'}put_filter: {e}") from None
    if directory is None and req.hlist is not None:
        directory = req.hlist.directory
    entry = HandlerEntry(spec, directive, (), directory, "req.register_filter")
    req.__dict__.setdefault("_filters", {})[filter_name.lower()] = entry
    from .dispatch import keep
    keep(req)                                # the filter will ask for this Request
    runtime.python_filters = True
    key = (filter_name.lower(), is_input)
    with _register_lock:
        if key not in _registered:
            name = ffi.new("char[]", filter_name.encode())
            lib.modpy_register_filter(name, int(is_input))
            _registered[key] = name          # Apache may keep the pointer
