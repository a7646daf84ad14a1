"""What one request-object operation costs, inside Apache, modpy beside
Debian's mod_python: a handler times each operation over many iterations
(one request, no load) and answers microseconds per operation.

Finds where the members bench's CPU goes; no target of its own.
"""
from __future__ import annotations

import argparse
import json
import urllib.request

import harness as H
from hello import python_handler_servers

OPERATIONS = {
    "req.uri": "req.uri",
    "req.method": "req.method",
    "req.args": "req.args",
    "req.status": "req.status",
    "req.proto_num": "req.proto_num",
    "req.request_time": "req.request_time",
    "req.filename": "req.filename",
    "req.user (None)": "req.user",
    "req.headers_in": "req.headers_in",
    'headers_in["Host"]': 'hin["Host"]',
    'headers_in.get(missing)': 'hin.get("X-Missing")',
    'headers_out[k] = v': 'hout["X-Bench"] = "a"',
    "headers_out.add(k, v)": 'hout.add("X-Bench-Add", "a"); hout.clear()',
    "req.content_type = v": 'req.content_type = "text/plain"',
    "req.status = v": "req.status = 200",
}

HANDLER = '''
import json, time
from mod_python import apache

OPERATIONS = %r
N = %d

def handler(req):
    hin, hout = req.headers_in, req.headers_out
    costs = {}
    for name, stmt in OPERATIONS.items():
        code = compile("for _ in range(N):\\n    " + stmt, name, "exec")
        scope = {"req": req, "hin": hin, "hout": hout, "N": N}
        start = time.perf_counter()
        exec(code, scope)
        costs[name] = (time.perf_counter() - start) / N * 1e6
    hout.clear()
    req.content_type = "application/json"
    req.write(json.dumps(costs))
    return apache.OK
'''


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5, help="requests per server; the best is kept")
    args = parser.parse_args()
    handler = HANDLER % (OPERATIONS, args.iterations)
    servers = python_handler_servers({"app/hello.py": handler}, "/app/hello.py?a=1", None)
    opts = H.Options(processes=1, threads=4)
    best: dict[str, dict[str, float]] = {}
    with H.Fleet(servers, opts):
        for _ in range(args.repeat):
            for server in servers:
                with urllib.request.urlopen(server.url(), timeout=120) as resp:
                    costs = json.loads(resp.read())
                mine = best.setdefault(server.name, {})
                for name, us in costs.items():
                    mine[name] = min(us, mine.get(name, us))
    print(f"{'operation':28} {'modpy us':>9} {'mod_python us':>14} {'ratio':>6}")
    for name in OPERATIONS:
        ours, theirs = best["modpy"][name], best["mod_python"][name]
        print(f"{name:28} {ours:9.3f} {theirs:14.3f} {ours / theirs:6.1f}")
    return 0


if __name__ == "__main__":
    H.run(main)
