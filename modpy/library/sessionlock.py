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

Pure: no Apache; unit-tested with threads and processes.
"""
from __future__ import annotations

import fcntl
import os
import threading


class FileLock:
    """An exclusive lock on `path` across processes and threads."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, blocking: bool = True) -> bool:
        if self._fd is not None:
            raise RuntimeError(f"lock {self.path} is already held by this object")
        flags = fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
            try:
                fcntl.flock(fd, flags)
            except BlockingIOError:
                os.close(fd)
                return False
            except BaseException:
                os.close(fd)
                raise
            if self._same_file(fd):
                self._fd = fd
                return True
            os.close(fd)                    # removed or replaced meanwhile: again

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


class KeyLock:
    """An exclusive lock per key among the threads of this process."""

    _guard = threading.Lock()
    _locks: dict = {}                   # key -> [threading.Lock, users]

    def __init__(self, key: str) -> None:
        self.key = key
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
        if entry[0].acquire(blocking):
            self._lock = entry[0]
            return True
        self._forget()
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
