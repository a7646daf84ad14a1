"""Locks that make one session used by one request at a time.

FileLock serves any number of processes and threads: flock(2) on a lock
file.  Each acquire opens the file anew, and flock treats separate opens
as separate owners even within one process, so the threads of a worker
or event child exclude each other exactly as prefork children do; the
blocking flock call releases the GIL.  A lock file may be removed (when
its session is gone) only by the holder: a waiter that wakes up holding
a file no longer at the path retries with the new one.

KeyLock is for state that lives in one process (MemorySession): a
threading.Lock per key, dropped when nobody holds or waits for it.

Every wait is bounded: a lock made with a timeout raises LockTimeout when
it is not had within that many seconds (a request that holds a session
too long, or another local user holding a lock file, cannot stall every
thread that waits).  A lock file must belong to the server's user (or
root): one another user made is refused, not waited for.

Pure: no Apache; unit-tested with threads and processes.
"""
from __future__ import annotations

import fcntl
import os
import threading
import time
from typing import Optional


class LockTimeout(TimeoutError):
    """A lock was not had within its timeout."""


class FileLock:
    """An exclusive lock on `path` across processes and threads."""

    def __init__(self, path: str, timeout: Optional[float] = None) -> None:
        self.path = path
        self.timeout = timeout
        self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, blocking: bool = True) -> bool:
        """True once held; False if not blocking and someone holds it;
        LockTimeout past the timeout."""
        if self._fd is not None:
            raise RuntimeError(f"lock {self.path} is already held by this object")
        wait = _Wait(self.timeout, self.path) if blocking else None
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
            try:
                _owned(fd, self.path)
                got = self._flock(fd, wait)
            except BaseException:
                os.close(fd)
                raise
            if not got:
                os.close(fd)
                return False
            if self._same_file(fd):
                self._fd = fd
                return True
            os.close(fd)                    # removed or replaced meanwhile: again

    @staticmethod
    def _flock(fd: int, wait: Optional["_Wait"]) -> bool:
        """flock(fd); without a timeout a blocking call (it releases the
        GIL), with one polled until it runs out."""
        if wait is not None and wait.deadline is None:
            fcntl.flock(fd, fcntl.LOCK_EX)
            return True
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if wait is None:
                    return False
                wait.pause()

    def _same_file(self, fd: int) -> bool:
        try:
            on_disk = os.stat(self.path)
        except FileNotFoundError:
            return False
        mine = os.fstat(fd)
        return (on_disk.st_dev, on_disk.st_ino) == (mine.st_dev, mine.st_ino)

    def release(self, remove: bool = False) -> None:
        """Unlock; with remove, delete the lock file first (still holding
        it, so no one can be using it)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if remove:
                try:
                    os.unlink(self.path)
                except FileNotFoundError:
                    pass
        finally:
            os.close(fd)


def _owned(fd: int, path: str) -> None:
    """Refuse a lock file someone else made: they could hold it forever."""
    st = os.fstat(fd)
    if st.st_uid not in (os.geteuid(), 0):
        raise PermissionError(f"lock file {path} belongs to uid {st.st_uid}, not to the "
                              f"server's user: refused")


class _Wait:
    """Pauses of a polled wait, growing to 25 ms (a holder that lets go is
    followed soon), until a deadline."""

    def __init__(self, timeout: Optional[float], what: str) -> None:
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.timeout, self.what, self.delay = timeout, what, 0.002

    def pause(self) -> None:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise LockTimeout(f"lock {self.what} not had within {self.timeout:g} s")
        time.sleep(min(self.delay, left))
        self.delay = min(self.delay * 2, 0.025)


class KeyLock:
    """An exclusive lock per key among the threads of this process."""

    _guard = threading.Lock()
    _locks: dict = {}                   # key -> [threading.Lock, users]

    def __init__(self, key: str, timeout: Optional[float] = None) -> None:
        self.key = key
        self.timeout = timeout
        self._lock = None

    @property
    def held(self) -> bool:
        return self._lock is not None

    def acquire(self, blocking: bool = True) -> bool:
        if self._lock is not None:
            raise RuntimeError(f"lock {self.key!r} is already held by this object")
        with self._guard:
            entry = self._locks.setdefault(self.key, [threading.Lock(), 0])
            entry[1] += 1
        timeout = self.timeout if blocking and self.timeout is not None else -1
        if entry[0].acquire(blocking, timeout):
            self._lock = entry[0]
            return True
        self._forget()
        if blocking:
            raise LockTimeout(f"lock {self.key!r} not had within {self.timeout:g} s")
        return False

    def release(self, remove: bool = False) -> None:
        lock, self._lock = self._lock, None
        if lock is None:
            return
        lock.release()
        self._forget()

    def _forget(self) -> None:
        with self._guard:
            entry = self._locks[self.key]
            entry[1] -= 1
            if entry[1] == 0:
                del self._locks[self.key]
