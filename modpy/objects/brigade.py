"""Bucket brigades from Python: take bytes out of one, put bytes into one.

Shared by the filter object and the connection object.  Data is taken a
bucket at a time and the bucket freed at once, so what Python holds is
bounded by the size asked for, never by the size of the stream.
"""
from __future__ import annotations

from typing import Optional

from modpy.core.ffi import ffi, lib, text

DATA, EMPTY, EOS, FLUSH = 1, 0, 2, 3


class BrigadeError(OSError):
    pass


def apr_error(status: int) -> str:
    """APR's text for a status."""
    buf = ffi.new("char[]", 256)
    return text(lib.apr_strerror(status, buf, 256))


def os_error(status: int, what: str) -> OSError:
    """An APR status as OSError; statuses below APR_OS_START_ERROR (20000)
    are errno values and keep their number."""
    return OSError(status if status < 20000 else 0, f"{what}: {apr_error(status)}")


def take(bb, limit: int) -> tuple[int, bytes]:
    """(kind, data) from the front of `bb`: DATA with up to `limit` bytes,
    else EMPTY, EOS or FLUSH (the metadata bucket is consumed)."""
    data = ffi.new("const char **")
    size = ffi.new("apr_size_t *")
    bucket = ffi.new("apr_bucket **")
    kind = lib.modpy_bb_next(bb, data, size, max(limit, 1), bucket)
    if kind < 0:
        raise BrigadeError(f"reading a brigade failed: {apr_error(-kind)}")
    if kind != DATA:
        return kind, b""
    chunk = ffi.unpack(data[0], size[0])
    lib.modpy_bucket_destroy(bucket[0])
    return DATA, chunk


def take_until(bb, limit: int, stop_at_newline: bool = False) -> tuple[bytes, Optional[int]]:
    """Up to `limit` bytes (all there are with limit < 0) from `bb`, and
    the EOS/FLUSH met on the way (else None).  With stop_at_newline, a line
    at most (the rest of the bucket waits for the next call)."""
    parts: list[bytes] = []
    got = 0
    while limit < 0 or got < limit:
        want = (1 << 20) if limit < 0 else limit - got
        kind, chunk = take(bb, want)
        if kind != DATA:
            return b"".join(parts), (kind if kind != EMPTY else None)
        if stop_at_newline:
            cut = chunk.find(b"\n")
            if cut >= 0 and cut + 1 < len(chunk):
                put_front(bb, chunk[cut + 1:])
                chunk = chunk[:cut + 1]
            parts.append(chunk)
            got += len(chunk)
            if cut >= 0:
                break
            continue
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts), None


def put_front(bb, data: bytes) -> None:
    """Give back bytes read too far (a line's tail) to the front of `bb`."""
    lib.modpy_bb_push_front(bb, data, len(data))


def append(bb, data: bytes) -> None:
    """Copy `data` to the end of `bb` (heap buckets)."""
    if data:
        status = lib.apr_brigade_write(bb, ffi.NULL, ffi.NULL, data, len(data))
        if status != 0:
            raise BrigadeError(f"writing to a brigade failed: {apr_error(status)}")
