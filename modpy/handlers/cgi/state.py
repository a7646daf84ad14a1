"""Per-thread process state for CGI scripts run in-process.

A CGI script believes it owns a process: sys.stdin/stdout/stderr,
sys.argv, os.environ and the working directory.  Under worker and event
many scripts run at once on different threads, so each of those is made
per thread here, without a lock that would serialise the scripts:

- `install()` (once per process) puts proxy objects in place of
  sys.stdin, sys.stdout, sys.stderr, sys.argv and os.environ (and
  os.environb).  Each proxy forwards to the `Context` of the CGI request
  running on the calling thread, and to the original object on any other
  thread, so code outside CGI scripts sees no difference.
- subprocess.Popen and os.system, when called from a script without an
  explicit environment, pass the script's environment to the child (a
  real CGI's children inherit it).
- The working directory cannot be per thread (open(), os.stat() ... of a
  relative path use the process's), so `CwdGate` lets any number of
  scripts of the SAME directory run at once and makes a script of another
  directory wait until they are done (first come, first served).  A site
  whose scripts live in one directory never waits.

Pure: nothing here knows about Apache.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import MutableMapping, MutableSequence
from typing import Callable, Optional

_local = threading.local()


class Context:
    """One script run: its environment, argv and streams.  stdin and stderr
    are made on first use (most scripts never read stdin)."""

    __slots__ = ("environ", "argv", "stdout", "_stdin", "_stderr", "_make_stdin", "_make_stderr")

    def __init__(self, environ: dict, argv: list, stdout,
                 make_stdin: Callable[[], object], make_stderr: Callable[[], object]) -> None:
        self.environ, self.argv, self.stdout = environ, argv, stdout
        self._make_stdin, self._make_stderr = make_stdin, make_stderr
        self._stdin = self._stderr = None

    @property
    def stdin(self):
        if self._stdin is None:
            self._stdin = self._make_stdin()
        return self._stdin

    @property
    def stderr(self):
        if self._stderr is None:
            self._stderr = self._make_stderr()
        return self._stderr

    def opened(self) -> list:
        """The streams that exist, to flush at the end."""
        return [s for s in (self.stdout, self._stderr) if s is not None]


def current() -> Optional[Context]:
    return getattr(_local, "ctx", None)


def activate(ctx: Optional[Context]) -> Optional[Context]:
    """Make `ctx` this thread's; returns the one it replaces (None)."""
    previous = getattr(_local, "ctx", None)
    _local.ctx = ctx
    return previous


# ---------------------------------------------------------------- proxies


class StreamProxy:
    """sys.stdin / stdout / stderr: this thread's script stream, or the
    stream the process had."""

    __slots__ = ("_attr", "_default")

    def __init__(self, attr: str, default) -> None:
        self._attr, self._default = attr, default

    def _target(self):
        ctx = getattr(_local, "ctx", None)
        return self._default if ctx is None else getattr(ctx, self._attr)

    def write(self, s):
        target = self._target()
        return len(s) if target is None else target.write(s)   # print() to no stdout

    def flush(self):
        target = self._target()
        if target is not None:
            target.flush()

    def __iter__(self):
        return iter(self._target())

    def __getattr__(self, name):
        return getattr(self._target(), name)

    def __repr__(self) -> str:
        return f"<modpy per-thread sys.{self._attr} -> {self._target()!r}>"


class EnvironProxy(MutableMapping):
    """os.environ: this thread's script environment (a plain dict: setting
    a variable is seen by the script and its children only), or the
    process's os._Environ."""

    def __init__(self, default) -> None:
        self._default = default

    def _target(self):
        ctx = getattr(_local, "ctx", None)
        return self._default if ctx is None else ctx.environ

    def __getitem__(self, key):
        return self._target()[key]

    def get(self, key, default=None):
        return self._target().get(key, default)

    def __contains__(self, key) -> bool:
        return key in self._target()

    def __setitem__(self, key, value) -> None:
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"str expected, not {type(key if not isinstance(key, str) else value).__name__}")
        self._target()[key] = value

    def __delitem__(self, key) -> None:
        del self._target()[key]

    def __iter__(self):
        return iter(list(self._target()))

    def __len__(self) -> int:
        return len(self._target())

    def copy(self) -> dict:
        return dict(self._target())

    def __or__(self, other) -> dict:
        return {**self._target(), **other}

    def __ror__(self, other) -> dict:
        return {**other, **self._target()}

    def __repr__(self) -> str:
        return f"environ({dict(self._target())!r})"


class EnvironBytesProxy(MutableMapping):
    """os.environb: the same environment, as bytes."""

    def __init__(self, default) -> None:
        self._default = default

    def _script(self) -> Optional[dict]:
        ctx = getattr(_local, "ctx", None)
        return None if ctx is None else ctx.environ

    def __getitem__(self, key: bytes) -> bytes:
        env = self._script()
        if env is None:
            return self._default[key]
        return os.fsencode(env[os.fsdecode(key)])

    def __setitem__(self, key: bytes, value: bytes) -> None:
        env = self._script()
        if env is None:
            self._default[key] = value
        else:
            env[os.fsdecode(key)] = os.fsdecode(value)

    def __delitem__(self, key: bytes) -> None:
        env = self._script()
        if env is None:
            del self._default[key]
        else:
            del env[os.fsdecode(key)]

    def __iter__(self):
        env = self._script()
        return iter(list(self._default) if env is None else [os.fsencode(k) for k in env])

    def __len__(self) -> int:
        env = self._script()
        return len(self._default if env is None else env)

    def copy(self) -> dict:
        return dict(self.items())


class ArgvProxy(MutableSequence):
    """sys.argv: this thread's script argv, or the process's list."""

    def __init__(self, default: list) -> None:
        self._default = default

    def _target(self) -> list:
        ctx = getattr(_local, "ctx", None)
        return self._default if ctx is None else ctx.argv

    def __getitem__(self, i):
        return self._target()[i]

    def __setitem__(self, i, value) -> None:
        self._target()[i] = value

    def __delitem__(self, i) -> None:
        del self._target()[i]

    def __len__(self) -> int:
        return len(self._target())

    def insert(self, i, value) -> None:
        self._target().insert(i, value)

    def __eq__(self, other) -> bool:
        return self._target() == (list(other) if isinstance(other, ArgvProxy) else other)

    def __add__(self, other) -> list:
        return self._target() + list(other)

    def __radd__(self, other) -> list:
        return list(other) + self._target()

    def __repr__(self) -> str:
        return repr(self._target())


# ---------------------------------------------------------------- children


class ScriptPopen(subprocess.Popen):
    """subprocess.Popen whose child gets the calling script's environment
    when none is given (a real CGI's children inherit its environment)."""

    def __init__(self, *args, **kwargs) -> None:
        ctx = getattr(_local, "ctx", None)
        if ctx is not None and len(args) <= 10 and kwargs.get("env") is None:
            kwargs["env"] = dict(ctx.environ)
        super().__init__(*args, **kwargs)


def _system(original: Callable[[str], int]) -> Callable[[str], int]:
    def system(command) -> int:
        """os.system: in a script, /bin/sh runs with the script's environment
        and its stdout is the script's (a real CGI's child writes to the
        same pipe)."""
        ctx = getattr(_local, "ctx", None)
        if ctx is None:
            return original(command)
        for stream in ctx.opened():         # as a process's own buffers would be
            stream.flush()
        read_end, write_end = os.pipe()
        try:
            pid = os.posix_spawn("/bin/sh", ["sh", "-c", os.fsdecode(command)], ctx.environ,
                                 file_actions=[(os.POSIX_SPAWN_DUP2, write_end, 1)])
        finally:
            os.close(write_end)
        with open(read_end, "rb", buffering=0) as pipe:
            out = ctx.stdout.buffer
            for chunk in iter(lambda: pipe.read(65536), b""):
                out.write(chunk)
        return os.waitpid(pid, 0)[1]
    system.__doc__ = original.__doc__
    return system


# ---------------------------------------------------------------- install

_installed = False
_install_lock = threading.Lock()


def install() -> None:
    """Put the proxies in place, once per process."""
    global _installed
    with _install_lock:
        if _installed:
            return
        sys.stdout = StreamProxy("stdout", sys.stdout)
        sys.stdin = StreamProxy("stdin", sys.stdin)
        sys.stderr = StreamProxy("stderr", sys.stderr)
        sys.argv = ArgvProxy(sys.argv if isinstance(sys.argv, list) else [""])
        original_environ = os.environ
        os.environ = EnvironProxy(original_environ)
        os.environb = EnvironBytesProxy(os.environb)
        subprocess.Popen = ScriptPopen
        os.system = _system(os.system)
        _rebind_defaults(original_environ, os.environ)
        _installed = True


def _rebind_defaults(old, new) -> None:
    """The stdlib `cgi` module binds os.environ as a default argument when
    it is imported; if it was imported before install(), point those
    defaults at the proxy."""
    cgi = sys.modules.get("cgi")
    if cgi is None:
        return
    for func in (cgi.parse, cgi.FieldStorage.__init__, getattr(cgi, "print_environ", None),
                 getattr(cgi, "test", None)):
        defaults = getattr(func, "__defaults__", None)
        if defaults and any(d is old for d in defaults):
            func.__defaults__ = tuple(new if d is old else d for d in defaults)


# ---------------------------------------------------------------- cwd


class CwdGate:
    """The process's working directory, shared by scripts that want the
    same one.

    `enter(d)` returns at once when the current holders are in `d` and
    nobody waits for another directory; otherwise the caller queues.  When
    the last holder leaves, the directory of the first in the queue is
    entered and every queued request for it is let in together."""

    def __init__(self, chdir: Callable[[str], None] = os.chdir) -> None:
        self._chdir = chdir
        # held as `with self._lock` (C), not `with self._cond`: Condition's
        # own __enter__/__exit__ are Python frames, twice per script
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._dir: Optional[str] = None
        self._holders = 0
        self._queue: list[list] = []        # [directory, admitted, error]

    def enter(self, directory: str) -> None:
        with self._lock:                    # the condition's lock: wait() below is fine
            if not self._queue and (self._holders == 0 or self._dir == directory):
                if self._holders == 0 and self._dir != directory:
                    self._chdir(directory)
                    self._dir = directory
                self._holders += 1
                return
            ticket = [directory, False, None]
            self._queue.append(ticket)
            while not ticket[1]:
                self._cond.wait()
            if ticket[2] is not None:
                raise ticket[2]

    def leave(self) -> None:
        with self._lock:
            self._holders -= 1
            if self._holders == 0 and self._queue:
                self._admit()

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

    @property
    def directory(self) -> Optional[str]:
        return self._dir
