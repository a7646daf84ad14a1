"""`python -m modpy serve TARGET`: a private Apache in the foreground, the
quickest way from a handler file to a running site (like mod_wsgi-express).
What TARGET means is in modpy/tools/sites.py; the server's directory in
modpy/tools/servedir.py.  This module owns the process: start, wait until
ready, copy the logs to the terminal, restart on changes, stop.

Everything Apache writes (config, logs, pid) goes to a temp dir, removed on
exit; `--setup-only DIR` writes it to DIR with an apachectl-style script
instead, and starts nothing.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import TextIO

from modpy.tools.apacheconf import find_apache
from modpy.tools.servedir import PATH, Prepared, apachectl_script, prepare
from modpy.tools.sites import Site, site_for

START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
READY_MARK = "resuming normal operations"   # Apache's notice once children are up
POLL_SECONDS = 1.0                          # --reload-on-changes
WATCHED = (".py", ".conf", ".htaccess", ".psp")
WATCH_LIMIT = 20000


def serve_settings(debug: bool = False, post_mortem: bool = False) -> tuple[list[str], list[str]]:
    """(apache2 arguments, config lines) for `python -m modpy serve --debug
    / --post-mortem`: one process (-X) so the debugger has the console, and
    the settings that turn pdb on.  The caller must start apache2 in the
    foreground with stdin/stdout left on the terminal (not piped, not in a
    new session)."""
    lines = []
    if debug:
        lines.append("PythonEnablePdb On")
    if post_mortem:
        lines.append("PythonOption modpy.post_mortem On")
    return (["-X"] if lines else []), lines


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def apache_env() -> dict:
    """A plain environment: modpy finds its interpreter by itself."""
    return {"PATH": PATH, "LANG": "C.UTF-8"}


class LogFollower(threading.Thread):
    """Copies a log file to one of our streams as Apache writes it."""

    def __init__(self, path: str, out: TextIO) -> None:
        super().__init__(daemon=True)
        self.path, self.out = path, out
        self.done = threading.Event()
        self.text = ""                      # everything read so far

    def run(self) -> None:
        while not os.path.exists(self.path) and not self.done.wait(0.05):
            pass
        try:
            with open(self.path, errors="replace") as f:
                while True:
                    chunk = f.read()
                    if chunk:
                        self.text += chunk
                        self.out.write(chunk)
                        self.out.flush()
                    elif self.done.is_set():        # stopped, and everything read
                        return
                    else:
                        self.done.wait(0.1)
        except FileNotFoundError:
            return

    def stop(self) -> None:
        self.done.set()
        self.join(timeout=2)


def snapshot(directory: str) -> dict:
    """mtime of every file under `directory` that a change of would need
    a restart: code, config, templates (hidden dirs and caches skipped;
    the first WATCH_LIMIT files only, so that serving / stays cheap)."""
    seen = {}
    for base, dirs, files in os.walk(directory):
        if len(seen) >= WATCH_LIMIT:
            break
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__pycache__"]
        for name in files:
            if name.endswith(WATCHED):
                path = os.path.join(base, name)
                try:
                    seen[path] = os.stat(path).st_mtime_ns
                except OSError:
                    pass
    return seen


class Reloader(threading.Thread):
    """--reload-on-changes: a graceful restart (SIGUSR1) when a watched file
    under the site's directory appears, changes or goes."""

    def __init__(self, directory: str, proc: subprocess.Popen, err: TextIO) -> None:
        super().__init__(daemon=True)
        self.directory, self.proc, self.err = directory, proc, err
        self.done = threading.Event()
        self.before = snapshot(directory)

    def run(self) -> None:
        while not self.done.wait(POLL_SECONDS) and self.proc.poll() is None:
            now = snapshot(self.directory)
            changed = sorted(p for p in now.keys() | self.before.keys() if now.get(p) != self.before.get(p))
            self.before = now
            if changed:
                print(f"modpy serve: {', '.join(changed)} changed: graceful restart", file=self.err, flush=True)
                self.proc.send_signal(signal.SIGUSR1)

    def stop(self) -> None:
        self.done.set()


def wait_ready(proc: subprocess.Popen, host: str, port: int, log: LogFollower,
               single_process: bool = False) -> bool:
    """True once Apache accepts connections and its children are up (with
    -X there are none: accepting is enough); False if it exits or does not
    come up in time."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                if single_process or READY_MARK in log.text:
                    return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


class Stop(Exception):
    """SIGINT or SIGTERM arrived."""


def _raise_stop(signum, frame):
    raise Stop(signal.Signals(signum).name)


def stop_apache(proc: subprocess.Popen) -> None:
    """SIGTERM (Apache's `stop`): children finish, the parent exits."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def summary(args: argparse.Namespace, site: Site, ready: Prepared, single_process: bool) -> list[str]:
    """What runs, where, as whom: printed once Apache answers."""
    workers = ("one process (apache2 -X)" if single_process
               else f"{ready.processes} process{'es' * (ready.processes > 1)} x {ready.threads} "
                    f"thread{'s' * (ready.threads > 1)}")
    root = os.path.dirname(ready.conf)
    return [
        f"modpy: serving {os.path.abspath(args.target)} at {ready.urls[0]} "
        f"(mpm {args.mpm}; error log {os.path.join(root, 'error.log')}; Ctrl-C stops)",
        *[f"  also at   {url} (self-signed certificate {os.path.join(root, 'server.crt')})"
          for url in ready.urls[1:]],
        f"  workers   {workers}, mpm {args.mpm}, "
        + (f"as user {ready.user}, group {ready.group}" if ready.user else ready.why),
        f"  python    {sys.executable} ({'.'.join(map(str, sys.version_info[:3]))})",
        f"  config    {ready.conf}",
        "  logs      errors here (stderr); "
        + ("access log here (stdout)" if args.access_log else f"access log {os.path.join(root, 'access.log')}"),
        *([f"  reload    on changes to {', '.join(WATCHED)} files under {site.directory}"]
          if args.reload_on_changes else []),
    ]


def _prepare(args: argparse.Namespace, root: str) -> tuple[Site, Prepared, list[str]]:
    site = site_for(args.target)
    apache_args, debug_lines = serve_settings(args.debug, args.post_mortem)
    port = args.port or free_port(args.host)
    return site, prepare(args, site, os.path.abspath(args.target), root, port, debug_lines), apache_args


def setup_only(args: argparse.Namespace) -> int:
    """--setup-only DIR: the server's directory and its apachectl, no start."""
    root = os.path.abspath(args.setup_only)
    os.makedirs(root, exist_ok=True)
    try:
        _, ready, _ = _prepare(args, root)
    except ValueError as e:
        print(f"modpy serve: {e}", file=sys.stderr)
        return 2
    script = os.path.join(root, "apachectl")
    with open(script, "w") as f:
        f.write(apachectl_script(ready.conf))
    os.chmod(script, 0o755)
    print(f"modpy: wrote {ready.conf} and {script}: `{script} start|stop|restart|graceful|configtest`; "
          f"it serves at {ready.urls[0]}")
    return 0


def serve(args: argparse.Namespace) -> int:
    """Run Apache until it exits or we are told to stop; 0 on a clean stop."""
    if args.setup_only:
        return setup_only(args)
    root = tempfile.mkdtemp(prefix="modpy-serve-")
    try:
        site, ready, apache_args = _prepare(args, root)
    except ValueError as e:
        shutil.rmtree(root, ignore_errors=True)
        print(f"modpy serve: {e}", file=sys.stderr)
        return 2
    followers = [LogFollower(os.path.join(root, "error.log"), sys.stderr)]
    if args.access_log:
        followers.append(LogFollower(os.path.join(root, "access.log"), sys.stdout))
    previous = {s: signal.signal(s, _raise_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    proc = reloader = None
    try:
        # its own session: a Ctrl-C reaches us only, and we stop Apache in
        # order.  It keeps our stdin/stdout: the terminal pdb talks on.
        proc = subprocess.Popen([find_apache(), "-f", ready.conf, "-DFOREGROUND", *apache_args],
                                env=apache_env(), start_new_session=True)
        for follower in followers:
            follower.start()
        port = ready.port
        if not wait_ready(proc, args.host, port, followers[0], single_process="-X" in apache_args):
            why = (f"exit status {proc.returncode}" if proc.poll() is not None
                   else f"no answer on {args.host}:{port} in {START_TIMEOUT:.0f}s")
            print(f"modpy serve: Apache did not start ({why}); Apache's messages are above", file=sys.stderr)
            return 1
        print("\n".join(summary(args, site, ready, "-X" in apache_args)), flush=True)
        if args.reload_on_changes:
            reloader = Reloader(site.directory, proc, sys.stderr)
            reloader.start()
        status = proc.wait()
        print(f"modpy serve: Apache exited with status {status}", file=sys.stderr)
        return 1
    except Stop as e:
        print(f"modpy: {e}, stopping Apache", file=sys.stderr, flush=True)
        return 0
    finally:
        for s in previous:
            signal.signal(s, signal.SIG_IGN)        # a second Ctrl-C must not cut the clean-up short
        if reloader is not None:
            reloader.stop()
        if proc is not None:
            stop_apache(proc)
        for follower in followers:
            follower.stop()
        shutil.rmtree(root, ignore_errors=True)
        for s, handler in previous.items():
            signal.signal(s, handler)
