"""`python -m modpy serve TARGET`: a private Apache in the foreground, the
quickest way from a handler file to a running site (like mod_wsgi-express).

TARGET is one of
  * a handler module `app.py`: every URL goes to its `handler(req)`;
  * a config snippet `site.conf`: included as is; `${MODPY_SITE}` in it is the
    snippet's own directory (an Apache `Define`, so the same snippet works in
    a system httpd.conf after `Define MODPY_SITE /its/dir`);
  * a directory: its `site.conf` if it has one; else the directory is the
    document root and each `NAME.py` in it is a handler at `/NAME.py`.

Everything Apache writes (config, logs, pid) goes to a temp dir, removed on
exit.  `site_for` is pure; `serve` owns the process.
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
from dataclasses import dataclass
from typing import Optional, TextIO

from modpy.tools.apacheconf import HttpdConf, find_apache

SITE_VARIABLE = "MODPY_SITE"
SITE_FILE = "site.conf"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
READY_MARK = "resuming normal operations"   # Apache's notice once children are up


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



@dataclass
class Site:
    """What to put into the generated httpd.conf for one TARGET."""

    body: str
    document_root: Optional[str] = None     # None: an empty htdocs in the temp dir


def site_for(target: str) -> Site:
    """The config for a .py handler, a .conf snippet or a directory."""
    target = os.path.abspath(target)
    if os.path.isdir(target):
        conf = os.path.join(target, SITE_FILE)
        return snippet_site(conf) if os.path.isfile(conf) else directory_site(target)
    if not os.path.exists(target):
        raise ValueError(f"no such file or directory: {target}")
    if not os.path.isfile(target):
        raise ValueError(f"{target}: not a regular file or a directory")
    if target.endswith(".py"):
        return handler_site(target)
    if target.endswith(".conf"):
        return snippet_site(target)
    raise ValueError(f"{target}: expected a handler module (.py), a config snippet (.conf) or a directory")


def handler_site(path: str) -> Site:
    """One module answers every URL: its directory is the document root, so
    the module is found as a file of the section (mod_python's rule)."""
    directory, name = os.path.split(path)
    module = name[:-3]
    if not module.isidentifier():
        raise ValueError(f"{path}: {module!r} is not a Python module name")
    return Site(document_root=directory, body="\n".join([
        f'<Directory "{directory}">',
        "    SetHandler mod_python",
        f"    PythonHandler {module}",
        "</Directory>",
    ]))


def snippet_site(path: str) -> Site:
    return Site(body="\n".join([
        f'Define {SITE_VARIABLE} "{os.path.dirname(path)}"',
        f'Include "{path}"',
    ]))


def directory_site(directory: str) -> Site:
    """Static files as they are, each top-level NAME.py a handler."""
    handlers = sorted(n for n in os.listdir(directory) if n.endswith(".py") and n[:-3].isidentifier())
    lines = [f'<Directory "{directory}">']
    for name in handlers:
        lines += [f'    <Files "{name}">', "        SetHandler mod_python",
                  f"        PythonHandler {name[:-3]}", "    </Files>"]
    lines.append("</Directory>")
    return Site(document_root=directory, body="\n".join(lines))


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def apache_env() -> dict:
    """A plain environment: modpy finds its interpreter by itself."""
    return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}


class LogFollower(threading.Thread):
    """Copies the error log to our stderr as Apache writes it."""

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


def serve(args: argparse.Namespace) -> int:
    """Run Apache until it exits or we are told to stop; 0 on a clean stop."""
    try:
        site = site_for(args.target)
    except ValueError as e:
        print(f"modpy serve: {e}", file=sys.stderr)
        return 2
    port = args.port or free_port(args.host)
    root = tempfile.mkdtemp(prefix="modpy-serve-")
    apache_args, debug_lines = serve_settings(args.debug, args.post_mortem)
    conf = HttpdConf(root=root, port=port, body="\n".join([site.body, *debug_lines]),
                     mpm=args.mpm, listen=args.host,
                     document_root=site.document_root, log_level=args.log_level)
    log = LogFollower(os.path.join(root, "error.log"), sys.stderr)
    previous = {s: signal.signal(s, _raise_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    proc = None
    try:
        # its own session: a Ctrl-C reaches us only, and we stop Apache in
        # order.  It keeps our stdin/stdout: the terminal pdb talks on.
        proc = subprocess.Popen([find_apache(), "-f", conf.write(), "-DFOREGROUND", *apache_args],
                                env=apache_env(), start_new_session=True)
        log.start()
        if not wait_ready(proc, args.host, port, log, single_process="-X" in apache_args):
            why = (f"exit status {proc.returncode}" if proc.poll() is not None
                   else f"no answer on {args.host}:{port} in {START_TIMEOUT:.0f}s")
            print(f"modpy serve: Apache did not start ({why}); Apache's messages are above", file=sys.stderr)
            return 1
        print(f"modpy: serving {os.path.abspath(args.target)} at http://{args.host}:{port}/ "
              f"(mpm {args.mpm}; error log {log.path}; Ctrl-C stops)", flush=True)
        status = proc.wait()
        print(f"modpy serve: Apache exited with status {status}", file=sys.stderr)
        return 1
    except Stop as e:
        print(f"modpy: {e}, stopping Apache", file=sys.stderr, flush=True)
        return 0
    finally:
        for s in previous:
            signal.signal(s, signal.SIG_IGN)        # a second Ctrl-C must not cut the clean-up short
        if proc is not None:
            stop_apache(proc)
        log.stop()
        shutil.rmtree(root, ignore_errors=True)
        for s, handler in previous.items():
            signal.signal(s, handler)
