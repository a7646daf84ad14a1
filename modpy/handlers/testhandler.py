"""mod_python.testhandler: a page that shows an installation works.

    <Location /mpinfo>
        SetHandler mod_python
        PythonHandler mod_python.testhandler
    </Location>

It shows the versions (modpy, the mod_python API, Python, Apache), the
request, its configuration and options, the form fields, the CGI
variables and the configuration tree, every value HTML-escaped.  Unlike
mod_python's, it never shows the error log (`?view_log`): the log holds
other requests' data.  Put it behind access control, as any status page.
"""
from __future__ import annotations

import html
import sys

from modpy import __version__
from modpy.library import apache, util
from modpy.library.version import version as api_version

_REQUEST_MEMBERS = ("the_request", "method", "protocol", "hostname", "uri", "unparsed_uri",
                    "filename", "path_info", "args", "interpreter", "phase", "handler",
                    "content_type", "user", "ap_auth_type")


def _table(title: str, rows) -> str:
    cells = "".join(f"<tr><td><code>{html.escape(str(k))}</code></td>"
                    f"<td><code>{html.escape(str(v))}</code></td></tr>\n" for k, v in rows)
    return f"<h2>{html.escape(title)}</h2>\n<table border=\"1\">\n{cells}</table>\n"


def _tree(tree, level: int = 0) -> list[str]:
    lines = []
    for entry in tree:
        if isinstance(entry, list):
            lines += _tree(entry, level + 1)
        else:
            lines.append("    " * level + " ".join(str(part) for part in entry))
    return lines


def handler(req) -> int:
    form = util.FieldStorage(req)
    req.add_common_vars()
    req.content_type = "text/html; charset=utf-8"
    versions = [("modpy", __version__), ("mod_python API", api_version),
                ("Python", sys.version), ("Apache", apache.version),
                ("interpreter", req.interpreter)]
    parts = [
        "<!DOCTYPE html><html><head><title>modpy test page</title></head><body>\n",
        "<h1>modpy works</h1>\n",
        _table("Versions", versions),
        _table("Request", [(name, getattr(req, name)) for name in _REQUEST_MEMBERS]),
        _table("req.get_config()", req.get_config().items()),
        _table("req.get_options()", req.get_options().items()),
        _table("Form fields", [(f.name, f.value if f.filename is None else f.filename) for f in form.list]),
        _table("req.subprocess_env", req.subprocess_env.items()),
        _table("sys.path", enumerate(sys.path)),
        "<h2>apache.config_tree()</h2>\n<pre>",
        html.escape("\n".join(_tree(apache.config_tree()))),
        "</pre>\n</body></html>\n",
    ]
    req.write("".join(parts))
    return apache.OK
