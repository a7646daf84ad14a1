"""Hostile requests a code review found (issue 17), each against a real
Apache: a publisher guard that failed open, forms that cost memory and
time without bound, imported objects and getters the publisher exposed,
headers the WSGI environ trusted, request fields that split a response,
session cookies without their attributes, and lock waits without end."""
import base64
import os
import re
import socket
import threading
import time

import httpx
import pytest

from modpy.tools.apacheconf import DEFAULT_MODULES
from tests.apache import Apache, LogSince, free_port, read_until_close, self_signed_certificate

SITE = """
    PythonPath "sys.path + ['{htdocs}']"
    <Directory "{htdocs}/pub">
        SetHandler mod_python
        PythonHandler mod_python.publisher
    </Directory>
    <Directory "{htdocs}/roomy">
        SetHandler mod_python
        PythonHandler mod_python.publisher
        PythonOption mod_python.form.max_fields 100000
        PythonOption mod_python.form.max_size 8000000
        PythonOption mod_python.form.max_files 400
    </Directory>
    <Directory "{htdocs}/h">
        SetHandler mod_python
        PythonHandler h
        PythonOption mod_python.file_session.database_directory {root}/sessions
        PythonOption mod_python.session.lock_wait 1
    </Directory>
    <Directory "{htdocs}/strict">
        SetHandler mod_python
        PythonHandler h
        PythonOption mod_python.file_session.database_directory {root}/sessions
        PythonOption mod_python.session.cookie_samesite Strict
        PythonOption mod_python.session.cookie_httponly on
        PythonOption mod_python.session.cookie_secure on
    </Directory>
    <Location /w>
        SetHandler mod_python
        PythonHandler mod_python.wsgi
        PythonOption mod_python.wsgi.application wapp::application
        PythonOption mod_python.wsgi.base_uri /w/app
    </Location>
    <Location /w/app/private>
        AuthType Basic
        AuthName "wsgi"
        AuthBasicProvider file
        AuthUserFile "{root}/htpasswd"
        Require valid-user
    </Location>
"""

PUBLISHED = '''
import os
from os import environ
from os.path import join

USERS = {"alice": "wonderland"}

def make_users():
    return USERS

def secret(req):
    __auth__ = USERS
    return "the secret"

def computed(req):
    __auth__ = make_users()
    return "computed secret"

class Thing:
    @property
    def prop(self):
        open(os.path.join(os.path.dirname(__file__), "getter-ran"), "w").close()
        return "prop value"
    def show(self):
        return "a method of the module's own object"

thing = Thing()

def kw(req, **fields):
    return "fields=%d" % len(fields)

def form(req):
    import tracemalloc
    tracemalloc.start()
    fs = req.form = __import__("mod_python.util").util.FieldStorage(req, keep_blank_values=1)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return "fields=%d peak=%d fds=%d" % (len(fs.list), peak, len(os.listdir("/proc/self/fd")))
'''

HANDLER = '''
import os, time
from mod_python import apache, Session

FIELDS = {"ct": "content_type", "ce": "content_encoding", "sl": "status_line",
          "vv": "vlist_validator"}

def handler(req):
    what = req.uri.rsplit("/", 1)[-1]
    if what in FIELDS:
        setattr(req, FIELDS[what], "text/plain\\r\\nX-Injected: 1")
        req.write("should not be sent")
        return apache.OK
    if what == "am":
        req.allow_methods(["GET", "FOO\\r\\nX-Injected: 1"])
        return apache.HTTP_METHOD_NOT_ALLOWED
    req.content_type = "text/plain"
    s = Session.FileSession(req)
    if what == "login":
        old = s.id()
        s["user"] = "alice"
        new = s.regenerate_id()
        s.save()
        req.write("%s %s" % (old, new))
    elif what == "hold":
        s.save()
        open(__file__ + ".holding", "w").close()     # the test waits for this
        time.sleep(4)
        req.write(s.id())
    else:
        s["n"] = s.get("n", 0) + 1
        s.save()
        req.write("%s %s %s" % (s.id(), s.get("user"), s["n"]))
    return apache.OK
'''

WSGI = '''
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    keys = ("HTTP_PROXY", "HTTP_X_REMOTE_USER", "REMOTE_USER", "AUTH_TYPE", "PATH_INFO")
    return [repr({k: environ.get(k) for k in keys}).encode()]
'''


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("round2")
    server = Apache(str(root), SITE, modules=DEFAULT_MODULES + ("authn_file",))
    for directory in ("pub", "roomy"):
        server.write(f"{directory}/m.py", PUBLISHED)
    server.write("h/h.py", HANDLER)
    server.write("strict/h.py", HANDLER)
    server.write("wapp.py", WSGI)
    sha = base64.b64encode(__import__("hashlib").sha1(b"pw").digest()).decode()
    with open(os.path.join(str(root), "htpasswd"), "w") as f:
        f.write("bob:{SHA}" + sha + "\n")
    server.start()
    yield server
    server.stop()
    assert server.crashes() == 0, server.error_log()


def exchange(server, raw: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=120) as s:
        s.sendall(raw)
        s.shutdown(socket.SHUT_WR)
        return read_until_close(s)


def basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def multipart(parts: list) -> tuple[dict, bytes]:
    body = b"".join(b"--B\r\n" + part + b"\r\n" for part in parts) + b"--B--\r\n"
    return {"Content-Type": "multipart/form-data; boundary=B"}, body


def text_part(name: str, size: int) -> bytes:
    return b'Content-Disposition: form-data; name="%s"\r\n\r\n' % name.encode() + b"x" * size


def file_part(name: str, size: int) -> bytes:
    return (b'Content-Disposition: form-data; name="%s"; filename="f"\r\n\r\n' % name.encode()
            + b"y" * size)


# publisher guards -------------------------------------------------------------

def test_a_guard_naming_a_module_dict_is_applied(server):
    """Before: `__auth__ = USERS` in the body was not a literal, so it was
    no guard at all: 200 and the secret to anyone."""
    assert server.get("/pub/m/secret").status_code == 401
    assert server.get("/pub/m/secret", headers=basic("alice", "wrong")).status_code == 401
    assert server.get("/pub/m/secret", headers=basic("bob", "wonderland")).status_code == 401
    r = server.get("/pub/m/secret", headers=basic("alice", "wonderland"))
    assert r.status_code == 200 and r.text == "the secret"


def test_a_guard_that_cannot_be_read_refuses_the_request(server):
    log = LogSince(server)
    r = server.get("/pub/m/computed", headers=basic("alice", "wonderland"))
    assert r.status_code == 500 and "computed secret" not in r.text
    lines = [line for line in str(log).splitlines() if "__auth__" in line]
    assert len(lines) == 1 and "neither a literal nor a module-level name" in lines[0], str(log)


# publisher exposure and methods --------------------------------------------------

def test_imported_objects_are_not_published(server):
    """Before: /environ printed the server's environment."""
    for name in ("environ", "join", "os"):
        r = server.get(f"/pub/m/{name}")
        assert r.status_code == 403, (name, r.text)
        assert "PATH" not in r.text
    assert server.get("/pub/m/thing/show").text == "a method of the module's own object"


def test_traversal_never_runs_a_getter(server):
    marker = os.path.join(server.htdocs, "pub", "getter-ran")
    r = server.get("/pub/m/thing/prop")
    assert r.status_code == 404 and "prop value" not in r.text
    assert not os.path.exists(marker)


@pytest.mark.parametrize("method", ["PUT", "DELETE", "OPTIONS", "PATCH"])
def test_only_get_post_and_head_are_published(server, method):
    r = server.request(method, "/pub/m/thing/show")
    assert r.status_code == 405, r.text
    assert {"GET", "POST", "HEAD"} <= set(r.headers["Allow"].split(","))
    assert server.request("HEAD", "/pub/m/thing/show").status_code == 200


# urlencoded forms --------------------------------------------------------------

def test_too_many_fields_is_413_at_once(server):
    """Before: 60,000 names held the child's GIL for about a minute."""
    log = LogSince(server)
    body = "&".join(f"f{i}=1" for i in range(60000))
    start = time.monotonic()
    r = server.post("/pub/m/kw", content=body, headers=FORM)
    assert r.status_code == 413 and time.monotonic() - start < 10
    assert "more form fields than mod_python.form.max_fields allows" in str(log)
    assert server.get("/pub/m/kw?" + "&".join(["a=1"] * 1001)).status_code == 413
    assert server.get("/pub/m/kw?" + "&".join(["a=1"] * 1000)).text == "fields=1"


def test_a_body_over_max_size_is_413_before_it_is_read(server):
    """A Content-Length past the limit is refused with no body sent at all
    (before: the whole body was read into memory, whatever its size)."""
    log = LogSince(server)
    head = (b"POST /pub/m/kw HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-"
            b"urlencoded\r\n")
    assert exchange(server, head + b"Content-Length: 2621441\r\n\r\n").startswith(b"HTTP/1.1 413 ")
    assert "more form data in memory than mod_python.form.max_size allows" in str(log)
    chunked = head + b"Transfer-Encoding: chunked\r\n\r\n" \
        + b"".join(b"10000\r\n" + b"x" * 65536 + b"\r\n" for _ in range(41)) + b"0\r\n\r\n"
    assert exchange(server, chunked).startswith(b"HTTP/1.1 413 ")


def test_many_fields_within_the_limits_cost_linear_time_and_small_memory(server):
    """Before: 60,000 names took about a minute (a scan of every field per
    name), and `a&a&...` took some 300 bytes of memory per byte of body."""
    body = "&".join(f"f{i}=1" for i in range(60000))
    start = time.monotonic()
    r = server.post("/roomy/m/kw", content=body, headers=FORM)
    assert r.text == "fields=60000" and time.monotonic() - start < 10
    r = server.post("/roomy/m/form", content=b"a&" * 40000, headers=FORM)
    fields, peak = re.match(r"fields=(\d+) peak=(\d+)", r.text).groups()
    assert int(fields) == 40000 and int(peak) < 160 * 40000, r.text   # was ~680 a field


# multipart forms ---------------------------------------------------------------

def test_a_huge_text_part_is_413_and_never_held(server):
    """Before: a text part was kept whole in memory (500 MB peaked near 1.5 GB)."""
    log = LogSince(server)
    headers, body = multipart([text_part("t", 3 << 20)])
    assert server.post("/pub/m/form", content=body, headers=headers).status_code == 413
    assert "more form data in memory than mod_python.form.max_size allows" in str(log)
    headers, body = multipart([text_part("t", 1 << 20), text_part("u", 1 << 20),
                               text_part("v", 1 << 20)])
    assert server.post("/pub/m/form", content=body, headers=headers).status_code == 413
    r = server.post("/roomy/m/form", content=body, headers=headers)
    assert r.text.startswith("fields=3 "), r.text


def test_too_many_upload_files_is_413(server):
    """Before: 1,000 parts of 70 KB held 1,000 open temporary files."""
    log = LogSince(server)
    headers, body = multipart([file_part(f"f{i}", 70000) for i in range(101)])
    assert server.post("/pub/m/form", content=body, headers=headers).status_code == 413
    assert "more uploaded files than mod_python.form.max_files allows" in str(log)
    headers, body = multipart([file_part(f"f{i}", 70000) for i in range(100)])
    assert server.post("/pub/m/form", content=body, headers=headers).text.startswith("fields=100 ")
    headers, body = multipart([text_part(f"t{i}", 1) for i in range(1001)])
    assert server.post("/pub/m/form", content=body, headers=headers).status_code == 413


# the WSGI environ --------------------------------------------------------------

def test_wsgi_environ_drops_proxy_and_underscored_headers(server):
    r = server.get("/w/app/x", headers={"Proxy": "http://evil:1", "X_Remote_User": "admin"})
    env = eval(r.text)
    assert env["HTTP_PROXY"] is None and env["HTTP_X_REMOTE_USER"] is None, env
    env = eval(server.get("/w/app/x", headers={"X-Remote-User": "front"}).text)
    assert env["HTTP_X_REMOTE_USER"] == "front"


def test_wsgi_environ_has_remote_user_and_auth_type(server):
    assert server.get("/w/app/private/x").status_code == 401
    env = eval(server.get("/w/app/private/x", headers=basic("bob", "pw")).text)
    assert env["REMOTE_USER"] == "bob" and env["AUTH_TYPE"] == "Basic", env
    assert eval(server.get("/w/app/x").text)["REMOTE_USER"] is None


def test_wsgi_uri_outside_the_base_uri_is_404(server):
    log = LogSince(server)
    assert server.get("/w/elsewhere").status_code == 404
    assert "is not under mod_python.wsgi.base_uri" in str(log) and "Traceback" not in str(log)


# response splitting -------------------------------------------------------------

@pytest.mark.parametrize("name, refusal", [
    ("ct", "ValueError: req.content_type must not contain a CR or LF character"),
    ("sl", "ValueError: req.status_line must not contain a CR or LF character"),
    ("vv", "ValueError: req.vlist_validator must not contain a CR or LF character"),
    ("am", "ValueError: a method name must not contain a CR or LF character"),
    # read-only, as in mod_python 3.5: no value at all gets in
    ("ce", "AttributeError: attribute 'content_encoding' of 'mp_request' objects is not writable"),
])
def test_request_fields_refuse_line_breaks(server, name, refusal):
    log = LogSince(server)
    reply = exchange(server, b"GET /h/%s HTTP/1.0\r\nHost: x\r\n\r\n" % name.encode())
    assert reply.startswith(b"HTTP/1.1 500 "), reply[:300]
    assert not re.search(rb"(?im)^x-injected", reply) and b"should not be sent" not in reply
    assert refusal in str(log)


# sessions ----------------------------------------------------------------------

def session_cookie(response) -> str:
    return response.headers["Set-Cookie"]


def fresh(server, path: str, cookie: str = "") -> "httpx.Response":
    """A request with exactly this Cookie header (no client's cookie jar)."""
    return httpx.get(server.url(path), headers={"Cookie": cookie} if cookie else {}, timeout=30)


def test_session_cookie_attributes(server):
    cookie = session_cookie(fresh(server, "/h/count"))
    assert "httponly" not in cookie and "; SameSite=Lax" in cookie and "secure" not in cookie
    cookie = session_cookie(fresh(server, "/strict/count"))
    assert "; httponly" in cookie and "; SameSite=Strict" in cookie and "; secure" in cookie


def test_regenerate_id_at_login(server):
    sid = fresh(server, "/h/count").text.split()[0]
    r = fresh(server, "/h/login", f"pysid={sid}")
    old, new = r.text.split()
    assert old == sid and new != sid and f"pysid={new}" in r.headers["Set-Cookie"]
    assert fresh(server, "/h/count", f"pysid={new}").text == f"{new} alice 2"
    again = fresh(server, "/h/count", f"pysid={sid}").text.split()
    assert again[0] != sid and again[1:] == ["None", "1"]      # the old id opens nothing


def test_the_first_session_cookie_wins(server):
    first = fresh(server, "/h/count").text.split()[0]
    second = fresh(server, "/h/count").text.split()[0]
    assert fresh(server, "/h/count", f"pysid={first}; pysid={second}").text.split()[0] == first
    assert fresh(server, "/h/count", f"pysid={second}; pysid={first}").text.split()[0] == second


def test_a_session_lock_wait_is_bounded(server):
    """Before: the second request waited for the first to end (200 after it)."""
    sid = fresh(server, "/h/count").text.split()[0]
    holding = os.path.join(server.htdocs, "h", "h.py.holding")
    holder = threading.Thread(target=fresh, args=(server, "/h/hold", f"pysid={sid}"))
    log = LogSince(server)
    holder.start()
    deadline = time.monotonic() + 20
    while not os.path.exists(holding) and time.monotonic() < deadline:
        time.sleep(0.02)
    r = fresh(server, "/h/count", f"pysid={sid}")      # lock_wait is 1 s, the holder takes 4
    holder.join()
    os.unlink(holding)
    assert r.status_code == 500, r.status_code
    assert "LockTimeout" in str(log) and "not had within 1 s" in str(log)


def test_session_cookie_is_secure_over_https(apache_factory, tmp_path):
    cert, key = self_signed_certificate(tmp_path)
    port = free_port()
    server = apache_factory(f"""
        <Directory "{{htdocs}}">
            SetHandler mod_python
            PythonHandler h
            PythonOption mod_python.file_session.database_directory {{root}}/sessions
        </Directory>
        <VirtualHost 127.0.0.1:{port}>
            SSLEngine on
            SSLCertificateFile {cert}
            SSLCertificateKeyFile {key}
        </VirtualHost>
    """, modules=DEFAULT_MODULES + ("socache_shmcb", "ssl"), extra_listen=[f"127.0.0.1:{port}"])
    server.write("h.py", HANDLER)
    server.start()
    cookie = httpx.get(f"https://127.0.0.1:{port}/count", verify=False).headers["Set-Cookie"]
    assert "; secure; SameSite=Lax" in cookie, cookie
    assert "secure" not in fresh(server, "/count").headers["Set-Cookie"]
