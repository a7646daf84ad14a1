"""What `python -m modpy serve TARGET` serves: the config for a handler
module, a config snippet or a directory, and the front page shown at `/`
when the site has none.  Pure, but for reading the target's directory.

TARGET is one of
  * a handler module `app.py`: every URL goes to its `handler(req)`;
  * a config snippet `site.conf`: included as is; `${MODPY_SITE}` in it is the
    snippet's own directory (an Apache `Define`, so the same snippet works in
    a system httpd.conf after `Define MODPY_SITE /its/dir`);
  * a directory: its `site.conf` if it has one; else the directory is the
    document root and each `NAME.py` in it is a handler at `/NAME.py`.
"""
from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass, field
from typing import Optional

SITE_VARIABLE = "MODPY_SITE"
SITE_FILE = "site.conf"
LOCATION = re.compile(r"^\s*<Location(?:Match)?\s+\"?([^\">\s]+)", re.M | re.I)


@dataclass
class Site:
    """What to put into the generated httpd.conf for one TARGET."""

    body: str
    directory: str                          # the site's own files: watched by --reload-on-changes
    document_root: Optional[str] = None     # None: an empty htdocs in the server's directory
    paths: list = field(default_factory=list)   # URLs the front page lists
    front_page: bool = True                 # False: the site answers / itself (a lone handler)


def site_for(target: str) -> Site:
    """The config for a .py handler, a .conf snippet or a directory."""
    target = os.path.abspath(target)
    if os.path.isdir(target):
        conf = os.path.join(target, SITE_FILE)
        return snippet_site(conf) if os.path.isfile(conf) else directory_site(target)
    if not os.path.exists(target):
        raise ValueError(f"no such file or directory: {target}")
    if not os.path.isfile(target):
        raise ValueError(f"{target}: not a regular file or a directory")
    if target.endswith(".py"):
        return handler_site(target)
    if target.endswith(".conf"):
        return snippet_site(target)
    raise ValueError(f"{target}: expected a handler module (.py), a config snippet (.conf) or a directory")


def handler_site(path: str) -> Site:
    """One module answers every URL: its directory is the document root, so
    the module is found as a file of the section (mod_python's rule)."""
    directory, name = os.path.split(path)
    module = name[:-3]
    if not module.isidentifier():
        raise ValueError(f"{path}: {module!r} is not a Python module name")
    return Site(directory=directory, document_root=directory, front_page=False, body="\n".join([
        f'<Directory "{directory}">',
        "    SetHandler mod_python",
        f"    PythonHandler {module}",
        "</Directory>",
    ]))


def snippet_site(path: str) -> Site:
    directory = os.path.dirname(path)
    with open(path, errors="replace") as f:
        paths = sorted(set(LOCATION.findall(f.read())))
    return Site(directory=directory, paths=paths, body="\n".join([
        f'Define {SITE_VARIABLE} "{directory}"',
        f'Include "{path}"',
    ]))


def directory_site(directory: str) -> Site:
    """Static files as they are, each top-level NAME.py a handler."""
    handlers = sorted(n for n in os.listdir(directory) if n.endswith(".py") and n[:-3].isidentifier())
    lines = [f'<Directory "{directory}">']
    for name in handlers:
        lines += [f'    <Files "{name}">', "        SetHandler mod_python",
                  f"        PythonHandler {name[:-3]}", "    </Files>"]
    lines.append("</Directory>")
    return Site(directory=directory, document_root=directory, paths=[f"/{n}" for n in handlers],
                body="\n".join(lines))


def front_page(target: str, site: Site) -> str:
    """The page at `/` when the site has none of its own: what is served."""
    items = "\n".join(f'<li><a href="{html.escape(p)}">{html.escape(p)}</a></li>' for p in site.paths)
    return "\n".join([
        "<!DOCTYPE html>",
        '<html><head><meta charset="utf-8"><title>modpy serve</title></head><body>',
        f"<h1>modpy serve: {html.escape(target)}</h1>",
        "<p>This site has no page at <code>/</code>; it serves:</p>" if site.paths
        else "<p>This site has no page at <code>/</code>.</p>",
        f"<ul>\n{items}\n</ul>" if site.paths else "",
        "</body></html>",
        "",
    ])
