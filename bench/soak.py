"""Memory soak: 100k requests each on a hello handler, a CGI script (modpy's
cgihandler) and a FieldStorage upload handler, in one modpy server with one
child.  Resident memory of the child is read after a warm-up and after the
run.

Target: RSS growth < 1 MB per 100k requests, and no failed request.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from cgi import CGIHANDLER, SCRIPT
from cgi import EXPECT as CGI_EXPECT

import harness as H
from hello import BODY, HANDLER, PYTHON_SECTION

UPLOAD = '''
from mod_python import apache, util

def handler(req):
    form = util.FieldStorage(req)
    data = form["file"].file.read()
    req.content_type = "text/plain"
    req.write("got %d bytes from %s\\n" % (len(data), form.getfirst("who")))
    return apache.OK
'''
UPLOAD_SECTION = '''
<Directory "{htdocs}/upload">
    SetHandler mod_python
    PythonHandler up
</Directory>
'''
BOUNDARY = "modpybenchboundary"
UPLOAD_BODY = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"who\"\r\n\r\nsoak\r\n"
               f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.bin\"\r\n"
               f"Content-Type: application/octet-stream\r\n\r\n" + "x" * 4096 + f"\r\n--{BOUNDARY}--\r\n")

# name -> (path, expected body, request body or None, modpy module needed)
WORKLOADS = {
    "hello": ("/app/hello.py", BODY, None, None),
    "cgi": ("/cgi/script.py?name=bench", CGI_EXPECT, None, ("cgihandler", "CGI emulation (mod_python.cgihandler)")),
    "upload": ("/upload/up.py", b"got 4096 bytes from soak", UPLOAD_BODY,
               ("util", "util.FieldStorage (mod_python.util)")),
}


def run_ab(server: H.Server, path: str, requests: int, connections: int, body) -> dict:
    """`ab` sends an exact number of requests (wrk only runs for a time)."""
    ab = shutil.which("ab")
    if not ab:
        raise H.BenchError("ab is not installed (Debian: apt-get install apache2-utils)")
    args = [ab, "-q", "-k", "-n", str(requests), "-c", str(connections)]
    with tempfile.NamedTemporaryFile("w", suffix=".body") as f:
        if body is not None:
            f.write(body)
            f.flush()
            args += ["-p", f.name, "-T", f"multipart/form-data; boundary={BOUNDARY}"]
        out = subprocess.run(args + [server.url(path)], capture_output=True, text=True).stdout
    done = re.search(r"Complete requests:\s+(\d+)", out)
    if not done:
        raise H.BenchError(f"cannot read ab's output:\n{out}")
    failed = re.search(r"Failed requests:\s+(\d+)", out)
    non2xx = re.search(r"Non-2xx responses:\s+(\d+)", out)
    rate = re.search(r"Requests per second:\s+([\d.]+)", out)
    return {"requests": int(done.group(1)), "failures": int(failed.group(1)) +
            (int(non2xx.group(1)) if non2xx else 0), "rps": float(rate.group(1)) if rate else 0.0}


def soak(server: H.Server, path: str, requests: int, segments: int, connections: int, body) -> dict:
    """`requests` in `segments` runs of ab, the children's RSS read after
    each: growth that levels off (allocators and caches finding their
    size) reads differently from a steady climb (a leak)."""
    total = {"requests": 0, "failures": 0, "rps": [], "rss_kb": []}
    for i in range(segments):
        part = requests // segments + (1 if i < requests % segments else 0)
        r = run_ab(server, path, part, connections, body)
        total["requests"] += r["requests"]
        total["failures"] += r["failures"]
        total["rps"].append(r["rps"])
        total["rss_kb"].append(server.rss_kb())
    total["rps"] = statistics.median(total["rps"])
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000, help="requests per workload")
    parser.add_argument("--warmup", type=int, default=5_000, help="requests before the first reading")
    parser.add_argument("--segments", type=int, default=4, help="RSS readings during the run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated: " + ", ".join(WORKLOADS))
    parser.add_argument("--mpm", default="event", choices=("event", "worker", "prefork"))
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()
    names = args.workloads.split(",")
    for name in names:
        if name not in WORKLOADS:
            raise H.BenchError(f"unknown workload {name!r} (have {', '.join(WORKLOADS)})")
        if WORKLOADS[name][3]:
            H.require_modpy(*WORKLOADS[name][3])
    # checked on start with a GET of the hello handler, whatever the workloads
    server = H.Server("modpy", PYTHON_SECTION % "On" + CGIHANDLER + UPLOAD_SECTION, WORKLOADS["hello"][0],
                      files={"app/hello.py": HANDLER, "cgi/script.py": SCRIPT, "upload/up.py": UPLOAD},
                      expect=BODY, modpy=True)
    results = {}
    with H.Fleet([server], H.Options(mpm=args.mpm, processes=1, threads=32)):
        for name in names:
            path, expect, body, _ = WORKLOADS[name]
            server.path, server.expect = path, expect
            if body is None:
                server.check()
            run_ab(server, path, args.warmup, args.connections, body)
            before = server.rss_kb()
            r = soak(server, path, args.requests, args.segments, args.connections, body)
            after = r["rss_kb"][-1]
            r.update(rss_before_kb=before, rss_after_kb=after,
                     growth_kb_per_100k=(after - before) * 100_000 / max(r["requests"], 1))
            results[name] = r
            print(f"  {name}: {r['requests']} requests, {r['failures']} failed, RSS {before} KB, then "
                  f"{' '.join(map(str, r['rss_kb']))} KB", file=sys.stderr)
    print(f"{'workload':>10} {'requests':>9} {'failed':>7} {'req/s':>8} {'RSS before':>11} {'RSS after':>10} "
          f"{'KB/100k':>8}")
    ok = True
    for name, r in results.items():
        print(f"{name:>10} {r['requests']:9d} {r['failures']:7d} {r['rps']:8.0f} {r['rss_before_kb']:9d}KB "
              f"{r['rss_after_kb']:8d}KB {r['growth_kb_per_100k']:8.0f}")
        ok &= H.target(f"{name} RSS growth KB per 100k", r["growth_kb_per_100k"], "<=", 1024)
        ok &= H.target(f"{name} failures", r["failures"], "<=", 0)
    if args.json_path:
        with open(args.json_path, "w") as f:
            json.dump(results, f, indent=2)
    return 0 if ok else 1


if __name__ == "__main__":
    H.run(main)
