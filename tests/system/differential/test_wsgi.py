"""mod_python.wsgi under modpy and Debian's mod_python: the same WSGI
application behind a <Location>, one line per case (the query string picks
what the application does).  The documented differences (compatibility.md)
are taken out before comparing, each by name: a one-block body gets a
Content-Length in modpy, an empty PATH_INFO is '' there, and its environ
has the keys PEP 3333 asks for that mod_python leaves out (wsgi.run_once,
wsgi.file_wrapper) and mod_python.request."""
from __future__ import annotations

import re

import pytest

from tests.system.differential.pair import get, pair_fixture, post, status

SITE = """
    <Location "/wsgi">
        SetHandler mod_python
        PythonHandler mod_python.wsgi
        PythonPath "['{htdocs}'] + sys.path"
        PythonOption mod_python.wsgi.application wsgiapp
    </Location>
    <Location "/based">
        SetHandler mod_python
        PythonHandler mod_python.wsgi
        PythonPath "['{htdocs}'] + sys.path"
        PythonOption mod_python.wsgi.application wsgiapp::application
        PythonOption mod_python.wsgi.base_uri /based/deeper
    </Location>
"""

APP = r'''
import sys

KEYS = ("SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "REQUEST_METHOD", "wsgi.url_scheme",
        "wsgi.version", "wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once", "SERVER_NAME",
        "SERVER_PROTOCOL", "CONTENT_TYPE", "CONTENT_LENGTH", "HTTP_X_PROBE", "REQUEST_URI")

def environ_view(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return ["\n".join("%s=%r" % (k, environ.get(k)) for k in KEYS).encode()]

def keys(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [repr(sorted(environ)).encode()]

def blocks(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"one ", b"two ", b"three"]

def generator(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"gen "
    yield b"erated"

def strings(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return ["text ", "blocks"]

def write(environ, start_response):
    out = start_response("200 OK", [("Content-Type", "text/plain")])
    out(b"written ")
    return [b"returned"]

def status(environ, start_response):
    start_response("404 Not Here", [("Content-Type", "text/plain"), ("X-A", "1"), ("X-A", "2")])
    return [b"missing"]

def redirect(environ, start_response):
    start_response("302 Found", [("Location", "/elsewhere")])
    return [b""]

def empty(environ, start_response):
    start_response("204 No Content", [])
    return []

def raises(environ, start_response):
    raise ValueError("in the app")

def late_error(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    try:
        raise ValueError("late")
    except ValueError:
        start_response("500 Oops", [("Content-Type", "text/plain")], sys.exc_info())
    return [b"x"]

def input_read(environ, start_response):
    data = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [repr(data).encode()]

def input_lines(environ, start_response):
    f = environ["wsgi.input"]
    lines = [f.readline(), f.readline(2), f.readlines()]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [repr(lines).encode()]

class Closing:
    def __init__(self, blocks):
        self.blocks = blocks
    def __iter__(self):
        return iter(self.blocks)
    def close(self):
        sys.stderr.write("wsgi app closed\n")

def closing(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return Closing([b"closed ", b"after"])

def application(environ, start_response):
    name = environ.get("QUERY_STRING", "").split("&")[0] or "environ_view"
    return globals()[name](environ, start_response)
'''

pair = pair_fixture(SITE, {"wsgiapp.py": APP})

SAME = [
    get("/wsgi?blocks"), get("/wsgi?generator"), get("/wsgi?write"),
    get("/wsgi/a?keys"), get("/wsgi?raises"), get("/wsgi?closing"), get("/wsgi?strings"),
    post("/wsgi?input_read", b"a=1&b=2"), post("/wsgi?input_lines", b"line one\nline two\nthree"),
    get("/wsgi/a/b?environ_view", "", "X-Probe: p"), get("/wsgi?environ_view"),
    get("/wsgi/?environ_view"), post("/wsgi/x?environ_view", b"data", "text/plain"),
    get("/based/deeper/path?environ_view"), get("/based/other?environ_view"),
]


MODPY_KEYS = (b"'wsgi.run_once'", b"'wsgi.file_wrapper'", b"'mod_python.request'")


def documented(reply: bytes) -> bytes:
    """modpy's reply less its documented differences: a Content-Length
    (one block, not flushed), PATH_INFO='' where mod_python has none, and
    the keys mod_python's environ has not."""
    reply = re.sub(rb"Content-Length: \d+\r\n", b"", reply)
    reply = reply.replace(b"PATH_INFO=''", b"PATH_INFO=None").replace(b"wsgi.run_once=False", b"wsgi.run_once=None")
    for key in MODPY_KEYS:
        reply = reply.replace(b", " + key, b"").replace(key + b", ", b"")
    return reply


@pytest.mark.parametrize("raw", SAME, ids=[r.split(b"\r\n")[0].decode() for r in SAME])
def test_same(pair, raw):
    mine, theirs = pair.both(raw)
    assert documented(mine) == re.sub(rb"Content-Length: \d+\r\n", b"", theirs), \
        f"\nmodpy:      {mine!r}\nmod_python: {theirs!r}"


def test_content_length_of_one_block(pair):
    mine, theirs = pair.both(get("/wsgi?blocks"))
    assert b"Content-Length" not in theirs
    mine, _ = pair.both(get("/wsgi?environ_view"))
    assert re.search(rb"Content-Length: \d+\r\n", mine)


def test_empty_path_info(pair):
    mine, theirs = pair.both(get("/wsgi?environ_view"))
    assert b"PATH_INFO=''" in mine and b"PATH_INFO=None" in theirs


# Debian's mod_python sends a WSGI response as 200 under Python 3 (the
# status line is lost), and a second start_response with exc_info fails
# (500); the status is the application's (PEP 3333)
STATUS = [
    # (request, Debian's status, modpy's status line, a part of modpy's reply)
    (get("/wsgi?redirect"), 200, b"HTTP/1.1 302 Found\r\n", b"Location: /elsewhere\r\n"),
    (get("/wsgi?empty"), 200, b"HTTP/1.1 204 No Content\r\n", b"\r\n\r\n"),
    (get("/wsgi?status"), 200, b"HTTP/1.1 404 Not Here\r\n", b"X-A: 1\r\nX-A: 2\r\n"),
    (get("/wsgi?late_error"), 500, b"HTTP/1.1 500 Oops\r\n", b"\r\n\r\nx"),
]


@pytest.mark.parametrize("raw, debian, line, part", STATUS, ids=[r.split(b"\r\n")[0].decode() for r, *_ in STATUS])
def test_status_where_debian_is_broken(pair, raw, debian, line, part):
    mine, theirs = pair.both(raw)
    assert status(theirs) == debian
    assert mine.startswith(line) and part in mine
