"""mod_python's global locks: a fixed set of APR global mutexes, each held
by one thread of one process at a time, across all of Apache's children
(`_apache._global_lock(server, key, index)`; mod_python's own sessions
used them).

Made in the parent after each reading of the configuration, as many as
`PythonOption mod_python.mutex_locks` says (8 by default), with their
files in `mod_python.mutex_directory` (Apache's runtime directory by
default) and owned by the user the children run as; each child attaches to
them at its start.  Index 0 is kept for callers that name it; a key picks
one of the others by a hash that is the same in every process.
"""
from __future__ import annotations

import os
import zlib

from modpy.core import configs
from modpy.core.ffi import ffi, lib

DEFAULT_LOCKS = 8

_mutexes: list = []              # apr_global_mutex_t * cdata, by index
_files: list[bytes] = []


def create(pconf, s) -> None:
    """post_config, in the parent: the mutexes of this generation (the
    previous ones went with the previous configuration pool)."""
    options = configs.server_dir_config(s).get_options()
    count = max(2, int(options.get("mod_python.mutex_locks") or DEFAULT_LOCKS))
    directory = options.get("mod_python.mutex_directory")
    _mutexes.clear()
    _files.clear()
    for index in range(count):
        name = f"modpy-lock-{os.getpid()}-{index}"
        path = os.path.join(directory, name) if directory else ffi.string(
            lib.ap_runtime_dir_relative(pconf, name.encode())).decode()
        holder = ffi.new("apr_global_mutex_t **")
        if lib.apr_global_mutex_create(holder, path.encode(), lib.APR_LOCK_DEFAULT, pconf) != 0:
            raise OSError(f"modpy: cannot create global lock {index} at {path}")
        lib.ap_unixd_set_global_mutex_perms(holder[0])
        _mutexes.append(holder[0])
        _files.append(path.encode())


def child_init(pchild) -> None:
    """child_init: attach this child to each mutex."""
    for index, mutex in enumerate(_mutexes):
        holder = ffi.new("apr_global_mutex_t **", mutex)
        lib.apr_global_mutex_child_init(holder, _files[index], pchild)
        _mutexes[index] = holder[0]


def index_of(key, index: int = -1) -> int:
    """The lock a key takes: `index` when given, else one of 1.. by a
    hash of the key that every process computes alike."""
    if not _mutexes:
        raise RuntimeError("modpy: the global locks exist only inside Apache, after start-up")
    if index >= 0:
        if index >= len(_mutexes):
            raise ValueError(f"lock index {index} out of range (there are {len(_mutexes)})")
        return index
    return 1 + zlib.crc32(str(key).encode("utf-8", "surrogateescape")) % (len(_mutexes) - 1)


def lock(key, index: int = -1) -> None:
    """Wait for the lock (the GIL is released while waiting)."""
    _check(lib.apr_global_mutex_lock(_mutexes[index_of(key, index)]), "lock")


def trylock(key, index: int = -1) -> bool:
    """Take the lock if it is free; False if someone holds it."""
    status = lib.apr_global_mutex_trylock(_mutexes[index_of(key, index)])
    return status == 0


def unlock(key, index: int = -1) -> None:
    _check(lib.apr_global_mutex_unlock(_mutexes[index_of(key, index)]), "unlock")


def _check(status: int, what: str) -> None:
    if status != 0:
        raise OSError(status, f"global {what} failed (APR status {status})")
