"""What a Python phase adds to a request, above a static file: modpy beside
Debian's mod_python, side by side in one run, under one MPM.

Every server has the same lean configuration (bench/harness.py: the same
modules, logs and worker settings); `static` serves a file with no Python
module loaded, `static+modpy` the same file with modpy loaded (a phase
with no Python handler must cost nothing).  For each case the report gives
CPU per request and, what matters, the addition above `static`, and the
ratio of modpy's addition to mod_python's (ratios of totals hide the gap:
the static file is most of a small request).  With --syscalls, it also
counts the system calls per request of each server's child with
`strace -c` over a counted run (one child; --mpm prefork is the clearest).

    python phases.py [--mpm event|prefork] [--cases hello,location,server,phases1,...] [--syscalls N]
    python phases.py --rounds 0 --syscalls 200 --mpm prefork     # system calls only
"""
from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import subprocess
import time

import harness as H

BODY = b"Hello, world! modpy phases.\n"

HANDLERS = f'''
from mod_python import apache

def handler(req):
    req.content_type = "text/plain"
    req.method, req.uri, req.args
    req.write({BODY!r})
    return apache.OK

def noop(req):
    return apache.OK

def declined(req):
    return apache.DECLINED
'''

# The no-op phases added one by one to the hello handler (each returns OK,
# the type phase DECLINED so that mod_mime still types the response).
EXTRA_PHASES = ["PythonHeaderParserHandler phases::noop", "PythonAccessHandler phases::noop",
                "PythonTypeHandler phases::declined", "PythonFixupHandler phases::noop",
                "PythonLogHandler phases::noop", "PythonCleanupHandler phases::noop"]


def section(kind: str, extra: list) -> str:
    """The hello handler in a <Directory> or a <Location>, with `extra`
    directives."""
    lines = "\n    ".join(["SetHandler mod_python", "PythonHandler phases", *extra])
    if kind == "location":
        return f'PythonPath "sys.path + [\'{{htdocs}}/app\']"\n<Location "/loc">\n    {lines}\n</Location>\n'
    return f'<Directory "{{htdocs}}/app">\n    {lines}\n</Directory>\n'


SERVER_WIDE = """
PythonPath "sys.path + ['{htdocs}/app']"
PythonPostReadRequestHandler phases::noop
PythonTransHandler phases::declined
"""

CASES = {
    "hello": ("/app/phases.py", lambda: section("directory", [])),
    "location": ("/loc", lambda: section("location", [])),
    "server": ("/app/phases.py", lambda: SERVER_WIDE + section("directory", [])),
}
for _n in range(1, len(EXTRA_PHASES) + 1):
    CASES[f"phases{_n}"] = ("/app/phases.py", lambda n=_n: section("directory", EXTRA_PHASES[:n]))


def servers(cases: list) -> list:
    files = {"app/phases.py": HANDLERS, "static.txt": BODY}
    out = [H.Server("static", "", "/static.txt", files=files, expect=BODY),
           H.Server("static+modpy", "", "/static.txt", files=files, expect=BODY, modpy=True)]
    for case in cases:
        path, body = CASES[case]
        out.append(H.Server(f"modpy:{case}", body(), path, files=files, expect=BODY, modpy=True))
        out.append(H.Server(f"mod_python:{case}", H.module("python") + "\n" + body(), path,
                            files=files, expect=BODY))
    return out


def additions(summary: dict, cases: list) -> list[str]:
    """Each server's CPU per request above the static file, and modpy's
    addition over mod_python's."""
    static = summary["static"]["cpu_us_per_req"]
    lines = [f"{'server':>22} {'CPU us/req':>11} {'+ static':>10}",
             f"{'static':>22} {static:11.1f}"]
    for name in ("static+modpy", *(f"{k}:{c}" for c in cases for k in ("modpy", "mod_python"))):
        cpu = summary[name]["cpu_us_per_req"]
        lines.append(f"{name:>22} {cpu:11.1f} {cpu - static:+10.1f}")
    lines.append("")
    lines.append(f"{'case':>12} {'modpy +':>9} {'mod_python +':>13} {'ratio of additions':>19}")
    for case in cases:
        mine = summary[f"modpy:{case}"]["cpu_us_per_req"] - static
        theirs = summary[f"mod_python:{case}"]["cpu_us_per_req"] - static
        ratio = mine / theirs if theirs > 0.5 else float("inf")
        lines.append(f"{case:>12} {mine:9.1f} {theirs:13.1f} {ratio:19.2f}")
    return lines


# ---------------------------------------------------------------- syscalls

def syscalls_per_request(server: H.Server, requests: int) -> float:
    """System calls per request of the server's child (every thread),
    counted by `strace -c` over `requests` keep-alive requests."""
    child = next(pid for pid in server.pids()[1:])
    tasks = [int(t) for t in os.listdir(f"/proc/{child}/task")]
    out = os.path.join(server.root, "strace.out")
    args = ["strace", "-c", "-f", "-o", out] + [a for t in tasks for a in ("-p", str(t))]
    tracer = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)                          # attached to every thread
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        for _ in range(requests):
            conn.request("GET", server.path)
            response = conn.getresponse()
            response.read()
    finally:
        conn.close()
    time.sleep(0.5)
    tracer.send_signal(signal.SIGINT)
    tracer.wait(timeout=30)
    with open(out) as f:
        total = re.search(r"^-+.*\n\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?total", f.read(), re.M)
    if not total:
        raise H.BenchError(f"{server.name}: cannot read strace's summary in {out}")
    return int(total.group(1)) / requests


def count_syscalls(servers_: list, opts: H.Options, requests: int) -> list[str]:
    lines = [f"{'server':>22} {'syscalls/req':>13}"]
    with H.Fleet(servers_, opts):
        for s in servers_:
            lines.append(f"{s.name:>22} {syscalls_per_request(s, requests):13.1f}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    H.add_arguments(parser, rounds=3, seconds=4.0, connections=16)
    parser.add_argument("--cases", default="hello,location,server,phases1,phases6",
                        help=f"comma-separated, of {', '.join(CASES)}")
    parser.add_argument("--syscalls", type=int, default=0, metavar="N",
                        help="also count system calls per request over N requests (strace -c)")
    args = parser.parse_args()
    cases = args.cases.split(",")
    unknown = [c for c in cases if c not in CASES]
    if unknown:
        parser.error(f"--cases: unknown {unknown}")
    opts = H.options(args)
    if opts.rounds:
        result = H.compare(servers(cases), "static", opts, f"phases, {opts.mpm}")
        print("\n".join(additions(result["summary"], cases)))
    if args.syscalls:
        opts.processes = 1
        print("\n".join(count_syscalls(servers(cases), opts, args.syscalls)))
    return 0


if __name__ == "__main__":
    H.run(main)
