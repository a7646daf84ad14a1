"""pdb for handlers, in a single-process Apache attached to a terminal.

Why the care: inside Apache, sys.stderr is the error log and stdin/stdout
are whatever httpd left there, so a plain pdb would talk to a log file or
block on nothing.  `save_terminal()` (called at boot, while the process
still has the terminal it was started from) keeps duplicates of fds 0 and
1; a debugger session gets text streams on those, or on /dev/tty.

And a debugger must never stop a child of a multi-process server: nobody
can reach its stdin, so it would hang a worker for good.  Under a normal
start `PythonEnablePdb On` and `breakpoint()` are refused with one clear
log line, and the handler runs without the debugger.

One session at a time: even `httpd -X` runs several threads (event,
worker), and two prompts cannot share one terminal.
"""
from __future__ import annotations

import io
import os
import pdb
import sys
import threading
import types
from typing import Any, Callable, Optional

from modpy.core import log
from modpy.core.ffi import lib

NO_TERMINAL = "no terminal (Apache was started without one)"
_saved_fds: Optional[tuple[int, int]] = None
_session = threading.RLock()
_warned: set = set()


def save_terminal() -> None:
    """Keep the process's original stdin/stdout if they are a terminal.
    Once a process: Apache re-reads its config (and boots us) again."""
    global _saved_fds
    if _saved_fds is None and os.isatty(0):
        _saved_fds = (os.dup(0), os.dup(1))


def single_process() -> bool:
    """`httpd -X` defines DEBUG; `-DONE_PROCESS` (or -DFOREGROUND with one
    child) defines ONE_PROCESS.  Only then is there a console to talk to."""
    return bool(lib.ap_exists_config_define(b"ONE_PROCESS") or lib.ap_exists_config_define(b"DEBUG"))


def _streams() -> Optional[tuple[io.TextIOBase, io.TextIOBase]]:
    """Text streams on the terminal, or None when there is none."""
    if _saved_fds is not None:
        return (open(os.dup(_saved_fds[0]), "r", encoding="utf-8", errors="replace"),
                open(os.dup(_saved_fds[1]), "w", encoding="utf-8", errors="replace", buffering=1))
    try:
        tty = open("/dev/tty", "r+", encoding="utf-8", errors="replace", buffering=1)
    except OSError:
        return None
    return tty, tty


def refusal() -> Optional[str]:
    """Why a debugger cannot run here, or None when it can."""
    if not single_process():
        return ("pdb needs a single-process Apache attached to a terminal "
                "(apache2 -X, or python -m modpy serve --debug)")
    if _saved_fds is None and not os.path.exists("/dev/tty"):
        return NO_TERMINAL
    return None


def _refuse(what: str, reason: str) -> None:
    """Log why, once per process and kind: a busy server must not fill
    its log with one line per request."""
    if what not in _warned:
        _warned.add(what)
        log.log_error(f"modpy: {what} ignored: {reason}; running without the debugger")


_OURS = ("modpy.*", "mod_python.*")          # pdb's skip globs: modpy's own frames
_OUR_PREFIXES = tuple(glob[:-1] for glob in _OURS)


class _Pdb(pdb.Pdb):
    """pdb that ends a breakpoint() session when the handler that called
    it returns: stepping off its end must not leave the thread traced (and
    the terminal taken) for the requests that follow."""

    session_frame = None     # the handler's frame, for breakpoint() sessions

    def dispatch_return(self, frame, arg):
        result = super().dispatch_return(frame, arg)
        if frame is self.session_frame:
            self.session_frame = None
            self.clear_all_breaks()
            self.set_continue()
        return result


def _handler_frame(frame: types.FrameType) -> types.FrameType:
    """The outermost caller of `frame` that is user code: the handler."""
    while frame.f_back is not None and not frame.f_back.f_globals.get("__name__", "").startswith(
            _OUR_PREFIXES):
        frame = frame.f_back
    return frame


def _open() -> Optional[pdb.Pdb]:
    """A pdb on the terminal, holding the one-session lock; None (lock not
    held) when there is no terminal after all."""
    _session.acquire()
    try:
        streams = _streams()
    except OSError:
        streams = None
    if streams is None:
        _session.release()
        return None
    # modpy's own frames are skipped: stepping never lands in the dispatcher
    debugger = _Pdb(stdin=streams[0], stdout=streams[1], skip=list(_OURS))
    debugger.use_rawinput = False          # read the terminal, not sys.stdin
    debugger.modpy_streams = streams
    return debugger


def _close(debugger: pdb.Pdb) -> None:
    """Close the session's streams and let the next session in."""
    try:
        for stream in {id(s): s for s in debugger.modpy_streams}.values():
            try:
                stream.flush()
                stream.close()
            except (OSError, ValueError):
                pass
    finally:
        _session.release()


def call(target: Callable, *args: Any, what: str = "PythonEnablePdb On") -> Any:
    """Run `target(*args)` under pdb, stopping at its first line; without a
    console, run it plainly and say why once.  Every phase, filters and
    connection handlers call this when PythonEnablePdb is On."""
    reason = refusal()
    debugger = _open() if reason is None else None
    if debugger is None:
        _refuse(what, reason or NO_TERMINAL)
        return target(*args)
    try:
        return debugger.runcall(target, *args)
    finally:
        _close(debugger)


def post_mortem(exc: BaseException, headline: str = "") -> None:
    """Open pdb at the frame that raised `exc` (the `--post-mortem` mode);
    refused like `call` without a console."""
    reason = refusal()
    debugger = _open() if reason is None else None
    if debugger is None:
        _refuse("post-mortem debugging", reason or NO_TERMINAL)
        return
    try:
        if headline:
            print(f"*** {headline}", file=debugger.stdout)
        debugger.reset()
        debugger.interaction(None, exc.__traceback__)
    finally:
        _close(debugger)


def _breakpointhook(*args: Any, **kwargs: Any) -> None:
    """`breakpoint()` in handler code: a pdb prompt on the terminal, in the
    caller's frame; under a multi-process server, nothing (and one log line).
    The session ends when the user continues or quits."""
    reason = refusal()
    debugger = _open() if reason is None else None
    if debugger is None:
        _refuse("breakpoint()", reason or NO_TERMINAL)
        return
    continue_, quit_ = debugger.set_continue, debugger.set_quit

    def set_continue() -> None:
        continue_()
        if not debugger.breaks:            # tracing stops: the session is over
            _close(debugger)

    def set_quit() -> None:
        quit_()
        _close(debugger)

    debugger.set_continue, debugger.set_quit = set_continue, set_quit
    frame = sys._getframe(1)
    debugger.session_frame = _handler_frame(frame)
    debugger.set_trace(frame)


def install() -> None:
    """At boot: remember the terminal and route breakpoint() to it."""
    save_terminal()
    sys.breakpointhook = _breakpointhook

