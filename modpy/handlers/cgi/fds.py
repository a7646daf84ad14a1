"""File descriptors behind a CGI script's stdin and stdout, for what a
script (or a child it starts) does with the pipes it was written for:
fileno(), os.read()/os.write(), select(), fcntl() flags, a child process
inheriting them.

Neither is a pipe.  A pipe needs someone draining or filling it while the
script runs, which means a thread per request and a deadlock when the
script waits for a child that fills it; the request's own thread is busy
running the script.  An unlinked temporary file behaves as a pipe does
for everything a CGI program does with it (sequential reads and writes
with one shared offset, always ready for select(), O_NONBLOCK has nothing
to change), and fills without blocking:

- `Body`: the request body, read whole before the script starts (as
  mod_cgid writes it into the script's pipe first).  It stays in memory
  while small and nobody asks for a descriptor.
- `OutputSpool`: made on the first fileno() of stdout or the first child
  process; from then on everything the script writes goes through it, so
  its own writes and its children's stay in order, and what lands in it
  is taken out and forwarded at each write of the script, after each
  child and at the end.

Pure: nothing here knows about Apache.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

# A body larger than this goes to a temporary file as it is read.
MAX_BODY_IN_MEMORY = 1 << 20
CHUNK = 1 << 16


def _temp_fd() -> int:
    """An unlinked read-write temporary file: O_TMPFILE where Linux has it
    (a fifth of tempfile.TemporaryFile's cost), else a file made and
    unlinked."""
    try:
        return os.open(tempfile.gettempdir(), os.O_TMPFILE | os.O_RDWR | os.O_CLOEXEC, 0o600)
    except (AttributeError, OSError):
        fd, path = tempfile.mkstemp()
        os.unlink(path)
        return fd


class Body:
    """The request body as the script's stdin."""

    __slots__ = ("_mem", "_pos", "_fd")

    def __init__(self) -> None:
        self._mem = bytearray()
        self._pos = 0
        self._fd = -1

    def append(self, data: bytes) -> None:
        if self._fd >= 0:
            _write_all(self._fd, data)
            return
        self._mem += data
        if len(self._mem) > MAX_BODY_IN_MEMORY:
            self.fileno()

    def readinto(self, buffer) -> int:
        if self._fd >= 0:
            data = os.read(self._fd, len(buffer))
        else:
            data = self._mem[self._pos:self._pos + len(buffer)]
            self._pos += len(data)
        buffer[:len(data)] = data
        return len(data)

    def fileno(self) -> int:
        """A descriptor reading what the script has not read yet."""
        if self._fd < 0:
            fd = _temp_fd()
            _write_all(fd, memoryview(self._mem)[self._pos:])
            os.lseek(fd, 0, os.SEEK_SET)
            self._fd, self._mem = fd, bytearray()
        return self._fd

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class OutputSpool:
    """stdout as a descriptor: written by the script and its children,
    read back in order by `take`."""

    __slots__ = ("fd", "_taken")

    def __init__(self) -> None:
        self.fd = _temp_fd()
        self._taken = 0

    def write(self, data) -> None:
        _write_all(self.fd, data)

    def take(self) -> Iterator[bytes]:
        """What was written since the last take, in chunks."""
        while True:
            chunk = os.pread(self.fd, CHUNK, self._taken)
            if not chunk:
                return
            self._taken += len(chunk)
            yield chunk

    def close(self) -> None:
        os.close(self.fd)


def _write_all(fd: int, data) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
