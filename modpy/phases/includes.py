"""Server-side includes: `<!--#python exec="code" -->` and
`<!--#python eval="expression" -->` in a page mod_include parses, as
mod_python offers them (the shim registers the `python` element with
mod_include and forwards each one here).

The code runs with `req.ssi_globals` as its globals (a dict the request's
handlers may fill first, made empty otherwise), in which `filter` writes
into the page where the element stood (and `filter.req` is the request)
and `__file__` is the page.  eval writes the str() of its value unless it
is None.  A failure is logged like a handler's and the page shows
mod_include's error text in the element's place.
"""
from __future__ import annotations

from typing import Union

from modpy import constants as C
from modpy.config.grammar import parse_handler
from modpy.config.model import HandlerEntry
from modpy.core.ffi import data_bytes, lib
from modpy.objects import brigade
from modpy.objects.request import wrap
from modpy.phases.placement import log_failure

_ENTRY = HandlerEntry(parse_handler("ssi"), "<!--#python -->")   # how the log names a failure


class IncludeOutput:
    """The `filter` an include's code writes with: into mod_include's
    brigade, where the element stood."""

    def __init__(self, bb, req) -> None:
        self._bb = bb
        self.req = req

    def write(self, data: Union[str, bytes]) -> None:
        brigade.append(self._bb, data_bytes(data, "filter.write() data"))

    def flush(self) -> None:
        """Nothing to do: mod_include passes the page on itself."""


def run(f, bb, tag: bytes, value: bytes) -> int:
    """One element: OK, or an error for mod_include to show."""
    req = wrap(f.r)
    kind = tag.decode("latin-1")
    code = value.decode("utf-8", "surrogateescape").replace("\r\n", "\n").strip()
    try:
        scope = req.ssi_globals
        if scope is None:
            scope = req.ssi_globals = {}
        out = scope["filter"] = IncludeOutput(bb, req)
        scope["__file__"] = req.filename
        if kind == "eval":
            result = eval(code, scope)
            if result is not None:
                out.write(str(result))
        elif kind == "exec":
            exec(code, scope)
        else:
            raise ValueError(f"<!--#python --> takes exec= or eval=, not {kind}=")
    except Exception as e:
        log_failure("SSI", _ENTRY, e, req.the_request)
        return C.HTTP_INTERNAL_SERVER_ERROR
    return lib.APR_SUCCESS
