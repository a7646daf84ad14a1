"""Upload throughput: util.FieldStorage parsing a multipart upload against
a handler that only reads the same body with req.read(), side by side in
one run, on one real Apache.  The ratio is FieldStorage's cost.

    .venv/bin/python bench/upload.py [MB] [rounds]
"""
from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.apache import Apache  # noqa: E402

HANDLERS = """
from mod_python import apache, util

def raw(req):
    n = 0
    while True:
        chunk = req.read(65536)
        if not chunk:
            break
        n += len(chunk)
    req.write(str(n))
    return apache.OK

def form(req):
    fs = util.FieldStorage(req)
    up = fs["big"]
    up.file.seek(0, 2)
    req.write(str(up.file.tell()))
    return apache.OK
"""


def body(size: int):
    block = hashlib.sha256(b"bench").digest() * 2048
    head = (b"--B0UND\r\nContent-Disposition: form-data; name=\"big\"; filename=\"b.bin\"\r\n"
            b"Content-Type: application/octet-stream\r\n\r\n")
    tail = b"\r\n--B0UND--\r\n"

    def stream():
        yield head
        for _ in range(size // len(block)):
            yield block
        yield tail
    return stream, len(head) + size + len(tail)


def timed(server, path: str, size: int) -> float:
    stream, length = body(size)
    start = time.perf_counter()
    r = server.post(path, content=stream(), timeout=600,
                    headers={"Content-Type": "multipart/form-data; boundary=B0UND",
                             "Content-Length": str(length)})
    elapsed = time.perf_counter() - start
    assert r.status_code == 200, server.error_log()
    return elapsed


def main() -> None:
    mb = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    size = mb * 1024 * 1024
    with tempfile.TemporaryDirectory() as root:
        server = Apache(root, """
            <Directory "{htdocs}">
                SetHandler mod_python
                PythonHandler bench::raw
            </Directory>
            <Directory "{htdocs}/form">
                PythonHandler bench::form
            </Directory>
        """)
        server.write("bench.py", HANDLERS)
        server.write("form/bench.py", HANDLERS)
        server.start()
        try:
            timed(server, "/raw", size // 10)          # warm up both
            timed(server, "/form/x", size // 10)
            raw = min(timed(server, "/raw", size) for _ in range(rounds))
            form = min(timed(server, "/form/x", size) for _ in range(rounds))
        finally:
            server.stop()
    print(f"{mb} MB upload, best of {rounds}:")
    print(f"  req.read() only     {raw:6.2f} s  {mb / raw:7.1f} MB/s")
    print(f"  util.FieldStorage   {form:6.2f} s  {mb / form:7.1f} MB/s")
    print(f"  ratio FieldStorage / read: {form / raw:.2f}")


if __name__ == "__main__":
    main()
