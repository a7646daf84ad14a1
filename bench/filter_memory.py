"""How much memory a child uses while a large response streams through a
Python output filter (the manual's uppercase filter).

    .venv/bin/python bench/filter_memory.py [size_MiB]   (default 1024)

Serves a file of that size from a real Apache (event MPM) through
`PythonOutputFilter ... UPPER`, reads it all, checks it, and prints the
children's peak resident set (VmHWM) before and after.
"""
from __future__ import annotations

import hashlib
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.apache import Apache  # noqa: E402

FILTER = """
def upper(filter):
    s = filter.read()
    while s:
        filter.write(s.upper())
        s = filter.read()
    if s is None:
        filter.close()
"""


def children(parent: int) -> list[int]:
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == parent:
                        out.append(int(pid))
            except OSError:
                pass
    return out


def peak_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def main() -> None:
    mib = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
    with tempfile.TemporaryDirectory() as root:
        server = Apache(root, """
            PythonPath "sys.path + ['{htdocs}']"
            PythonOutputFilter filters::upper UPPER
            <Directory "{htdocs}">
                AddOutputFilter UPPER .bin
            </Directory>
        """, mpm="event")
        server.write("filters.py", FILTER)
        block = (b"abcdefghijklmnopqrstuvwxyz" * 40330)[:1 << 20]
        with open(os.path.join(server.htdocs, "big.bin"), "wb") as f:
            for _ in range(mib):
                f.write(block)
        server.start()
        try:
            server.get("/filters.py")                       # warm up: Python loaded
            before = {pid: peak_kib(pid) for pid in children(server.proc.pid)}
            digest, size = hashlib.sha256(), 0
            with server.client.stream("GET", "/big.bin", timeout=600) as r:
                for chunk in r.iter_bytes(1 << 20):
                    digest.update(chunk)
                    size += len(chunk)
            after = {pid: peak_kib(pid) for pid in children(server.proc.pid)}
        finally:
            server.stop()
    expect = hashlib.sha256()
    for _ in range(mib):
        expect.update(block.upper())
    assert size == mib << 20 and digest.digest() == expect.digest(), "wrong body"
    grew = max(after[p] - before.get(p, 0) for p in after)
    print(f"{mib} MiB through a Python output filter: body OK; child peak RSS "
          f"{max(after.values()) / 1024:.1f} MiB (grew {grew / 1024:.1f} MiB during the response)")


if __name__ == "__main__":
    main()
