"""Apache's parsed configuration tree (ap_conftree) as Python data:
apache.config_tree(), and the `Require` lines req.requires() reports.

The tree is built in the config pool and stays for the life of the
generation, so reading it while serving is safe.
"""
from __future__ import annotations

import fnmatch
from typing import Optional

_SECTIONS = {"<directory": "filename", "<location": "uri", "<files": "basename"}


def config_tree() -> list:
    """[(directive, args), ...] with sections as (directive, args, [children])."""
    from modpy.core.ffi import lib
    return _walk(lib.ap_conftree)


def _walk(node) -> list:
    from modpy.core.ffi import NULL, text
    out = []
    while node != NULL:
        if node.first_child != NULL:
            out.append((text(node.directive), text(node.args), _walk(node.first_child)))
        else:
            out.append((text(node.directive), text(node.args)))
        node = node.next
    return out


def requires_for(uri: Optional[str], filename: Optional[str], tree: Optional[list] = None) -> tuple:
    """The arguments of every `Require` in the server's top level and in
    the <Directory>, <Location> and <Files> sections (plain or wildcard
    paths) that match the request, outermost first.  Regex sections (~)
    and .htaccess files are not read."""
    found: list[str] = []
    _collect(config_tree() if tree is None else tree, {"uri": uri or "", "filename": filename or "",
                             "basename": (filename or "").rsplit("/", 1)[-1]}, found)
    return tuple(found)


def _collect(nodes: list, where: dict, found: list) -> None:
    for node in nodes:
        name = node[0].lower()
        if name == "require":
            found.append(node[1])
        elif len(node) == 3 and name in _SECTIONS:
            pattern = node[1].rstrip(">").strip().strip('"')
            if _matches(pattern, where[_SECTIONS[name]], name == "<files"):
                _collect(node[2], where, found)
        elif len(node) == 3 and name in ("<requireall", "<requireany", "<requirenone"):
            _collect(node[2], where, found)


def _matches(pattern: str, value: str, whole: bool) -> bool:
    if not value or pattern.startswith("~"):
        return False
    if any(ch in pattern for ch in "*?["):
        return fnmatch.fnmatchcase(value, pattern) or fnmatch.fnmatchcase(value, pattern.rstrip("/") + "/*")
    if whole:
        return value == pattern
    base = pattern.rstrip("/")
    return value == base or value.startswith(base + "/")
