"""What a real CGI program does to its process, in-process: rebinding
sys.stdout and friends, cgitb, import hooks and __import__, os._exit,
signals, stdin/stdout used as descriptors, child processes writing the response, threads, os.chdir and
os.umask in a working directory of each thread's own, and the bound of the gate that stands in for that
where unshare is refused.  Each script's request gets what a
process would; the Apache child and the other requests go on."""
from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest

from tests.apache import read_until_close
from tests.seccomp import refuse_unshare

SITE = """
Timeout {timeout}
<Directory "{htdocs}">
    SetHandler mod_python
    PythonHandler mod_python.cgihandler
</Directory>
"""


# one child process, whose threads would share one working directory
ONE_CHILD = """
ServerLimit 1
StartServers 1
ThreadsPerChild 25
MaxRequestWorkers 25
MinSpareThreads 1
MaxSpareThreads 25
"""


def serve(apache_factory, scripts: dict, mpm: str = "event", timeout: int = 60, extra: str = "",
          preexec=None):
    server = apache_factory(SITE.replace("{timeout}", str(timeout)) + extra, mpm=mpm)
    for name, text in scripts.items():
        server.write(name, text)
    return server.start(preexec=preexec)


CODECS_STDOUT = """
import codecs, os, sys
sys.stdout = codecs.getwriter("utf-8")(sys.stdout.buffer)
sys.stdout.write("Content-Type: text/plain\\n\\n")
sys.stdout.write("caf\\u00e9 %s %d\\n" % (os.environ["QUERY_STRING"], os.getpid()))
"""
REBINDS = """
import io, os, sys
saved = sys.stdout
sys.stdout = sys.stderr = io.StringIO()     # a log that goes nowhere, as roundup.cgi does
os.environ = {"ONLY": "mine"}
sys.argv = ["rebound"]
print("lost")
saved.buffer.write(b"Content-Type: text/plain\\n\\n")    # what roundup.cgi writes its response to
sys.stdout = saved
print(os.environ.get("ONLY"), sys.argv)
"""
PLAIN = """
import os, sys
print("Content-Type: text/plain\\n")
print(type(sys.stdout).__name__, os.environ.get("ONLY"), sys.argv[0].rsplit("/", 1)[1])
"""


@pytest.mark.parametrize("mpm", ["event", "prefork"])
def test_rebinding_sys_stdout_and_friends_stays_in_its_request(apache_factory, mpm):
    server = serve(apache_factory, {"codecs.py": CODECS_STDOUT, "rebinds.py": REBINDS, "plain.py": PLAIN},
                   mpm=mpm)
    for n in range(6):                      # the same children serve them all
        r = server.get(f"/codecs.py?{n}")
        assert r.status_code == 200 and r.text.startswith(f"café {n} "), r.text
        assert server.get("/rebinds.py").text == "mine ['rebound']\n"
        assert server.get("/plain.py").text == "StreamProxy None plain.py\n"


CGITB = """
import cgitb
cgitb.enable()
print("Content-Type: text/html\\n")
print("<p>before</p>")
1 / 0
"""


def test_cgitb_shows_its_page_and_other_scripts_keep_the_plain_hook(apache_factory):
    server = serve(apache_factory, {"tb.py": CGITB, "raise.py": "print('Content-Type: text/plain\\n')\n1/0\n"})
    r = server.get("/tb.py")
    assert r.status_code == 200 and "<p>before</p>" in r.text and "ZeroDivisionError" in r.text
    r = server.get("/raise.py")
    assert "ZeroDivisionError" not in r.text    # its traceback went to the error log
    assert "ZeroDivisionError: division by zero" in server.error_log()


EXIT = """
import os, sys
print("Content-Type: text/plain\\n")
print("pid", os.getpid())
sys.stdout.flush()
os.%s
print("never")
"""
SIGNALS = """
import signal
def gone(*args):
    raise SystemExit("handler called")
signal.signal(signal.SIGTERM, gone)
signal.signal(signal.SIGUSR1, gone)
signal.alarm(1)
print("Content-Type: text/plain\\n")
print("set")
"""


@pytest.mark.parametrize("mpm", ["event", "prefork"])
def test_a_script_cannot_end_the_apache_child(apache_factory, mpm):
    scripts = {"exit.py": EXIT % "_exit(3)", "abort.py": EXIT % "abort()",
               "kill.py": EXIT % "kill(os.getpid(), 9)", "signals.py": SIGNALS, "plain.py": PLAIN}
    server = serve(apache_factory, scripts, mpm=mpm)
    pids = set()
    for name in ("exit.py", "abort.py", "kill.py"):
        r = server.get(f"/{name}")
        assert r.status_code == 200 and "never" not in r.text
        pids.add(r.text.split()[1])
    assert server.get("/signals.py").text == "set\n"
    time.sleep(1.5)                         # an alarm would have fired
    for _ in range(4):
        assert server.get("/plain.py").status_code == 200
    log = server.error_log()
    assert "the script ended its process with os._exit(3)" in log
    assert "os.kill(os.getpid(), SIGKILL)" in log
    server.graceful()                       # Apache's own signal handlers are still Apache's
    assert server.get("/plain.py").status_code == 200
    assert server.crashes() == 0 and "exit signal" not in server.error_log()


DESCRIPTORS = """
import fcntl, os, select, sys
for stream in (sys.stdin, sys.stdout):      # what trac.cgi does first
    fd = stream.fileno()
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
readable, writable, _ = select.select([sys.stdin], [sys.stdout], [], 5)
body = os.read(sys.stdin.fileno(), 1000)
sys.stdout.write("Content-Type: text/plain\\n\\n")
sys.stdout.flush()
os.write(sys.stdout.fileno(), ("os.write %s %s %s\\n" % (body, bool(readable), bool(writable))).encode())
print("isatty", sys.stdin.isatty(), sys.stdout.isatty(), sys.stderr.isatty())
"""
CHILDREN = """
import os, subprocess, sys
print("Content-Type: text/plain\\n")
print("script first")
os.system('echo "system $QUERY_STRING"; head -c 5')
subprocess.run(["/bin/sh", "-c", 'echo "run $REQUEST_METHOD"; cat'])
subprocess.call("echo call; echo to-stderr >&2", shell=True)
print("script last")
"""


def test_stdin_and_stdout_are_descriptors(apache_factory):
    server = serve(apache_factory, {"fds.py": DESCRIPTORS})
    r = server.post("/fds.py", content=b"the body")
    assert r.status_code == 200
    assert r.text == "os.write b'the body' True True\nisatty False False False\n"


def test_child_processes_write_the_response_and_read_the_body(apache_factory):
    server = serve(apache_factory, {"children.py": CHILDREN})
    r = server.post("/children.py?q=1", content=b"12345rest of the body")
    assert r.text == ("script first\nsystem q=1\n12345run POST\nrest of the body"
                      "call\nscript last\n")
    assert "to-stderr" in server.error_log()


THREADS = """
import os, threading, time
print("Content-Type: text/plain\\n", flush=True)
def work(n):
    time.sleep(0.05 * (n + 1))
    print("thread", n, os.environ["QUERY_STRING"], flush=True)
for n in range(3):
    threading.Thread(target=work, args=(n,)).start()
print("main done", flush=True)
"""
CHDIR = """
import os
os.chdir("sub")
print("Content-Type: text/plain\\n")
print(open("here.txt").read().strip(), os.getcwd().rsplit("/", 1)[1])
"""


def test_threads_write_into_their_scripts_response(apache_factory):
    server = serve(apache_factory, {"threads.py": THREADS})
    lines = server.get("/threads.py?x").text.splitlines()
    assert lines[0] == "main done" and sorted(lines[1:]) == ["thread 0 x", "thread 1 x", "thread 2 x"]


def test_chdir_moves_the_script_and_the_next_request_starts_in_its_own(apache_factory):
    server = serve(apache_factory, {"chdir.py": CHDIR, "sub/here.txt": "in sub\n", "plain.py": PLAIN})
    assert server.get("/chdir.py").text == "in sub sub\n"
    assert server.get("/plain.py").status_code == 200
    assert server.get("/chdir.py").text == "in sub sub\n"       # back in its own directory first


SLOW = """
import time
time.sleep(4)
print("Content-Type: text/plain\\n")
print("slow done")
"""
READS = """
import sys
data = sys.stdin.read()
print("Content-Type: text/plain\\n")
print(len(data))
"""


UMASK = """
import os, time
os.umask(0o077)
time.sleep(2)
print("Content-Type: text/plain\\n")
print(oct(os.umask(0o077)))
"""
CREATES = """
import os, uuid
path = "/tmp/modpy-umask-" + uuid.uuid4().hex
open(path, "w").close()
print("Content-Type: text/plain\\n")
print(oct(os.stat(path).st_mode & 0o777), os.getcwd().rsplit("/", 1)[1])
os.unlink(path)
"""


def test_scripts_of_other_directories_run_at_once_each_with_its_umask(apache_factory):
    """Each CGI thread has a working directory and umask of its own
    (unshare(CLONE_FS)): while a script in a/ runs with its umask, one in
    b/ starts at once, in b/, and creates its files with Apache's mask."""
    server = serve(apache_factory, {"a/slow.py": SLOW, "a/umask.py": UMASK, "b/creates.py": CREATES},
                   extra=ONE_CHILD)
    alone = server.get("/b/creates.py").text
    assert alone.endswith(" b\n")
    results = {}
    others = [threading.Thread(target=lambda p=path: results.update({p: server.get(p)}))
              for path in ("/a/slow.py", "/a/umask.py")]
    for thread in others:
        thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    assert server.get("/b/creates.py").text == alone
    assert time.monotonic() - started < 1
    for thread in others:
        thread.join(10)
    assert results["/a/umask.py"].text == "0o77\n"
    assert results["/a/slow.py"].text == "slow done\n"
    assert server.get("/b/creates.py").text == alone       # the script's mask went with it


def test_a_wait_for_the_working_directory_has_a_bound(apache_factory):
    """Where unshare is refused (a container's seccomp policy), scripts
    share the process's directory through the gate, whose wait has a bound."""
    server = serve(apache_factory, {"a/slow.py": SLOW, "b/plain.py": PLAIN, "a/plain.py": PLAIN}, timeout=1,
                   extra=ONE_CHILD, preexec=refuse_unshare)
    slow = threading.Thread(target=lambda: server.get("/a/slow.py"))
    slow.start()
    time.sleep(0.5)
    assert server.get("/a/plain.py").status_code == 200      # the current directory goes in
    started = time.monotonic()
    r = server.get("/b/plain.py")
    assert r.status_code == 503 and time.monotonic() - started < 3
    slow.join()
    assert server.get("/b/plain.py").status_code == 200
    assert server.error_log().count("CGI script") == 1
    assert "b/plain.py not run: waited 1s for scripts in" in server.error_log()


def test_a_slow_client_holds_no_directory(apache_factory):
    server = serve(apache_factory, {"a/reads.py": READS, "b/plain.py": PLAIN}, extra=ONE_CHILD,
                   preexec=refuse_unshare)                 # through the gate
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"POST /a/reads.py HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                     b"Content-Length: 10\r\n\r\n12345")
        time.sleep(0.3)                     # half the body sent; the client is slow
        started = time.monotonic()
        assert server.get("/b/plain.py").status_code == 200
        assert time.monotonic() - started < 1
        sock.sendall(b"67890")
        assert read_until_close(sock).endswith(b"\r\n\r\n10\n")      # the script saw all 10 bytes


def test_the_emulation_answers_under_load_after_all_this(apache_factory):
    server = serve(apache_factory, {"codecs.py": CODECS_STDOUT, "plain.py": PLAIN}, mpm="worker")
    errors = []

    def client(n: int) -> None:
        with httpx.Client(base_url=server.url(""), timeout=30) as c:
            for i in range(10):
                r = c.get(f"/codecs.py?{n}-{i}" if i % 2 else "/plain.py")
                if r.status_code != 200:
                    errors.append((n, i, r.status_code))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


DAEMON = """
import os, sys, threading, time
out, buffer = sys.stdout, sys.stdout.buffer
def late():
    time.sleep(0.3)
    for _ in range(50):
        print("late", file=out, flush=True)
        buffer.write(b"late too\\n")
        buffer.flush()
threading.Thread(target=late, daemon=True).start()
print("Content-Type: text/plain\\n")
print("on time")
"""


def test_a_daemon_thread_that_outlives_its_request_writes_nowhere(apache_factory):
    server = serve(apache_factory, {"daemon.py": DAEMON, "plain.py": PLAIN}, extra=ONE_CHILD)
    assert server.get("/daemon.py").text == "on time\n"
    time.sleep(0.6)
    for _ in range(3):
        r = server.get("/plain.py")
        assert r.status_code == 200 and "late" not in r.text


HOOKS = """
import builtins, importlib.util, os, sys, time

class Finder:
    def find_spec(self, name, path=None, target=None):
        if name == "only_mine":
            return importlib.util.spec_from_loader(name, Loader())

class Loader:
    def create_module(self, spec):
        return None
    def exec_module(self, module):
        module.VALUE = "mine"

sys.meta_path.insert(0, Finder())
seen, original = [], builtins.__import__
def counting(name, *args, **kwargs):
    seen.append(name)
    return original(name, *args, **kwargs)
builtins.__import__ = counting
open(os.environ["QUERY_STRING"], "w").close()     # the others may go now
time.sleep(0.5)
import only_mine
import json
del sys.modules["only_mine"]
print("Content-Type: text/plain\\n")
print(only_mine.VALUE, "json" in seen, "colorsys" in seen)
"""
REPORTS = """
import sys
print("Content-Type: text/plain\\n")
for name in ("only_mine", "colorsys", "multipart"):
    try:
        __import__(name)
        print(name, "imported")
    except ImportError as e:
        print(name, type(e).__name__)
"""


def test_import_hooks_and_importers_stay_in_their_request(apache_factory, tmp_path):
    """One script adds a meta-path finder and replaces __import__, and
    another, in the same child meanwhile and after, imports with neither;
    the first script's importer sees only its own imports; python-
    multipart's `multipart` is no script's module."""
    server = serve(apache_factory, {"hooks.py": HOOKS, "reports.py": REPORTS}, extra=ONE_CHILD)
    ready = tmp_path / "ready"
    expected = "only_mine ModuleNotFoundError\ncolorsys imported\nmultipart ModuleNotFoundError\n"
    hooked = {}
    first = threading.Thread(target=lambda: hooked.update(r=server.get(f"/hooks.py?{ready}", timeout=30)))
    first.start()
    for _ in range(100):
        if ready.exists():
            break
        time.sleep(0.05)
    meanwhile = [server.get("/reports.py").text for _ in range(3)]
    first.join()
    assert hooked["r"].status_code == 200 and hooked["r"].text == "mine True False\n"
    assert meanwhile == [expected] * 3
    assert server.get("/reports.py").text == expected
