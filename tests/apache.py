"""A real Apache for the tests: generated config in a temp dir, a free
loopback port, started in the foreground, spoken to over HTTP with httpx.

Nothing here stands in for Apache: if it cannot start, or modpy fails to
load, `start()` raises with the error log attached.
"""
from __future__ import annotations

import os
import resource
import shutil
import signal
import socket
import subprocess
import textwrap
import time
from typing import Callable, Optional

import httpx

from modpy.tools.apacheconf import HttpdConf, find_apache

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # the project's root
START_TIMEOUT = 20.0


def read_until_close(sock) -> bytes:
    """Everything the server sends on `sock` until it closes the
    connection (a reset counts as the end)."""
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env() -> dict:
    """Apache's environment: a plain PATH, nothing of the test runner's
    Python (modpy must find its interpreter by itself)."""
    return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}


class ApacheError(RuntimeError):
    pass


class Apache:
    """One Apache server process tree, configured by `body`."""

    def __init__(self, root: str, body: str = "", mpm: str = "event", cores: bool = False, **conf) -> None:
        self.root = root
        self.port = conf.pop("port", None) or free_port()
        self.conf = HttpdConf(root=root, port=self.port, body="", mpm=mpm, **conf)
        self.cores = cores             # crashed children leave a core in root, for apache_own_crashes()
        self._core_prefix = f'CoreDumpDirectory "{root}"\n' if cores else ""
        if cores:
            os.chmod(root, 0o777)      # children write it as Apache's run user
        self.conf.body = self._core_prefix + self.expand(textwrap.dedent(body))
        self.conf_path = self.conf.write()
        self.proc: Optional[subprocess.Popen] = None
        self.client = httpx.Client(base_url=self.url(""), timeout=30.0)

    # paths and urls -------------------------------------------------
    @property
    def htdocs(self) -> str:
        return self.conf.document_root or os.path.join(self.root, "htdocs")

    def expand(self, text: str) -> str:
        """Fill in {htdocs}, {root} and {port} in a config text."""
        return (text.replace("{htdocs}", self.htdocs).replace("{root}", self.root)
                .replace("{port}", str(self.port)))

    def set_body(self, body: str) -> None:
        """Replace the site's directives (before start, or before a restart)."""
        self.conf.body = self._core_prefix + self.expand(textwrap.dedent(body))
        self.conf.write()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def error_log(self) -> str:
        try:
            with open(os.path.join(self.root, "error.log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def write(self, relpath: str, content: str) -> str:
        """Write a file (a handler module, an .htaccess ...) under htdocs."""
        path = os.path.join(self.htdocs, relpath)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(textwrap.dedent(content))
        return path

    # lifecycle -------------------------------------------------------
    def configtest(self) -> subprocess.CompletedProcess:
        """`apache2 -t` on the config: (returncode, output)."""
        return subprocess.run([find_apache(), "-t", "-f", self.conf_path], env=clean_env(),
                              capture_output=True, text=True)

    def start(self, *defines: str, env: Optional[dict] = None,
              preexec: Optional[Callable[[], None]] = None) -> "Apache":
        """Start in the foreground; `env` replaces (some of) Apache's
        environment, e.g. to prove modpy ignores PATH and PYTHON*;
        `preexec` runs in Apache's process before exec (tests/seccomp.py)."""
        args = [find_apache(), "-f", self.conf_path, "-DFOREGROUND"]
        args += [f"-D{d}" for d in defines]
        # a session of its own: prefork signals its whole process group on
        # stop and restart, which would otherwise include pytest
        self.proc = subprocess.Popen(args, env={**clean_env(), **(env or {})}, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, start_new_session=True,
                                     preexec_fn=self._preexec(preexec))
        self._wait_ready()
        return self

    def _preexec(self, preexec: Optional[Callable[[], None]]) -> Optional[Callable[[], None]]:
        steps = [step for step in (_allow_cores if self.cores else None, preexec) if step]
        return (lambda: [step() for step in steps]) if steps else None

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                out = self.proc.stdout.read()
                raise ApacheError(f"Apache exited with {self.proc.returncode}\n{out}\n{self.error_log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    pass
                if "resuming normal operations" in self.error_log():
                    return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise ApacheError(f"Apache did not come up in {START_TIMEOUT}s\n{self.error_log()}")

    def generation(self) -> int:
        return self.error_log().count("resuming normal operations")

    def signal(self, sig: int) -> None:
        os.kill(self.proc.pid, sig)

    def graceful(self, wait: bool = True) -> None:
        """`apachectl -k graceful`: SIGUSR1 to the parent."""
        self._restart(signal.SIGUSR1, wait)

    def restart(self, wait: bool = True) -> None:
        """`apachectl -k restart`: SIGHUP to the parent."""
        self._restart(signal.SIGHUP, wait)

    def _restart(self, sig: int, wait: bool) -> None:
        before = self.generation()
        self.signal(sig)
        if not wait:
            return
        deadline = time.monotonic() + START_TIMEOUT
        while self.generation() <= before:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise ApacheError(f"Apache did not restart\n{self.error_log()}")
            time.sleep(0.05)

    def stop(self) -> None:
        """`apachectl -k graceful-stop` (SIGWINCH): children finish and run
        their exit cleanups.  A plain SIGTERM right after start-up can make an
        event-MPM child crash inside Apache itself (close_worker_sockets on
        a connection that just closed), which the crash check would pin on
        modpy.  SIGTERM, then SIGKILL, only if the server does not stop."""
        self.client.close()
        if self.proc and self.proc.poll() is None:
            for sig, timeout in ((signal.SIGWINCH, 15), (signal.SIGTERM, 10), (signal.SIGKILL, 10)):
                self.proc.send_signal(sig)
                try:
                    self.proc.wait(timeout=timeout)
                    return
                except subprocess.TimeoutExpired:
                    continue

    # requests --------------------------------------------------------
    def get(self, path: str, **kw) -> httpx.Response:
        return self.client.get(path, **kw)

    def post(self, path: str, **kw) -> httpx.Response:
        return self.client.post(path, **kw)

    def request(self, method: str, path: str, **kw) -> httpx.Response:
        return self.client.request(method, path, **kw)

    def crashes(self) -> int:
        """Children that died of a signal, as the error log tells."""
        log = self.error_log()
        return log.count("exit signal Segmentation") + log.count("exit signal Abort") + \
            log.count("exit signal Bus")

    def apache_own_crashes(self) -> int:
        """Crashes that are Apache's own event-MPM race, not modpy's: a child
        killed ungracefully (`-k restart`) while connections are in flight
        can fault in close_worker_sockets, apr_os_sock_get on a connection
        just closed.  Seen under load with and without modpy loaded (about
        one restart in fifty).  Told by the core (with `cores`): the
        crashing thread's stack is that, with no frame of Python or modpy.
        0 without cores or gdb, so any crash then counts against modpy."""
        gdb = shutil.which("gdb")
        if not self.cores or not gdb:
            return 0
        own = 0
        for name in sorted(os.listdir(self.root)):
            if not name.startswith("core"):
                continue
            core = os.path.join(self.root, name)
            stack = subprocess.run([gdb, "-batch", "-ex", "bt 30", find_apache(), core],
                                   capture_output=True, text=True, timeout=120).stdout
            frames = [line for line in stack.splitlines() if line.startswith("#")]
            # gdb shows the faulting frame once on loading the core, then the stack
            frames = frames[max((i for i, f in enumerate(frames) if f.startswith("#0 ")), default=0):]
            with open(core + ".bt", "w") as f:         # the stack stays for a look; the core goes
                f.write(stack)
            os.remove(core)
            if (frames and "apr_os_sock_get" in frames[0] and "mod_mpm_event" in frames[1]
                    and not any(m in line for line in frames for m in ("python", "Py", "pyshim", "modpy"))):
                own += 1
        return own


def _allow_cores() -> None:
    """In Apache's process, before exec: core files of any size."""
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def self_signed_certificate(directory) -> tuple[str, str]:
    """(certificate, key) files for CN=modpy-test in `directory`, for a test's
    SSL virtual host."""
    cert, key = os.path.join(str(directory), "cert.pem"), os.path.join(str(directory), "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=modpy-test", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


class LogSince:
    """The error log written since this object was made."""

    def __init__(self, server) -> None:
        self.server, self.start = server, len(server.error_log())

    def __str__(self) -> str:
        return self.server.error_log()[self.start:]

    def __contains__(self, text: str) -> bool:
        return text in str(self)
