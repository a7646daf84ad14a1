"""Folded header lines in a multipart body, joined before parsing.

A part's header may go on over several lines, each continuation starting
with a space or a tab (RFC 822's folding, which RFC 7578 no longer asks
for but mod_python and older clients accept: mod_python's own test suite
sends `Content-Disposition: form-data;\\r\\n name="x"`).  python-multipart
refuses such a header, so the body is streamed through an Unfolder first:
in each part's header block a line break followed by spaces or tabs
becomes one space; the parts' data pass untouched, byte for byte.

Pure and streaming: a chunk at a time, holding back only the few bytes
that might begin a delimiter or a line break.
"""
from __future__ import annotations

import re

_FOLD = re.compile(rb"\r\n[ \t]+")


class Unfolder:
    """feed() the body's chunks in order, then flush(); each returns what
    the parser should see so far."""

    def __init__(self, boundary: bytes) -> None:
        self._delimiter = b"\r\n--" + boundary
        # the body begins with a delimiter line that has no line break
        # before it: one is supposed there, and left out of the output
        self._pending = b"\r\n"
        self._skip = 2
        self._in_headers = False
        self._done = False          # past the closing delimiter: the epilogue

    def feed(self, data: bytes) -> bytes:
        buf = self._pending + data
        out = bytearray()
        i, complete = 0, True
        while complete and i < len(buf):
            if self._done:
                out += buf[i:]
                i = len(buf)
            elif self._in_headers:
                i, complete = self._headers(buf, i, out)
            else:
                i, complete = self._data(buf, i, out)
        self._pending = buf[i:]
        return self._emit(out)

    def flush(self) -> bytes:
        rest, self._pending = self._pending, b""
        return self._emit(bytearray(rest))

    def _emit(self, out: bytearray) -> bytes:
        if self._skip:
            taken = min(self._skip, len(out))
            del out[:taken]
            self._skip -= taken
        return bytes(out)

    def _data(self, buf: bytes, i: int, out: bytearray) -> tuple[int, bool]:
        """Part data (or the preamble) up to and including the next
        delimiter line; (where the held-back rest starts, False) when the
        delimiter line is not all here yet."""
        start = buf.find(self._delimiter, i)
        if start < 0:
            keep = max(i, len(buf) - len(self._delimiter) + 1)
            out += buf[i:keep]
            return keep, False
        after = start + len(self._delimiter)
        if len(buf) - after < 2:
            out += buf[i:start]
            return start, False
        if buf.startswith(b"--", after):
            self._done = True       # the closing delimiter: the rest is epilogue
            out += buf[i:]
            return len(buf), True
        end = buf.find(b"\r\n", after)
        if buf[after:after + 1] not in b" \t\r" or (end >= 0 and buf[after:end].strip(b" \t")):
            out += buf[i:after]      # the boundary's text inside the data, not a delimiter
            return after, True
        if end < 0:
            out += buf[i:start]
            return start, False
        out += buf[i:end + 2]
        self._in_headers = True
        return end + 2, True

    def _headers(self, buf: bytes, i: int, out: bytearray) -> tuple[int, bool]:
        """One part's header block, folds joined, through its blank line."""
        end = buf.find(b"\r\n\r\n", i)
        if end < 0:
            keep = max(i, len(buf) - _partial_end(buf))   # hold what may begin the blank line
            out += _FOLD.sub(b" ", buf[i:keep])
            return keep, False
        out += _FOLD.sub(b" ", buf[i:end + 4])
        self._in_headers = False
        return end + 4, True


def _partial_end(buf: bytes) -> int:
    """How many bytes at the end of `buf` may begin a header block's end
    (CR LF CR LF): they wait for the next chunk."""
    for n in (3, 2, 1):
        if buf.endswith(b"\r\n\r\n"[:n]):
            return n
    return 0
