"""What PythonAutoReload On costs against Off on a hello handler.

Two real Apaches (event MPM) serve the same hello handler, one with
autoreload on (a stat() of the handler file, and of each module it imported
from its directory, per request), one with it off (no stat at all).  wrk
hits them in alternating rounds, so drift in the machine's load hits both
alike; the report gives each round, the medians and the ratio.

    .venv/bin/python bench/autoreload.py [--rounds 6] [--seconds 4] [--connections 8] [--helpers 2]
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tests.apache import Apache  # noqa: E402  (the real-Apache harness)

SITE = """
    <Directory "{htdocs}">
        SetHandler mod_python
        PythonHandler hello
        PythonAutoReload %s
    </Directory>
"""


def hello(helpers: int) -> str:
    imports = "".join(f"import helper{i}\n" for i in range(helpers))
    return imports + "\ndef handler(req):\n    req.content_type = 'text/plain'\n    req.write('hello')\n    return 0\n"


def wrk(url: str, seconds: int, connections: int) -> float:
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url],
                         capture_output=True, text=True, check=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match or "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"wrk reported errors:\n{out}")
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--helpers", type=int, default=2,
                        help="modules the handler imports from its directory (each is stat()ed with On)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed (apt-get install wrk)")
    root = tempfile.mkdtemp(prefix="modpy-bench-")
    servers = {}
    try:
        for mode in ("On", "Off"):
            server = Apache(os.path.join(root, mode), SITE % mode)
            server.write("hello.py", hello(args.helpers))
            for i in range(args.helpers):
                server.write(f"helper{i}.py", "X = 1\n")
            servers[mode] = server.start()
            assert server.get("/").text == "hello"
        results: dict[str, list[float]] = {"On": [], "Off": []}
        for n in range(args.rounds):
            order = ("On", "Off") if n % 2 == 0 else ("Off", "On")
            for mode in order:
                results[mode].append(wrk(servers[mode].url("/"), args.seconds, args.connections))
            print(f"round {n + 1}: On {results['On'][-1]:9.0f} req/s   Off {results['Off'][-1]:9.0f} req/s",
                  flush=True)
        on, off = statistics.median(results["On"]), statistics.median(results["Off"])
        print(f"median: PythonAutoReload On {on:.0f} req/s, Off {off:.0f} req/s; "
              f"On/Off = {on / off:.3f} ({args.helpers} helper modules, {args.connections} connections)")
    finally:
        for server in servers.values():
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
