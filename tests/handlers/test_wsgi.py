"""mod_python.wsgi against a real Apache: PEP 3333 apps wrapped in
wsgiref.validate, and a Flask application."""
import httpx
import pytest

CONF = """
    <Directory "{htdocs}">
        SetHandler mod_python
        PythonHandler mod_python.wsgi
        PythonDebug On
        PythonOption mod_python.wsgi.application app::%s
    </Directory>
    <Location /sub>
        PythonOption mod_python.wsgi.base_uri /sub
    </Location>
"""

APP = r'''
import sys, tempfile
from wsgiref.validate import validator

def _env(environ, start_response):
    keys = ("REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "SERVER_PROTOCOL",
            "HTTP_X_RAW", "CONTENT_LENGTH", "wsgi.url_scheme")
    body = "\n".join(f"{k}={environ.get(k)!r}" for k in keys).encode("latin-1")
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-Raw", environ.get("HTTP_X_RAW", ""))])
    return [body]
env = validator(_env)

def _echo(environ, start_response):
    inp = environ["wsgi.input"]
    first = inp.readline()
    rest = inp.read(int(environ.get("CONTENT_LENGTH") or 0) - len(first))
    environ["wsgi.errors"].write("echo got %d bytes\n" % (len(first) + len(rest)))
    start_response("201 Created", [("Content-Type", "application/octet-stream")])
    return [first, b"|", rest]
echo = validator(_echo)

class _Closing:
    closed = []
    def __init__(self, blocks): self.blocks = blocks
    def __iter__(self): return iter(self.blocks)
    def close(self): _Closing.closed.append(1)

def _stream(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return _Closing([b"a", b"", b"b" * 100000, str(len(_Closing.closed)).encode()])
stream = validator(_stream)

def _writer(environ, start_response):
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"written;")
    return [b"returned"]
writer = validator(_writer)

def _error(environ, start_response):
    try:
        raise RuntimeError("boom inside")
    except RuntimeError:
        start_response("200 OK", [("Content-Type", "text/plain")])
        start_response("503 Service Unavailable", [("Content-Type", "text/plain")], sys.exc_info())
    return [b"sorry"]
error = validator(_error)

def _late_error(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"partial"
    try:
        raise RuntimeError("too late")
    except RuntimeError:
        start_response("500 Oops", [("Content-Type", "text/plain")], sys.exc_info())
late_error = _late_error

def _files(environ, start_response):
    f = tempfile.TemporaryFile()
    f.write(b"0123456789" * 10000); f.seek(5)
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return environ["wsgi.file_wrapper"](f, 4096)
files = validator(_files)

def _upload(environ, start_response):
    import hashlib
    inp, digest, total, reads = environ["wsgi.input"], hashlib.sha256(), 0, 0
    while True:
        block = inp.read(8192)
        if not block:
            break
        digest.update(block); total += len(block); reads += 1
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"{total} {digest.hexdigest()} {reads > 1} {environ['wsgi.multithread']}".encode()]
upload = validator(_upload)

def _lines(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [repr(list(environ["wsgi.input"])).encode()]
lines = validator(_lines)

def _too_long(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"abc", b"defgh", b"ijk"]
too_long = _too_long

def _bad_status(environ, start_response):
    start_response("OK", [])
    return [b""]
bad_status = _bad_status

def names(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [repr((type(environ["wsgi.input"]).__name__, environ["wsgi.errors"] is sys.stderr))]

def no_start(environ, start_response):
    return [b"body"] if environ["QUERY_STRING"] else []

def _text_body(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return ["not bytes \u20ac"]
text_body = _text_body
'''


@pytest.fixture
def wsgi(apache_factory):
    def make(app):
        server = apache_factory(CONF % app)
        server.write("app.py", APP)
        server.start()
        return server
    return make


def test_environ_is_pep3333_latin1(wsgi):
    server = wsgi("env")
    r = server.get("/some/p%C3%A9th?a=1&b=%FF", headers={"X-Raw": b"caf\xc3\xa9\xff"})
    assert r.status_code == 200
    lines = dict(line.split("=", 1) for line in r.content.decode("latin-1").splitlines())
    assert lines["REQUEST_METHOD"] == "'GET'"
    assert lines["SCRIPT_NAME"] == "''"
    # the decoded path, bytes as latin-1 characters
    assert lines["PATH_INFO"] == repr("/some/p\xc3\xa9th")
    assert lines["QUERY_STRING"] == "'a=1&b=%FF'"
    assert lines["SERVER_PROTOCOL"] == "'HTTP/1.1'"
    assert lines["HTTP_X_RAW"] == repr("caf\xc3\xa9\xff")
    assert lines["wsgi.url_scheme"] == "'http'"
    assert [v for k, v in r.headers.raw if k.lower() == b"x-raw"] == [b"caf\xc3\xa9\xff"]
    assert "validator" not in server.error_log() and "AssertionError" not in server.error_log()


def test_base_uri_splits_script_name(wsgi):
    server = wsgi("env")
    r = server.get("/sub/x/y")
    lines = dict(line.split("=", 1) for line in r.content.decode("latin-1").splitlines())
    assert lines["SCRIPT_NAME"] == "'/sub'" and lines["PATH_INFO"] == "'/x/y'"
    r = server.get("/sub")
    lines = dict(line.split("=", 1) for line in r.content.decode("latin-1").splitlines())
    assert lines["SCRIPT_NAME"] == "'/sub'" and lines["PATH_INFO"] == "''"


def test_input_streams_and_errors_log(wsgi):
    server = wsgi("echo")
    r = server.post("/e", content=b"line one\nrest\xff")
    assert r.status_code == 201
    assert r.content == b"line one\n|rest\xff"
    assert "echo got 14 bytes" in server.error_log()


def test_input_streams_a_large_chunked_body(wsgi):
    import hashlib
    body = bytes(range(256)) * 4096            # 1 MiB
    server = wsgi("upload")
    r = server.post("/u", content=iter([body[i:i + 100000] for i in range(0, len(body), 100000)]))
    assert r.text == f"{len(body)} {hashlib.sha256(body).hexdigest()} True True"


def test_input_iterates_lines(wsgi):
    server = wsgi("lines")
    assert server.post("/l", content=b"a\nb\n\nc").text == repr([b"a\n", b"b\n", b"\n", b"c"])


def test_iterable_blocks_and_close(wsgi):
    server = wsgi("stream")
    r = server.get("/s")
    assert r.content == b"a" + b"b" * 100000 + b"0"   # close() not yet called while iterating
    r = server.get("/s")
    assert r.content.endswith(b"1")                    # close() was called after the first


def test_body_cut_at_declared_content_length(wsgi):
    server = wsgi("too_long")
    r = server.get("/t")
    assert r.content == b"abcde" and r.headers["content-length"] == "5"


def test_write_callable_then_iterable(wsgi):
    server = wsgi("writer")
    assert server.get("/w").text == "written;returned"


def test_exc_info_replaces_headers_before_body(wsgi):
    server = wsgi("error")
    r = server.get("/x")
    assert r.status_code == 503 and r.text == "sorry"


def test_exc_info_after_body_reraises(wsgi):
    server = wsgi("late_error")
    # PythonDebug On: the traceback follows what was sent, as mod_python
    # writes it (escaped), and the response ends
    r = server.get("/x")
    assert "too late" in r.text and r.text.endswith("</pre>\n")
    assert "too late" in server.error_log()
    # PythonDebug Off: the response is cut short, its chunked body never
    # ends, the client can tell
    server.set_body((CONF % "late_error").replace("PythonDebug On", "PythonDebug Off"))
    server.restart()
    with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
        server.get("/x")


def test_file_wrapper_streams_from_offset(wsgi):
    server = wsgi("files")
    r = server.get("/f")
    assert r.content == (b"0123456789" * 10000)[5:]


def test_bad_status_is_500_and_a_str_body_is_sent_as_mod_python_sends_it(wsgi):
    server = wsgi("bad_status")
    assert server.get("/x").status_code == 500
    assert "not '<3 digits> <reason>'" in server.error_log()
    server.set_body(CONF % "text_body")
    server.restart()
    # PEP 3333 wants bytes; mod_python's gateway writes a str as req.write does
    r = server.get("/x")
    assert r.status_code == 200 and r.text == "not bytes \u20ac" and r.content.endswith(b"\xe2\x82\xac")


def test_missing_application_option(apache_factory):
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler mod_python.wsgi
        </Directory>
    """)
    server.start()
    assert server.get("/").status_code == 500
    assert "mod_python.wsgi.application is not set" in server.error_log()


FLASK_APP = '''
from flask import Flask, request, jsonify
from wsgiref.validate import validator

app = Flask(__name__)

@app.route("/hello/<name>")
def hello(name):
    return f"Hello, {name}!"

@app.route("/form", methods=["POST"])
def form():
    return jsonify(sorted(request.form.items()), request.script_root, request.path)

application = validator(app)
'''


def test_flask_application(apache_factory):
    server = apache_factory("""
        <Location /flask>
            SetHandler mod_python
            PythonHandler mod_python.wsgi
            PythonPath "['{htdocs}'] + sys.path"
            PythonOption mod_python.wsgi.application flaskapp
            PythonOption mod_python.wsgi.base_uri /flask
        </Location>
    """)
    server.write("flaskapp.py", FLASK_APP)
    server.start()
    r = server.get("/flask/hello/w%C3%B6rld")
    assert r.status_code == 200 and r.text == "Hello, w\u00f6rld!"
    r = server.post("/flask/form", data={"a": "1", "b": "\u00e9"})
    assert r.json() == [[["a", "1"], ["b", "\u00e9"]], "/flask", "/form"]
    assert server.get("/flask/nothing").status_code == 404


def test_input_and_errors_as_mod_python_gives_them(wsgi):
    # what applications written for mod_python check (its suite's wsgitest)
    server = wsgi("names")
    assert server.get("/x").text == "('mp_request', True)"


def test_location_path_is_script_name_without_base_uri(apache_factory):
    # mod_python's gateway: under a <Location>, SCRIPT_NAME is its path (its
    # suite's test_wsgihandler_location)
    server = apache_factory("""
        <Location /loc>
            SetHandler mod_python
            PythonHandler mod_python.wsgi
            PythonPath "['{htdocs}'] + sys.path"
            PythonOption mod_python.wsgi.application app::env
        </Location>
    """)
    server.write("app.py", APP)
    server.start()
    r = server.get("/loc/a/b")
    assert "SCRIPT_NAME='/loc'\nPATH_INFO='/a/b'\n" in r.text, r.text


BAD_HEADERS = '''
def application(environ, start_response):
    kind = environ["QUERY_STRING"]
    headers = {"name": [("Bad Name", "x")], "value": [("X-A", "a\\r\\nInjected: yes")]}[kind]
    start_response("200 OK", headers)
    return [b"never"]
'''


def test_header_injection_is_refused(apache_factory):
    server = apache_factory(CONF % "application")
    server.write("app.py", BAD_HEADERS)
    server.start()
    for kind, message in (("name", "is not an HTTP token"), ("value", "line break or NUL")):
        r = server.get("/x?" + kind)
        assert r.status_code == 500 and "injected" not in r.headers
        assert message in server.error_log()


def test_an_application_that_never_calls_start_response_is_a_500_saying_so(wsgi):
    server = wsgi("no_start")
    assert server.get("/x").status_code == 500
    assert "the application returned before calling start_response()" in server.error_log()
    assert server.get("/x?body").status_code == 500
    assert "the application wrote a body before calling start_response()" in server.error_log()
