"""`python -m modpy serve`: the generated site for each kind of TARGET, and
the real thing run as a subprocess: the examples answer, Ctrl-C stops
Apache cleanly and leaves nothing behind."""
from __future__ import annotations

import os
import re
import select
import signal
import socket
import subprocess
import sys

import httpx
import pytest

from modpy.tools import serve as express
from tests.apache import REPO, free_port

EXAMPLES = os.path.join(REPO, "examples")


# ------------------------------------------------------------ site_for (pure)

def test_handler_module_serves_every_url(tmp_path):
    (tmp_path / "app.py").write_text("def handler(req): return 0\n")
    site = express.site_for(str(tmp_path / "app.py"))
    assert site.document_root == str(tmp_path)
    assert f'<Directory "{tmp_path}">' in site.body
    assert "SetHandler mod_python" in site.body and "PythonHandler app\n" in site.body


def test_snippet_gets_its_directory_defined(tmp_path):
    (tmp_path / "x.conf").write_text("")
    site = express.site_for(str(tmp_path / "x.conf"))
    assert site.body.splitlines() == [f'Define MODPY_SITE "{tmp_path}"', f'Include "{tmp_path}/x.conf"']
    assert site.document_root is None


def test_directory_uses_its_site_conf():
    site = express.site_for(EXAMPLES)
    assert f'Include "{EXAMPLES}/site.conf"' in site.body


def test_directory_without_site_conf_maps_each_module(tmp_path):
    for name in ("a.py", "b.py", "not-a-module.py", "page.html"):
        (tmp_path / name).write_text("")
    site = express.site_for(str(tmp_path))
    assert site.document_root == str(tmp_path)
    assert re.findall(r'<Files "([^"]+)">', site.body) == ["a.py", "b.py"]
    assert "PythonHandler a\n" in site.body


@pytest.mark.parametrize("name, message", [("missing", "no such file"), ("notes.txt", "expected a handler"),
                                           ("my-app.py", "not a Python module name"),
                                           ("/dev/null", "not a regular file")])
def test_bad_targets(tmp_path, name, message):
    if name not in ("missing", "/dev/null"):
        (tmp_path / name).write_text("")
    with pytest.raises(ValueError, match=message):
        express.site_for(str(tmp_path / name))      # an absolute name stays itself


# ------------------------------------------------------- the real subprocess

class Served:
    """`python -m modpy serve ...` running, with its URL once it is ready."""

    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen([sys.executable, "-m", "modpy", "serve", "--port", str(self.port), *args],
                                     cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.banner = self._read_line(30.0)
        match = re.search(r"at (http://127\.0\.0\.1:\d+/) .*error log (\S+);", self.banner)
        assert match, f"no URL announced: {self.banner!r}\n{self.finish()[1]}"
        self.url, self.log_path = match.group(1), match.group(2)
        self.root = os.path.dirname(self.log_path)

    def _read_line(self, timeout: float) -> str:
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        return self.proc.stdout.readline() if ready else ""

    def get(self, path: str, **kw) -> httpx.Response:
        return httpx.get(self.url.rstrip("/") + path, timeout=10, **kw)

    def apache_pids(self) -> list[int]:
        """Processes whose command line names this server's config."""
        pids = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if self.root.encode() in f.read():
                        pids.append(int(pid))
            except OSError:
                pass
        return pids

    def finish(self, sig: int = signal.SIGINT) -> tuple[int, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            _, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return self.proc.returncode, err


@pytest.fixture
def serve():
    started = []

    def start(*args: str) -> Served:
        started.append(Served(*args))
        return started[-1]

    yield start
    for s in started:
        s.finish(signal.SIGKILL)


def assert_stopped_cleanly(served: Served, sig: int = signal.SIGINT) -> str:
    assert served.apache_pids(), "Apache should be running before the stop"
    status, err = served.finish(sig)
    assert status == 0, err
    assert served.apache_pids() == []
    assert not os.path.exists(served.root)
    assert "caught SIGTERM, shutting down" in err      # the error log was streamed to stderr
    return err


def test_serves_the_examples_and_stops_on_ctrl_c(serve):
    served = serve("examples/")
    r = served.get("/hello/there")
    assert (r.status_code, r.text) == (200, "Hello from modpy: GET /hello/there\n")
    assert r.headers["content-type"] == "text/plain; charset=utf-8"

    assert served.get("/private").status_code == 403
    assert served.get("/private?token=wrong").status_code == 403
    r = served.get("/private?token=let-me-in")
    assert (r.status_code, r.text) == (200, "Hello from modpy: GET /private\n")
    r = served.get("/private", headers={"X-Token": "let-me-in"})
    assert r.status_code == 200

    r = served.get("/chain")
    assert (r.status_code, r.text) == (200, "part 1: written by chain::header\npart 2: written by chain::body\n")

    err = assert_stopped_cleanly(served)
    assert "token_gate: refused /private" in err


@pytest.mark.parametrize("mpm", ["prefork", "worker"])
def test_single_handler_module_with_another_mpm_stops_on_sigterm(serve, mpm):
    served = serve("--mpm", mpm, "examples/hello.py")
    assert "mpm " + mpm in served.banner
    r = served.get("/any/where")
    assert (r.status_code, r.text) == (200, "Hello from modpy: GET /any/where\n")
    assert_stopped_cleanly(served, signal.SIGTERM)


def test_a_broken_config_is_reported_not_hung(tmp_path):
    (tmp_path / "bad.conf").write_text("PythonHandler\n")
    proc = subprocess.run([sys.executable, "-m", "modpy", "serve", "--port", str(free_port()),
                           str(tmp_path / "bad.conf")], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "bad.conf" in proc.stderr and "Apache did not start" in proc.stderr
    assert "PythonHandler" in proc.stderr           # Apache's own message, with the directive


def test_bad_target_exits_2():
    proc = subprocess.run([sys.executable, "-m", "modpy", "serve", "no/such/place"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "no such file or directory" in proc.stderr


def test_a_busy_port_is_reported():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        proc = subprocess.run([sys.executable, "-m", "modpy", "serve", "--port", str(busy.getsockname()[1]),
                               "examples/"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "Address already in use" in proc.stderr and "Apache did not start (exit status" in proc.stderr


def test_debug_stops_at_a_breakpoint_in_this_terminal(tmp_path):
    """`serve --debug`: one process on our terminal with PythonEnablePdb
    On: pdb stops at the handler's entry, then at its breakpoint(), and the
    request finishes after `c`."""
    import threading

    import pexpect
    (tmp_path / "app.py").write_text(
        "def handler(req):\n"
        "    answer = 'stopped at ' + req.uri\n"
        "    breakpoint()\n"
        "    req.write(answer)\n"
        "    return 0\n")
    port = free_port()
    child = pexpect.spawn(sys.executable, ["-m", "modpy", "serve", "--debug", "--port", str(port),
                                           str(tmp_path / "app.py")],
                          cwd=REPO, encoding="utf-8", timeout=30, dimensions=(50, 200))
    try:
        child.expect(r"serving .* at http://127\.0\.0\.1:\d+/")
        result = {}
        thread = threading.Thread(target=lambda: result.update(
            r=httpx.get(f"http://127.0.0.1:{port}/here", timeout=60)), daemon=True)
        thread.start()
        child.expect(r"\(Pdb\) ")
        assert "app.py(2)handler()" in child.before        # PythonEnablePdb: the entry
        child.sendline("c")
        child.expect(r"\(Pdb\) ")                           # the breakpoint()
        child.sendline("p answer")
        child.expect(r"\(Pdb\) ")
        assert "'stopped at /here'" in child.before
        child.sendline("c")
        thread.join(30)
        assert (result["r"].status_code, result["r"].text) == (200, "stopped at /here")
        child.sendintr()
        child.expect("stopping Apache")
        child.expect(pexpect.EOF)
    finally:
        child.terminate(force=True)
    child.close()
    assert child.exitstatus == 0
