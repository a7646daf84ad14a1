"""WSGI hello world side by side: modpy's WSGI handler (PythonHandler
mod_python.wsgi) and mod_wsgi in embedded mode.

Target: modpy >= 1.0x mod_wsgi's requests/s.
"""
from __future__ import annotations

import argparse

import harness as H
from hello import BODY, WSGI_APP

MODPY = '''
<Location "/wsgi">
    SetHandler mod_python
    PythonHandler mod_python.wsgi
    PythonPath "['{htdocs}/wsgiapp'] + sys.path"
    PythonOption mod_python.wsgi.application app::application
</Location>
'''
MOD_WSGI = '''
WSGIScriptAlias /wsgi "{htdocs}/wsgiapp/app.py"
'''


def servers() -> list:
    files = {"wsgiapp/app.py": WSGI_APP}
    return [
        H.Server("modpy", MODPY, "/wsgi", files=files, expect=BODY, modpy=True),
        H.Server("mod_wsgi", H.module("wsgi") + "\n" + MOD_WSGI, "/wsgi", files=files, expect=BODY),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    H.add_arguments(parser)
    args = parser.parse_args()
    result = H.compare(servers(), "mod_wsgi", H.options(args), "WSGI hello world")
    if "modpy" not in result["summary"]:
        return 0
    s = result["summary"]["modpy"]
    ok = H.target("modpy req/s vs mod_wsgi", s["rps_ratio"], ">=", 1.0)
    ok &= H.target("modpy failures", s["failures"], "<=", 0)
    return 0 if ok else 1


if __name__ == "__main__":
    H.run(main)
