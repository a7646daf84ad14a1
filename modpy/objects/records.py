"""Read-only values mod_python hands out as tuples: a file's status
(req.finfo, apache.stat) and a parsed URI (req.parsed_uri).

Tuples with names, so both `finfo[apache.FINFO_SIZE]` (mod_python's way)
and `finfo.size` work; a file's status also has the member names and the
repr of mod_python's `mp_finfo` (`finfo.protection`, `finfo.inode` ...).
"""
from __future__ import annotations

import operator
from typing import NamedTuple, Optional

from modpy import constants as C
from modpy.core.ffi import NULL, ffi, lib, text

USEC = 1_000_000


class _FileFields(NamedTuple):
    mode: Optional[int]
    ino: Optional[int]
    dev: Optional[int]
    nlink: Optional[int]
    uid: Optional[int]
    gid: Optional[int]
    size: Optional[int]
    atime: Optional[int]
    mtime: Optional[int]
    ctime: Optional[int]
    fname: Optional[str]
    name: Optional[str]
    filetype: int


class FileInfo(_FileFields):
    """req.finfo and apache.stat(): the FINFO_* indexes and names above,
    plus mod_python's member names and `valid` (the APR_FINFO_* bits APR
    filled), and mod_python's repr, which handlers print and log."""

    valid: Optional[int] = None

    protection = property(operator.itemgetter(0))
    inode = property(operator.itemgetter(1))
    device = property(operator.itemgetter(2))
    user = property(operator.itemgetter(4))
    group = property(operator.itemgetter(5))

    _SHOWN = ("fname", "filetype", "valid", "protection", "user", "group", "size", "inode",
              "device", "nlink", "atime", "mtime", "ctime", "name")

    def __repr__(self) -> str:
        return "{%s}" % ", ".join(f"{name!r}: {getattr(self, name)!r}" for name in self._SHOWN)


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
    """An apr_finfo_t as FileInfo; fields APR did not fill (their bit not
    in f.valid: what they hold is garbage) are None.  Times are whole
    seconds, as mod_python gives them."""
    if not f.filetype:
        return FileInfo(*([None] * 12), 0)
    valid = int(f.valid)
    info = FileInfo(*(read(f) if valid & bit == bit else None for bit, read in _FILE_FIELDS),
                    text(f.fname), text(f.name) if valid & C.APR_FINFO_NAME else None,
                    int(f.filetype))
    info.valid = valid
    return info


# FileInfo's fields up to ctime: the APR_FINFO_* bits that say APR filled
# each, and how it reads
_FILE_FIELDS = (
    (C.APR_FINFO_PROT, lambda f: int(f.protection)), (C.APR_FINFO_INODE, lambda f: int(f.inode)),
    (C.APR_FINFO_DEV, lambda f: int(f.device)), (C.APR_FINFO_NLINK, lambda f: int(f.nlink)),
    (C.APR_FINFO_USER, lambda f: int(f.user)), (C.APR_FINFO_GROUP, lambda f: int(f.group)),
    (C.APR_FINFO_SIZE, lambda f: int(f.size)), (C.APR_FINFO_ATIME, lambda f: f.atime // USEC),
    (C.APR_FINFO_MTIME, lambda f: f.mtime // USEC), (C.APR_FINFO_CTIME, lambda f: f.ctime // USEC),
)


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
