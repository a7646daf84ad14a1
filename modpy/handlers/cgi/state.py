"""Per-request process state for CGI scripts run in-process.

A CGI script believes it owns a process: sys.stdin/stdout/stderr,
sys.argv, os.environ, sys.excepthook, builtins.__import__ and the import
machinery are its own, to use and to rebind.  Under worker and event many
scripts run at once on different threads, so each of those is made per
request here, without a lock that would serialise the scripts:

- `install()` (once per process) puts proxy objects in place of
  sys.stdin, sys.stdout, sys.stderr (and their `__std*__` originals),
  sys.argv and os.environ (and os.environb).  Each proxy forwards to the
  `Context` of the CGI request running on the calling thread, and to the
  process's object on any other thread, so code outside CGI scripts sees
  no difference.  `sys.stdout.buffer` is a proxy too, one object for the
  life of the process: a helper module that keeps it at import time (as
  Mercurial's procutil does) writes into each request's own stdout.
- Rebinding (`sys.stdout = ...`, `os.environ = ...`,
  `builtins.__import__ = ...`, `sys.excepthook = ...`) is caught by the
  module's own __setattr__ (the sys, os and builtins modules get a module
  subclass, as PEP 549's module __class__ assignment allows): on a CGI
  thread the new object is the script's, kept in its Context until the
  request ends; the proxies stay in place for everyone else.  Reading
  attributes of those modules is not slowed, but for sys.stdin, stdout
  and stderr read from Python in a script: those give the script's own
  stream (see `_stream_view`), so that a reference it keeps does not
  follow its later rebinding.

The import machinery (imports.py) and the process-wide calls
(process.py) build on this.

Pure: nothing here knows about Apache.
"""
from __future__ import annotations

import builtins
import io
import os
import sys
import threading
import types
from collections.abc import MutableMapping, MutableSequence
from typing import Callable, Optional

_local = threading.local()

STREAMS = ("stdin", "stdout", "stderr")


class Context:
    """One script run: its environment, argv, streams, and what it changed
    of the process (undone by the handler when it ends).  stdin and stderr
    are made on first use (most scripts never touch them)."""

    __slots__ = ("environ", "argv", "_originals", "_makers", "rebound", "excepthook", "importer",
                 "imports", "exits", "signals", "threads", "umask", "directory", "done", "after_child",
                 "gate_timeout")

    def __init__(self, environ: dict, argv: list, stdout,
                 make_stdin: Callable[[], object], make_stderr: Callable[[], object]) -> None:
        self.environ, self.argv = environ, argv
        self._originals = {"stdout": stdout}
        self._makers = {"stdin": make_stdin, "stderr": make_stderr}
        self.rebound: Optional[dict] = None     # name -> what the script bound sys.<name> to
        self.excepthook = None                  # the script's sys.excepthook (cgitb.enable())
        self.importer = None                    # the script's builtins.__import__
        self.imports = None                     # imports.ImportState, when the script changed them
        self.exits: Optional[list] = None       # atexit functions it registered
        self.signals: Optional[dict] = None     # signal handlers it set
        self.threads: Optional[list] = None     # threads it started
        self.umask: Optional[int] = None        # the process's umask before the script set its own
        self.directory: Optional[str] = None    # its working directory (os.chdir moves it)
        self.done = False                       # the request is over: proxies no longer lead here
        self.after_child: Callable[[], None] = _nothing   # forwards what children wrote
        self.gate_timeout = 60.0

    def original(self, name: str):
        """The stream the script started with (what sys.__stdout__ is)."""
        stream = self._originals.get(name)
        if stream is None:
            stream = self._originals[name] = self._makers[name]()
        return stream

    def stream(self, name: str):
        """What sys.<name> is bound to now."""
        if self.rebound is not None and name in self.rebound:
            return self.rebound[name]
        return self.original(name)

    def opened(self) -> list:
        """The streams that exist, to flush at the end: what the script
        bound sys.std* to first (its buffers hold output too), then the
        originals."""
        bound = [s for s in (self.rebound or {}).values() if hasattr(s, "flush")]
        return bound + [s for name in ("stdout", "stderr") if (s := self._originals.get(name)) is not None]


def _nothing() -> None:
    pass


def current() -> Optional[Context]:
    ctx = getattr(_local, "ctx", None)
    return None if ctx is None or ctx.done else ctx


def activate(ctx: Optional[Context]) -> Optional[Context]:
    """Make `ctx` this thread's; returns the one it replaces."""
    previous = getattr(_local, "ctx", None)
    _local.ctx = ctx
    return previous


# ---------------------------------------------------------------- streams


class StreamProxy(io.TextIOWrapper):
    """sys.stdin / stdout / stderr (`follow` True: what the script bound it
    to) and sys.__stdin__ ... (`follow` False: what it started with): this
    thread's script stream, or the process's.

    A TextIOWrapper, as the real ones are (cgi.FieldStorage reads the
    binary buffer of a TextIOWrapper, the text of anything else), that is
    never initialised: every attribute is looked up on the target."""

    __slots__ = ("_name", "_follow", "default", "_buffer")

    def __init__(self, name: str, follow: bool, default, buffer: "BufferProxy") -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_follow", follow)
        object.__setattr__(self, "default", default)
        object.__setattr__(self, "_buffer", buffer)

    def _target(self):
        ctx = getattr(_local, "ctx", None)      # current(), inlined: every write comes here
        if ctx is None or ctx.done:
            target = object.__getattribute__(self, "default")
            return _NO_STREAM if target is None else target
        name = object.__getattribute__(self, "_name")
        return ctx.stream(name) if object.__getattribute__(self, "_follow") else ctx.original(name)

    def __getattribute__(self, attr):
        if attr in _PROXY_OWN:
            return object.__getattribute__(self, attr)
        return getattr(StreamProxy._target(self), attr)

    def __setattr__(self, attr, value) -> None:
        if attr == "default":
            object.__setattr__(self, attr, value)
        else:
            setattr(StreamProxy._target(self), attr, value)

    @property
    def buffer(self):
        """The binary stream below: the process-long proxy while the stream
        is the original one, else the rebound stream's own."""
        ctx = current()
        if ctx is None:
            return StreamProxy._target(self).buffer
        name = object.__getattribute__(self, "_name")
        target = StreamProxy._target(self)
        return object.__getattribute__(self, "_buffer") if target is ctx.original(name) else target.buffer

    def __iter__(self):
        return iter(StreamProxy._target(self))

    def __next__(self):
        return next(StreamProxy._target(self))

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        StreamProxy._target(self).close()

    def __del__(self) -> None:
        pass

    def __repr__(self) -> str:
        return f"<modpy per-request sys.{object.__getattribute__(self, '_name')} -> {StreamProxy._target(self)!r}>"


_PROXY_OWN = frozenset(("_name", "_follow", "default", "_buffer", "_target", "buffer", "__class__",
                        "__repr__", "__iter__", "__next__", "__enter__", "__exit__", "__dict__"))


class _NoStream:
    """What print() writes to when the process has no such stream."""

    def write(self, s) -> int:
        return len(s)

    def flush(self) -> None:
        pass

    def __getattr__(self, attr):
        raise AttributeError(attr)


_NO_STREAM = _NoStream()


class BufferProxy:
    """sys.stdout.buffer (and stdin's, stderr's): the binary stream of this
    thread's script, or of the process."""

    __slots__ = ("_name", "default")

    def __init__(self, name: str, default) -> None:
        self._name, self.default = name, default

    def _target(self):
        ctx = current()
        return self.default if ctx is None else ctx.original(self._name).buffer

    def write(self, data):
        return self._target().write(data)

    def read(self, n=-1):
        return self._target().read(n)

    def read1(self, n=-1):
        return self._target().read1(n)

    def readline(self, limit=-1):
        return self._target().readline(limit)

    def readinto(self, buffer):
        return self._target().readinto(buffer)

    def flush(self):
        return self._target().flush()

    def __iter__(self):
        return iter(self._target())

    def __getattr__(self, name):
        return getattr(self._target(), name)

    def __repr__(self) -> str:
        return f"<modpy per-request sys.{self._name}.buffer -> {self._target()!r}>"


io.BufferedIOBase.register(BufferProxy)


# ---------------------------------------------------------------- environ, argv


class EnvironProxy(MutableMapping):
    """os.environ: this thread's script environment (a plain dict: setting
    a variable is seen by the script and its children only), or the
    process's os._Environ."""

    def __init__(self, default) -> None:
        self.default = default

    def _target(self):
        ctx = current()
        return self.default if ctx is None else ctx.environ

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
        self.default = default

    def _script(self) -> Optional[dict]:
        ctx = current()
        return None if ctx is None else ctx.environ

    def __getitem__(self, key: bytes) -> bytes:
        env = self._script()
        if env is None:
            return self.default[key]
        return os.fsencode(env[os.fsdecode(key)])

    def __setitem__(self, key: bytes, value: bytes) -> None:
        env = self._script()
        if env is None:
            self.default[key] = value
        else:
            env[os.fsdecode(key)] = os.fsdecode(value)

    def __delitem__(self, key: bytes) -> None:
        env = self._script()
        if env is None:
            del self.default[key]
        else:
            del env[os.fsdecode(key)]

    def __iter__(self):
        env = self._script()
        return iter(list(self.default) if env is None else [os.fsencode(k) for k in env])

    def __len__(self) -> int:
        env = self._script()
        return len(self.default if env is None else env)

    def copy(self) -> dict:
        return dict(self.items())


class ArgvProxy(MutableSequence):
    """sys.argv: this thread's script argv, or the process's list."""

    def __init__(self, default: list) -> None:
        self.default = default

    def _target(self) -> list:
        ctx = current()
        return self.default if ctx is None else ctx.argv

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


# ---------------------------------------------------------------- rebinding


def _bind_stream(name: str) -> Callable:
    def bind(ctx: Optional[Context], value) -> None:
        proxy = _proxies[name]
        own = isinstance(value, StreamProxy)        # sys.stdout = sys.__stdout__, or a saved sys.stdout
        if ctx is None:
            proxy.default = _original_default[name] if own else value
        elif own:
            if ctx.rebound:
                ctx.rebound.pop(name, None)
        else:
            if ctx.rebound is None:
                ctx.rebound = {}
            ctx.rebound[name] = value
    return bind


def _bind_argv(ctx: Optional[Context], value) -> None:
    if isinstance(value, ArgvProxy):
        return
    if ctx is None:
        _proxies["argv"].default = value
    else:
        ctx.argv = list(value)


def _bind_environ(ctx: Optional[Context], value) -> None:
    if isinstance(value, EnvironProxy):
        return
    if ctx is None:
        _proxies["environ"].default = value
    else:
        ctx.environ = dict(value)


def _bind_environb(ctx: Optional[Context], value) -> None:
    if isinstance(value, EnvironBytesProxy):
        return
    if ctx is None:
        _proxies["environb"].default = value
    else:
        ctx.environ = {os.fsdecode(k): os.fsdecode(v) for k, v in value.items()}


def _bind_excepthook(ctx: Optional[Context], value) -> bool:
    if ctx is None:
        return False                        # the process's own: set it
    ctx.excepthook = None if value is sys.__excepthook__ else value
    return True


# module -> attribute -> bind(ctx, value); a bind returning False lets the
# module set the attribute itself.
_binders: dict[str, dict[str, Callable]] = {
    "sys": {**{name: _bind_stream(name) for name in STREAMS}, "argv": _bind_argv,
            "excepthook": _bind_excepthook},
    "os": {"environ": _bind_environ, "environb": _bind_environb},
    "builtins": {},
}


def add_binder(module: str, name: str, bind: Callable) -> None:
    """Catch `module.name = value` (another part of the emulation's)."""
    _binders[module][name] = bind


class _ContainedModule(types.ModuleType):
    """sys, os and builtins: setting one of the names of `_binders` calls
    its binder instead (reading is untouched)."""

    def __new__(cls, *args, **kwargs):
        """`type(sys)(name)`, which is how importlib makes every module,
        still makes a plain module."""
        return types.ModuleType(*args, **kwargs)

    def __setattr__(self, name, value) -> None:
        bind = _binders[self.__name__].get(name)
        if bind is None or bind(current(), value) is False:
            super().__setattr__(name, value)


def _stream_view(name: str) -> property:
    """`sys.<name>` read from Python in a script: what the script bound it
    to, else the stream it started with (sys.__<name>__'s proxy), as a real
    process's sys.stdout is its own object.  Never the proxy that follows
    rebinding, which stays in the module's dict for C code (print()): a
    script that keeps `out = sys.stdout`, binds sys.stdout to a log and
    writes to `out.buffer` (roundup.cgi) writes to its pipe."""
    def get(module):
        ctx = getattr(_local, "ctx", None)      # current(), inlined: every sys.stdout read comes here
        if ctx is None or ctx.done:
            return module.__dict__[name]
        rebound = ctx.rebound
        if rebound is not None and name in rebound:
            return rebound[name]
        return _started_with[name]
    return property(get)


class _ContainedSys(_ContainedModule):
    """sys: a _ContainedModule whose streams, read from Python, are
    _stream_view's."""

    stdin, stdout, stderr = (_stream_view(name) for name in STREAMS)


# ---------------------------------------------------------------- install

_proxies: dict = {}
_original_default: dict = {}
_started_with: dict = {}                # name -> sys.__<name>__'s proxy
_installed = False
_install_lock = threading.Lock()


def install() -> None:
    """Put the proxies in place, once per process."""
    global _installed
    with _install_lock:
        if _installed:
            return
        for name in STREAMS:
            default = getattr(sys, name)
            _original_default[name] = default
            buffer = BufferProxy(name, getattr(default, "buffer", None))
            proxy = _proxies[name] = StreamProxy(name, True, default, buffer)
            setattr(sys, name, proxy)
            started = _started_with[name] = StreamProxy(name, False, getattr(sys, f"__{name}__"), buffer)
            setattr(sys, f"__{name}__", started)
        sys.argv = _proxies["argv"] = ArgvProxy(sys.argv if isinstance(sys.argv, list) else [""])
        original_environ = os.environ
        os.environ = _proxies["environ"] = EnvironProxy(original_environ)
        os.environb = _proxies["environb"] = EnvironBytesProxy(os.environb)
        _rebind_defaults(original_environ, os.environ)
        sys.__class__ = _ContainedSys
        for module in (os, builtins):
            module.__class__ = _ContainedModule
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
