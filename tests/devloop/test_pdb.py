"""pdb in a single-process Apache: a real `apache2 -X` on a pseudo-terminal
driven with pexpect, while a thread makes the HTTP request."""
from __future__ import annotations

import socket
import threading
import time

import httpx
import pexpect
import pytest

from modpy.tools.apacheconf import find_apache
from tests.apache import clean_env

PROMPT = r"\(Pdb\) "


class Console:
    """`apache2 -X` on a terminal, and requests made beside it."""

    def __init__(self, server) -> None:
        self.server = server
        self.child = pexpect.spawn(find_apache(), ["-X", "-f", server.conf_path], env=clean_env(),
                                   encoding="utf-8", timeout=20, dimensions=(50, 200))
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", server.port), timeout=0.5).close()
                break
            except OSError:
                assert self.child.isalive(), self.child.read() + server.error_log()
                assert time.monotonic() < deadline, server.error_log()
                time.sleep(0.05)

    def request(self, path: str) -> dict:
        """GET in a thread: the console must be driven while it waits."""
        result: dict = {}

        def get() -> None:
            result["response"] = httpx.get(self.server.url(path), timeout=60)
        result["thread"] = threading.Thread(target=get, daemon=True)
        result["thread"].start()
        return result

    def command(self, line: str) -> str:
        """Send a pdb command; the output up to the next prompt."""
        self.child.sendline(line)
        self.child.expect(PROMPT)
        return self.child.before

    def close(self) -> None:
        self.child.terminate(force=True)


@pytest.fixture
def console(apache_factory):
    consoles = []

    def make(body: str, files: dict) -> Console:
        server = apache_factory(body)
        for name, code in files.items():
            server.write(name, code)
        consoles.append(Console(server))
        return consoles[-1]
    yield make
    for c in consoles:
        c.close()


def response_of(pending: dict) -> httpx.Response:
    pending["thread"].join(30)
    return pending["response"]


HELLO = """
    def handler(req):
        greeting = "hello "
        req.content_type = "text/plain"
        req.write(greeting + req.uri)
        return 0
"""


def test_enable_pdb_stops_at_handler_entry(console):
    c = console("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler hello
            PythonEnablePdb On
        </Directory>
    """, {"hello.py": HELLO})
    pending = c.request("/some/where")
    c.child.expect(PROMPT)
    assert "hello.py(3)handler()" in c.child.before       # the first line of the handler
    assert "hello.py(4)handler()" in c.command("next")
    assert "'/some/where'" in c.command("p req.uri")
    assert "'hello '" in c.command("p greeting")
    c.command("next")
    c.command("next")
    assert "--Return--" in c.command("next")
    c.child.sendline("next")           # off the end: modpy's frames are not stepped into
    r = response_of(pending)
    assert r.status_code == 200 and r.text == "hello /some/where"


def test_enable_pdb_in_an_early_phase(console):
    c = console("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonFixupHandler hooks::fixup
            PythonHandler hooks
            PythonEnablePdb On
        </Directory>
    """, {"hooks.py": """
        def fixup(req):
            req.notes["seen"] = "fixup"
            return 0

        def handler(req):
            req.write(req.notes["seen"])
            return 0
    """})
    pending = c.request("/f")
    c.child.expect(PROMPT)
    assert "hooks.py(3)fixup()" in c.child.before
    c.child.sendline("continue")
    c.child.expect(PROMPT)                                 # then the content handler
    assert "hooks.py(7)handler()" in c.child.before
    c.child.sendline("continue")
    assert response_of(pending).text == "fixup"


def test_breakpoint_in_handler_code(console):
    c = console("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler bp
        </Directory>
    """, {"bp.py": """
        def handler(req):
            n = len(req.uri)
            breakpoint()
            req.write(str(n))
            return 0
    """})
    pending = c.request("/four")
    c.child.expect(PROMPT)
    assert "bp.py(5)handler()" in c.child.before
    assert "5" in c.command("p n")
    assert "'/four'" in c.command("p req.uri")
    c.command("next")
    assert "--Return--" in c.command("next")
    c.child.sendline("next")           # off the end of the handler: the session ends
    assert response_of(pending).text == "5"
    # a second request stops again: the session was handed back
    pending = c.request("/again")
    c.child.expect(PROMPT)
    c.child.sendline("c")
    assert response_of(pending).text == "6"


def test_post_mortem_on_unhandled_exception(console):
    c = console("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler boom
            PythonOption modpy.post_mortem On
        </Directory>
    """, {"boom.py": """
        def handler(req):
            secret = 42
            raise ValueError("kaput " + req.uri)
    """})
    pending = c.request("/pm")
    c.child.expect(PROMPT)
    assert "ValueError: kaput /pm" in c.child.before
    assert "boom.py(4)handler()" in c.child.before
    assert "42" in c.command("p secret")
    c.child.sendline("c")
    assert response_of(pending).status_code == 500
    assert "kaput /pm" in c.server.error_log()


def test_pdb_refused_in_a_multi_process_server(apache_factory):
    """A child of a normal start has no console: the handler runs plainly,
    and the log says why (once)."""
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler hello
            PythonEnablePdb On
        </Directory>
        <Directory "{htdocs}/bp">
            PythonHandler bp
        </Directory>
    """)
    server.write("hello.py", HELLO)
    server.write("bp/bp.py", """
        def handler(req):
            breakpoint()
            req.write("went on")
            return 0
    """)
    server.start()
    for _ in range(3):
        r = server.get("/x")
        assert r.status_code == 200 and r.text == "hello /x"
    log = server.error_log()
    assert "PythonEnablePdb On ignored: pdb needs a single-process Apache" in log
    assert log.count("PythonEnablePdb On ignored") <= 2          # once per child, not per request
    r = server.get("/bp/x")
    assert r.status_code == 200 and r.text == "went on"
    assert "breakpoint() ignored: pdb needs a single-process Apache" in server.error_log()


def test_single_process_without_a_terminal_runs_plainly(apache_factory):
    """`apache2 -X` started by a service manager (no terminal at all):
    refused too, never a prompt nobody can answer."""
    import os
    import signal
    import subprocess
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler hello
            PythonEnablePdb On
        </Directory>
    """)
    server.write("hello.py", HELLO)
    proc = subprocess.Popen([find_apache(), "-X", "-f", server.conf_path], env=clean_env(),
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)     # no controlling terminal
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                r = httpx.get(server.url("/t"), timeout=10)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and proc.poll() is None, server.error_log()
                time.sleep(0.05)
        assert r.status_code == 200 and r.text == "hello /t"
        assert "PythonEnablePdb On ignored: no terminal" in server.error_log()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
