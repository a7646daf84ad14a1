"""SERVER_RETURN, and how a failed handler is reported.

Pure: `describe` builds the log lines and the PythonDebug page text; the
dispatcher decides where they go.
"""
from __future__ import annotations

import html
import traceback
from typing import Optional


class OutsideApache(ImportError):
    """A part of modpy that needs Apache was imported where no Apache has
    loaded the cffi library: a test run, a script importing a handler."""


class SERVER_RETURN(Exception):
    """Raise to end the phase with a status: `raise apache.SERVER_RETURN(
    apache.HTTP_FORBIDDEN)`, or with `(result, status)` to set req.status
    too, as mod_python does."""


def server_return_value(exc: SERVER_RETURN) -> tuple[object, Optional[int]]:
    """(result, status to set or None) from a SERVER_RETURN's arguments."""
    args = exc.args
    if len(args) == 1 and isinstance(args[0], tuple):
        args = args[0]
    if len(args) == 2:
        return args[0], args[1]
    if len(args) == 1:
        return args[0], None
    return 0, None


def describe(phase: str, handler: str, origin: str, request_line: Optional[str],
             exc: BaseException) -> tuple[str, list[str]]:
    """(headline, traceback lines) for a handler that raised."""
    lines = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).splitlines()
    return headline(phase, handler, origin, request_line, exc), lines


def headline(phase: str, handler: str, origin: str, request_line: Optional[str],
             exc: BaseException) -> str:
    """One line for a handler that raised: which, configured where, on what."""
    where = f" (configured at {origin})" if origin else ""
    return f"{phase} {handler}{where} failed for {request_line!r}: {type(exc).__name__}: {exc}"


def error_page(headline: str, lines: list[str], accept: str) -> tuple[str, str]:
    """(content type, body) of the PythonDebug page: HTML for a browser
    (its Accept names text/html), plain text for curl and scripts."""
    if "text/html" in accept:
        return ("text/html; charset=utf-8",
                "<!DOCTYPE html><html><head><title>modpy: handler error</title></head><body>"
                f"<h1>modpy: handler error</h1><p><b>{html.escape(headline)}</b></p>"
                f"<pre>{html.escape(chr(10).join(lines))}</pre></body></html>\n")
    return "text/plain; charset=utf-8", "\n".join(["modpy: " + headline, ""] + lines) + "\n"


def error_tail(headline: str, lines: list[str]) -> str:
    """The PythonDebug text to follow a response already begun, as
    mod_python appends its traceback: escaped, since the page may be HTML."""
    text = html.escape("\n".join(["modpy: " + headline, ""] + lines))
    return f"\n<pre>\n{text}\n</pre>\n"
