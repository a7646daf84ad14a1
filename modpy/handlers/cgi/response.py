"""The shape of a CGI script's output (RFC 3875 section 6): where its header
block ends, what a Location header asks for, and which scripts are nph-.

Pure.  The header lines themselves are handed to Apache's own parser
(ap_scan_script_header_err_strs_ex, the one mod_cgid uses) by the handler,
so Status, Content-Type, Last-Modified, Set-Cookie and the malformed-header
errors come out exactly as under mod_cgid; this module only decides *when*
the block is complete, so the body can stream while the script still runs.
"""
from __future__ import annotations

from typing import Optional

# A header block this long without its end is passed to the parser as it
# is (which then reports it); nothing more of it is kept in memory.
MAX_HEADER_BLOCK = 64 * 1024


class HeaderBlock:
    """Collects script output until the header block is complete.

    Apache reads headers line by line (LF, an optional CR before it) and
    stops at the first empty line, or fails at the first line without a
    colon.  `feed` returns (block, rest) as soon as either is seen: `block`
    is what goes to the parser, `rest` the start of the body."""

    __slots__ = ("_buf", "_scan")

    def __init__(self) -> None:
        self._buf = bytearray()
        self._scan = 0                      # start of the first line not checked yet

    def feed(self, data: bytes) -> Optional[tuple[bytes, bytes]]:
        buf = self._buf
        buf += data
        start = self._scan
        while True:
            nl = buf.find(b"\n", start)
            if nl < 0:
                break
            line_end = nl - 1 if nl > start and buf[nl - 1] == 0x0D else nl
            if line_end == start or buf.find(b":", start, line_end) < 0:
                return self._split(nl + 1)
            start = nl + 1
        self._scan = start
        if len(buf) > MAX_HEADER_BLOCK:
            return self._split(len(buf))
        return None

    def pending(self) -> bytes:
        """What was collected so far (at the end of a script that never
        finished its headers: the parser then reports the premature end)."""
        return bytes(self._buf)

    def _split(self, end: int) -> tuple[bytes, bytes]:
        block, rest = bytes(self._buf[:end]), bytes(self._buf[end:])
        self._buf = bytearray()
        self._scan = 0
        return block, rest


# What a parsed response asks of the server (RFC 3875 6.2.2 / 6.2.3).
BODY, LOCAL_REDIRECT, CLIENT_REDIRECT = "body", "local-redirect", "client-redirect"


def location_action(status: int, location: Optional[str]) -> str:
    """A Location with no Status of its own (200) is a redirect: a local
    path is served instead by the server (an internal redirect), anything
    else makes a 302 for the client; the script's body is dropped either
    way.  With another Status, Location is just a header."""
    if location is None or status != 200:
        return BODY
    return LOCAL_REDIRECT if location.startswith("/") else CLIENT_REDIRECT


def is_nph(filename: str) -> bool:
    """nph- scripts write the whole HTTP response themselves."""
    return filename.rpartition("/")[2].startswith("nph-")   # its basename, with no call
