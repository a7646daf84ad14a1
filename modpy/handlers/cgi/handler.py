"""Legacy CGI scripts run in-process, unchanged: `PythonHandler
mod_python.cgihandler` (or `modpy.handlers.cgi.handler`) over a directory of scripts.

Each request runs the script named by r->filename as `__main__` in fresh
globals, with the environment, argv, stdin, stdout, stderr and working
directory a CGI process would get from mod_cgid (docs/cgi.md).  The
script's output is read as a CGI response by Apache's own header parser,
then streamed to the client while the script runs.

The rules live in pure modules: cgienv (environment, argv), cgiresponse
(end of the header block, Location, nph-), cgistate (per-thread sys/os
views, the working directory), cgicode (compiled scripts).  This module is
the Apache-facing part.
"""
from __future__ import annotations

import io
import os
import stat
import traceback
from typing import Optional

from modpy import constants as C
from modpy.core import runtime
from modpy.core.clienterror import ClientError
from modpy.core.ffi import NULL, ffi, lib, pstr, text
from modpy.handlers.cgi import state as cgistate
from modpy.handlers.cgi.code import ScriptCache, main_globals
from modpy.handlers.cgi.env import script_argv, script_environ
from modpy.handlers.cgi.response import CLIENT_REDIRECT, LOCAL_REDIRECT, HeaderBlock, is_nph, location_action
from modpy.objects.request import Request
from modpy.phases.placement import add_directory

# The block size of a Python process writing to a pipe: the client sees the
# body in the same steps as under mod_cgid, and small prints are batched.
BUFFER_SIZE = io.DEFAULT_BUFFER_SIZE
# A CGI interpreter under Debian's default C locale runs its stdio as UTF-8
# with surrogateescape (PEP 538/540).
ENCODING, ERRORS = "utf-8", "surrogateescape"

_scripts = ScriptCache()
_cwd = cgistate.CwdGate()

cgistate.install()


# ---------------------------------------------------------------- streams


class ScriptOutput(io.RawIOBase):
    """The script's stdout, below its buffers: the header block goes to
    Apache's parser, the body to the client as it comes (nph-: all of it,
    untouched)."""

    HEADERS, SEND, DISCARD = 0, 1, 2

    def __init__(self, req: Request, nph: bool) -> None:
        self._req, self._r = req, req._r
        self._block: Optional[HeaderBlock] = None if nph else HeaderBlock()
        self.state = self.SEND if nph else self.HEADERS
        self.result = C.OK
        self.redirect: Optional[tuple[str, str]] = None    # (action, location)
        self.body_error: Optional[ClientError] = None   # the request body's, if any
        self._last: Optional[list] = None   # after the script's exit: body left to send

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        n = len(data)
        if self.state == self.SEND:
            self._send(data)
        elif self.state == self.HEADERS:
            done = self._block.feed(data)
            if done is not None:
                self._headers(*done)
        return n

    def exited(self) -> None:
        """The script has exited: what its buffers still hold is the end
        of the body, kept for the shim to send once Python has returned."""
        self._last = []

    def end(self) -> None:
        """The script is done: headers never finished are parsed as they
        are (Apache logs "End of script output before headers"); the end
        of the body goes to the shim."""
        if self.state == self.HEADERS:
            self._headers(self._block.pending(), b"")
        if self.state == self.SEND and self._last:
            self._req._write_after_phase(b"".join(self._last))

    def _send(self, data) -> None:
        if self._last is not None:
            self._last.append(bytes(data))
            return
        r = self._r
        if lib.modpy_rwrite(r, ffi.from_buffer(data), len(data), 1) < 0:
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
    """The script's stdin: the request body (Content-Length or chunked).

    A body that cannot be read (malformed, too large, cut short) ends the
    script's input, as mod_cgid's pipe would end; the error is kept for
    the handler, which then drops the script's output: the request is
    answered by the body's error, as under mod_cgid."""

    def __init__(self, req: Request, out: ScriptOutput) -> None:
        self._req = req
        self._out = out

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            data = self._req.read(len(buffer))
        except ClientError as e:
            self._out.body_error = e
            self._out.state = ScriptOutput.DISCARD
            return 0
        buffer[:len(data)] = data
        return len(data)


class ScriptErrors(io.TextIOBase):
    """The script's stderr: one error-log line per line written."""

    def __init__(self, req: Request) -> None:
        self._req = req
        self._pending = ""

    @property
    def encoding(self) -> str:
        return ENCODING

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        *lines, self._pending = (self._pending + s).split("\n")
        for line in lines:
            self._req.log_error(line, C.APLOG_ERR)
        return len(s)

    def flush(self) -> None:
        if self._pending:
            line, self._pending = self._pending, ""
            self._req.log_error(line, C.APLOG_ERR)


def _stdin(req: Request, out: ScriptOutput):
    return io.TextIOWrapper(io.BufferedReader(ScriptInput(req, out), BUFFER_SIZE), ENCODING, ERRORS)


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
    req.add_cgi_vars()
    nph = is_nph(filename)
    if nph:
        req.assbackwards = 1                # no status line or headers from Apache
    out = ScriptOutput(req, nph)
    stdout = io.TextIOWrapper(io.BufferedWriter(out, BUFFER_SIZE), ENCODING, ERRORS)
    ctx = cgistate.Context(_environ(req), script_argv(filename, req.args),
                           stdout, lambda: _stdin(req, out), lambda: ScriptErrors(req))
    directory = os.path.dirname(filename)
    add_directory(directory)             # where its helper modules are, as for any handler
    try:
        _cwd.enter(directory)
    except OSError as e:
        req.log_error(f"cannot change to the script's directory {directory}: {e.strerror or e}")
        return C.HTTP_INTERNAL_SERVER_ERROR
    previous = cgistate.activate(ctx)
    try:
        error = _run(code, filename, ctx)
        out.exited()
        _close(ctx)
    finally:
        cgistate.activate(previous)
        _cwd.leave()
    if out.body_error is not None:
        raise out.body_error                # the dispatcher answers it
    if error is not None and out.state == out.HEADERS and _debug(req):
        raise error                         # PythonDebug: the dispatcher shows it
    out.end()
    return _respond(req, out)


def _environ(req: Request) -> dict[str, str]:
    """The script's os.environ: what mod_cgid would pass to execve()."""
    length = ffi.new("apr_size_t *")
    joined = lib.modpy_cgi_environment(req._r, length)
    if not length[0]:
        return {}
    return script_environ(ffi.unpack(joined, length[0]).decode(ENCODING, ERRORS).split("\0"))


def _run(code, filename: str, ctx: cgistate.Context) -> Optional[BaseException]:
    """Run the script as a process would; what it raised, or None.  The
    traceback goes to its stderr (the error log), as Python prints it."""
    try:
        if isinstance(code, BaseException):
            raise code
        exec(code, main_globals(filename))
    except SystemExit as e:
        if e.code is not None and not isinstance(e.code, int):
            print(e.code, file=ctx.stderr)
    except Exception as e:
        traceback.print_exception(type(e), e, e.__traceback__, file=ctx.stderr)
        return e
    return None


def _close(ctx: cgistate.Context) -> None:
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
    _drain(req)
    r = req._r
    r.method = pstr(r.pool, "GET")          # the redirect is a GET, whatever came in
    r.method_number = C.M_GET
    req.headers_in.pop("Content-Length", None)
    lib.ap_internal_redirect_handler(pstr(r.pool, location, "Location"), r)
    return C.OK


def _drain(req: Request) -> None:
    """Read what is left of the request body (mod_cgid gave it all to the
    script), so the redirected request finds none."""
    try:
        while req.read(65536):
            pass
    except OSError:
        pass


def _debug(req: Request) -> bool:
    return req.get_config().get("PythonDebug") == "1"
