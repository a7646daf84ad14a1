"""Hello world side by side: modpy, Debian's mod_python, mod_wsgi (embedded)
and a static file of the same size.

The same handler module runs under modpy and mod_python.  Targets (the
foundation issue): modpy >= 0.8x mod_python's requests/s and <= 1.25x its
CPU per request; beyond that, beat it.
"""
from __future__ import annotations

import argparse

import harness as H

BODY = b"Hello, world! modpy bench.\n"

HANDLER = f'''
from mod_python import apache

def handler(req):
    req.content_type = "text/plain"
    req.write({BODY!r})
    return apache.OK
'''

WSGI_APP = f'''
def application(environ, start_response):
    body = {BODY!r}
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
'''

PYTHON_SECTION = '''
<Directory "{htdocs}/app">
    SetHandler mod_python
    PythonHandler hello
    PythonAutoReload %s
</Directory>
'''


def python_handler_servers(files: dict, path: str, expect: bytes, autoreload: str = "On",
                           extra: str = "") -> list:
    """modpy and mod_python serving the same files with the same section."""
    section = PYTHON_SECTION % autoreload + extra
    return [
        H.Server("modpy", section, path, files=files, expect=expect, modpy=True),
        H.Server("mod_python", H.module("python") + "\n" + section, path, files=files, expect=expect),
    ]


def servers(autoreload: str) -> list:
    return python_handler_servers({"app/hello.py": HANDLER}, "/app/hello.py", BODY, autoreload) + [
        H.Server("mod_wsgi", H.module("wsgi") + '\nWSGIScriptAlias /wsgi "{htdocs}/wsgi/app.wsgi"\n',
                 "/wsgi", files={"wsgi/app.wsgi": WSGI_APP}, expect=BODY),
        H.Server("static", "", "/static.txt", files={"static.txt": BODY}, expect=BODY),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    H.add_arguments(parser)
    parser.add_argument("--autoreload", default="On", choices=("On", "Off"),
                        help="PythonAutoReload for modpy and mod_python (mod_python's default: On)")
    args = parser.parse_args()
    result = H.compare(servers(args.autoreload), "mod_python", H.options(args),
                       f"hello world, PythonAutoReload {args.autoreload}")
    s = result["summary"]["modpy"]
    ok = H.target("modpy req/s vs mod_python", s["rps_ratio"], ">=", 0.8)
    ok &= H.target("modpy CPU/req vs mod_python", s["cpu_ratio"], "<=", 1.25)
    ok &= H.target("modpy failures", s["failures"], "<=", 0)
    return 0 if ok else 1


if __name__ == "__main__":
    H.run(main)
