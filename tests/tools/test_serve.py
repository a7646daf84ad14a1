"""`python -m modpy serve`: the generated site for each kind of TARGET, and
the real thing run as a subprocess: the examples answer, Ctrl-C stops
Apache cleanly and leaves nothing behind."""
from __future__ import annotations

import os
import pwd
import queue
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

import httpx
import pytest

from modpy.tools import servedir, sites
from tests.apache import REPO, free_port

EXAMPLES = os.path.join(REPO, "examples")


# ------------------------------------------------------------ site_for (pure)

def test_handler_module_serves_every_url(tmp_path):
    (tmp_path / "app.py").write_text("def handler(req): return 0\n")
    site = sites.site_for(str(tmp_path / "app.py"))
    assert site.document_root == str(tmp_path)
    assert f'<Directory "{tmp_path}">' in site.body
    assert "SetHandler mod_python" in site.body and "PythonHandler app\n" in site.body


def test_snippet_gets_its_directory_defined(tmp_path):
    (tmp_path / "x.conf").write_text("")
    site = sites.site_for(str(tmp_path / "x.conf"))
    assert site.body.splitlines() == [f'Define MODPY_SITE "{tmp_path}"', f'Include "{tmp_path}/x.conf"']
    assert site.document_root is None


def test_directory_uses_its_site_conf():
    site = sites.site_for(EXAMPLES)
    assert f'Include "{EXAMPLES}/site.conf"' in site.body


def test_directory_without_site_conf_maps_each_module(tmp_path):
    for name in ("a.py", "b.py", "not-a-module.py", "page.html"):
        (tmp_path / name).write_text("")
    site = sites.site_for(str(tmp_path))
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
        sites.site_for(str(tmp_path / name))      # an absolute name stays itself


# ------------------------------------------------------- the real subprocess

class Served:
    """`python -m modpy serve ...` running, with its URL once it is ready;
    its stdout and stderr are collected as they come."""

    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen([sys.executable, "-m", "modpy", "serve", "--port", str(self.port), *args],
                                     cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.out, self.err = queue.Queue(), []
        self.readers = [threading.Thread(target=lambda: [self.out.put(line) for line in self.proc.stdout],
                                         daemon=True),
                        threading.Thread(target=lambda: self.err.extend(self.proc.stderr), daemon=True)]
        for reader in self.readers:
            reader.start()
        self.banner = self.line(30.0)
        match = re.search(r"at (http://127\.0\.0\.1:\d+/) .*error log (\S+);", self.banner)
        assert match, f"no URL announced: {self.banner!r}\n{self.finish()[1]}"
        self.summary = []                   # the lines after the banner
        while line := self.line(0.5):
            self.summary.append(line.rstrip("\n"))
        self.url, self.log_path = match.group(1), match.group(2)
        self.root = os.path.dirname(self.log_path)

    def line(self, timeout: float) -> str:
        """The next line on stdout, or "" if none comes in time."""
        try:
            return self.out.get(timeout=timeout)
        except queue.Empty:
            return ""

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
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for reader in self.readers:
            reader.join(10)
        return self.proc.returncode, "".join(self.err)


@pytest.fixture
def serve():
    started = []

    def start(*args: str) -> Served:
        started.append(Served(*args))
        return started[-1]

    yield start
    for s in started:
        s.finish()                  # Ctrl-C: Apache stops with it


def assert_stopped_cleanly(served: Served, sig: int = signal.SIGINT) -> str:
    assert served.apache_pids(), "Apache should be running before the stop"
    status, err = served.finish(sig)
    assert status == 0, err
    assert served.apache_pids() == []
    assert not os.path.exists(served.root)
    assert "caught SIGTERM, shutting down" in err      # the error log was streamed to stderr
    return err


def assert_no_warnings(err: str) -> None:
    """Apache's log, streamed to stderr, has no line at warn level or worse."""
    assert not re.findall(r"\[\w+:(warn|error|crit|alert|emerg)\]", err), err


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


# ------------------------------------------- what mod_wsgi-express users reach for

PROBE = ("import os\n"
         "def handler(req):\n"
         "    req.content_type = 'text/plain'\n"
         "    req.write(f'{os.path.basename(req.uri)} uid {os.getuid()} pid {os.getpid()}')\n"
         "    return 0\n")


@pytest.fixture
def public_dir():
    """A site directory Apache's children (nobody) can read: pytest's
    tmp_path sits under a 0700 directory."""
    path = tempfile.mkdtemp(prefix="modpy-serve-site-", dir="/tmp")
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path)


def write(directory: str, name: str, text: str) -> str:
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


def test_a_directory_serves_each_module_at_its_name_with_a_front_page(serve, public_dir):
    """Each NAME.py answers at /NAME.py (it was a 500, "No module named"),
    / lists them, and a normal start logs no warning or alert."""
    write(public_dir, "hello.py", PROBE)
    write(public_dir, "page.txt", "static\n")
    served = serve(public_dir)
    r = served.get("/hello.py")
    assert (r.status_code, r.text.split(" uid ")[0]) == (200, "hello.py")
    assert served.get("/page.txt").text == "static\n"
    front = served.get("/")
    assert front.status_code == 200 and '<a href="/hello.py">' in front.text
    assert any("as user nobody, group nogroup" in line for line in served.summary), served.summary
    _, err = served.finish()
    assert_no_warnings(err)


@pytest.mark.parametrize("mpm", ["prefork", "event"])
def test_a_request_in_progress_is_no_error(serve, public_dir, mpm):
    """Apache checks its spare workers once a second: a request that spans
    the check logs nothing (with every worker required spare, it logged
    "within MinSpareThreads of MaxRequestWorkers" or "reached
    MaxRequestWorkers" at error level)."""
    write(public_dir, "slow.py", "import time\n"
                                 "def handler(req):\n"
                                 "    time.sleep(2.5)\n"
                                 "    req.write('done')\n"
                                 "    return 0\n")
    served = serve("--mpm", mpm, os.path.join(public_dir, "slow.py"))
    assert served.get("/").text == "done"
    _, err = served.finish()
    assert "caught SIGTERM" in err
    assert_no_warnings(err)


def test_a_handler_module_answers_slash_itself(serve, public_dir):
    write(public_dir, "app.py", PROBE)
    r = serve(os.path.join(public_dir, "app.py")).get("/")
    assert r.status_code == 200 and " uid " in r.text


def test_the_site_front_page_wins(serve, public_dir):
    write(public_dir, "index.html", "<p>mine</p>\n")
    assert serve(public_dir).get("/").text == "<p>mine</p>\n"


def test_the_examples_front_page_lists_their_locations(serve):
    front = serve("examples/").get("/")
    assert front.status_code == 200
    assert [p for p in ("/chain", "/hello", "/private") if f'href="{p}"' in front.text] == \
        ["/chain", "/hello", "/private"]


def test_user_and_group(serve, public_dir):
    write(public_dir, "app.py", PROBE)
    served = serve("--user", "daemon", "--group", "daemon", os.path.join(public_dir, "app.py"))
    assert served.get("/x").text.split(" uid ")[1].split()[0] == str(pwd.getpwnam("daemon").pw_uid)
    assert any("as user daemon, group daemon" in line for line in served.summary)


def test_an_unknown_user_is_refused(public_dir):
    write(public_dir, "app.py", PROBE)
    proc = subprocess.run([sys.executable, "-m", "modpy", "serve", "--user", "no-such-user-modpy",
                           os.path.join(public_dir, "app.py")], cwd=REPO, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2 and "no such user: no-such-user-modpy" in proc.stderr


def test_access_log_on_stdout(serve):
    served = serve("--access-log", "examples/")
    served.get("/hello/logged")
    line = served.line(10)
    assert '"GET /hello/logged HTTP/1.1" 200' in line


@pytest.mark.parametrize("mpm, processes, threads", [("worker", 2, 3), ("prefork", 3, 1)])
def test_processes_and_threads(serve, mpm, processes, threads):
    args = ["--mpm", mpm, "--processes", str(processes)] + (["--threads", str(threads)] if threads > 1 else [])
    served = serve(*args, "examples/hello.py")
    assert any(f"{processes} processes x {threads} thread" in line for line in served.summary), served.summary
    assert len(served.apache_pids()) == processes + 1           # the parent and its children
    with open(os.path.join(served.root, "httpd.conf")) as f:
        conf = f.read()
    assert f"MaxRequestWorkers {processes * threads}\n" in conf


def test_threads_need_a_threaded_mpm():
    proc = subprocess.run([sys.executable, "-m", "modpy", "serve", "--mpm", "prefork", "--threads", "4",
                           "examples/"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--threads needs a threaded MPM" in proc.stderr


def test_https_port_with_a_self_signed_certificate(serve):
    https_port = free_port()
    served = serve("--https-port", str(https_port), "examples/")
    (also,) = [line for line in served.summary if "also at" in line]
    cert = re.search(r"certificate (\S+)\)", also).group(1)
    r = httpx.get(f"https://127.0.0.1:{https_port}/hello", verify=ssl.create_default_context(cafile=cert),
                  timeout=10)
    assert (r.status_code, r.text) == (200, "Hello from modpy: GET /hello\n")


def test_setup_only_writes_a_server_and_its_apachectl(public_dir):
    server_dir = os.path.join(public_dir, "server")
    port = free_port()
    proc = subprocess.run([sys.executable, "-m", "modpy", "serve", "--setup-only", server_dir, "--port", str(port),
                           "examples/"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    apachectl = os.path.join(server_dir, "apachectl")
    pid_file = os.path.join(server_dir, "httpd.pid")
    assert not os.path.exists(pid_file)                          # nothing started
    ctl = lambda action: subprocess.run([apachectl, action], capture_output=True, text=True, timeout=60)  # noqa: E731
    assert "Syntax OK" in ctl("configtest").stderr
    try:
        assert ctl("start").returncode == 0
        url = f"http://127.0.0.1:{port}/hello"
        assert wait_for(lambda: _get(url)) == "Hello from modpy: GET /hello\n"
        pid = int(open(pid_file).read())
        assert ctl("graceful").returncode == 0
        assert wait_for(lambda: "resuming normal operations" in
                        open(os.path.join(server_dir, "error.log")).read().split("Graceful restart")[-1])
        assert _get(url) == "Hello from modpy: GET /hello\n" and int(open(pid_file).read()) == pid
    finally:
        assert ctl("stop").returncode == 0
    assert wait_for(lambda: not os.path.exists(f"/proc/{pid}"))


def test_reload_on_changes_restarts_gracefully(serve, public_dir):
    write(public_dir, "site.conf", "<Location /one>\n    SetHandler mod_python\n"
                                   "    PythonHandler ${MODPY_SITE}/app.py\n</Location>\n")
    write(public_dir, "app.py", PROBE)
    served = serve("--reload-on-changes", public_dir)
    assert served.get("/one").status_code == 200 and served.get("/two").status_code == 404
    with open(os.path.join(public_dir, "site.conf"), "a") as f:
        f.write("<Location /two>\n    SetHandler mod_python\n    PythonHandler ${MODPY_SITE}/app.py\n</Location>\n")
    assert wait_for(lambda: served.get("/two").status_code == 200)
    _, err = served.finish()
    assert "site.conf changed: graceful restart" in err


def _get(url: str) -> str:
    try:
        return httpx.get(url, timeout=5).text
    except httpx.HTTPError:
        return ""


def wait_for(condition, timeout: float = 20.0):
    """The condition's first true value, polled until the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    return condition()


def test_config_lines_for_the_mpms():
    assert servedir.mpm_lines("event", 2, 4) == [
        "StartServers 2", "ServerLimit 2", "ThreadLimit 4", "ThreadsPerChild 4", "MinSpareThreads 1",
        "MaxSpareThreads 8", "MaxRequestWorkers 8"]
    assert servedir.worker_counts("event", None, None) == (1, 5)
    assert servedir.worker_counts("prefork", None, None) == (5, 1)
    with pytest.raises(ValueError, match="at least 1"):
        servedir.worker_counts("worker", 0, None)


def test_dev_serve_runs_the_examples():
    """`./dev serve` as the README says, on a machine already set up: it
    serves the examples (its set-up needs nothing the tests' did not)."""
    port = free_port()
    proc = subprocess.Popen(["bash", os.path.join(REPO, "dev"), "serve", "--port", str(port)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}/hello"
        assert wait_for(lambda: _get(url), timeout=60) == "Hello from modpy: GET /hello\n"
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "dev: installing" not in err and "dev: building" not in err
