"""Legacy CGI scripts run in-process, unchanged: `PythonHandler
mod_python.cgihandler` (or `modpy.handlers.cgi.handler`) over a directory of scripts.

Each request runs the script named by r->filename as `__main__` in fresh
globals, with the environment, argv, stdin, stdout, stderr and working
directory a CGI process would get from mod_cgid (docs/cgi.md).  The
script's output is read as a CGI response by Apache's own header parser,
then streamed to the client while the script runs.

The rules live in pure modules: env (environment, argv), response (end of
the header block, Location, nph-), state (per-request sys/os views),
imports (the import system), process (process-wide calls, children),
cwd (the working directory), fds (descriptors behind stdin and stdout),
code (compiled scripts).  This module is the Apache-facing part.
"""
from __future__ import annotations

import io
import os
import stat
import threading
import traceback
from typing import Optional

from modpy import constants as C
from modpy.core import runtime
from modpy.core.clienterror import ClientError
from modpy.core.ffi import NULL, ffi, lib, pstr, text
from modpy.handlers.cgi import imports, process, state
from modpy.handlers.cgi.code import ScriptCache, main_globals
from modpy.handlers.cgi.cwd import GateTimeout
from modpy.handlers.cgi.env import script_argv, script_environ
from modpy.handlers.cgi.fds import Body, OutputSpool
from modpy.handlers.cgi.response import CLIENT_REDIRECT, LOCAL_REDIRECT, HeaderBlock, is_nph, location_action
from modpy.objects.request import Request
from modpy.phases.placement import add_directory

# The block size of a Python process writing to a pipe: the client sees the
# body in the same steps as under mod_cgid, and small prints are batched.
BUFFER_SIZE = io.DEFAULT_BUFFER_SIZE
# A CGI interpreter under Debian's default C locale runs its stdio as UTF-8
# with surrogateescape (PEP 538/540), its stderr with backslashreplace.
ENCODING, ERRORS, STDERR_ERRORS = "utf-8", "surrogateescape", "backslashreplace"

_scripts = ScriptCache()

state.install()
imports.install()
process.install()


# ---------------------------------------------------------------- streams


class ScriptOutput(io.RawIOBase):
    """The script's stdout, below its buffers: the header block goes to
    Apache's parser, the body to the client as it comes (nph-: all of it,
    untouched).  Once the script asks for its descriptor (or starts a
    child), everything goes through an OutputSpool first, so that what the
    script and its children write stays in order."""

    HEADERS, SEND, DISCARD = 0, 1, 2

    def __init__(self, req: Request, nph: bool, lock: threading.Lock) -> None:
        self._req, self._r = req, req._r
        self._lock = lock                   # Apache calls, from the script's threads too
        self._block: Optional[HeaderBlock] = None if nph else HeaderBlock()
        self.state = self.SEND if nph else self.HEADERS
        self.result = C.OK
        self.redirect: Optional[tuple[str, str]] = None    # (action, location)
        self._last: Optional[list] = None   # after the script's exit: body left to send
        self._spool: Optional[OutputSpool] = None
        self.finished = False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        if self._spool is None:
            self._spool = OutputSpool()
        return self._spool.fd

    def write(self, data) -> int:
        n = len(data)
        if self._spool is None:
            self._accept(data)
        else:
            with self._lock:
                self._check()
                self._spool.write(data)
            self.drain()
        return n

    def drain(self) -> None:
        """Forward what the script's children wrote to the descriptor."""
        if self._spool is None:
            return
        with self._lock:
            chunks = [] if self.finished else list(self._spool.take())
        for chunk in chunks:
            self._accept(chunk)

    def _check(self) -> None:
        """Under the lock: a daemon thread of the script, after its request,
        gets what a write to a closed pipe gives."""
        if self.finished:
            raise BrokenPipeError("the CGI request of this stdout has ended")

    def _accept(self, data) -> None:
        with self._lock:
            self._check()
            if self.state == self.SEND:
                self._send(data)
            elif self.state == self.HEADERS:
                done = self._block.feed(data)
                if done is not None:
                    self._headers(*done)

    def exited(self) -> None:
        """The script has exited: what its buffers still hold is the end
        of the body, kept for the shim to send once Python has returned."""
        self._last = []

    def end(self) -> None:
        """The script is done: headers never finished are parsed as they
        are (Apache logs "End of script output before headers"); the end
        of the body goes to the shim."""
        self.drain()
        with self._lock:
            self.finished = True
            if self._spool is not None:
                self._spool.close()
            if self.state == self.HEADERS:
                self._headers(self._block.pending(), b"")
            if self.state == self.SEND and self._last:
                self._req._write_after_phase(b"".join(self._last))

    def _send(self, data) -> None:
        if self._last is not None:
            self._last.append(bytes(data))
            return
        if lib.modpy_rwrite(self._r, ffi.from_buffer(data), len(data), 1) < 0:
            self.state = self.DISCARD
            raise BrokenPipeError("the client closed the connection")

    def _headers(self, block: bytes, rest: bytes) -> None:
        r = self._r
        status = lib.modpy_scan_cgi_headers(r, runtime.module_index, block)
        self.state = self.DISCARD
        if status != C.OK:
            if status == C.HTTP_NOT_MODIFIED:       # a conditional GET the script's headers meet
                r.status = status
            else:
                self.result = status
            return
        location = text(lib.apr_table_get(r.headers_out, b"Location"))
        action = location_action(r.status, location)
        if action in (LOCAL_REDIRECT, CLIENT_REDIRECT):
            self.redirect = (action, location)
            return
        self.state = self.SEND
        if rest:
            self._send(rest)


class ScriptInput(io.RawIOBase):
    """The script's stdin: the request body, read before it started."""

    def __init__(self, body: Body) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        return self._body.readinto(buffer)

    def fileno(self) -> int:
        return self._body.fileno()


class ErrorLog(io.RawIOBase):
    """The script's stderr, below its text layer: one error-log line per
    line written.  Its descriptor is Apache's own stderr, the error log."""

    def __init__(self, req: Request, lock: threading.Lock) -> None:
        self._req = req
        self._lock = lock
        self._pending = b""
        self.finished = False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return 2

    def write(self, data) -> int:
        *lines, self._pending = (self._pending + bytes(data)).split(b"\n")
        for line in lines:
            self._log(line)
        return len(data)

    def flush(self) -> None:
        if self._pending:
            line, self._pending = self._pending, b""
            self._log(line)

    def _log(self, line: bytes) -> None:
        with self._lock:
            if not self.finished:
                self._req.log_error(line.decode(ENCODING, STDERR_ERRORS), C.APLOG_ERR)


class Streams:
    """The three streams of one request, stdin and stderr made on first use."""

    def __init__(self, req: Request, nph: bool, body: Body) -> None:
        self._req, self._body = req, body
        self.lock = threading.Lock()
        self.out = ScriptOutput(req, nph, self.lock)
        self.stdout = io.TextIOWrapper(io.BufferedWriter(self.out, BUFFER_SIZE), ENCODING, ERRORS)
        self.errors: Optional[ErrorLog] = None

    def stdin(self):
        raw = ScriptInput(self._body)
        return io.TextIOWrapper(io.BufferedReader(raw, BUFFER_SIZE), ENCODING, ERRORS)

    def stderr(self):
        self.errors = ErrorLog(self._req, self.lock)
        return io.TextIOWrapper(io.BufferedWriter(self.errors, BUFFER_SIZE), ENCODING, STDERR_ERRORS,
                                line_buffering=True, write_through=True)

    def close(self) -> None:
        """After the script: no stream leads to the request any more."""
        self.out.end()
        if self.errors is not None:
            self.errors.flush()
            with self.lock:
                self.errors.finished = True
        self._body.close()


# ---------------------------------------------------------------- handler


def handler(req: Request) -> int:
    filename = req.filename or ""
    found = _script_file(req, filename)
    if found is None:
        req.log_error(f"script not found or unable to stat: {filename}")
        return C.HTTP_NOT_FOUND
    is_dir, version = found
    if is_dir:
        req.log_error(f"attempt to invoke directory as script: {filename}")
        return C.HTTP_FORBIDDEN
    try:
        code = _scripts.code(filename, version)
    except OSError as e:
        req.log_error(f"script not readable: {filename}: {e.strerror or e}")
        return C.HTTP_FORBIDDEN
    except (SyntaxError, ValueError) as e:
        code = e                            # reported like a script that raised
    return _serve(req, filename, code)


def _script_file(req: Request, filename: str) -> Optional[tuple[bool, tuple]]:
    """(is a directory, the file's version) of the script, None when it is
    not there.  Apache stat()ed it while mapping the URL (r->finfo), as
    mod_cgid relies on; only when a handler has pointed req.filename
    elsewhere since is it stat()ed again."""
    info = req._r.finfo
    if info.fname != NULL and ffi.string(info.fname) == os.fsencode(filename):
        if info.filetype == C.APR_NOFILE:
            return None
        return info.filetype == C.APR_DIR, (info.mtime, info.size, info.inode)
    try:
        st = os.stat(filename)
    except OSError:
        return None
    return stat.S_ISDIR(st.st_mode), (st.st_mtime_ns, st.st_size, st.st_ino)


def _serve(req: Request, filename: str, code) -> int:
    req.add_common_vars()
    lib.modpy_add_cgi_vars(req._r)      # Apache's own, as mod_cgid gives a script
    body, body_error = _read_body(req)
    nph = is_nph(filename)
    if nph:
        req.assbackwards = 1                # no status line or headers from Apache
    streams = Streams(req, nph, body)
    if body_error is not None:              # the request is answered by the body's error
        streams.out.state = ScriptOutput.DISCARD
    ctx = state.Context(_environ(req), script_argv(filename, req.args), streams.stdout,
                        streams.stdin, streams.stderr)
    ctx.after_child = streams.out.drain
    ctx.gate_timeout = req.server.timeout
    directory = ctx.directory = os.path.dirname(filename)
    add_directory(directory)             # where its helper modules are, as for any handler
    try:
        process.directories.enter(directory, ctx.gate_timeout)
    except GateTimeout as e:
        body.close()
        req.log_error(f"CGI script {filename} not run: {e}")
        return C.HTTP_SERVICE_UNAVAILABLE
    except OSError as e:
        body.close()
        req.log_error(f"cannot change to the script's directory {directory}: {e.strerror or e}")
        return C.HTTP_INTERNAL_SERVER_ERROR
    previous = state.activate(ctx)
    try:
        error = _run(code, filename, ctx)
        process.finish(ctx, lambda text: ctx.stream("stderr").write(text))
        streams.out.exited()
        _flush(ctx)
    finally:
        ctx.done = True
        state.activate(previous)
        process.directories.leave(ctx.directory)
    show = error is not None and streams.out.state == ScriptOutput.HEADERS and _debug(req)
    if show:
        streams.out.state = ScriptOutput.DISCARD
    streams.close()
    if body_error is not None:
        raise body_error                    # the dispatcher answers it
    if show:
        raise error                         # PythonDebug: the dispatcher shows it
    return _respond(req, streams.out)


def _read_body(req: Request) -> tuple[Body, Optional[ClientError]]:
    """The whole request body, before the script runs, as mod_cgid writes
    it into the script's pipe before reading its output: the script then
    holds its working directory only while it runs, never while a slow
    client sends.  A body that cannot be read (malformed, too large, cut
    short) ends where it failed, as mod_cgid's pipe would end; its error is
    returned for the handler to answer with."""
    body = Body()
    if "Content-Length" not in req.headers_in and "Transfer-Encoding" not in req.headers_in:
        return body, None
    try:
        while data := req.read(65536):
            body.append(data)
    except ClientError as e:
        return body, e
    return body, None


def _environ(req: Request) -> dict[str, str]:
    """The script's os.environ: what mod_cgid would pass to execve()."""
    length = ffi.new("apr_size_t *")
    joined = lib.modpy_cgi_environment(req._r, length)
    if not length[0]:
        return {}
    return script_environ(ffi.unpack(joined, length[0]).decode(ENCODING, ERRORS).split("\0"))


def _run(code, filename: str, ctx: state.Context) -> Optional[BaseException]:
    """Run the script as a process would; what it raised, or None.  An
    uncaught exception goes to the script's sys.excepthook if it set one
    (cgitb.enable()), else its traceback to its stderr, as Python does."""
    try:
        if isinstance(code, BaseException):
            raise code
        exec(code, main_globals(filename))
    except SystemExit as e:
        if e.code is not None and not isinstance(e.code, int):
            print(e.code, file=ctx.stream("stderr"))
    except process.ProcessExit as e:
        print(f"the script ended its process with {e.how}: its request ends here", file=ctx.stream("stderr"))
    except Exception as e:
        _report(ctx, e)
        return e
    return None


def _report(ctx: state.Context, e: BaseException) -> None:
    hook = ctx.excepthook
    stderr = ctx.stream("stderr")
    if hook is not None:
        try:
            hook(type(e), e, e.__traceback__)
            return
        except Exception as failed:
            print("Error in sys.excepthook:", file=stderr)
            traceback.print_exception(type(failed), failed, failed.__traceback__, file=stderr)
            print("\nOriginal exception was:", file=stderr)
    traceback.print_exception(type(e), e, e.__traceback__, file=stderr)


def _flush(ctx: state.Context) -> None:
    """Flush what the script left in its buffers, as a process's exit does."""
    for stream in ctx.opened():
        try:
            stream.flush()
        except (OSError, ValueError):
            pass


def _respond(req: Request, out: ScriptOutput) -> int:
    if out.redirect is None:
        return out.result
    action, location = out.redirect
    if action == CLIENT_REDIRECT:
        return C.HTTP_MOVED_TEMPORARILY
    r = req._r
    r.method = pstr(r.pool, "GET")          # the redirect is a GET, whatever came in
    r.method_number = C.M_GET
    req.headers_in.pop("Content-Length", None)
    lib.ap_internal_redirect_handler(pstr(r.pool, location, "Location"), r)
    return C.OK


def _debug(req: Request) -> bool:
    return req.get_config().get("PythonDebug") == "1"

