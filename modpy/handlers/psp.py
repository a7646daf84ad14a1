"""mod_python.psp: Python Server Pages.

    AddHandler mod_python .psp
    PythonHandler mod_python.psp

`PSP(req, filename=None, string=None, vars={})` compiles a template (see
modpy.handlers.pspparser for the language) and `run()` executes it with the globals
the manual lists: `req`, `psp` (a PSPInterface: set_error_page, apply_data,
redirect), `form` (a FieldStorage, made only if the code names `form`) and
`session` (a Session, made only if the code names `session`; unlocked when
the page ends), plus `vars`.

Compiled templates are cached per interpreter, keyed on the file and the
mtimes of it and of every file it includes; a string template is keyed on
its text.  A failing page raises PSPError naming the template file and
line; with set_error_page, that page runs instead with `exception` set.
"""
from __future__ import annotations

import html
import os
import sys
import threading
import types
from typing import Any, Optional, Union

from modpy import constants as C
from modpy.core.errors import SERVER_RETURN
from modpy.handlers.pspparser import Translation, translate
from modpy.library.util import redirect

_MAX_CACHED = 512
_cache: dict[tuple, tuple[tuple, types.CodeType, Translation]] = {}
_cache_lock = threading.Lock()


class PSPError(Exception):
    """A template that failed, with the template file and line it failed at."""


def _stamps(files: list[str]) -> tuple:
    stamps = []
    for path in files:
        try:
            stamps.append(os.stat(path).st_mtime_ns)
        except OSError:
            stamps.append(None)
    return tuple(stamps)


def compiled(filename: Optional[str] = None, string: Optional[str] = None
             ) -> tuple[types.CodeType, Translation]:
    """The code of a template file (re-translated when it or an include
    changes) or of a template string."""
    key = ("file", filename) if filename is not None else ("string", string)
    hit = _cache.get(key)
    if hit is not None and (filename is None or _stamps(hit[2].files) == hit[0]):
        return hit[1], hit[2]
    if filename is not None:
        try:
            with open(filename, encoding="utf-8", errors="surrogateescape") as f:
                text = f.read()
        except OSError as e:
            raise PSPError(f"cannot read PSP template {filename!r}: {e.strerror or e}") from None
        translation = translate(text, filename)
    else:
        translation = translate(string or "", "<string>")
    try:
        code = compile(translation.source, _code_name(translation), "exec", dont_inherit=True)
    except SyntaxError as e:
        where, line = translation.origin(e.lineno or 0)
        raise PSPError(f"{where}, line {line}: {e.msg} (in the Python of this template)") from None
    except (ValueError, RecursionError, MemoryError) as e:
        # NUL in the code (a ValueError on older Pythons), or nesting
        # deeper than the compiler goes: no line to name, but the template
        raise PSPError(f"{translation.files[0]}: Python cannot compile this template "
                       f"({type(e).__name__}{': ' if str(e) else ''}{e})") from None
    with _cache_lock:
        if len(_cache) >= _MAX_CACHED:
            _cache.pop(next(iter(_cache)))
        _cache[key] = (_stamps(translation.files) if filename is not None else (), code, translation)
    return code, translation


def _code_name(translation: Translation) -> str:
    return f"<psp {translation.files[0]}>"


def _names(code: types.CodeType) -> set:
    """Every global name the template's code (and functions in it) use."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def _failure_line(translation: Translation, exc: BaseException) -> str:
    name, found = _code_name(translation), None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == name:
            found = tb.tb_lineno
        tb = tb.tb_next
    where, line = translation.origin(found or 0)
    return f"{where}, line {line}"


class PSPInterface:
    """The `psp` object a page sees."""

    def __init__(self, page: "PSP") -> None:
        self._page = page

    def set_error_page(self, filename: str) -> None:
        """The page to run if this one fails: an absolute path is under the
        document root, a relative one next to the current page."""
        req = self._page.req
        if os.path.isabs(filename):
            req.add_common_vars()
            root = req.subprocess_env.get("DOCUMENT_ROOT") or "/"
            self._page.error_page = os.path.join(root, filename.lstrip("/"))
        else:
            self._page.error_page = os.path.join(self._page.directory, filename)

    def apply_data(self, obj: Any, **kw) -> Any:
        """Call `obj` with the form fields its arguments name."""
        from modpy.handlers.publisher import call
        return call(self._page.req, obj, kw)

    def redirect(self, location: str, permanent: int = 0) -> None:
        """util.redirect, as mod_python's psp does it."""
        redirect(self._page.req, location, permanent)


class PSP:
    """A compiled template bound to a request."""

    def __init__(self, req, filename: Optional[str] = None, string: Union[str, bytes, None] = None,
                 vars: Optional[dict] = None) -> None:
        if filename is not None and string is not None:
            raise ValueError("PSP takes filename or string, not both")
        if isinstance(string, bytes):           # as template files are read: UTF-8, bytes kept
            string = string.decode("utf-8", "surrogateescape")
        base = os.path.dirname(req.filename or "")
        if filename is None and string is None:
            filename = req.filename
        if filename is not None and not os.path.isabs(filename):
            filename = os.path.join(base, filename)
        self.req = req
        self.filename = filename
        self.directory = os.path.dirname(filename) if filename else base
        self.vars = dict(vars or {})
        self.error_page: Optional[str] = None
        self.code, self.translation = compiled(filename, string)

    def run(self, vars: Optional[dict] = None, flush: int = 0) -> None:
        """Execute the page, writing to the request."""
        req = self.req
        names = _names(self.code)
        scope: dict = {"req": req, "psp": PSPInterface(self)}
        if "form" in names:
            from modpy.handlers.publisher import request_form
            scope["form"] = request_form(req)
        session = None
        if "session" in names:
            from modpy.library.Session import Session
            session = scope["session"] = getattr(req, "session", None) or Session(req)
        scope.update(self.vars)
        scope.update(vars or {})
        try:
            exec(self.code, scope)
        except SERVER_RETURN:
            raise
        except Exception as e:
            if self.error_page is None:
                raise PSPError(f"{_failure_line(self.translation, e)}: "
                               f"{type(e).__name__}: {e}") from e
            page = PSP(req, filename=self.error_page, vars=self.vars)
            page.run(dict(vars or {}, exception=sys.exc_info()))
        finally:
            if session is not None:
                session.unlock()
        if flush:
            req.flush()

    def display_code(self) -> str:
        """The template beside the Python it became, as an HTML table."""
        rows = []
        for line, (where, number) in zip(self.translation.lines, self.translation.origins):
            rows.append(f"<tr><td>{html.escape(os.path.basename(where))}:{number}</td>"
                        f"<td><pre>{html.escape(line)}</pre></td></tr>")
        return ("<html><body><table border=\"1\"><tr><th>template line</th><th>Python</th></tr>\n"
                + "\n".join(rows) + "\n</table></body></html>\n")

    def __str__(self) -> str:
        return self.translation.source


def handler(req) -> int:
    """Serve a .psp file; with PythonDebug On, `page.psp_` shows its code."""
    filename = req.filename or ""
    if filename.endswith("_") and req._config.debug:
        page = PSP(req, filename=filename[:-1])
        req.content_type = "text/html"
        req.write(page.display_code(), 0)
        return C.OK
    if not os.path.isfile(filename):
        return C.HTTP_NOT_FOUND
    page = PSP(req)
    req.content_type = "text/html"
    page.run()
    return C.OK
