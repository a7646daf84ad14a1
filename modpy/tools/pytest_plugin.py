"""modpy's pytest plugin (entry point `pytest11: modpy`, active wherever
modpy is installed): the fixture `modpy_server` starts a real Apache with
modpy serving your site, as `python -m modpy serve` would, and stops it
after the test.

    def test_hello(modpy_server):
        server = modpy_server("site/")        # a handler .py, a .conf snippet or a directory
        response = server.get("/hello.py")
        assert response.status == 200 and response.text == "Hello"

`modpy_server(target, mpm="event", processes=None, threads=None)` returns a
`Server`: `.url(path)`, `.get(path, headers=None)` (a `Response` with
`.status`, `.headers`, `.text`, `.body`; no exception for 4xx/5xx), and
`.error_log()`.  Outside Apache, `from mod_python import apache` gives the
constants and SERVER_RETURN, so handler modules import in plain unit tests.
"""
from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Optional

import pytest

from modpy.tools import serve
from modpy.tools.apacheconf import find_apache
from modpy.tools.servedir import prepare
from modpy.tools.sites import site_for

HOST = "127.0.0.1"


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Server:
    """One Apache serving `target` from a temp directory."""

    def __init__(self, target: str, mpm: str = "event", processes: Optional[int] = None,
                 threads: Optional[int] = None) -> None:
        self.root = tempfile.mkdtemp(prefix="modpy-pytest-")
        options = argparse.Namespace(mpm=mpm, processes=processes, threads=threads, user=None, group=None,
                                     host=HOST, https_port=None, log_level="info")
        site = site_for(target)
        self.port = serve.free_port(HOST)
        self.conf = prepare(options, site, os.path.abspath(target), self.root, self.port, []).conf
        self.proc = subprocess.Popen([find_apache(), "-f", self.conf, "-DFOREGROUND"], env=serve.apache_env(),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
        log = serve.LogFollower(os.path.join(self.root, "error.log"), io.StringIO())
        log.start()
        try:
            if not serve.wait_ready(self.proc, HOST, self.port, log):
                self.stop()
                raise RuntimeError(f"Apache did not start for {target}:\n{self.error_log()}")
        finally:
            log.stop()

    def url(self, path: str = "/") -> str:
        return f"http://{HOST}:{self.port}{path}"

    def get(self, path: str, headers: Optional[dict] = None) -> Response:
        request = urllib.request.Request(self.url(path), headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                return Response(r.status, dict(r.headers), r.read())
        except urllib.error.HTTPError as e:
            return Response(e.code, dict(e.headers), e.read())

    def error_log(self) -> str:
        try:
            with open(os.path.join(self.root, "error.log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        serve.stop_apache(self.proc)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def modpy_server():
    """Start Apache with modpy on a site: modpy_server(target, mpm=...)."""
    started: list[Server] = []

    def start(target: str, **options) -> Server:
        started.append(Server(str(target), **options))
        return started[-1]

    yield start
    for server in started:
        server.stop()
