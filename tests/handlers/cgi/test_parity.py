"""The CGI emulation against mod_cgid: every script of tests/cgi_scripts runs
under both, from the same files, and the responses (status, headers but
Date/Server, body) must be equal."""
from __future__ import annotations

import os
import sys
import time

import httpx
import pytest

from tests.apache import free_port

SCRIPTS = os.path.join(os.path.dirname(__file__), "cgi_scripts")

COMMON = """
PassEnv LANG
SetEnv CGI_TEST_VAR "set by SetEnv"
SetEnvIf Request_URI "^/cgi/trusted_length.py$" ap_trust_cgilike_cl=1
Alias /static {docroot}/static
<Directory "{docroot}/cgi">
    Options +ExecCGI
    DirectoryIndex index.py
    %s
</Directory>
"""
CGID = COMMON % "SetHandler cgi-script" + """
LoadModule cgid_module /usr/lib/apache2/modules/mod_cgid.so
ScriptSock "{root}/cgid.sock"
"""
EMULATED = COMMON % "SetHandler mod_python\n    PythonHandler mod_python.cgihandler"

# Date and Server by the brief; Keep-Alive counts the requests made on the
# connection so far, which says nothing about the response itself.
IGNORED = {"date", "server", "keep-alive"}


def install_scripts(docroot: str) -> None:
    """The corpus under docroot/cgi with a shebang to this Python and exec
    bits (mod_cgid needs both; the emulation needs neither)."""
    target = os.path.join(docroot, "cgi")
    os.makedirs(target)
    for name in os.listdir(SCRIPTS):
        src = os.path.join(SCRIPTS, name)
        if not os.path.isfile(src):
            continue
        with open(src) as f:
            text = f.read()
        if text.startswith("#!"):
            text = f"#!{sys.executable}\n" + text.split("\n", 1)[1]
        dst = os.path.join(target, name)
        with open(dst, "w") as f:
            f.write(text)
        os.chmod(dst, 0o755)
    os.makedirs(os.path.join(docroot, "static"))
    with open(os.path.join(docroot, "static", "target.txt"), "w") as f:
        f.write("the redirect target\n")
    old = time.time() - 3600                # else its ETag is weak in the first second only
    os.utime(os.path.join(docroot, "static", "target.txt"), (old, old))


UPLOAD = {"title": (None, "a title"), "file": ("data.bin", bytes(range(256)) * 40, "application/x-test")}

REQUESTS = [
    ("GET", "/cgi/hello.py", {}),
    ("GET", "/cgi/env.py/extra/path?x=1&y=%C3%A9", {"headers": {"X-Custom-Header": "custom", "Cookie": "c=1"}}),
    ("GET", "/cgi/env.py?isindex+words+a%20b+sem%3Bi", {}),
    ("GET", "/cgi/form_get.py?a=1&b=two&b=2&empty=&u=%FF", {}),
    ("POST", "/cgi/form_post.py", {"data": {"name": "Ada", "lang": ["py", "c"], "uni": "é"}}),
    ("GET", "/cgi/form_post.py?q=search&n=5", {}),
    ("POST", "/cgi/upload.py", {"files": UPLOAD}),
    ("POST", "/cgi/post_raw.py", {"content": b"a=1&b=%FF&c=" + b"x" * 200000,
                                   "headers": {"Content-Type": "application/x-www-form-urlencoded"}}),
    ("POST", "/cgi/post_raw.py", {"chunks": [b"a=1&", b"b=2"]}),   # a chunked body
    ("GET", "/cgi/redirect_local.py", {}),
    ("POST", "/cgi/redirect_script.py", {"content": b"posted=1"}),
    ("GET", "/cgi/redirect_client.py", {}),
    ("GET", "/cgi/status.py", {}),
    ("GET", "/cgi/status.py?201+Created", {}),
    ("GET", "/cgi/status.py?999", {}),
    ("GET", "/cgi/status.py?abc", {}),
    ("HEAD", "/cgi/hello.py", {}),
    ("GET", "/cgi/headers.py", {}),
    ("GET", "/cgi/trusted_length.py", {}),
    ("GET", "/cgi/nph-hello.py", {}),
    ("GET", "/cgi/stderr.py", {}),
    ("GET", "/cgi/exit_ok.py", {}),
    ("GET", "/cgi/exit_early.py", {}),
    ("GET", "/cgi/raise.py", {}),
    ("GET", "/cgi/raise_late.py", {}),
    ("GET", "/cgi/malformed.py", {}),
    ("GET", "/cgi/big.py", {}),
    ("GET", "/cgi/state.py", {}),
    ("GET", "/cgi/state.py", {}),
    ("GET", "/cgi/", {}),
    ("GET", "/cgi/noext", {}),
    ("GET", "/cgi/reads_file.py", {}),
    ("GET", "/cgi/subproc.py?q", {}),
    ("GET", "/cgi/missing.py", {}),
]


def normalise(response: httpx.Response) -> tuple:
    body = response.content
    headers = [(k.lower(), v) for k, v in response.headers.multi_items() if k.lower() not in IGNORED
               and not framing(k.lower(), v, response)]
    # the client's port is the one thing a second run cannot repeat
    lines = [line for line in body.split(b"\n") if b"REMOTE_PORT=" not in line]
    raw = [(k.lower(), v) for k, v in response.headers.multi_items()]
    return response.status_code, headers, b"\n".join(lines), raw


def framing(name: str, value: str, response: httpx.Response) -> bool:
    """How the body was framed: a chunked Transfer-Encoding, or a
    Content-Length that is the body's (any, for HEAD).  mod_cgid gives either
    for one script (a Content-Length only when the script had ended before
    Apache read its pipe), so the two are the same answer.  A Content-Length
    that is not the body's is kept: it is what a script claimed."""
    if name == "transfer-encoding":
        return value == "chunked"
    return name == "content-length" and (response.request.method == "HEAD"
                                         or value == str(len(response.content)))


def run_all(server) -> list:
    results = []
    for method, path, kw in REQUESTS:
        kw = dict(kw)
        if "chunks" in kw:
            kw["content"] = iter(kw.pop("chunks"))
        try:
            results.append(normalise(server.request(method, path, **kw)))
        except httpx.HTTPError as e:        # a response cut short is an answer too
            results.append(("no complete response", type(e).__name__, b"", []))
    return results


@pytest.fixture
def both(apache_factory, tmp_path):
    """(results under mod_cgid, results under the emulation, emulated server log)."""
    docroot = str(tmp_path / "site")
    install_scripts(docroot)
    port = free_port()
    out = []
    for body in (CGID, EMULATED):
        server = apache_factory(body.replace("{docroot}", docroot), document_root=docroot, port=port)
        server.start()
        out.append(run_all(server))
        server.stop()
        out.append(server)
    return out[0], out[2], out[3]


def test_every_script_answers_as_under_mod_cgid(both):
    cgid, emulated, server = both
    assert len(cgid) == len(emulated) == len(REQUESTS)
    differences = [f"{method} {path}:\n  emulated {b[0]} {b[1]} {b[2][:2000]!r}\n  mod_cgid {a[0]} {a[1]} {a[2][:2000]!r}"
                   for (method, path, _), a, b in zip(REQUESTS, cgid, emulated) if a[:3] != b[:3]]
    assert not differences, "\n".join(differences)


def test_what_the_scripts_reported_is_sane(both):
    """Equal is not enough: the shared answers must also be the right ones."""
    _, emulated, server = both
    by_path = {f"{m} {p}": r for (m, p, _), r in zip(REQUESTS, emulated)}
    env = by_path["GET /cgi/env.py/extra/path?x=1&y=%C3%A9"][2].decode()
    for line in ("GATEWAY_INTERFACE=CGI/1.1", "PATH_INFO=/extra/path", "QUERY_STRING=x=1&y=%C3%A9",
                 "HTTP_X_CUSTOM_HEADER=custom", "CGI_TEST_VAR=set by SetEnv", "SCRIPT_NAME=/cgi/env.py",
                 "REQUEST_URI=/cgi/env.py/extra/path?x=1&y=%C3%A9", "name __main__"):
        assert line in env.splitlines(), line
    assert "cwd " + os.path.join(server.htdocs, "cgi") in env
    isindex = by_path["GET /cgi/env.py?isindex+words+a%20b+sem%3Bi"][2].decode()
    assert "argv ['%s', 'isindex', 'words', 'a b', 'sem\\\\;i']" % os.path.join(server.htdocs, "cgi", "env.py") \
        in isindex
    assert by_path["GET /cgi/redirect_local.py"][2] == b"the redirect target\n"
    assert b"REDIRECT_STATUS=200" in by_path["POST /cgi/redirect_script.py"][2]
    status, headers, _, _ = by_path["GET /cgi/redirect_client.py"]
    assert status == 302 and ("location", "http://example.com/elsewhere?x=1") in headers
    assert by_path["GET /cgi/status.py"][0] == 404
    assert by_path["GET /cgi/raise.py"][0] == 500
    assert by_path["GET /cgi/raise_late.py"][2] == b"partial body\n"
    assert by_path["GET /cgi/malformed.py"][0] == 500
    assert by_path["GET /cgi/missing.py"][0] == 404
    assert by_path["GET /cgi/nph-hello.py"][0] == 299
    assert len(by_path["GET /cgi/big.py"][2]) == 5000 * 1024
    assert by_path["GET /cgi/state.py"][2] == b"counter 1\n"
    assert ("content-length", "999") not in by_path["GET /cgi/headers.py"][3]
    assert ("content-length", "35") in by_path["GET /cgi/trusted_length.py"][3]
    log = server.error_log()
    assert "a line for the error log from stderr.py" in log
    assert "ValueError: boom before headers" in log
    assert "malformed header from script 'malformed.py'" in log
    assert "End of script output before headers: raise.py" in log
    assert "Traceback" not in "".join(str(r[2]) for r in emulated)
