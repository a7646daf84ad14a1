"""The server's life with Python inside: the three MPMs, the double config
read, graceful and hard restarts under load, child cleanups at shutdown,
stderr and logging into the error log, and the build's own interpreter
whatever Apache's environment says."""
from __future__ import annotations

import os
import signal
import sys
import textwrap
import threading
import time

import httpx
import pytest

MPMS = ("prefork", "worker", "event")

PROBE = """
    import json, logging, os, sys
    from mod_python import apache
    from modpy.core import cleanups
    from modpy.core import configs, runtime
    from modpy.objects import request

    def handler(req):
        if req.args == "log":
            print("printed to stderr", os.getpid(), file=sys.stderr)
            logging.getLogger("app").warning("a logging warning")
            logging.error("a root logging error")
        if req.args and req.args.startswith("cleanup="):
            out = req.args[len("cleanup="):]
            apache.register_cleanup(_cleanup, (out, os.getpid()))
            req.server.register_cleanup(req, _cleanup_no_data)
        if req.args == "thread":
            # threading after fork: needs the child's re-initialised state
            import concurrent.futures, threading
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                got = list(pool.map(lambda n: n * n, range(5)))
            req.write(json.dumps({"squares": got, "main": threading.main_thread().ident is not None}))
            return apache.OK
        if req.args == "boom":
            raise RuntimeError("handler failed on purpose")
        req.content_type = "application/json"
        req.write(json.dumps({
            "pid": os.getpid(), "boots": runtime.boots,
            "configs": len(configs.registry._configs),
            "executable": sys.executable, "prefix": sys.prefix, "path": sys.path,
            "version": sys.version,
            "live_requests": len(request._live), "pending_cleanups": len(cleanups._pending),
        }))
        return apache.OK

    def _cleanup(data):
        out, pid = data
        with open(f"{out}/cleanup-{pid}", "a") as f:
            f.write(f"cleanup ran in {os.getpid()} for {pid}\\n")

    def _cleanup_no_data():
        print("cleanup without data ran", file=sys.stderr)
"""

BODY = """
    <Directory "{htdocs}">
        SetHandler mod_python
        PythonHandler probe
        PythonFixupHandler stack::one stack::two
        PythonOption where htdocs
    </Directory>
"""
STACK = """
    def one(req):
        req.headers_out.add("X-Stack", "one"); return 0
    def two(req):
        req.headers_out.add("X-Stack", "two"); return 0
"""


def _server(apache_factory, mpm: str, **conf):
    server = apache_factory(BODY, mpm=mpm, **conf)
    server.write("probe.py", PROBE)
    server.write("stack.py", STACK)
    return server


def _parent_fds(server) -> int:
    return len(os.listdir(f"/proc/{server.proc.pid}/fd"))


@pytest.mark.parametrize("mpm", MPMS)
def test_representative_requests_under_each_mpm(apache_factory, mpm):
    server = _server(apache_factory, mpm).start()
    assert f"mpm_{mpm}:notice" in server.error_log()
    r = server.get("/x")
    assert r.status_code == 200
    assert r.headers.get_list("x-stack") == ["one", "two"]
    assert r.json()["boots"] == 2                  # both config reads, one interpreter
    assert server.get("/x?thread").json() == {"squares": [0, 1, 4, 9, 16], "main": True}
    for _ in range(200):                     # per-request state goes with the request
        server.get("/x")
    r = server.get("/x").json()
    assert r["live_requests"] == 1           # this one
    assert r["pending_cleanups"] < 20        # this request's, plus configs'; not one per request
    r = server.get("/x?boom")
    assert r.status_code == 500 and "on purpose" not in r.text
    assert "RuntimeError: handler failed on purpose" in server.error_log()
    server.get("/x?log")
    deadline = time.monotonic() + 5
    while "a root logging error" not in server.error_log() and time.monotonic() < deadline:
        time.sleep(0.05)
    log = server.error_log()
    assert "printed to stderr" in log
    line = next(l for l in log.splitlines() if "a logging warning" in l)
    assert ":warn]" in line
    line = next(l for l in log.splitlines() if "a root logging error" in l)
    assert ":error]" in line


CLIENTS = 16
# what a client may retry: the server closed or reset the connection before
# or during its answer (never a refused connection, never a wrong answer)
CUT = (httpx.RemoteProtocolError, httpx.ReadError)


def _hammer(url: str, good, stop: threading.Event, tally: dict, retries: int) -> None:
    """One client looping on fresh connections (a reused keep-alive
    connection may be closed by a retiring child between two requests,
    which a client must retry; a fresh one must always be served).  With
    `retries`, a request cut by the server is sent again, after a short
    pause, up to that many times, as clients do with idempotent requests."""
    with httpx.Client(timeout=30, headers={"Connection": "close"}) as client:
        while not stop.is_set():
            for attempt in range(retries + 1):
                try:
                    r = client.get(url)
                except CUT as e:
                    if attempt < retries:
                        tally["retried"] += 1
                        time.sleep(0.05 * (attempt + 1))
                        continue
                    tally["failures"].append(repr(e))
                except httpx.HTTPError as e:
                    tally["failures"].append(repr(e))
                else:
                    if not good(r):
                        tally["failures"].append(f"{r.status_code} {r.text[:200]}")
                    tally["served"] += 1
                break


def _restarts_under_load(url: str, good, restart, times: int = 10, retries: int = 0) -> dict:
    """CLIENTS clients on `url` while `restart()` runs `times` times:
    {"served", "retried", "failures"}."""
    stop = threading.Event()
    tally = {"served": 0, "retried": 0, "failures": []}
    clients = [threading.Thread(target=_hammer, args=(url, good, stop, tally, retries))
               for _ in range(CLIENTS)]
    for t in clients:
        t.start()
    try:
        for _ in range(times):
            time.sleep(0.3)
            restart()
        time.sleep(0.3)
    finally:
        stop.set()
        for t in clients:
            t.join()
    return tally


def _stacked(r) -> bool:
    return r.status_code == 200 and r.headers.get_list("x-stack") == ["one", "two"]


@pytest.mark.parametrize("mpm", MPMS)
def test_ten_graceful_restarts_while_serving(apache_factory, mpm):
    """Sixteen clients, no retries: a graceful restart fails no request."""
    server = _server(apache_factory, mpm).start()
    first = server.get("/x").json()
    fds_before = _parent_fds(server)
    tally = _restarts_under_load(server.url("/x?load"), _stacked, server.graceful)
    assert tally["failures"] == []
    assert tally["served"] > 40
    # a new connection: an old child may still hold the earlier keep-alive one
    after = httpx.get(server.url("/x"), headers={"Connection": "close"}).json()
    assert after["boots"] == first["boots"] + 10         # Python lived through every restart
    assert after["configs"] == first["configs"]           # no parsed configs left behind
    assert after["pending_cleanups"] == first["pending_cleanups"]   # nor their pool cleanups
    assert after["executable"] == first["executable"]
    assert _parent_fds(server) <= fds_before              # no descriptors leaked per restart
    assert server.crashes() == 0


@pytest.mark.parametrize("mpm", MPMS)
def test_plain_restarts_while_serving_fail_no_more_than_plain_apache(apache_factory, mpm):
    """`apachectl -k restart` (SIGHUP) kills the children at once: Apache
    itself cuts the requests in flight, with or without modpy (measured, 16
    clients, 10 restarts, no retries: a static file lost 0-24 requests, a
    modpy handler 2-121, more since its requests last longer).  The promise:
    clients that retry a cut idempotent request (up to 4 times, 50-200 ms
    apart) see no more failures from modpy than from Apache alone (measured:
    none from either).  Under event, Apache's own close_worker_sockets
    race may crash a dying child (tests/apache.py apache_own_crashes): with
    `cores`, such a crash is told apart by its stack; any other fails."""
    plain = apache_factory("", mpm=mpm, load_modpy=False, cores=True)
    plain.write("static.txt", "hello\n")
    plain.start()
    baseline = _restarts_under_load(plain.url("/static.txt"), lambda r: r.text == "hello\n",
                                    plain.restart, retries=4)
    plain.stop()
    server = _server(apache_factory, mpm, cores=True).start()
    tally = _restarts_under_load(server.url("/x?load"), _stacked, server.restart, retries=4)
    assert len(tally["failures"]) <= len(baseline["failures"]), (tally, baseline)
    assert tally["served"] > 40 and baseline["served"] > 40
    assert httpx.get(server.url("/x"), headers={"Connection": "close"}).json()["boots"] == 2 + 10


@pytest.mark.parametrize("mpm", MPMS)
def test_hard_restart_and_graceful_with_changed_config(apache_factory, mpm):
    server = _server(apache_factory, mpm).start()
    first = server.get("/x").json()
    server.restart()                                      # apachectl -k restart (SIGHUP)
    r = httpx.get(server.url("/x"))
    assert r.status_code == 200 and r.json()["boots"] == first["boots"] + 1
    # a new configuration takes effect on graceful restart
    server.set_body(BODY.replace("stack::one stack::two", "stack::two"))
    server.graceful()
    deadline = time.monotonic() + 10
    while server.get("/x").headers.get_list("x-stack") != ["two"]:
        assert time.monotonic() < deadline, "the new config never took effect"
        time.sleep(0.1)
    # a broken config on restart: Apache keeps nothing half-done, modpy names the problem
    server.set_body(BODY + "\nPythonDebug sideways\n")
    assert "PythonDebug: must be On or Off" in server.configtest().stderr


@pytest.mark.parametrize("mpm", MPMS)
def test_child_cleanups_run_at_shutdown(apache_factory, mpm, tmp_path):
    out = tmp_path / "cleanups"
    out.mkdir()
    os.chmod(out, 0o777)                   # children may run as another user
    server = _server(apache_factory, mpm).start()
    pid = server.get(f"/x?cleanup={out}").json()["pid"]
    assert not os.listdir(out)             # not before the child ends
    server.graceful()                      # the old generation's children exit
    deadline = time.monotonic() + 15
    while not os.path.exists(out / f"cleanup-{pid}") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert (out / f"cleanup-{pid}").read_text() == f"cleanup ran in {pid} for {pid}\n"
    assert "cleanup without data ran" in server.error_log()


DYING = """
    import os, signal
    from mod_python import apache

    def _note(path):
        with open(path, "w") as f:
            f.write("ran")

    def handler(req):
        out, how = req.args.split(",")
        apache.register_cleanup(_note, f"{out}/child-{os.getpid()}")
        req.register_cleanup(_note, f"{out}/request-{os.getpid()}")
        if how == "die-inside":          # what `-k restart` does to a busy child
            os.kill(os.getpid(), signal.SIGTERM)
        req.write(str(os.getpid()))
        return apache.OK
"""


def test_a_prefork_child_killed_inside_python_exits_without_reentering_it(apache_factory, tmp_path):
    """A prefork child dies in Apache's signal handler, which runs the pool
    cleanups wherever the signal struck.  Struck inside Python, the cleanups
    that call Python are skipped (re-entering Python mid-instruction crashed
    children under `-k restart`); struck while the child waits, they run."""
    out = tmp_path / "cleanups"
    out.mkdir()
    os.chmod(out, 0o777)
    server = apache_factory(BODY.replace("probe", "dying"), mpm="prefork")
    server.write("dying.py", DYING)
    server.write("stack.py", STACK)
    server.start()
    with pytest.raises(httpx.HTTPError):         # the child died before answering
        httpx.get(server.url(f"/x?{out},die-inside"), headers={"Connection": "close"})
    pid = int(server.get(f"/x?{out},live").text)
    os.kill(pid, signal.SIGTERM)                 # idle now: the cleanups run
    deadline = time.monotonic() + 10
    while not (out / f"child-{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(os.listdir(out)) == [f"child-{pid}", f"request-{pid}"]
    assert server.crashes() == 0


def test_register_cleanup_outside_a_child_is_a_clear_error(apache_factory):
    server = apache_factory("""
        PythonPath "sys.path + [__import__('mod_python.apache').apache.register_cleanup(print)]"
    """)
    result = server.configtest()
    assert result.returncode != 0
    assert "PythonPath" in result.stderr
    assert "register_cleanup() works in a child process" in result.stderr


def test_the_build_interpreter_runs_whatever_the_environment_says(apache_factory, tmp_path):
    server = _server(apache_factory, "event")
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "site.py").write_text("raise SystemExit('garbage site.py imported')\n")
    (garbage / "os.py").write_text("raise SystemExit('garbage os.py imported')\n")
    server.start(env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "PYTHONHOME": str(garbage),
                      "PYTHONPATH": str(garbage), "PYTHONSTARTUP": str(garbage / "os.py"),
                      "VIRTUAL_ENV": str(garbage), "PYTHONNOUSERSITE": ""})
    info = server.get("/x").json()
    venv = sys.prefix                      # the tests run from the venv modpy was built in
    assert os.path.dirname(info["executable"]) == os.path.join(venv, "bin")
    assert os.path.realpath(info["executable"]) == os.path.realpath(sys.executable)
    assert info["prefix"] == venv
    assert info["version"] == sys.version
    site_packages = [p for p in info["path"] if p.endswith("site-packages")]
    assert site_packages and all(p.startswith(venv) for p in site_packages)
    assert not any(str(garbage) in p for p in info["path"])


def test_python_import_runs_once_in_each_child(apache_factory, tmp_path):
    out = tmp_path / "imports"
    out.mkdir()
    os.chmod(out, 0o777)
    server = apache_factory(f"""
        PythonPath "sys.path + ['{{htdocs}}']"
        PythonImport started::init main_interpreter
        PythonImport broken main_interpreter
        PythonOption out "{out}"
        <Directory "{{htdocs}}">
            SetHandler mod_python
            PythonHandler reader
            PythonInterpreter main_interpreter
        </Directory>
    """, mpm="prefork")
    server.write("started.py", f"""
        import os
        COUNT = []

        def init():
            COUNT.append(1)
            with open(os.path.join({str(out)!r}, str(os.getpid())), "a") as f:
                f.write("x")
    """)
    server.write("reader.py", """
        import os
        import started           # a plain import: the module PythonImport loaded

        def handler(req):
            req.write(f"{os.getpid()} {len(started.COUNT)}")
            return 0
    """)
    server.write("broken.py", "raise ImportError('broken on purpose')\n")
    server.start()
    pid, count = server.get("/x").text.split()
    assert count == "1"
    assert (out / pid).read_text() == "x"
    assert "PythonImport broken main_interpreter" in server.error_log()
    assert "broken on purpose" in server.error_log()


def _apachectl(server, action: str) -> None:
    import subprocess

    from modpy.tools.apacheconf import find_apache
    from tests.apache import clean_env
    result = subprocess.run([find_apache(), "-f", server.conf_path, "-k", action], env=clean_env(),
                            capture_output=True, text=True, start_new_session=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _wait_generation(server, count: int) -> None:
    deadline = time.monotonic() + 20
    while server.generation() < count:
        assert time.monotonic() < deadline, server.error_log()
        time.sleep(0.05)


@pytest.mark.parametrize("mpm", MPMS)
def test_apachectl_start_graceful_restart_stop_as_a_daemon(apache_factory, mpm):
    """As in production: `-k start` detaches (a fork between the two config
    reads, Python already running), then -k graceful, -k restart, -k stop."""
    server = _server(apache_factory, mpm)
    _apachectl(server, "start")
    try:
        _wait_generation(server, 1)
        fresh = lambda: httpx.get(server.url("/x?thread"), headers={"Connection": "close"})
        assert fresh().json()["squares"] == [0, 1, 4, 9, 16]
        boots = httpx.get(server.url("/x"), headers={"Connection": "close"}).json()["boots"]
        assert boots == 2
        _apachectl(server, "graceful")
        _wait_generation(server, 2)
        _apachectl(server, "restart")
        _wait_generation(server, 3)
        deadline = time.monotonic() + 10
        while httpx.get(server.url("/x"), headers={"Connection": "close"}).json()["boots"] != boots + 2:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert fresh().json()["squares"] == [0, 1, 4, 9, 16]
    finally:
        pidfile = os.path.join(server.root, "httpd.pid")
        pid = int(open(pidfile).read())
        _apachectl(server, "stop")
        deadline = time.monotonic() + 20
        while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
            time.sleep(0.05)
    assert not os.path.exists(f"/proc/{pid}")
    assert server.crashes() == 0


# A module that takes half a second to import, whose handler needs what the
# end of the module defines: used half-imported, it fails with a NameError.
SLOW_MODULE = """
    import time

    def handler(req):
        req.write(READY)
        return 0

    def application(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [READY.encode()]

    def hello(req):
        return READY

    time.sleep(0.5)
    READY = "ready %s"
"""
CGI_SCRIPT = """
    import slowcgi
    print("Content-Type: text/plain")
    print()
    print(slowcgi.READY, end="")
"""
COLD = """
    StartServers 1
    ServerLimit 1
    ThreadsPerChild 32
    ThreadLimit 32
    MinSpareThreads 1
    MaxSpareThreads 32
    MaxRequestWorkers 32
    PythonPath "sys.path + ['{root}/lib']"
    <Directory "{htdocs}/file">
        SetHandler mod_python
        PythonHandler slow
    </Directory>
    <Location /plain>
        SetHandler mod_python
        PythonHandler slowlib
    </Location>
    <Directory "{htdocs}/pub">
        SetHandler mod_python
        PythonHandler mod_python.publisher
    </Directory>
    <Location /wsgi>
        SetHandler mod_python
        PythonHandler mod_python.wsgi
        PythonOption mod_python.wsgi.application slowapp::application
    </Location>
    <Directory "{htdocs}/cgi">
        SetHandler mod_python
        PythonHandler mod_python.cgihandler
    </Directory>
"""
# kind -> (url, module file under the server root, its name in the answer)
COLD_KINDS = {
    "file": ("/file/x", "htdocs/file/slow.py"),            # loaded from the section's directory
    "plain": ("/plain", "lib/slowlib.py"),                 # a plain import from PythonPath
    "publisher": ("/pub/slow.py/hello", "htdocs/pub/slow.py"),
    "wsgi": ("/wsgi", "lib/slowapp.py"),
    "cgi": ("/cgi/script.py", "htdocs/cgi/slowcgi.py"),    # cgihandler's first import too
}


@pytest.mark.parametrize("kind", COLD_KINDS)
def test_cold_start_sixteen_first_requests_at_once(apache_factory, kind):
    """A fresh child (event MPM, one process) whose first 16 requests
    arrive together while the handler's module takes 0.5 s to import:
    every one gets the whole answer, none a half-imported module."""
    server = apache_factory(COLD, mpm="event")
    url, module = COLD_KINDS[kind]
    path = os.path.join(server.root, module)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(textwrap.dedent(SLOW_MODULE) % kind)
    server.write("cgi/script.py", CGI_SCRIPT)
    server.start()
    barrier = threading.Barrier(16)
    answers: list = []

    def first_request():
        barrier.wait()
        try:
            r = httpx.get(server.url(url), headers={"Connection": "close"}, timeout=60)
            answers.append((r.status_code, r.text))
        except httpx.HTTPError as e:
            answers.append((0, repr(e)))

    threads = [threading.Thread(target=first_request) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [(200, f"ready {kind}")] * 16, server.error_log()[-3000:]
    assert "NameError" not in server.error_log()
