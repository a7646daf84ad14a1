"""Where a real CGI application's request goes (Trac's trac.cgi, hgweb.cgi):
CPU milliseconds per request, split three ways.

- A process per request, as mod_cgid runs it (the system's python3, the
  page's CGI environment): the interpreter's start (`python3 -c pass`),
  the imports (a process that imports just the modules one request leaves
  in sys.modules, in their order), and the rest, the application's own
  work in a cold process.
- The same script run again and again in one warm plain Python process,
  without modpy: what the application itself does on every run (Trac, as
  a CGI program under wsgi.run_once, opens its environment, reads
  trac.ini, loads its components and compiles its templates each time).
- Under modpy (one Apache child, requests one at a time): the child's CPU
  per request, the cgihandler's, and the script's exec inside it.  With
  --profile, cProfile around the exec, its own time grouped by package,
  so modpy's share inside the script's run shows apart from the
  application's.

modpy can save the interpreter's start and the imports, nothing of the
application's own work: the bound on modpy / mod_cgid is the first total
over the warm run's.  Requests are serial and nothing else is measured at
the time, but the machine is shared: repeat and read the spread.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import pstats
import resource
import subprocess
import tempfile
import time
import urllib.request

import harness as H
from cgi_apps import PAGES

from tests.handlers.cgi import apps

# Runs a script `n` times in one process, its output on fd 1 (a file), as
# a CGI process's would be; what the first run imported and each later
# run's CPU go to a JSON file.
WARM_LOOP = r'''
import json, os, sys, time
script, n, out, result = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
code = compile(open(script, "rb").read(), script, "exec")
before = set(sys.modules)

def run():
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(fd, 1)
    os.close(fd)
    try:
        exec(code, {"__name__": "__main__", "__file__": script})
    except SystemExit:
        pass
    sys.stdout.flush()

run()
modules = [m for m in sys.modules if m not in before]
cpu = []
for _ in range(n):
    start = time.process_time()
    run()
    cpu.append(time.process_time() - start)
with open(result, "w") as f:
    json.dump({"modules": modules, "cpu": cpu}, f)
'''

IMPORT_ALL = r'''
import importlib, sys
for name in open(sys.argv[1]).read().split():
    try:
        importlib.import_module(name)
    except Exception:
        pass
'''

# In the Apache child (PythonImport): thread CPU of the cgihandler and of
# the script's exec, one JSON line a request; cProfile around the exec
# while the file OUT + ".on" exists.
TIMER = r'''
import cProfile, json, os, time
from modpy.handlers.cgi import handler as cgi

_profile = cProfile.Profile()
_handler, _run = cgi.handler, cgi._run
_last = {}

def _run_timed(code, filename, ctx):
    profiling = os.path.exists(OUT + ".on")
    start = time.thread_time()
    if profiling:
        _profile.enable()
    try:
        return _run(code, filename, ctx)
    finally:
        if profiling:
            _profile.disable()
            _profile.dump_stats(OUT + ".prof")
        _last["exec"] = time.thread_time() - start

def _handler_timed(req):
    start = time.thread_time()
    try:
        return _handler(req)
    finally:
        with open(OUT, "a") as f:
            f.write(json.dumps({"handler": time.thread_time() - start, "exec": _last.get("exec", 0.0)}) + "\n")

cgi._run, cgi.handler = _run_timed, _handler_timed
'''


def cgi_environ(site: str, page: str) -> dict:
    """What mod_cgid gives the script for a GET of `page` (the variables
    the applications read)."""
    script, _, info = page.partition(".cgi")
    return {"PATH": "/usr/bin:/bin", "PYTHONPATH": apps.APPS, "GATEWAY_INTERFACE": "CGI/1.1",
            "REQUEST_METHOD": "GET", "SCRIPT_NAME": script + ".cgi", "PATH_INFO": info, "QUERY_STRING": "",
            "SCRIPT_FILENAME": os.path.join(site, "cgi", os.path.basename(script) + ".cgi"),
            "REQUEST_URI": page, "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1", "SERVER_SOFTWARE": "Apache", "REMOTE_ADDR": "127.0.0.1"}


def child_cpu_ms(args: list, env: dict, cwd: str, n: int) -> float:
    """Mean CPU (user + system) of `n` runs of a process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(n):
        subprocess.run(args, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True, timeout=120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / n * 1000


def outside(site: str, page: str, expect: bytes, n: int, work: str) -> dict:
    """The process-per-request split and the warm loop, on the system's
    python3 as mod_cgid runs it."""
    env, cwd = cgi_environ(site, page), os.path.join(site, "cgi")
    script = env["SCRIPT_FILENAME"]
    out, result, names = (os.path.join(work, f) for f in ("out", "result.json", "modules"))
    subprocess.run([apps.PYTHON, "-c", WARM_LOOP, script, str(n), out, result], env=env, cwd=cwd,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   timeout=600)
    with open(out, "rb") as f:
        if expect not in f.read():
            raise H.BenchError(f"{script} did not answer its page in a plain process (see {out})")
    with open(result) as f:
        loop = json.load(f)
    with open(names, "w") as f:
        f.write("\n".join(loop["modules"]))
    start = child_cpu_ms([apps.PYTHON, "-c", "pass"], env, cwd, n)
    imports = child_cpu_ms([apps.PYTHON, "-c", IMPORT_ALL, names], env, cwd, n)
    whole = child_cpu_ms([apps.PYTHON, script], env, cwd, n)
    return {"start": start, "imports": imports - start, "cold work": whole - imports, "process": whole,
            "modules": len(loop["modules"]), "warm": sorted(loop["cpu"])[len(loop["cpu"]) // 2] * 1000}


def inside(template: str, page: str, expect: bytes, n: int, profile: bool) -> dict:
    """modpy's figures: one child, `n` requests one at a time after three
    to warm it."""
    def setup(server: H.Server) -> None:
        apps.make_site(template, os.path.join(server.root, "site"))
        os.chmod(server.root, 0o777)
        os.makedirs(server.htdocs, exist_ok=True)
        with open(os.path.join(server.htdocs, "timer.py"), "w") as f:
            f.write(f"OUT = {os.path.join(server.root, 'timer.out')!r}\n{TIMER}")

    body = "PythonImport {htdocs}/timer.py main_interpreter\n" + apps.config("{root}/site", True)
    server = H.Server("modpy", body, page, expect=expect, modpy=True, setup=setup)
    with H.Fleet([server], H.Options(processes=1, threads=4)):
        for _ in range(3):
            urllib.request.urlopen(server.url(), timeout=60).read()
        out = os.path.join(server.root, "timer.out")
        if profile:
            open(out + ".on", "w").close()
        warm = len(open(out).readlines())
        cpu = server.cpu_seconds()
        for _ in range(n):
            urllib.request.urlopen(server.url(), timeout=60).read()
        cpu = (server.cpu_seconds() - cpu) / n * 1000
        time.sleep(0.2)
        lines = [json.loads(line) for line in open(out).readlines()[warm:]]
        figures = {"child": cpu, **{k: sum(line[k] for line in lines) / len(lines) * 1000
                                    for k in ("handler", "exec")}}
        if profile:
            figures["profile"] = by_package(out + ".prof", n)
    return figures


def by_package(path: str, n: int) -> list:
    """(package, own ms per request) from a profile, largest first: modpy,
    an installed distribution's top-level name, the stdlib, or the C
    functions (builtins and extension methods, whoever called them)."""
    groups: collections.Counter = collections.Counter()
    for (filename, _, _), (_, _, own, _, _) in pstats.Stats(path).stats.items():
        groups[package(filename)] += own
    return [(name, ms * 1000 / n) for name, ms in groups.most_common()]


def package(filename: str) -> str:
    if filename == "~":
        return "(C functions)"
    if "/modpy/" in filename:
        return "modpy"
    for marker in ("/site-packages/", "/dist-packages/", "/cgi-apps/"):
        if marker in filename:
            return filename.split(marker, 1)[1].split("/")[0].removesuffix(".py")
    return "(stdlib)" if filename.startswith(("/usr/lib/python3", "<frozen")) else filename


def report(app: str, page: str, out: dict, modpy: dict) -> None:
    print(f"{app}: GET {page}, CPU ms per request")
    print(f"  a process per request (mod_cgid), {apps.PYTHON}:")
    print(f"    interpreter start              {out['start']:7.1f}")
    print(f"    imports ({out['modules']:4d} modules)         {out['imports']:7.1f}")
    if out["cold work"] > 0:
        print(f"    the application's work (cold)  {out['cold work']:7.1f}")
    else:                                   # Mercurial's demandimport
        print("    (the application imports lazily: importing its modules outright costs more than its run)")
    print(f"    total                          {out['process']:7.1f}")
    print(f"  the application's work, warm, in one plain process (no modpy): {out['warm']:7.1f}")
    print("  under modpy (one child, serial requests):")
    print(f"    Apache child                   {modpy['child']:7.1f}")
    print(f"    cgihandler                     {modpy['handler']:7.1f}")
    print(f"    the script's exec              {modpy['exec']:7.1f}")
    print(f"  bound on modpy / mod_cgid (process total / Apache child): {out['process'] / modpy['child']:.1f}x")
    for name, ms in modpy.get("profile", ()):
        if ms >= 0.05:
            print(f"    profiled exec (another run), own time in {name:24s} {ms:8.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", choices=sorted(PAGES), default="trac")
    parser.add_argument("--requests", type=int, default=20, help="requests (and processes) measured")
    parser.add_argument("--profile", action="store_true",
                        help="also cProfile the script's exec under modpy, by package")
    args = parser.parse_args()
    page, expect = PAGES[args.app]
    work = tempfile.mkdtemp(prefix="cgi-costs-")
    template, site = os.path.join(work, "template"), os.path.join(work, "site")
    apps.make_template(template)
    apps.make_site(template, site)
    modpy = inside(template, page, expect, args.requests, False)
    if args.profile:                        # a run of its own: the profiler slows what it sees
        modpy["profile"] = inside(template, page, expect, args.requests, True)["profile"]
    report(args.app, page, outside(site, page, expect, args.requests, work), modpy)
    return 0


if __name__ == "__main__":
    H.run(main)
