"""cProfile of modpy's request path under load (hello world, the members
handler, or the CGI script).

Starts one modpy server whose child wraps `modpy.phases.request.phase` in a
profiler (through PythonImport), drives it with wrk, and prints the
functions by own time.  Profiled requests are serialized by a lock: the
numbers are for finding where time goes, not for comparing speed.
"""
from __future__ import annotations

import argparse
import cgi
import os
import pstats
import sys
import time

import harness as H
import members
from hello import BODY, HANDLER, PYTHON_SECTION

PROFILER = '''
import cProfile, threading
from modpy.phases import request as dispatch

_profile = cProfile.Profile()
_lock = threading.Lock()
_inner = dispatch.phase
_count = [0]

def phase(r, which, config_id):
    with _lock:
        _profile.enable()
        try:
            return _inner(r, which, config_id)
        finally:
            _profile.disable()
            _count[0] += 1
            if _count[0] % 2000 == 0:
                _profile.dump_stats(OUT)

dispatch.phase = phase
'''


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--autoreload", default="On", choices=("On", "Off"))
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--handler", default="hello", choices=("hello", "members", "cgi"))
    args = parser.parse_args()
    def write_profiler(server: H.Server) -> None:
        with open(os.path.join(server.htdocs, "prof.py"), "w") as f:
            f.write(f"OUT = {os.path.join(server.root, 'prof.out')!r}\n" + PROFILER)

    section, path, files, expect = {
        "hello": (PYTHON_SECTION % args.autoreload, "/app/hello.py", {"app/hello.py": HANDLER}, BODY),
        "members": (PYTHON_SECTION % args.autoreload, "/app/hello.py", {"app/hello.py": members.HANDLER},
                    members.EXPECT),
        "cgi": (cgi.CGIHANDLER, cgi.PATH, {"cgi/script.py": cgi.SCRIPT}, cgi.EXPECT),
    }[args.handler]
    server = H.Server("modpy", "PythonImport {htdocs}/prof.py main_interpreter\n" + section, path,
                      files=files, expect=expect, modpy=True, setup=write_profiler)
    with H.Fleet([server], H.Options(threads=4)):
        H.run_wrk(server, args.seconds, 4)
        time.sleep(0.5)
        path = os.path.join(server.root, "prof.out")
        if not os.path.exists(path):
            print(server.error_log()[-3000:])
            return 1
        stats = pstats.Stats(path)
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
