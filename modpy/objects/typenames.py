"""mod_python's names for its objects' types.

mod_python's request, connection, server, table and filter objects are C
types named mp_request, mp_conn, mp_server, mp_table and mp_filter, and
code written for it looks at those names (`str(type(req.connection)) ==
"<class 'mp_conn'>"` in mod_python's own test suite, `wsgi.input`'s class
name in WSGI applications).  modpy's classes carry the same names, so such
code runs unchanged (docs/compatibility.md)."""
from __future__ import annotations

from typing import Callable, TypeVar

T = TypeVar("T", bound=type)


def mod_python_type(name: str) -> Callable[[T], T]:
    """Class decorator: the class shows as mod_python's built-in type
    `name` (a C type's repr names no module)."""
    def rename(cls: T) -> T:
        cls.__name__ = cls.__qualname__ = name
        cls.__module__ = "builtins"
        return cls
    return rename
