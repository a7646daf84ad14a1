"""The request object's members and methods, read and (where the manual
says writable) written, under modpy and Debian's mod_python: one line per
case, the code the probe runs and the request it runs in."""
from __future__ import annotations

import pytest

from tests.system.differential.pair import body, get, pair_fixture, post, request

SITE = """
    <Directory "{htdocs}">
        SetHandler mod_python
        PythonHandler probe
        PythonOption probe.option one
        PythonDebug Off
    </Directory>
    <Location "/loc">
        SetHandler mod_python
        PythonPath "['{htdocs}'] + sys.path"
        PythonHandler probe
    </Location>
    <Directory "{htdocs}/exts">
        AddHandler mod_python .py
    </Directory>
    <Directory "{htdocs}/exts/several">
        AddHandler mod_python .psp .Exe plain
        AddHandler python-program .pp
    </Directory>
    <Directory "{htdocs}/exts/others">
        AddHandler cgi-script .cgi
        AddHandler server-parsed .shtml
        AddHandler Mod_Python .mixed
    </Directory>
    <Directory "{htdocs}/exts/overridden">
        AddHandler cgi-script .py
        AddHandler mod_python .cgi
    </Directory>
    <Directory "{htdocs}/exts/removed">
        RemoveHandler .py
    </Directory>
    <Directory "{htdocs}/exts/removed/readded">
        AddHandler mod_python .py
    </Directory>
    <Directory "{htdocs}/exts/ht">
        AllowOverride FileInfo
    </Directory>
    <Location "/loc/exts">
        AddHandler mod_python .inloc
    </Location>
"""

# directories for req.get_addhandler_exts(): each needs a file to exist
EXTS_DIRS = ["exts", "exts/inherits", "exts/several", "exts/others", "exts/overridden",
             "exts/removed", "exts/removed/deeper", "exts/removed/readded", "exts/ht"]

pair = pair_fixture(SITE, {"sub/page.txt": "page\n", **{f"{d}/page.txt": "page\n" for d in EXTS_DIRS},
                           "exts/ht/.htaccess": "AddHandler mod_python .fromht\n"})

P = "/probe.py/extra/path?a=1&b=2"

READ = [
    # (code, path)
    ("req.the_request", P), ("req.method", P), ("req.method_number", P), ("req.protocol", P),
    ("req.proto_num", P), ("req.uri", P), ("req.unparsed_uri", P), ("req.args", P),
    ("req.path_info", P), ("req.filename", P), ("req.canonical_filename", P),
    ("req.used_path_info", P), ("req.hostname", P), ("req.header_only", P),
    ("req.assbackwards", P), ("req.proxyreq", P), ("req.status", P), ("req.status_line", P),
    ("req.allowed", P), ("req.allowed_xmethods", P), ("req.allowed_methods", P),
    ("req.sent_bodyct", P), ("req.bytes_sent", P), ("req.mtime", P), ("req.chunked", P),
    ("req.range", P), ("req.clength", P), ("req.remaining", P), ("req.read_length", P),
    ("req.read_body", P), ("req.read_chunked", P), ("req.expecting_100", P),
    ("req.no_cache", P), ("req.no_local_copy", P), ("req.eos_sent", P), ("req.handler", P),
    ("req.content_type", P), ("req.content_encoding", P), ("req.content_languages", P),
    ("req.vlist_validator", P), ("req.user", P), ("req.ap_auth_type", P), ("req.phase", P),
    ("req.interpreter", P), ("req.main", P), ("req.prev", P), ("req.next", P),
    ("tuple(req.parsed_uri)", P), ("req.request_time > 0", P), ("type(req.request_time)", P),
    ("sorted(req.headers_in.items())", P), ("sorted(req.headers_out.items())", P),
    ("sorted(req.err_headers_out.items())", P), ("req.notes.get('n')", P),
    ("sorted(req.subprocess_env.items())", P), ("req.hlist.handler", P),
    ("req.hlist.directory", P), ("req.hlist.silent", P), ("req.hlist.is_location", P),
    ("req.get_options()", P), ("sorted(req.get_config().items())", P),
    ("req.document_root()", P), ("req.construct_url('/x?y')", P), ("req.is_https()", P),
    ("req.get_remote_host()", P), ("req.get_remote_host(apache.REMOTE_NOLOOKUP)", P),
    ("req.auth_name()", P), ("req.auth_type()", P),
    ("req.get_basic_auth_pw()", P), ("req.meets_conditions()", P),
    ("req.ssl_var_lookup('HTTPS')", P),
    ("str(type(req))", P), ("type(req.connection).__name__", P),
    ("type(req.server).__name__", P), ("type(req.headers_in).__name__", P),
    # the same under a <Location>: no file-system walk
    ("req.filename", "/loc/a/b?q"), ("req.path_info", "/loc/a/b?q"),
    ("req.canonical_filename", "/loc/a/b"), ("req.hlist.is_location", "/loc/a/b"),
    ("req.hlist.directory", "/loc/a/b"), ("req.finfo", "/loc/a/b"),
    # the CGI variables
    ("req.add_common_vars() or sorted(req.subprocess_env.items())", P),
    ("req.add_cgi_vars() or sorted(req.subprocess_env.items())", P),
    ("req.add_cgi_vars() or sorted(req.subprocess_env.items())", "/loc/a/b?q=1"),
    ("req.add_common_vars() or req.subprocess_env.get('SCRIPT_FILENAME')", "/loc/x"),
    ("sorted(apache.build_cgi_env(req).items())", P), ("sorted(apache.build_cgi_env(req).items())", "/loc/a"),
    ("req.send_http_header()", P),
    ("[req.server.my_generation, type(req.server.restart_time).__name__, req.server.restart_time > 1.7e9]", P),
    ("req.add_cgi_vars() or sorted(req.subprocess_env.items())", "/probe.py/a%20b/?q=%20"),
    # the finfo object: every member, and the FINFO_* indexes
    ("req.finfo", P), ("[req.finfo[i] for i in range(12) if i != apache.FINFO_INO]", P),
    ("[getattr(req.finfo, n) for n in ('fname', 'filetype', 'valid', 'protection', 'user', "
     "'group', 'size', 'nlink', 'atime', 'mtime', 'ctime', 'name')]", P),
    ("(req.finfo.inode, req.finfo.device) == (os.stat(req.filename).st_ino, "
     "os.stat(req.filename).st_dev)", P),
    ("apache.stat(req.filename, apache.APR_FINFO_MIN)", P),
    ("apache.stat('/nonexistent', apache.APR_FINFO_NORM)", P),
]

WRITE = [
    # statements that set a member and write what reads back
    "req.status = 201; req.write(repr(req.status))",
    "req.status_line = '299 Odd'; req.write(repr(req.status_line))",
    "req.filename = '/etc/hosts'; req.write(repr((req.filename, req.canonical_filename)))",
    "req.path_info = '/changed'; req.write(repr(req.path_info))",
    "req.uri = '/other'; req.write(repr(req.uri))",
    "req.args = 'z=9'; req.write(repr(req.args))",
    "req.user = 'someone'; req.write(repr(req.user))",
    "req.ap_auth_type = 'Basic'; req.write(repr(req.ap_auth_type))",
    "req.handler = 'other'; req.write(repr(req.handler))",
    "req.content_type = 'text/x-odd'; req.write(repr(req.content_type))",
    "req.content_encoding = 'gzip'; req.write(repr(req.content_encoding))",
    "req.content_languages = ('en', 'fr'); req.write(repr(req.content_languages))",
    "req.allowed = 5; req.write(repr(req.allowed))",
    "req.mtime = 1000000000; req.write(repr(req.mtime))",
    "req.no_cache = 1; req.write(repr(req.no_cache))",
    "req.used_path_info = 2; req.write(repr(req.used_path_info))",
    "req.chunked = 0; req.write(repr(req.chunked))",
    "req.allow_methods(['GET', 'POST']); req.write(repr(req.allowed))",
    "req.allow_methods(['PUT'], 1); req.write(repr(req.allowed))",
    "req.finfo = apache.stat('/etc/hosts', apache.APR_FINFO_NORM); req.write(repr(req.finfo.fname))",
    "req.finfo = 5",
    "req.write('')",
    "req.set_content_length(3); req.write('abc')",
    "req.update_mtime(1000); req.set_last_modified(); req.write(repr(req.mtime))",
    "req.set_etag(); req.write('e')",
    "req.headers_out['X-A'] = '1'; req.headers_out.add('X-B', 'x'); req.headers_out.add('X-B', 'y')",
    "req.err_headers_out['X-E'] = 'e'; req.status = 404",
    "req.notes['n'] = 'v'; req.write(repr(req.notes['n']))",
    "req.subprocess_env['S'] = 'v'; req.write(repr(req.subprocess_env['S']))",
    "req.headers_in['X-New'] = 'v'; req.write(repr(req.headers_in['X-New']))",
    "req.write('a'); req.flush(); req.write(b'b', 0)",
    "req.status = 201; req.headers_out['X-One'] = '1'; req.headers_out.add('X-Two', 'a'); "
    "req.headers_out.add('X-Two', 'b'); req.err_headers_out['X-Err'] = 'e'; req.write('first '); "
    "req.write(b'second')",
    "req.status = 404; raise apache.SERVER_RETURN(apache.HTTP_NOT_FOUND)",
    "raise apache.SERVER_RETURN(apache.HTTP_FORBIDDEN)",
    "raise apache.SERVER_RETURN(apache.DONE)",
    "req.log_error('logged'); req.write('ok')",
    "req.log_error('warned', apache.APLOG_WARNING); req.write('ok')",
    "req.sendfile(req.document_root() + '/sub/page.txt')",
    "req.sendfile(req.document_root() + '/sub/page.txt', 1, 2)",
    "req.internal_redirect('/sub/page.txt')",
    "req.internal_redirect('/probe.py?again') if req.prev is None else "
    "req.write(repr((req.uri, req.args, req.prev.uri, req.prev.args, req.prev.next.args, req.main)))",
    "req.discard_request_body(); req.write('d')",
    "req.set_keepalive(); req.write('k')",
    "req.headers_out['Content-Type'] = 'text/x-own'; req.write('x')",
    "req.content_type = 'text/html; charset=utf-8'; req.write('caf\\u00e9')",
    "req.status = 304; req.write('not sent')",
    "req.status = 204",
    "req.set_content_length(10); req.write('short')",
    "req.register_cleanup(lambda data: None, 1); req.write('c')",
    "req.write(repr(req.readline()) + repr(req.read()))",
    "req.write(repr(req.read(3)) + repr(req.readlines()))",
    "req.write(repr(req.readlines(5)))",
    "req.write(repr(req.read(-1)))",
]

BODY = b"one\ntwo\nthree"


@pytest.mark.parametrize("code, path", READ, ids=[f"{c} @{p}" for c, p in READ])
def test_read(pair, code, path):
    pair.same(get(path, code, "X-Probe: one"))


@pytest.mark.parametrize("code", WRITE)
def test_write(pair, code):
    pair.same(post(P, BODY, "text/plain", code))


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS", "PUT", "DELETE"])
def test_methods(pair, method):
    code = "(req.method, req.method_number, req.header_only)"
    pair.same(request(method, P, code))


def test_http11_keepalive(pair):
    pair.same(request("GET", P, "(req.protocol, req.proto_num, req.connection.keepalive)",
                      ["Connection: close"], version="HTTP/1.1"))


def test_requires_as_the_manual_says(pair):
    # Debian's mod_python, built for Apache 2.4, has no req.requires(); the
    # manual has it, and modpy gives the Require lines in effect
    mine, theirs = pair.both(get(P, "req.requires()"))
    assert body(theirs) == b"raised AttributeError: 'mp_request' object has no attribute 'requires'"
    assert body(mine) == b"('all granted',)"


CHUNKED = (b"POST /probe.py HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n"
           b"X-Code: {}\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")


@pytest.mark.parametrize("code", ["(req.read_chunked, req.remaining, req.read_length)",
                                  "req.write('one'); req.write('two')", "req.write('x' * 9000)"])
def test_http11_chunked(pair, code):
    pair.same(CHUNKED.replace(b"{}", code.encode()))


@pytest.mark.parametrize("code, expected", [
    ("req.read()", b"b'hello world'"), ("[req.read(3), req.read()]", b"[b'hel', b'lo world']"),
    ("req.readline()", b"b'hello world'"),
])
def test_chunked_body_as_the_manual_says(pair, code, expected):
    # Debian's mod_python refuses a chunked request body (411 raised from
    # req.read()); the manual's req.read() reads the body, however it came
    mine, theirs = pair.both(CHUNKED.replace(b"{}", code.encode()))
    assert b"raised SERVER_RETURN: 411" in theirs
    assert b"\r\n" + expected + b"\r\n0\r\n\r\n" in mine


def test_register_cleanup_runs_after_the_request(pair):
    """req.register_cleanup(callable, data): called with data when the
    request is done, after the reply."""
    mark = "req.document_root() + '/cleaned'"
    mine, theirs = pair.conversation(
        get(P, f"req.register_cleanup(lambda path: open(path, 'w').write('cleaned up'), {mark}) or 'registered'"),
        get(P, f"open({mark}).read()"))
    assert mine == theirs
    assert body(mine[1]) == b"'cleaned up'"


@pytest.mark.parametrize("data", ["5", "None", "['list']"])
def test_write_refuses_what_is_not_text(pair, data):
    # both raise TypeError; the words are each one's own
    mine, theirs = pair.both(get(P, f"req.write({data})"))
    assert body(mine).startswith(b"raised TypeError: ") and body(theirs).startswith(b"raised TypeError: ")


@pytest.mark.parametrize("data, expected", [("bytearray(b'bytes array')", b"bytes array!"),
                                            ("memoryview(b'a view')", b"a view!")])
def test_write_takes_a_buffer(pair, data, expected):
    # documented (compatibility.md): req.write() takes any bytes-like object;
    # mod_python takes str and bytes only
    mine, theirs = pair.both(get(P, f"req.write({data}); req.write('!')"))
    assert body(theirs).startswith(b"raised TypeError: argument 1 must be read-only bytes-like object")
    assert body(mine) == expected


EXTS = "req.get_addhandler_exts()"
# mod_python's order is its hash table's, which changes from start to start:
# the extensions sorted, the '' after the last one's space kept
EXTS_SORTED = "sorted(req.get_addhandler_exts().split(' '))"
ADDHANDLER = [
    # (path, code): none in effect, one, inherited, several (and other
    # handlers' among them), replaced by another handler, removed, re-added
    (P, EXTS), ("/exts/page.txt", EXTS), ("/exts/inherits/page.txt", EXTS),
    ("/exts/not-there/x", EXTS), ("/exts/page.txt/path/info", EXTS),
    ("/exts/several/page.txt", EXTS_SORTED), ("/exts/others/page.txt", EXTS_SORTED),
    ("/exts/overridden/page.txt", EXTS), ("/exts/removed/page.txt", EXTS),
    ("/exts/removed/deeper/page.txt", EXTS), ("/exts/removed/readded/page.txt", EXTS),
    ("/exts/ht/page.txt", EXTS_SORTED), ("/loc/exts/x", EXTS), ("/loc/a", EXTS),
    # the request's own handler plays no part
    ("/exts/several/page.txt", "req.handler = 'cgi-script'; req.write(repr(len(req.get_addhandler_exts())))"),
    ("/exts/page.txt", "type(req.get_addhandler_exts())"),
]


@pytest.mark.parametrize("path, code", ADDHANDLER, ids=[f"{c} @{p}" for p, c in ADDHANDLER])
def test_addhandler_exts(pair, path, code):
    pair.same(get(path, code))


def test_addhandler_exts_in_alphabetical_order(pair):
    # documented (compatibility.md): modpy's order is alphabetical, where
    # mod_python's follows Apache's hash table and changes from start to start
    mine, theirs = pair.both(get("/exts/several/page.txt", EXTS))
    assert body(mine) == b"'exe plain pp psp py '"
    assert sorted(body(theirs).strip(b"'").split(b" ")) == [b"", b"exe", b"plain", b"pp", b"psp", b"py"]


WITH_HEADERS = [
    # (code, request header)
    ("req.range", "Range: bytes=0-3"), ("req.expecting_100", "Expect: 100-continue"),
    ("req.meets_conditions()", "If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT"),
    ("req.update_mtime(946684800) or req.set_last_modified() or req.meets_conditions()",
     "If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT"),
    ("req.set_etag() or req.meets_conditions()", "If-None-Match: *"),
    ("req.get_basic_auth_pw(), req.user, req.ap_auth_type", "Authorization: Basic dTpwYXNz"),
    ("req.get_basic_auth_pw()", "Authorization: Basic !!notbase64"),
    ("req.get_remote_host(apache.REMOTE_NAME)", "X-Forwarded-For: 10.0.0.1"),
    ("[req.useragent_ip, req.useragent_addr[0], req.connection.client_ip]", "X-Probe: two"),
    ("req.headers_in.get('Cookie')", "Cookie: a=1, b=2"),
    ("sorted(req.headers_in.keys())", "X-Dup: 1\r\nX-Dup: 2"),
    ("req.headers_in['X-Dup']", "X-Dup: 1\r\nX-Dup: 2"),
]


@pytest.mark.parametrize("code, header", WITH_HEADERS, ids=[c for c, _ in WITH_HEADERS])
def test_read_with_headers(pair, code, header):
    pair.same(get(P, code, header))
