"""Where a CGI script runs: its own working directory (and umask), as in
the process it was written for.

On Linux a thread can have its own working directory and umask: after
unshare(CLONE_FS) it no longer shares them with the process's other
threads, and the threads it starts share its own (`ThreadDirectories`).
Each CGI thread does that once, then changes directory whenever a script's
is not where the thread is; nobody waits.  Where unshare is refused (a seccomp policy such as
a container's default one), scripts share the process's directory through
a gate (`CwdGate`); `working_directories()` tries the first and falls back
to the second, once per process.

The gate: scripts of the same directory run together with the process in
that directory, and a script of another directory waits until they are
done.  Two rules keep that from starving anyone:

- a request for the directory that is current goes in at once, even when
  others wait for another one (it costs them nothing: the holders are
  there anyway);
- a wait has a bound: after `timeout` seconds the waiter gives up with
  `GateTimeout` (the handler answers 503), so a script that runs long,
  or a request stuck on a slow client, delays the others by that much at
  most.  (The request body is read before a script enters, as mod_cgid
  writes it into the script's pipe first, so a slow upload holds no
  directory.)

When the last holder leaves, the directory of the oldest waiter is entered
and every waiter for it goes in together.  A script that calls os.chdir()
moves once it is the last holder of its directory (`move`).

Pure: nothing here knows about Apache.
"""
from __future__ import annotations

import ctypes
import errno
import os
import threading
import time
from typing import Callable, Optional, Union

CLONE_FS = 0x200


class GateTimeout(Exception):
    """Waited `timeout` seconds for another directory's scripts to finish."""


class CwdGate:
    def __init__(self, chdir: Callable[[str], None] = os.chdir) -> None:
        self._chdir = chdir
        # held as `with self._lock` (C), not `with self._cond`: Condition's
        # own __enter__/__exit__ are Python frames, twice per script
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._dir: Optional[str] = None
        self._holders = 0
        self._movers = 0                    # holders waiting in move()
        self._queue: list[list] = []        # [directory, admitted, error]

    def enter(self, directory: str, timeout: float) -> None:
        """Hold `directory` as the process's working directory.  OSError
        when it cannot be entered, GateTimeout after `timeout` seconds of
        waiting."""
        with self._lock:                    # the condition's lock: wait() below is fine
            if self._holders == 0 or self._dir == directory:
                if self._dir != directory:
                    self._chdir(directory)
                    self._dir = directory
                self._holders += 1
                return
            ticket = [directory, False, None]
            self._queue.append(ticket)
            deadline = time.monotonic() + timeout
            while not ticket[1]:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._queue.remove(ticket)
                    raise GateTimeout(f"waited {timeout:g}s for scripts in {self._dir} to finish")
                self._cond.wait(left)
            if ticket[2] is not None:
                raise ticket[2]

    def leave(self, directory: Optional[str] = None) -> None:
        """`directory` is the holder's own view; the gate knows where the
        process is (`move` changes it)."""
        with self._lock:
            self._holders -= 1
            if self._holders == 0 and self._queue:
                self._admit()
            elif self._movers:
                self._cond.notify_all()

    def move(self, directory: str, timeout: float) -> None:
        """A holder's os.chdir(): once it is the only holder (it waits at
        most `timeout` seconds for the others of its directory to leave,
        then raises GateTimeout and stays where it is), the process changes
        to `directory`, and those waiting for that one come in too.  An
        OSError of the change leaves everything as it was."""
        with self._lock:
            if self._dir == directory:
                return
            deadline = time.monotonic() + timeout
            self._movers += 1
            try:
                while self._holders > 1:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise GateTimeout(f"waited {timeout:g}s for the other scripts in {self._dir} to finish")
                    self._cond.wait(left)
            finally:
                self._movers -= 1
            self._chdir(directory)
            self._dir = directory
            self._admit_for(directory)

    def _admit(self) -> None:
        """Let in the head of the queue and all who wait for its directory
        (one that cannot be entered fails its own requests only)."""
        while self._queue and self._holders == 0:
            directory = self._queue[0][0]
            batch = [t for t in self._queue if t[0] == directory]
            self._queue = [t for t in self._queue if t[0] != directory]
            try:
                self._chdir(directory)
                self._dir = directory
                self._holders += len(batch)
            except OSError as e:
                for ticket in batch:
                    ticket[2] = e
            for ticket in batch:
                ticket[1] = True
        self._cond.notify_all()

    def _admit_for(self, directory: str) -> None:
        batch = [t for t in self._queue if t[0] == directory]
        if batch:
            self._queue = [t for t in self._queue if t[0] != directory]
            self._holders += len(batch)
            for ticket in batch:
                ticket[1] = True
            self._cond.notify_all()

    @property
    def directory(self) -> Optional[str]:
        return self._dir


def unshare_fs() -> None:
    """unshare(CLONE_FS) for the calling thread; OSError when refused."""
    if hasattr(os, "unshare"):              # Python 3.12
        os.unshare(CLONE_FS)
        return
    call = getattr(ctypes.CDLL(None, use_errno=True), "unshare", None)
    if call is None:
        raise OSError(errno.ENOSYS, "no unshare() in this C library")
    if call(CLONE_FS) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


class ThreadDirectories:
    """Each CGI thread in a working directory (and umask) of its own: the
    same calls as CwdGate's, none of which waits."""

    def __init__(self, unshare: Callable[[], None] = unshare_fs,
                 chdir: Callable[[str], None] = os.chdir) -> None:
        self._unshare = unshare
        self._chdir = chdir
        self._own = threading.local()

    def enter(self, directory: str, timeout: float) -> None:
        """The thread changes to `directory` unless it is there already
        (a chdir cost ~20 us of CPU a request under load in `bench/cgi.py`)."""
        own = self._own
        if not hasattr(own, "directory"):   # the thread's first script
            self._unshare()
            own.directory = None
        if own.directory != directory:
            self._chdir(directory)
            own.directory = directory

    def leave(self, directory: Optional[str] = None) -> None:
        """`directory`: where the script left the thread (its last
        os.chdir, made on this thread or on one it started, which share
        it)."""
        self._own.directory = directory

    def move(self, directory: str, timeout: float) -> None:
        self._chdir(directory)


def working_directories(unshare: Callable[[], None] = unshare_fs) -> Union[ThreadDirectories, CwdGate]:
    """ThreadDirectories where a thread may unshare its working directory
    (tried on a thread of its own, which then ends), else the gate."""
    refused: list = []

    def probe() -> None:
        try:
            unshare()
        except OSError as e:
            refused.append(e)

    thread = threading.Thread(target=probe, name="modpy-unshare-probe", daemon=True)
    thread.start()
    thread.join()
    return CwdGate() if refused else ThreadDirectories(unshare)
