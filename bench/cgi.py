"""A CGI script side by side: modpy's CGI emulation (PythonHandler
mod_python.cgihandler), Debian's mod_python cgihandler, and a real CGI
process per request under mod_cgid.  16 concurrent connections.

Targets: modpy >= 2x mod_python's cgihandler requests/s, >= 50x mod_cgid's,
and no failed request.
"""
from __future__ import annotations

import argparse

import harness as H
from phases import count_syscalls

# One script for all three: a query variable in, headers and 1 KB out.
SCRIPT = '''#!/usr/bin/python3
import os
import sys
from urllib.parse import parse_qs

name = parse_qs(os.environ.get("QUERY_STRING", "")).get("name", ["world"])[0]
body = ("Hello, %s!" % name).ljust(1023, ".") + "\\n"
sys.stdout.write("Content-Type: text/plain\\r\\n")
sys.stdout.write("X-Bench: cgi\\r\\n\\r\\n")
sys.stdout.write(body)
'''
PATH = "/cgi/script.py?name=bench"
EXPECT = b"Hello, bench!...."

CGIHANDLER = '''
<Directory "{htdocs}/cgi">
    SetHandler mod_python
    PythonHandler mod_python.cgihandler
</Directory>
'''

CGID = '''
ScriptSock "{root}/cgid.sock"
<Directory "{htdocs}/cgi">
    Options +ExecCGI
    SetHandler cgi-script
</Directory>
'''


def servers() -> list:
    files = {"cgi/script.py": SCRIPT}
    return [
        H.Server("modpy", CGIHANDLER, PATH, files=files, expect=EXPECT, modpy=True),
        H.Server("mod_python", H.module("python") + "\n" + CGIHANDLER, PATH, files=files, expect=EXPECT),
        H.Server("mod_cgid", H.module("cgid") + "\n" + CGID, PATH, files=files, expect=EXPECT),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    H.add_arguments(parser, connections=16, threads=32)   # spare threads: event MPM drops
                                                           # keep-alives when all are busy
    parser.add_argument("--syscalls", type=int, default=0, metavar="N",
                        help="only count system calls per request of an Apache child over N requests "
                             "(strace -c), beside a static file's (mod_cgid's script runs elsewhere)")
    args = parser.parse_args()
    if args.syscalls:
        opts = H.options(args)
        opts.processes = 1
        files = {"cgi/script.py": SCRIPT, "static.txt": EXPECT.decode()}
        static = H.Server("static", "", "/static.txt", files=files, expect=EXPECT)
        print("\n".join(count_syscalls([static, *servers()[:2]], opts, args.syscalls)))
        return 0
    result = H.compare(servers(), "mod_python", H.options(args), "CGI script, 16 connections")
    s = result["summary"]
    if "modpy" not in s:
        return 0
    ok = H.target("modpy req/s vs mod_python cgihandler", s["modpy"]["rps_ratio"], ">=", 2.0)
    if "mod_cgid" in s:
        ok &= H.target("modpy req/s vs mod_cgid", s["modpy"]["rps"] / s["mod_cgid"]["rps"], ">=", 50.0)
    ok &= H.target("modpy failures", s["modpy"]["failures"], "<=", 0)
    return 0 if ok else 1


if __name__ == "__main__":
    H.run(main)
