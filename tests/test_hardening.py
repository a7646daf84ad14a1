"""Regressions the fuzz suite (test_fuzz.py) found, each pinned down on
its own: request bodies the client spoils, handlers that fail after their
response began, a response Apache refuses, and NUL in data written."""
import re
import socket

import pytest

SITE = """
    PythonOutputFilter filters::nul_filter NULFILTER
    PythonPath "sys.path + ['{htdocs}']"
    <Directory "{htdocs}/h">
        SetHandler mod_python
        PythonHandler h
        LimitRequestBody 100
    </Directory>
    <Directory "{htdocs}/f">
        SetHandler mod_python
        PythonHandler h
        SetOutputFilter NULFILTER
    </Directory>
    <Directory "{htdocs}/cgi">
        SetHandler mod_python
        PythonHandler mod_python.cgihandler
    </Directory>
"""

HANDLER = """
from mod_python import apache

def handler(req):
    req.content_type = "text/plain"
    req.log_error("log\\0line")
    req.write("a\\0b")
    return apache.OK
"""

FILTERS = """
def nul_filter(filter):
    s = filter.read()
    while s:
        filter.write(s.decode() + "\\0")
        s = filter.read()
    if s is None:
        filter.close()
"""

CGI = """#!/usr/bin/env python3
import os, sys
data = sys.stdin.buffer.read()
print("the script read", len(data), "bytes", file=sys.stderr)
sys.stdout.write("Content-Type: text/plain\\n\\n" + os.environ["DOCUMENT_ROOT"] + "\\n")
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from tests.apache import Apache
    root = tmp_path_factory.mktemp("hardening")
    server = Apache(str(root), SITE)
    server.write("h/h.py", HANDLER)
    server.write("f/h.py", HANDLER)
    server.write("filters.py", FILTERS)
    server.write("cgi/read.py", CGI)
    server.start()
    yield server
    server.stop()
    assert server.crashes() == 0, server.error_log()


class LogSince:
    """The error log written since this object was made."""

    def __init__(self, server) -> None:
        self.server, self.start = server, len(server.error_log())

    def __str__(self) -> str:
        return self.server.error_log()[self.start:]

    def __contains__(self, text: str) -> bool:
        return text in str(self)


def exchange(server, raw: bytes, half_close: bool = True) -> bytes:
    """Send raw bytes; everything the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(raw)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    return b"".join(chunks)


def one_error_page(reply: bytes, status: int) -> None:
    """Exactly one response: Apache's error page for `status`, nothing after it."""
    assert reply.startswith(b"HTTP/1.1 %d " % status), reply[:200]
    assert reply.count(b"HTTP/1.1 ") == 1 and reply.count(b"<!DOCTYPE") == 1, reply
    assert reply.rstrip().endswith(b"</html>"), reply


def test_nul_in_written_str_and_log_lines(server):
    log = LogSince(server)
    r = server.get("/h/")
    assert r.status_code == 200 and r.content == b"a\x00b"
    assert r"log\\0line" in log         # NUL written as \0, its backslash escaped by Apache
    r = server.get("/f/")                 # the output filter adds a NUL to each block
    assert r.status_code == 200 and r.content == b"a\x00b\x00"
