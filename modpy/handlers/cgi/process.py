"""Process-wide calls a CGI script makes, kept to its request.

A CGI program may change its process freely: the process ends with it.
In-process, each of these would reach the Apache child and every other
request in it, so on a CGI thread (and on the threads a script starts)
they act on the script's Context instead, and the handler undoes what is
left when the script ends (`finish`):

- `os.chdir(path)` / `os.fchdir(fd)`: moves the script's thread, which
  has a working directory of its own (cwd.py); where the system refuses
  that, moves the script through the working-directory gate: the process
  changes directory once the other scripts of the old one are done,
  waiting at most the gate's bound (then TimeoutError, and the script
  stays where it was).
- `signal.signal`, `signal.getsignal`: the script's handlers are recorded
  for it, never installed (they would replace Apache's); `signal.alarm`,
  `signal.setitimer` and `signal.siginterrupt` do nothing.  So a handler
  is never called, and an alarm never fires.
- `atexit.register` / `unregister`: the script's own list, run when it
  ends, as a process's exit runs them.
- `os.umask(mask)`: set for the script's thread (and, behind the gate,
  the process) while the script runs, the previous mask restored when it
  ends.
- `os._exit(n)`, `os.abort()`, `os.kill(os.getpid(), sig)`: end the
  script (ProcessExit, which the handler takes as the process's end), not
  the Apache child.  finally blocks of the script do run, which a real
  os._exit would skip.
- `threading.Thread.start`: the thread gets the script's Context (its
  stdout, environment ...); when the script ends, its non-daemon threads
  are waited for, as a process's exit waits for them.  A daemon thread
  that outlives the script runs on with the process's objects.
- `locale.getpreferredencoding()`: what the script's interpreter would
  say: "utf-8" in UTF-8 mode (PEP 540), which a CGI's Python is in when
  its environment has a C or POSIX locale, and Apache's is not.
- `os.fork()`, `os.forkpty()` and the `os.exec*()` family (and
  `os.spawn*()`, `multiprocessing`'s fork, which use them) raise
  PermissionError: a fork would copy the Apache child, an exec replace
  it.  subprocess does neither.
- child processes: `subprocess.Popen` without `env=`, `stdin=`,
  `stdout=` gives the child the script's environment, its stdin (the
  request body) and its stdout (the response, through fds.py's
  OutputSpool); `os.system` likewise.  stderr is inherited: Apache's
  error log.

Pure: nothing here knows about Apache.
"""
from __future__ import annotations

import atexit
import errno
import locale
import os
import signal
import subprocess
import threading
import traceback
from typing import Callable, Optional, Union

from modpy.handlers.cgi import state
from modpy.handlers.cgi.cwd import CwdGate, GateTimeout, ThreadDirectories, working_directories


class ProcessExit(BaseException):
    """The script ended its process (os._exit, os.abort, a fatal signal to
    itself): its request ends here."""

    def __init__(self, how: str) -> None:
        super().__init__(how)
        self.how = how


# ---------------------------------------------------------------- replacements


def _on_script(original: Callable, contained: Callable) -> Callable:
    """`contained(ctx, ...)` on a CGI thread, `original(...)` elsewhere."""
    def call(*args, **kwargs):
        ctx = state.current()
        if ctx is None:
            return original(*args, **kwargs)
        return contained(ctx, *args, **kwargs)
    call.__name__, call.__doc__ = original.__name__, original.__doc__
    call.__wrapped__ = original
    return call


# where scripts run: chosen by install(), once per process
directories: Optional[Union[ThreadDirectories, CwdGate]] = None


def _chdir(ctx: state.Context, path) -> None:
    if isinstance(path, int):
        target = os.readlink(f"/proc/self/fd/{path}")
    else:
        target = os.path.join(ctx.directory or os.getcwd(), os.fsdecode(path))
    target = os.path.normpath(target)
    if not os.path.isdir(target):
        os.stat(target)                     # the error chdir would give
        raise NotADirectoryError(20, "Not a directory", path)
    try:
        directories.move(target, ctx.gate_timeout)
    except GateTimeout as e:
        raise TimeoutError(f"os.chdir({path!r}): {e}") from None
    ctx.directory = target


def _signal(ctx: state.Context, signalnum, handler):
    previous = _getsignal(ctx, signalnum)
    if ctx.signals is None:
        ctx.signals = {}
    ctx.signals[int(signal.Signals(signalnum))] = handler
    return previous


_original_getsignal = signal.getsignal


def _getsignal(ctx: state.Context, signalnum):
    if ctx.signals is not None and int(signalnum) in ctx.signals:
        return ctx.signals[signalnum]
    return _original_getsignal(signalnum)


def _register(ctx: state.Context, func, *args, **kwargs):
    if ctx.exits is None:
        ctx.exits = []
    ctx.exits.append((func, args, kwargs))
    return func


def _unregister(ctx: state.Context, func) -> None:
    if ctx.exits:
        ctx.exits[:] = [e for e in ctx.exits if e[0] != func]


_original_umask = os.umask


def _umask(ctx: state.Context, mask: int) -> int:
    previous = _original_umask(mask)
    if ctx.umask is None:
        ctx.umask = previous
    return previous


def _exit(ctx: state.Context, status) -> None:
    raise ProcessExit(f"os._exit({status})")


def _abort(ctx: state.Context) -> None:
    raise ProcessExit("os.abort()")


_original_kill = os.kill


def _kill(ctx: state.Context, pid: int, sig: int) -> None:
    if pid == os.getpid() and sig != 0:
        raise ProcessExit(f"os.kill(os.getpid(), {signal.Signals(sig).name})")
    _original_kill(pid, sig)


# ---------------------------------------------------------------- locale

_original_preferred = locale.getpreferredencoding


def utf8_mode(environ: dict) -> bool:
    """Would a Python started with `environ` run in UTF-8 mode (PEP 540):
    PYTHONUTF8 says so, or the locale is C or POSIX (what a CGI gets from
    Apache unless LANG is passed)."""
    flag = environ.get("PYTHONUTF8")
    if flag in ("0", "1"):
        return flag == "1"
    ctype = environ.get("LC_ALL") or environ.get("LC_CTYPE") or environ.get("LANG") or "C"
    return ctype in ("C", "POSIX")


def _preferred_encoding(ctx: state.Context, do_setlocale: bool = True) -> str:
    return "utf-8" if utf8_mode(ctx.environ) else _original_preferred(do_setlocale)


def _not_in_process(name: str) -> Callable:
    def refuse(ctx: state.Context, *args, **kwargs):
        raise PermissionError(errno.EPERM, f"os.{name}() would fork or replace the Apache child: not "
                              "available to a CGI script run in-process (use subprocess)")
    return refuse


# ---------------------------------------------------------------- threads

_original_init = threading.Thread.__init__
_original_start = threading.Thread.start


def _init(self, *args, **kwargs) -> None:
    """A thread a script makes is not a daemon unless it says so: a
    process's main thread is not one (Apache's threads, which Python sees
    as daemons, would make it one)."""
    _original_init(self, *args, **kwargs)
    if kwargs.get("daemon") is None and state.current() is not None:
        self._daemonic = False
_original_bootstrap = threading.Thread._bootstrap_inner


def _start(self) -> None:
    ctx = state.current()
    if ctx is not None:
        self._modpy_cgi = ctx
        if ctx.threads is None:
            ctx.threads = []
        ctx.threads.append(self)
    _original_start(self)


def _bootstrap_inner(self) -> None:
    ctx = self.__dict__.get("_modpy_cgi")
    if ctx is not None:
        state.activate(ctx)
    _original_bootstrap(self)


# ---------------------------------------------------------------- children


class ScriptPopen(subprocess.Popen):
    """subprocess.Popen whose child gets the calling script's environment,
    stdin and stdout when none are given (a real CGI's children inherit
    them); its output is forwarded once it has been waited for."""

    def __init__(self, *args, **kwargs) -> None:
        ctx = state.current()
        self._modpy_cgi = None
        if ctx is not None and len(args) <= 1:
            if kwargs.get("env") is None:
                kwargs["env"] = dict(ctx.environ)
            if kwargs.get("stdin") is None:
                kwargs["stdin"] = ctx.original("stdin").fileno()
            if kwargs.get("stdout") is None:
                _flush(ctx)
                kwargs["stdout"] = ctx.original("stdout").fileno()
                self._modpy_cgi = ctx
        super().__init__(*args, **kwargs)

    def wait(self, timeout=None):
        status = super().wait(timeout)
        ctx = self._modpy_cgi
        if ctx is not None and not ctx.done:
            ctx.after_child()
        return status


def _flush(ctx: state.Context) -> None:
    """The script's buffered output first, so the child's comes after it
    (a process writing to a pipe would need its own flush() for that)."""
    for stream in ctx.opened():
        try:
            stream.flush()
        except (OSError, ValueError):
            pass


def _system(ctx: state.Context, command) -> int:
    _flush(ctx)
    pid = os.posix_spawn("/bin/sh", ["sh", "-c", os.fsdecode(command)], ctx.environ,
                         file_actions=[(os.POSIX_SPAWN_DUP2, ctx.original("stdin").fileno(), 0),
                                       (os.POSIX_SPAWN_DUP2, ctx.original("stdout").fileno(), 1)])
    status = os.waitpid(pid, 0)[1]
    ctx.after_child()
    return status


# ---------------------------------------------------------------- the end of a script


def finish(ctx: state.Context, stderr_write: Callable[[str], object]) -> None:
    """What a process's exit does, and what the script changed undone:
    its atexit functions run (last registered first), its non-daemon
    threads are waited for, the umask comes back."""
    while ctx.exits:
        func, args, kwargs = ctx.exits.pop()
        try:
            func(*args, **kwargs)
        except SystemExit:
            pass
        except BaseException as e:
            stderr_write(f"Exception ignored in atexit callback {func!r}:\n")
            stderr_write("".join(traceback.format_exception(type(e), e, e.__traceback__)))
    for thread in ctx.threads or ():
        if not thread.daemon and thread is not threading.current_thread():
            thread.join(ctx.gate_timeout)
    if ctx.umask is not None:
        _original_umask(ctx.umask)
        ctx.umask = None


# ---------------------------------------------------------------- install

_installed = False


def install() -> None:
    """Once per process, after state.install()."""
    global _installed, directories
    if _installed:
        return
    directories = working_directories()
    os.chdir = _on_script(os.chdir, _chdir)
    os.fchdir = _on_script(os.fchdir, _chdir)
    os.umask = _on_script(os.umask, _umask)
    os._exit = _on_script(os._exit, _exit)
    os.abort = _on_script(os.abort, _abort)
    os.kill = _on_script(os.kill, _kill)
    os.system = _on_script(os.system, _system)
    for name in ("fork", "forkpty", "execv", "execve"):
        setattr(os, name, _on_script(getattr(os, name), _not_in_process(name)))
    signal.signal = _on_script(signal.signal, _signal)
    signal.getsignal = _on_script(signal.getsignal, _getsignal)
    signal.alarm = _on_script(signal.alarm, lambda ctx, seconds: 0)
    signal.setitimer = _on_script(signal.setitimer, lambda ctx, which, seconds, interval=0.0: (0.0, 0.0))
    signal.siginterrupt = _on_script(signal.siginterrupt, lambda ctx, signalnum, flag: None)
    locale.getpreferredencoding = _on_script(locale.getpreferredencoding, _preferred_encoding)
    atexit.register = _on_script(atexit.register, _register)
    atexit.unregister = _on_script(atexit.unregister, _unregister)
    threading.Thread.__init__ = _init
    threading.Thread.start = _start
    threading.Thread._bootstrap_inner = _bootstrap_inner
    subprocess.Popen = ScriptPopen
    _installed = True
