"""The CGI emulation on its own: streaming, many scripts at once on
threads, recompiling, errors, PythonDebug."""
from __future__ import annotations

import os
import shutil
import socket
import threading
import time

import httpx
import pytest

from tests.handlers.cgi.test_parity import install_scripts

SITE = """
<Directory "{htdocs}/cgi">
    SetHandler mod_python
    PythonHandler mod_python.cgihandler
    %s
</Directory>
"""


def emulated(apache_factory, mpm="event", extra=""):
    server = apache_factory(SITE % extra, mpm=mpm)
    shutil.rmtree(server.htdocs)
    install_scripts(server.htdocs)
    return server


def test_body_streams_while_the_script_runs(apache_factory, tmp_path):
    server = emulated(apache_factory).start()
    flag = str(tmp_path / "seen-first-part")
    with server.client.stream("GET", f"/cgi/stream.py?{flag}") as r:
        chunks = r.iter_bytes()
        first = next(chunks)
        assert first == b"first part\n"    # the script is still waiting for the flag
        open(flag, "w").close()
        rest = b"".join(chunks)
    assert rest == b"second part True\n"


CONCURRENT = """#!/usr/bin/env python3
import os, sys, time
me = os.environ["HTTP_X_CLIENT"]
sys.stdout.write("Content-Type: text/plain\\n\\n")
for i in range(20):
    time.sleep(0.005)
    assert os.environ["QUERY_STRING"] == "id=" + me, (me, os.environ["QUERY_STRING"])
    print(me, os.getenv("HTTP_X_CLIENT"), sys.argv[0].rsplit("/", 1)[1], i)
    sys.stdout.flush()
"""


@pytest.mark.parametrize("mpm", ["event", "worker"])
def test_sixteen_clients_each_get_their_own_environment_and_output(apache_factory, mpm):
    server = emulated(apache_factory, mpm=mpm)
    server.write("cgi/who.py", CONCURRENT)
    server.start()
    results, errors = {}, []
    start = threading.Barrier(16)

    def client(n: int) -> None:
        try:
            with httpx.Client(base_url=server.url(""), timeout=30) as c:
                start.wait()
                for _ in range(3):
                    r = c.get(f"/cgi/who.py?id={n}", headers={"X-Client": str(n)})
                    results.setdefault(n, []).append((r.status_code, r.text))
        except Exception as e:              # reported below, with the thread's number
            errors.append((n, e))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for n in range(16):
        expected = "".join(f"{n} {n} who.py {i}\n" for i in range(20))
        assert results[n] == [(200, expected)] * 3, (n, results[n][:1])
    assert "AssertionError" not in server.error_log()


def test_scripts_in_two_directories_each_run_in_their_own(apache_factory):
    server = emulated(apache_factory, extra="")
    server.set_body(SITE.replace("/cgi", "/cgi2") % "" + SITE % "")
    code = "import os\nprint('Content-Type: text/plain\\n')\nprint(os.getcwd())\n"
    server.write("cgi/cwd.py", code)
    server.write("cgi2/cwd.py", code)
    server.start()
    with httpx.Client(base_url=server.url(""), timeout=30) as c:
        def get(path, out):
            out.append(c.get(path).text.strip())
        for _ in range(3):
            a, b = [], []
            ts = [threading.Thread(target=get, args=(p, o)) for p, o in
                  (("/cgi/cwd.py", a), ("/cgi2/cwd.py", b))]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            assert a == [os.path.join(server.htdocs, "cgi")]
            assert b == [os.path.join(server.htdocs, "cgi2")]


def test_an_edited_script_is_recompiled(apache_factory):
    server = emulated(apache_factory).start()
    path = server.write("cgi/edit.py", "print('Content-Type: text/plain\\n')\nprint('one')\n")
    assert server.get("/cgi/edit.py").text == "one\n"
    server.write("cgi/edit.py", "print('Content-Type: text/plain\\n')\nprint('two, longer')\n")
    os.utime(path, (time.time() + 5, time.time() + 5))
    assert server.get("/cgi/edit.py").text == "two, longer\n"


def test_unopenable_script_is_forbidden_and_syntax_errors_are_500(apache_factory):
    server = emulated(apache_factory).start()
    # a socket stats fine but cannot be opened, whoever runs the tests (root reads any file)
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(os.path.join(server.htdocs, "cgi", "sock.py"))
    try:
        assert server.get("/cgi/sock.py").status_code == 403
        assert "script not readable" in server.error_log()
    finally:
        sock.close()
    server.write("cgi/broken.py", "print('Content-Type: text/plain\\n'\n")
    r = server.get("/cgi/broken.py")
    assert r.status_code == 500
    assert "SyntaxError" not in r.text
    assert "SyntaxError" in server.error_log()


def test_python_debug_shows_the_traceback_only_when_on(apache_factory):
    server = emulated(apache_factory, extra="PythonDebug On").start()
    r = server.get("/cgi/raise.py")
    assert r.status_code == 500
    assert "ValueError: boom before headers" in r.text
    server.stop()
    server = emulated(apache_factory).start()
    r = server.get("/cgi/raise.py")
    assert r.status_code == 500 and "boom" not in r.text


def test_os_system_gets_the_script_environment(apache_factory):
    server = emulated(apache_factory)
    server.write("cgi/system.py", """
        import os, sys
        print("Content-Type: text/plain")
        print()
        sys.stdout.flush()
        print("before")
        status = os.system('echo "shell sees $QUERY_STRING"; test "$QUERY_STRING" = "q=1"')
        print("status", status)
    """)
    server.start()
    assert server.get("/cgi/system.py?q=1").text == "before\nshell sees q=1\nstatus 0\n"
    assert server.get("/cgi/system.py?q=2").text == "before\nshell sees q=2\nstatus 256\n"
