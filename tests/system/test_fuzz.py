"""The fuzz suite: every case of tests/fuzzcases.py sent as raw bytes to one
real Apache whose site has a handler behind each of modpy's parsers, with
PythonDebug Off, under the event and the prefork MPM.

Counted, and each must be zero: children that crashed, responses that show
a traceback (anywhere) or a path of the server (in an error response),
requests that got no answer in HANG_SECONDS, response headers a client
smuggled in, names the publisher must refuse yet served, a session id of
the wrong shape, files written outside the session stores, and handler
failures in the error log that no handler meant.  Then the server must
still answer as before.

The case count and the run time are printed (`pytest -s tests/test_fuzz.py`);
`python -m tests.fuzzcases` lists the families.
"""
from __future__ import annotations

import os
import re
import socket
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Optional

import pytest

import modpy
from tests import fuzzcases
from tests.apache import read_until_close
from tests.fuzzcases import CANARY, DELIBERATE, DELIBERATE_PATHS, INJECTED, LIMITS, SECRET, Case

HANG_SECONDS = 10.0      # no answer by then: a hang (Apache's own Timeout is longer)
CLIENTS = 4              # cases in flight at once: threads (event) or processes (prefork) share them

SITE = """
    Timeout 30
    PythonDebug Off
    <Directory "{htdocs}/echo">
        SetHandler mod_python
        PythonHandler echo
    </Directory>
    <Directory "{htdocs}/pub">
        SetHandler mod_python
        PythonHandler mod_python.publisher
        # /pub/mod.txt/ and /pub/mod.psp/ name mod.py, as mod_python's publisher has it
        AddHandler mod_python .txt .psp
    </Directory>
    <Directory "{htdocs}/psp">
        AddHandler mod_python .psp .psp_
        PythonHandler mod_python.psp
    </Directory>
    <Directory "{htdocs}/cgi">
        SetHandler mod_python
        PythonHandler mod_python.cgihandler
    </Directory>
    <Directory "{htdocs}/sess">
        SetHandler mod_python
        PythonHandler sess
        PythonOption mod_python.file_session.database_directory "{root}/sessions/files"
        PythonOption mod_python.dbm_session.database_filename "{root}/sessions/dbm/sess.dbm"
    </Directory>
    <Directory "{htdocs}/wsgi">
        SetHandler mod_python
        PythonHandler mod_python.wsgi
        PythonOption mod_python.wsgi.application app::application
    </Directory>
    <Directory "{htdocs}/limits">
        SetHandler mod_python
        PythonHandler echo
        PythonOption mod_python.form.max_fields %(max_fields)d
        PythonOption mod_python.form.max_size %(max_size)d
        PythonOption mod_python.form.max_files %(max_files)d
    </Directory>
""" % LIMITS

# Reads everything a request carries and writes it back, hostile bytes
# and all: headers_in, notes, the CGI variables, the query string, the form
# (urlencoded or multipart), and the cookies as plain, signed and marshal.
ECHO = f"""
from mod_python import apache, util, Cookie

SECRET = {SECRET!r}
CLASSES = ((Cookie.Cookie, {{}}), (Cookie.SignedCookie, {{"secret": SECRET}}),
           (Cookie.MarshalCookie, {{"secret": SECRET}}))

def handler(req):
    seen = [req.the_request, req.method, req.protocol, req.uri, req.unparsed_uri, req.args,
            req.path_info, req.filename, req.hostname]
    for table in (req.headers_in, req.notes):
        for key, value in table.items():
            seen += [key, value, req.headers_in.get_all(key)]
    req.add_common_vars()
    req.add_cgi_vars()
    seen += req.subprocess_env.items()
    seen += util.parse_qsl(req.args or "", True)
    form = util.FieldStorage(req, keep_blank_values=1)
    for field in form.list:
        seen += [field.name, field.filename, field.type, field.value, field.headers]
    seen += [(key, form[key], form.getlist(key)) for key in form.keys()]
    for cls, data in CLASSES:
        for name, cookie in Cookie.get_cookies(req, cls, **data).items():
            seen += [name, type(cookie).__name__, repr(cookie.value)]
    echo = form.getfirst("echo")
    if isinstance(echo, str) and "\\0" not in echo:
        req.headers_out["X-Echo"] = echo
    if "X-Fuzz" in req.headers_in:
        req.headers_out["X-Fuzz-Back"] = req.headers_in["X-Fuzz"]
    req.content_type = "text/plain; charset=utf-8"
    try:
        for item in seen:
            req.write(item if isinstance(item, (str, bytes)) else repr(item), 0)
            req.write("\\n", 0)
    except OSError as e:
        if echo and ("\\r" in echo or "\\n" in echo):
            # Apache refuses a header with a line break: it answers 500 itself
            req.log_error({DELIBERATE!r} + ": " + str(e))
            return apache.DONE
        raise
    return apache.OK
"""

PUBLISHED = f"""
import os
import json
from collections import OrderedDict
from os import environ
from os.path import join

USERS = {{"u": "p"}}
od = OrderedDict(a=1)

greeting = "hello"
config = {{"a": 1}}
number = 42
lam = lambda: "lambda"

def index(req):
    return "index"

def echo(req, a="", b=""):
    return "a=%s|b=%s" % (a, b)

def kw(req, **fields):
    return "".join("%s=%s\\n" % item for item in sorted(fields.items()))

def boom(req, x=""):
    raise ValueError("{DELIBERATE} %s in %s" % (x, __file__))

def guarded(req):
    __auth__ = {{"u": "p"}}
    return "guarded " + req.user

def by_name(req):
    __auth__ = USERS
    return "guarded by name " + req.user

def by_call(req):
    __auth__ = dict(USERS)
    return "a guard that cannot be read"

def _private(req):
    return "private"

class Described:
    def __get__(self, obj, cls):
        return {CANARY.decode()!r}

class Klass:
    _hidden = "hidden"
    described = Described()
    def hello(self):
        return "hello from an instance"
    @property
    def prop(self):
        return {CANARY.decode()!r}

obj = Klass()
"""

PSP_PAGES = {
    "echo.psp": """<%
pairs = []
for field in form.list:
    pairs.append("%s=%s" % (field.name, field.value))
# the loop ends here
%>fields: <%= "&".join(pairs) %>""",
    "broken-name.psp": "line 1\n<%= undefined_name %>\n",
    "broken-syntax.psp": "a\n<% if x %>\n",
    "broken-unclosed.psp": "a\n<%= 1 \n",
    "broken-value.psp": f'<%= int(form.getfirst("n", "{DELIBERATE}")) %>',
    "broken-include.psp": '<%@ include file="missing-part.html" %>',
}

# Prints the header block the query asks for (h=, percent-encoded), then
# its environment and argv, with the document root masked so that a path
# in a response is never the script's own doing; its body is read, as a
# form script's would be.
CGI_SCRIPT = """#!/usr/bin/env python3
import os, sys, urllib.parse
out = sys.stdout.buffer
head = b"Content-Type: text/plain\\n\\n"
for part in os.environb.get(b"QUERY_STRING", b"").split(b"&"):
    if part.startswith(b"h="):
        head = urllib.parse.unquote_to_bytes(part[2:])
root = os.environb[b"DOCUMENT_ROOT"]
out.write(head)
for key, value in sorted(os.environb.items()):
    out.write(key + b"=" + value.replace(root, b"$ROOT") + b"\\n")
out.write(repr(sys.argv).encode("utf-8", "surrogateescape").replace(root, b"$ROOT") + b"\\n")
out.write(b"body %d\\n" % len(sys.stdin.buffer.read()))
"""

SESSIONS = f"""
from mod_python import apache, Session

def handler(req):
    kind = req.uri.rsplit("/", 1)[-1]
    if kind == "dbm":
        s = Session.DbmSession(req)
    elif kind == "signed":
        s = Session.FileSession(req, secret={SECRET!r})
    else:
        s = Session.FileSession(req)
    s["n"] = s.get("n", 0) + 1
    s.save()
    req.content_type = "text/plain"
    req.write(s.id())
    return apache.OK
"""

# PEP 3333: every str of the environ is latin-1, so encoding one back
# never fails.
WSGI_APP = """
def application(environ, start_response):
    lines = ["%s=%s" % (k, v) for k, v in sorted(environ.items()) if isinstance(v, str)]
    body = "\\n".join(lines).encode("latin-1") + environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]
"""

CANARY_MODULE = f"""
def index(req):
    return {CANARY.decode()!r}
"""


@dataclass
class Outcome:
    case: Case
    status: Optional[int]
    head: bytes
    body: bytes
    seconds: float
    hung: bool


def send(port: int, case: Case) -> Outcome:
    """Send the case, half-close (so a body shorter than it claims ends
    there and then), and read the answer until the server closes."""
    start = time.monotonic()
    data, hung = b"", False
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=HANG_SECONDS) as s:
            try:
                s.sendall(case.raw)
                s.shutdown(socket.SHUT_WR)
            except (BrokenPipeError, ConnectionResetError):
                pass                       # the server answered (and closed) before the end
            data = read_until_close(s)
    except socket.timeout:
        hung = True
    while re.match(rb"HTTP/1\.1 1\d\d ", data):          # interim answers (100 Continue)
        data = data.partition(b"\r\n\r\n")[2]
    head, _, body = data.partition(b"\r\n\r\n")
    match = re.match(rb"HTTP/1\.[01] (\d{3})", head)
    status = int(match.group(1)) if match else None
    if re.search(rb"(?im)^transfer-encoding: chunked\r?$", head):
        body = dechunk(body)
    return Outcome(case, status, head, body, time.monotonic() - start, hung)


def dechunk(data: bytes) -> bytes:
    """A chunked body's content.  What comes after the last chunk, or a
    chunk that does not parse, is kept as it is, so the checks see it."""
    out, pos = [], 0
    while True:
        eol = data.find(b"\r\n", pos)
        try:
            size = int(data[pos:eol].split(b";")[0], 16) if eol >= 0 else -1
        except ValueError:
            size = -1
        if size < 0:
            return b"".join(out) + data[pos:]
        if size == 0:
            trailer = data[eol + 2:]
            return b"".join(out) + (b"" if trailer == b"\r\n" else trailer)
        out.append(data[eol + 2:eol + 2 + size])
        pos = eol + 4 + size


def make_site(apache_factory, mpm: str = "event"):
    server = apache_factory(SITE, mpm=mpm)
    server.write("echo/echo.py", ECHO)
    server.write("pub/mod.py", PUBLISHED)
    for name, text in PSP_PAGES.items():
        server.write(f"psp/{name}", text)
    server.write("cgi/env.py", CGI_SCRIPT)
    server.write("sess/sess.py", SESSIONS)
    server.write("wsgi/app.py", WSGI_APP)
    server.write("limits/echo.py", ECHO)
    os.makedirs(os.path.join(server.root, "outside"))
    with open(os.path.join(server.root, "outside", "canary.py"), "w") as f:
        f.write(CANARY_MODULE)
    return server.start()


def serves_normally(server) -> None:
    """Each handler answers a plain request as it should."""
    r = server.get("/echo/h?a=1&b=%E9", headers={"X-Fuzz": "plain", "Cookie": "c=v"})
    assert r.status_code == 200 and r.headers["x-fuzz-back"] == "plain", r.text
    assert b"\na\n" in r.content and b"\nb\n" in r.content and b"\n\xe9\n" in r.content
    assert server.get("/pub/mod/echo?a=x&b=y").text == "a=x|b=y"
    assert server.get("/pub/mod/obj/hello").text == "hello from an instance"
    assert server.get("/pub/mod/_private").status_code == 403
    assert server.post("/psp/echo.psp", data={"k": "v"}).text == "fields: k=v"
    assert server.get("/psp/broken-name.psp").status_code == 500
    r = server.get("/cgi/env.py?plain")
    assert r.status_code == 200 and "QUERY_STRING=plain\n" in r.text and "'plain']" in r.text
    text = server.get("/wsgi/app?q").text      # mod_python's REQUEST_URI: no query
    assert "REQUEST_URI=/wsgi/app\n" in text and "QUERY_STRING=q\n" in text, text
    for kind in ("file", "dbm", "signed"):
        r = server.get(f"/sess/{kind}")
        assert r.status_code == 200 and re.fullmatch("[0-9a-f]{32}", r.text), (kind, r.text)


def tree(root: str, skip: tuple[str, ...]) -> set[str]:
    """Every file and directory under root, relative, but those in skip."""
    found = set()
    for directory, dirs, files in os.walk(root):
        rel = os.path.relpath(directory, root)
        dirs[:] = [d for d in dirs if os.path.normpath(os.path.join(rel, d)) not in skip]
        found.update(os.path.normpath(os.path.join(rel, name)) for name in dirs + files)
    return found


def misplaced_session_files(root: str) -> list[str]:
    """Files in the session stores whose names are not the store's own."""
    allowed = re.compile(r"files/([0-9a-f]{2}(/[0-9a-f]{32}(\.lock)?)?)|"
                         r"dbm/sess\.dbm(\.lock|\.locks(/[0-9a-f]{32})?|\.db|\.dat|\.dir|\.pag|\.bak)?|"
                         r"files|dbm")
    stores = os.path.join(root, "sessions")
    return sorted(p for p in tree(stores, ()) if not allowed.fullmatch(p))


def unmeant_failures(log: str) -> list[str]:
    """Handler failures in the error log that no handler meant: the
    dispatcher's report lines and errors that escaped to the shim."""
    failures = []
    for line in log.splitlines():
        if ":info] " in line:       # a client's own failure (ClientError): one info line by design
            continue
        if re.search(r"\] Python\w* .* failed for ['\"]", line) or "modpy: Traceback" in line:
            if not any(mark in line for mark in (DELIBERATE,) + DELIBERATE_PATHS):
                failures.append(line)
    return failures


def findings(outcome: Outcome, private: tuple[bytes, ...]) -> list[str]:
    """What is wrong with one answer."""
    case, whole = outcome.case, outcome.head + b"\r\n\r\n" + outcome.body
    found = []
    if outcome.hung:
        found.append("hang")
    if b"Traceback (most recent call last)" in whole or b'File "/' in whole:
        found.append("traceback shown")
    if outcome.status is not None and outcome.status >= 400 and any(p in whole for p in private):
        found.append("server path shown")
    if any(line.lower().startswith(INJECTED.lower()) for line in outcome.head.split(b"\r\n")[1:]):
        found.append("header injected")
    if re.search(rb"</html>\s*\S", outcome.body, re.I) and outcome.status is not None \
            and outcome.status >= 400:
        found.append("more output after an error page")
    if CANARY in whole:
        found.append("traversal reached the canary")
    if case.refused and outcome.status == 200:
        found.append("unpublished object served")
    if case.body_pattern and outcome.status == 200 and not re.fullmatch(case.body_pattern, outcome.body):
        found.append(f"body {outcome.body[:80]!r}")
    if outcome.status == 200 and any(f in outcome.body for f in case.forbidden):
        found.append("forbidden text in the answer (a tampered cookie verified, a hidden header)")
    if case.status is not None and outcome.status != case.status:
        found.append(f"status {outcome.status}, not {case.status}")
    return found


@pytest.mark.parametrize("mpm", ["event", "prefork"])
def test_fuzz_every_parser(apache_factory, mpm):
    server = make_site(apache_factory, mpm)
    serves_normally(server)
    skip = ("sessions", "error.log", "access.log", "httpd.pid")
    before = tree(server.root, skip)
    private = (server.root.encode(), os.path.dirname(os.path.abspath(modpy.__file__)).encode())
    cases = fuzzcases.cases()

    start = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        outcomes = list(pool.map(lambda case: send(server.port, case), cases))
    elapsed = time.monotonic() - start

    problems = [f"{o.case.name}: {', '.join(f)} (status {o.status}, request {o.case.raw[:200]!r})"
                for o in outcomes for f in [findings(o, private)] if f]
    print(f"\nfuzz ({mpm}): {len(cases)} cases in {elapsed:.1f}s, slowest {max(o.seconds for o in outcomes):.2f}s")
    for family in fuzzcases.COUNTS:
        statuses = Counter(o.status for o in outcomes if o.case.family == family)
        print(f"  {family:<13} " + " ".join(f"{s}:{n}" for s, n in sorted(statuses.items(), key=str)))
    assert not problems, "\n".join(problems[:40])
    assert server.crashes() == 0, server.error_log()[-5000:]
    unmeant = unmeant_failures(server.error_log())
    assert not unmeant, "\n".join(line[:400] for line in unmeant[:20])
    assert tree(server.root, skip) == before
    assert misplaced_session_files(server.root) == []
    serves_normally(server)
    assert server.crashes() == 0
