"""The one door to Apache and APR: the cffi library the shim loaded, and
the conversions between C strings and Python text.

Text crosses as UTF-8 with surrogate escapes: valid UTF-8 reads as the
natural str, and bytes that are not (hostile headers, odd query strings)
survive as lone surrogates that encode back to the very same bytes.
"""
from __future__ import annotations

from typing import Optional, Union

from modpy.core.errors import OutsideApache

try:
    from modpy._modpy_ffi import ffi, lib
except ImportError as e:  # pragma: no cover - only outside Apache
    raise OutsideApache(
        "this part of modpy runs only inside Apache httpd (LoadModule pyshim_module ...)"
    ) from e

NULL = ffi.NULL
c_string = ffi.string      # bound once: the hot paths read many C strings
ENCODING = "utf-8"
ERRORS = "surrogateescape"


def text(p) -> Optional[str]:
    """A C string as str (None for NULL)."""
    return c_string(p).decode(ENCODING, ERRORS) if p else None


def data_bytes(value: Union[str, bytes], what: str = "value") -> bytes:
    """str or bytes as the bytes of a buffer (a response body, say): any
    byte, NUL too, as they come.  bytes are used as they are, uncopied."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode(ENCODING, ERRORS)
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{what} must be str or bytes, not {type(value).__name__}")


def to_bytes(value: Union[str, bytes], what: str = "value") -> bytes:
    """str or bytes as the bytes of a C string; NUL cannot cross into C."""
    data = value.encode(ENCODING, ERRORS) if type(value) is str else data_bytes(value, what)
    if 0 in data:       # an int: `b"\0" in data` makes and drops a TypeError first
        raise ValueError(f"{what} must not contain a NUL character")
    return data


def pstr(pool, value: Union[str, bytes], what: str = "value"):
    """Copy a value into an APR pool as a C string that lives as long as it."""
    data = to_bytes(value, what)
    return lib.apr_pstrmemdup(pool, data, len(data))


def header_bytes(value: Union[str, bytes], what: str = "value") -> bytes:
    """to_bytes of a value that goes into the response head: CR and LF,
    which would end its line and start a header of the writer's choosing,
    are refused like NUL."""
    data = to_bytes(value, what)
    if b"\r" in data or b"\n" in data:
        raise ValueError(f"{what} must not contain a CR or LF character")
    return data


def address(p) -> int:
    return int(ffi.cast("uintptr_t", p))
