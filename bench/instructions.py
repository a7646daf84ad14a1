"""Instructions per request, counted by callgrind: modpy beside mod_python
(and other modpy builds with --against) for the hello, members and CGI
handlers and bench/phases.py's cases (location, server, phases1 ...), and
beside mod_wsgi for a WSGI hello world; each server a single-process Apache
(apache2 -X) under valgrind, and a static file's request as the baseline
that what each module adds is measured above.

The counts repeat to within a few hundred instructions for the same build,
config and requests, whatever else the machine is doing, where times on a
shared 2-core VM move by 10%: judge a change to the hot path here first,
then confirm it with the timed benches (hello.py, members.py, cgi.py).
They are user-space instructions only: the kernel's share of a request
(network, context switches, GIL hand-offs) is not in them, and neither are
cache misses, so the ratios here are larger than the CPU ratios there.
"""
from __future__ import annotations

import argparse
import glob
import http.client
import os
import shutil
import subprocess
import tempfile
import time
from cgi import servers as cgi_servers

import harness as H
import phases
import wsgi
from hello import BODY, HANDLER, python_handler_servers
from members import EXPECT as MEMBERS_EXPECT
from members import HANDLER as MEMBERS_HANDLER


def handler_servers(which: str) -> list:
    if which == "wsgi":
        return wsgi.servers()
    if which == "cgi":
        return [s for s in cgi_servers() if s.name != "mod_cgid"]
    if which in phases.CASES:                 # bench/phases.py's cases: hello with more phases ...
        chosen = [s for s in phases.servers([which]) if s.name in (f"modpy:{which}", f"mod_python:{which}")]
        for s in chosen:
            s.name = s.name.split(":")[0]
        return chosen
    handler, expect = {"hello": (HANDLER, BODY), "members": (MEMBERS_HANDLER, MEMBERS_EXPECT)}[which]
    return python_handler_servers({"app/hello.py": handler}, "/app/hello.py?a=1&b=2", expect)


def get(port: int, path: str, n: int) -> None:
    """n requests on one keep-alive connection, each of which must be a 200."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        for _ in range(n):
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise H.BenchError(f"GET {path}: {response.status}")
    finally:
        conn.close()


def count(server: H.Server, base: str, warmup: int, requests: int) -> float:
    """Instructions per request, over `requests` requests after `warmup`."""
    server.start(base, "event", 1, 4)      # writes the config (and checks it serves)
    server.stop()
    out = os.path.join(server.root, "callgrind.out")
    proc = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                             H.find_apache(), "-X", "-f", os.path.join(server.root, "httpd.conf")],
                            env=H.CLEAN_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        server.proc = proc
        deadline = time.monotonic() + 120
        while True:
            try:
                get(server.port, server.path, 1)
                break
            except (OSError, http.client.HTTPException):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise H.BenchError(f"{server.name}: Apache under valgrind did not come up\n"
                                       f"{server.error_log()}") from None
                time.sleep(0.5)
        get(server.port, server.path, warmup)
        subprocess.run(["callgrind_control", "--zero", str(proc.pid)], check=True, capture_output=True)
        get(server.port, server.path, requests)
        subprocess.run(["callgrind_control", "--dump", str(proc.pid)], check=True, capture_output=True)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:     # mod_wsgi under valgrind may hang in its exit
            proc.kill()
            proc.wait()
    dumps = sorted(glob.glob(out + ".*"), key=os.path.getmtime)
    with open(dumps[0]) as f:
        total = next(int(line.split()[1]) for line in f if line.startswith(("summary:", "totals:")))
    return total / requests


def report(counts: dict, reference: str) -> list[str]:
    """Each server's count, what it adds above the static file, and that
    addition against the reference module's (ratios of totals hide the gap:
    the static file is much of a small request)."""
    static = counts["static"]
    lines = [f"  {'server':>16} {'total':>9} {'+ static':>10}   {'addition x ' + reference}"]
    for name, n in counts.items():
        added = n - static
        ratio = "" if name == "static" else f"{added / (counts[reference] - static):5.2f}"
        lines.append(f"  {name:>16} {n / 1000:7.1f} k {added / 1000:+8.1f} k   {ratio}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("handler", nargs="?", default="members",
                        choices=("hello", "members", "cgi", "wsgi", *(c for c in phases.CASES if c != "hello")))
    parser.add_argument("--requests", type=int, default=200, help="requests counted per server")
    parser.add_argument("--warmup", type=int, default=30, help="requests before counting")
    parser.add_argument("--against", help="comma-separated source trees of other modpy builds")
    args = parser.parse_args()
    for tool in ("valgrind", "callgrind_control"):
        if shutil.which(tool) is None:
            raise H.BenchError(f"{tool} is missing (Debian: apt-get install valgrind)")
    servers = handler_servers(args.handler)
    servers += H.other_builds(servers, args.against)
    servers.insert(0, phases.servers([])[0])      # the static file: what each module adds is above it
    base = tempfile.mkdtemp(prefix="modpy-instructions-")
    try:
        counts = {s.name: count(s, base, args.warmup, args.requests) for s in servers}
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"{args.handler}: instructions per request (callgrind, apache2 -X, {args.requests} requests)")
    for line in report(counts, "mod_wsgi" if "mod_wsgi" in counts else "mod_python"):
        print(line)
    return 0


if __name__ == "__main__":
    H.run(main)
