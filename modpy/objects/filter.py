"""The filter object a PythonInputFilter/PythonOutputFilter handler gets,
and the registration of filter names with Apache.

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

from modpy.config.model import HandlerEntry
from modpy.core.ffi import data_bytes, ffi, lib, text
from modpy.objects import brigade
from modpy.objects.typenames import mod_python_type

CHUNK = 65536


class FilterState:
    """What one filter instance (an ap_filter_t) keeps between brigades."""

    __slots__ = ("entry", "target", "disabled", "closed", "eos", "out", "pending", "held")

    def __init__(self, entry: HandlerEntry) -> None:
        self.entry = entry
        self.target = None
        self.disabled = self.closed = self.eos = False
        self.out = None          # output filters: our brigade for the next filter
        self.pending = 0         # bytes in `out` not yet passed on
        self.held = None         # input filters: what was read from below, not yet taken


@mod_python_type("mp_filter")
class Filter:
    """mod_python's filter object (the manual's "Filter Object")."""

    def __init__(self, f, bb, mode: int, block: int, readbytes: int, state: FilterState, req) -> None:
        self._f, self._bb, self._state = f, bb, state
        self._mode, self._block, self._readbytes = mode, block, readbytes
        self.is_input = int(mode >= 0)      # 0/1, as mod_python shows it
        self.req = req
        self.name = text(lib.modpy_filter_name(f))
        self.softspace = 0
        self._in = bb if not self.is_input else state.held   # where read() takes from
        self._progress = False       # did this call consume or produce anything

    @property
    def closed(self) -> int:
        return int(self._state.closed)

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


# ------------------------------------------------------------ registration

_registered: dict[tuple[str, bool], object] = {}
_register_lock = threading.Lock()


def register_filter_name(filter_name: str, is_input: bool) -> None:
    """Make `filter_name` an Apache filter that enters Python (the shim's
    trampoline), once a process: req.register_*_filter names filters while
    serving, where the Python*Filter directives name theirs as the config
    is read."""
    key = (filter_name.lower(), is_input)
    with _register_lock:
        if key not in _registered:
            name = ffi.new("char[]", filter_name.encode())
            lib.modpy_register_filter(name, int(is_input))
            _registered[key] = name          # Apache may keep the pointer
