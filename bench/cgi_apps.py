"""Real CGI applications side by side: Mercurial's hgweb.cgi and Trac's
trac.cgi (tests/handlers/cgi/apps.py, installed by ./dev setup), each run
in-process by modpy's cgihandler and as a process per request by mod_cgid.

Targets: modpy >= 10x mod_cgid's requests/s on each application's page,
and no failed request.  Both applications do their whole start-up on every
request as CGI programs (Trac opens its environment afresh when
wsgi.run_once is set, as its CGI gateway sets it); in-process, only the
interpreter's start and the imports are saved.
"""
from __future__ import annotations

import argparse
import os
import tempfile

import harness as H

from tests.handlers.cgi import apps

# application -> (page wrk requests, what must be in it)
PAGES = {
    "hgweb": ("/cgi/hgweb.cgi/log", b"first"),
    "trac": ("/cgi/trac.cgi/wiki", b"Test Project"),
}


def listen_buckets(processes: int) -> str:
    """A listening socket per group of children (SO_REUSEPORT), so that the
    kernel spreads the connections over the children.  Without it one child
    of a threaded MPM may accept all 8 connections while the other idles:
    harmless to mod_cgid, whose work runs in processes of its own, but a
    child's Python runs one thread at a time (the GIL), so in-process CGI
    would then use one core, and spend up to half as much CPU again per
    request switching between the threads it crowds into that child.  Apache wants a number of
    children that is a multiple of the number of buckets (cores / ratio)."""
    cores = os.cpu_count() or 1
    ratio = next(r for r in range(1, cores + 1) if processes % max(1, cores // r) == 0)
    return f"ListenCoresBucketsRatio {ratio}\n"


def servers(app: str, template: str, processes: int) -> list:
    path, expect = PAGES[app]
    listen = listen_buckets(processes)

    def setup(server: H.Server) -> None:
        apps.make_site(template, os.path.join(server.root, "site"))
        os.chmod(server.root, 0o777)

    return [H.Server(f"modpy-{app}", listen + apps.config("{root}/site", True), path, expect=expect,
                     modpy=True, setup=setup),
            H.Server(f"mod_cgid-{app}", listen + apps.config("{root}/site", False), path, expect=expect,
                     setup=setup)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # two children: a child runs one script's Python at a time (the GIL),
    # where mod_cgid's processes use every core
    H.add_arguments(parser, connections=8, processes=2, threads=32)
    parser.add_argument("--app", choices=sorted(PAGES), action="append",
                        help="the application(s) to run (default: all)")
    args = parser.parse_args()
    template = os.path.join(tempfile.mkdtemp(prefix="cgi-apps-"), "template")
    apps.make_template(template)
    ok = True
    for app in args.app or sorted(PAGES):
        result = H.compare(servers(app, template, args.processes), f"mod_cgid-{app}", H.options(args),
                           f"{app}: {PAGES[app][0]}, {args.connections} connections")
        s = result["summary"]
        modpy, cgid = s[f"modpy-{app}"], s[f"mod_cgid-{app}"]
        ratio = modpy["rps"] / cgid["rps"] if cgid["rps"] else float("inf")
        ok &= H.target(f"{app}: modpy req/s vs mod_cgid", ratio, ">=", 10.0)
        ok &= H.target(f"{app}: failures (modpy + mod_cgid)", modpy["failures"] + cgid["failures"], "<=", 0)
    return 0 if ok else 1


if __name__ == "__main__":
    H.run(main)
