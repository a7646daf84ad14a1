"""mod_python's `util` module: FieldStorage, parse_qs, parse_qsl, redirect,
apply_fs_data (the manual's "util -- Miscellaneous Utilities").

`from mod_python import util` gives this module.  The parsing itself is
pure and lives in modpy.library.formdata; this module reads the request.
"""
from __future__ import annotations

import html
import inspect
from typing import Any, Optional

from modpy import constants as C
from modpy.core.errors import SERVER_RETURN
from modpy.library.formdata import (  # noqa: F401
    Budget,
    Field,
    FieldList,
    FormError,
    FormFields,
    Limits,
    StringField,
    boundary_of,
    multipart_fields,
    parse_header,
    parse_qs,
    parse_qsl,
    read_all,
    urlencoded_fields,
)

__all__ = ["FieldStorage", "Field", "FieldList", "StringField", "parse_qs", "parse_qsl", "redirect",
           "apply_fs_data"]


class FieldStorage(FormFields):
    """The form data of a request: the query string's fields, then those of
    a POST body (application/x-www-form-urlencoded or multipart/form-data).

    The body is consumed here: make one per request (the publisher keeps
    it as req.form).  file_callback(filename) makes the file an upload is
    written to; field_callback() makes the one for any other multipart
    input.  A malformed form ends the request with 400, one past its limits
    (formdata.Limits: PythonOption mod_python.form.max_fields, .max_size,
    .max_files) with 413, a body of another type with 501, a POST with no
    length with 411."""

    def __init__(self, req, keep_blank_values=0, strict_parsing=0,
                 file_callback=None, field_callback=None) -> None:
        super().__init__()
        budget = Budget(Limits.from_options(req.get_options()))
        try:
            if req.args:
                self.list.extend(urlencoded_fields(req.args, keep_blank_values, strict_parsing,
                                                   budget))
            if req.method == "POST":
                self.list.extend(self._body_fields(req, keep_blank_values, strict_parsing,
                                                   file_callback, field_callback, budget))
        except FormError as e:
            req.log_error(f"FieldStorage: {e}", C.APLOG_INFO)
            raise SERVER_RETURN(e.status) from None

    @staticmethod
    def _body_fields(req, keep_blank_values, strict_parsing, file_callback, field_callback,
                     budget):
        headers = req.headers_in
        if "Content-Length" not in headers and "Transfer-Encoding" not in headers:
            raise SERVER_RETURN(C.HTTP_LENGTH_REQUIRED)
        ctype = headers.get("Content-Type") or "application/x-www-form-urlencoded"
        kind = parse_header(ctype)[0]
        if kind == "application/x-www-form-urlencoded":
            declared = headers.get("Content-Length", "")
            if declared.isdigit():             # too long: refused before a byte is read
                budget.check_bytes(int(declared))
            return urlencoded_fields(read_all(req.read, budget), keep_blank_values,
                                     strict_parsing, budget)
        if kind == "multipart/form-data":
            return multipart_fields(req.read, boundary_of(ctype), file_callback, field_callback,
                                    budget)
        req.log_error(f"FieldStorage: cannot parse a body of type {kind!r}", C.APLOG_INFO)
        raise SERVER_RETURN(C.HTTP_NOT_IMPLEMENTED)


def redirect(req, location: str, permanent: int = 0, text: Optional[str] = None) -> None:
    """Send the client to `location` (301 when permanent, else 302) with a
    short page, then end the request: raises SERVER_RETURN(DONE), so no
    later phase or stacked handler runs.  IOError once headers are sent.
    As mod_python: the content type is left as it is, the page's words are
    mod_python's; unlike it, the location is HTML-escaped in the page."""
    if req.sent_bodyct or req.bytes_sent:
        raise IOError("Cannot redirect after headers have already been sent.")
    if any(c in location for c in "\r\n\0"):
        raise ValueError("a redirect location must not contain CR, LF or NUL")
    req.err_headers_out["Location"] = location
    req.status = C.HTTP_MOVED_PERMANENTLY if permanent else C.HTTP_MOVED_TEMPORARILY
    if text is None:
        href = html.escape(location, quote=True)
        text = f'<p>The document has moved <a href="{href}">here</a></p>\n'
    req.write(text)
    raise SERVER_RETURN(C.DONE)


def form_arguments(func: Any, fs, args: dict) -> tuple[dict, list[str]]:
    """The keyword arguments to call `func` with: the fields of `fs` its
    parameters name (a field given several times as their list), then
    `args`, which win; all of them when it takes **kwargs.  And the names of
    the parameters without a default that nothing gives."""
    params = inspect.signature(func).parameters
    takes_all = any(p.kind is p.VAR_KEYWORD for p in params.values())
    wanted = [n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    kwargs: dict = {}
    if fs is not None and (takes_all or any(n not in args for n in wanted)):
        for name in (fs.keys() if takes_all else [n for n in wanted if n not in args]):
            if name in fs:
                values = fs.getlist(name)
                kwargs[name] = values[0] if len(values) == 1 else values
    kwargs.update(args if takes_all else {k: v for k, v in args.items() if k in params})
    return kwargs, [n for n in wanted if n not in kwargs and params[n].default is params[n].empty]


def apply_fs_data(object: Any, fs, **args) -> Any:
    """Call `object` with the form fields of `fs` its arguments name and
    `args` (mod_python's, which the publisher uses): a callable whose
    signature cannot be read is called without arguments."""
    try:
        kwargs, _ = form_arguments(object, fs, args)
    except (TypeError, ValueError):
        return object()
    return object(**kwargs)
