"""Read-only values mod_python hands out as tuples: a file's status
(req.finfo, apache.stat) and a parsed URI (req.parsed_uri).

Tuples with names, so both `finfo[apache.FINFO_SIZE]` (mod_python's way)
and `finfo.size` work.
"""
from __future__ import annotations

from typing import NamedTuple, Optional

from modpy.core.ffi import NULL, ffi, lib, text

USEC = 1_000_000


class FileInfo(NamedTuple):
    mode: Optional[int]
    ino: Optional[int]
    dev: Optional[int]
    nlink: Optional[int]
    uid: Optional[int]
    gid: Optional[int]
    size: Optional[int]
    atime: Optional[float]
    mtime: Optional[float]
    ctime: Optional[float]
    fname: Optional[str]
    name: Optional[str]
    filetype: int


class ParsedURI(NamedTuple):
    scheme: Optional[str]
    hostinfo: Optional[str]
    user: Optional[str]
    password: Optional[str]
    hostname: Optional[str]
    port: Optional[int]
    path: Optional[str]
    query: Optional[str]
    fragment: Optional[str]


def file_info(f) -> FileInfo:
    """An apr_finfo_t as FileInfo; fields APR did not fill are None."""
    if not f.filetype:
        return FileInfo(*([None] * 12), 0)
    return FileInfo(int(f.protection), int(f.inode), int(f.device), int(f.nlink),
                    int(f.user), int(f.group), int(f.size),
                    f.atime / USEC, f.mtime / USEC, f.ctime / USEC,
                    text(f.fname), text(f.name), int(f.filetype))


def parsed_uri(u) -> ParsedURI:
    return ParsedURI(text(u.scheme), text(u.hostinfo), text(u.user), text(u.password),
                     text(u.hostname), int(u.port) if u.port_str != NULL else None,
                     text(u.path), text(u.query), text(u.fragment))


def strings(array) -> tuple:
    """An apr_array_header_t of char * as a tuple of str."""
    if array == NULL:
        return ()
    items = ffi.cast("char **", array.elts)
    return tuple(text(items[i]) for i in range(array.nelts))


def sockaddr(sa) -> Optional[tuple]:
    """An apr_sockaddr_t as (ip, port), as mod_python gives addresses."""
    if sa == NULL:
        return None
    ip = ffi.new("char **")
    lib.apr_sockaddr_ip_get(ip, sa)
    return text(ip[0]), int(sa.port)
