"""Regressions the fuzz suite (test_fuzz.py) found, each pinned down on
its own: request bodies the client spoils, handlers that fail after their
response began, a response Apache refuses, and NUL in data written."""
import re
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.apache import LogSince, read_until_close

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
from modpy.core.clienterror import ClientError

def handler(req):
    req.content_type = "text/plain"
    if req.args == "read":
        try:
            data = req.read()
        except ClientError as e:
            req.log_error("body error: status=%s: %s" % (e.status, e))
            raise
        req.write("got %d" % len(data))
    elif req.args == "late":
        req.write("partial output\\n")
        raise ValueError("a failure after the response began")
    elif req.args == "refused":
        req.headers_out["X-A"] = "a\\r\\nX-Injected: 1"
        try:
            req.write("never sent")
        except OSError as e:
            req.log_error("write raised: " + str(e))
            raise
    else:
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


def exchange(server, raw: bytes, half_close: bool = True) -> bytes:
    """Send raw bytes; everything the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(raw)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        return read_until_close(s)


def one_error_page(reply: bytes, status: int) -> None:
    """Exactly one response: Apache's error page for `status`, nothing after it."""
    assert reply.startswith(b"HTTP/1.1 %d " % status), reply[:200]
    assert reply.count(b"HTTP/1.1 ") == 1 and reply.count(b"<!DOCTYPE") == 1, reply
    assert reply.rstrip().endswith(b"</html>"), reply


CHUNKED = b"POST /%s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"


def test_a_malformed_body_is_apaches_400_alone(server):
    log = LogSince(server)
    one_error_page(exchange(server, CHUNKED % b"h/?read" + b"zz\r\nab\r\n0\r\n\r\n"), 400)
    # Apache's input filter answered it: the handler has nothing to add (DONE)
    assert "body error: status=-2: the request body was refused by an input filter" in log
    assert "Traceback" not in log


def test_a_body_over_the_limit_is_413_alone(server):
    log = LogSince(server)
    one_error_page(exchange(server, CHUNKED % b"h/?read" + b"80\r\n" + b"a" * 128 + b"\r\n0\r\n\r\n"), 413)
    assert "body error: status=-2: the request body was refused by an input filter" in log


def test_a_body_cut_short_is_400_not_a_handler_failure(server):
    log = LogSince(server)
    reply = exchange(server, b"POST /h/?read HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\nabc")
    one_error_page(reply, 400)
    assert "body error: status=400: the client closed the connection after 3 of 50 bytes" in log
    # one info line, as Apache logs its own clients' failures: no handler error
    failures = [line for line in str(log).splitlines() if "failed for" in line]
    assert len(failures) == 1 and ":info]" in failures[0], failures
    assert "Traceback" not in log


def test_a_cgi_script_never_answers_after_apaches_error_page(server):
    log = LogSince(server)
    reply = exchange(server, CHUNKED % b"cgi/read.py" + b"zz\r\nab\r\n0\r\n\r\n")
    one_error_page(reply, 400)
    assert server.htdocs.encode() not in reply
    # the script saw the end of its input, as under mod_cgid, not an error
    assert "the script read 0 bytes" in log
    assert "Traceback" not in log


@pytest.mark.parametrize("version", [b"1.1", b"1.0"])
def test_a_failure_after_the_response_began_cuts_it_short(server, version):
    log = LogSince(server)
    reply = exchange(server, b"GET /h/?late HTTP/%s\r\nHost: x\r\n\r\n" % version)
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), reply
    assert b"Internal Server Error" not in reply        # no error page appended
    if version == b"1.1":           # chunked: the last chunk never comes
        assert head.lower().count(b"transfer-encoding: chunked") == 1
        assert body == b"f\r\npartial output\n\r\n", body
    else:
        assert body == b"partial output\n"
    assert "a failure after the response began" in log


def test_a_response_apache_refuses_is_one_500(server):
    log = LogSince(server)
    reply = exchange(server, b"GET /h/?refused HTTP/1.1\r\nHost: x\r\n\r\n")
    one_error_page(reply, 500)
    assert not re.search(rb"(?im)^x-injected", reply)
    assert "write raised: [Errno 5] Apache refused the response and answered 500 itself" in log


def test_nul_in_written_str_and_log_lines(server):
    log = LogSince(server)
    r = server.get("/h/")
    assert r.status_code == 200 and r.content == b"a\x00b"
    assert r"log\\0line" in log         # NUL written as \0, its backslash escaped by Apache
    r = server.get("/f/")                 # the output filter adds a NUL to each block
    assert r.status_code == 200 and r.content == b"a\x00b\x00"


RACER = """
import importlib

def handler(req):
    importlib.import_module("mod_python." + req.args)
    req.write(req.args)
    return 0
"""
ALIASES = ("apache", "util", "Cookie", "Session", "publisher", "psp", "wsgi", "cgihandler")


def test_first_imports_of_mod_python_at_once(apache_factory):
    """Threads that import `mod_python.X` for the first time at once must
    all find it: none may see the mod_python package half-run, before its
    alias finder is in place (the child's first requests did)."""
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler racer
        </Directory>
    """)
    server.write("racer.py", RACER)
    server.start()
    for round in range(4):
        barrier = threading.Barrier(len(ALIASES))

        def first(name):
            barrier.wait()
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
                s.sendall(b"GET /r?%s HTTP/1.0\r\n\r\n" % name.encode())
                return s.makefile("rb").read()

        with ThreadPoolExecutor(len(ALIASES)) as pool:
            replies = list(pool.map(first, ALIASES))
        assert [r.split(b"\r\n\r\n", 1)[-1] for r in replies] == [a.encode() for a in ALIASES], \
            server.error_log()[-3000:]
        server.restart()                    # fresh children: their first imports again
