"""Autoreload of handler modules and their directory's modules, against a
real Apache; and the errors a developer sees."""
from __future__ import annotations

import os
import threading
import time


def save(server, name: str, code: str) -> None:
    """Save as an editor does (whole file at once), with an mtime that
    differs from the last even on coarse clocks; then let the second pass
    in which autoreload does not look at a module's files again
    (mod_python's pace), so that the next request sees the save."""
    path = os.path.join(server.htdocs, name)
    before = os.stat(path).st_mtime_ns
    server.write(name + ".tmp", code)
    os.utime(path + ".tmp", ns=(before + 1_000_000_000, before + 1_000_000_000))
    os.replace(path + ".tmp", path)
    time.sleep(AUTORELOAD_PACE)


AUTORELOAD_PACE = 1.05      # modpy.phases.importer.CHECK_EVERY_NS, and a little


SITE = """
    <Directory "{htdocs}">
        SetHandler mod_python
        PythonHandler app
        PythonDebug On
    </Directory>
"""


def test_reload_follows_modules_imported_from_the_handlers_directory(apache_factory):
    server = apache_factory(SITE)
    server.write("app.py", """
        import helper
        from pkg import words

        def handler(req):
            req.write(helper.greet() + " " + words.WORD)
            return 0
    """)
    server.write("helper.py", "def greet():\n    return 'v1'\n")
    server.write("pkg/__init__.py", "")
    server.write("pkg/words.py", "WORD = 'one'\n")
    server.start()
    assert server.get("/").text == "v1 one"
    save(server, "helper.py", "def greet():\n    return 'v2'\n")
    assert server.get("/").text == "v2 one"
    save(server, "pkg/words.py", "WORD = 'two'\n")
    assert server.get("/").text == "v2 two"
    save(server, "app.py", """
        import helper

        def handler(req):
            req.write("new app " + helper.greet())
            return 0
    """)
    assert server.get("/").text == "new app v2"


def test_a_broken_save_gives_500_then_the_old_module_serves_until_fixed(apache_factory):
    # one child, so that every request sees the same Python
    server = apache_factory(SITE + "\nStartServers 1\nServerLimit 1\nMaxRequestWorkers 1\n", mpm="prefork")
    server.write("app.py", "import helper\n\ndef handler(req):\n    req.write(helper.V)\n    return 0\n")
    server.write("helper.py", "V = 'good'\n")
    server.start()
    assert server.get("/").text == "good"
    save(server, "helper.py", "V = 'oops'\ndef broken(:\n")
    r = server.get("/")
    assert r.status_code == 500
    assert "SyntaxError" in r.text and "helper.py" in r.text
    log = server.error_log()
    assert "SyntaxError" in log and "helper.py" in log
    assert server.get("/").text == "good"             # the old modules serve on
    save(server, "helper.py", "V = 'fixed'\n")
    assert server.get("/").text == "fixed"


def test_autoreload_off_keeps_the_first_module(apache_factory):
    server = apache_factory(SITE.replace("PythonDebug On", "PythonAutoReload Off"))
    server.write("app.py", "def handler(req):\n    req.write('first')\n    return 0\n")
    server.start()
    assert server.get("/").text == "first"
    save(server, "app.py", "def handler(req):\n    req.write('second')\n    return 0\n")
    assert server.get("/").text == "first"


def test_reload_while_other_threads_serve(apache_factory):
    """Saves during a stream of concurrent requests: every answer comes
    from a whole module, old or new, never a half-imported one."""
    server = apache_factory(SITE)
    body = "import helper\n\ndef handler(req):\n    req.write(helper.value())\n    return 0\n"
    server.write("app.py", body)
    helper = ("import time\nA = '{v}'\ntime.sleep(0.05)   # a slow import widens the window\n"
              "B = '{v}'\n\ndef value():\n    return A + B\n")
    server.write("helper.py", helper.format(v=0))
    server.start()
    answers, errors = [], []
    stop = threading.Event()

    def client() -> None:
        import httpx
        with httpx.Client(base_url=server.url("")) as c:
            while not stop.is_set():
                r = c.get("/")
                (answers if r.status_code == 200 else errors).append(r.text)
    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    for v in range(1, 6):
        time.sleep(0.15)
        save(server, "helper.py", helper.format(v=v))
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert all(a[0] == a[1] for a in answers), [a for a in answers if a[0] != a[1]][:5]
    assert answers[-1] == "55"


def test_handler_error_names_phase_handler_request_and_config_line(apache_factory):
    server = apache_factory(SITE + """
        <Directory "{htdocs}/missing">
            PythonHandler no_such_module
        </Directory>
    """)
    server.write("app.py", "def handler(req):\n    raise KeyError('flour')\n")
    server.write("missing/index.txt", "")
    server.start()
    r = server.get("/page?q=1")
    assert r.status_code == 500 and r.headers["content-type"].startswith("text/plain")
    assert "KeyError: 'flour'" in r.text and "PythonHandler app" in r.text
    html = server.get("/page", headers={"Accept": "text/html,*/*"})
    assert html.headers["content-type"].startswith("text/html")
    assert "<pre>" in html.text and "KeyError: &#x27;flour&#x27;" in html.text
    log = server.error_log()
    headline = next(line for line in log.splitlines() if "KeyError: 'flour'" in line and "failed" in line)
    assert "PythonHandler app" in headline and "GET /page?q=1 HTTP/1.1" in headline
    assert log.count("Traceback (most recent call last)") == 2        # one per failed request
    r = server.get("/missing/x")
    assert r.status_code == 500
    log = server.error_log()
    conf_line = next(i for i, line in enumerate(open(server.conf_path).read().splitlines(), 1)
                     if "no_such_module" in line)
    assert f"PythonHandler no_such_module (configured at {server.conf_path}:{conf_line})" in log
    assert "No module named 'no_such_module'" in log


def stat_calls_per_request(apache_factory, autoreload: str, phases: str = "", pause: float = 0.2,
                           requests: int = 3) -> list[int]:
    """Run `apache2 -X` under strace and count the file calls that name
    the handler's .py files, per request (after a first, loading one),
    `pause` seconds apart.  `phases`: more handler directives, for the
    module's other functions."""
    import shutil
    import signal
    import subprocess

    from modpy.tools.apacheconf import find_apache
    from tests.apache import clean_env
    assert shutil.which("strace"), "strace is needed for this test"
    server = apache_factory(SITE.replace("PythonDebug On", f"PythonAutoReload {autoreload}\n{phases}"))
    server.write("app.py", "import helper\n\ndef handler(req):\n    req.write(helper.V)\n    return 0\n\n"
                 "def noop(req):\n    return 0\n")
    server.write("helper.py", "V = 'ok'\n")
    trace = os.path.join(server.root, "strace.out")
    proc = subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=%stat,%fstat,access,open,openat", "-o", trace,
                             find_apache(), "-X", "-f", server.conf_path],
                            env=clean_env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        import httpx
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(server.url("/"), timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and proc.poll() is None, server.error_log()
                time.sleep(0.1)
        def python_files() -> int:
            with open(trace) as f:
                return sum(1 for line in f if server.htdocs in line and '.py"' in line)
        counts = []
        for _ in range(requests):
            before = python_files()
            assert httpx.get(server.url("/x"), timeout=5).text == "ok"
            time.sleep(pause)
            counts.append(python_files() - before)
        return counts
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)


def test_autoreload_off_never_stats(apache_factory):
    assert stat_calls_per_request(apache_factory, "Off") == [0, 0, 0]


def test_autoreload_on_stats_the_handler_and_its_imports_once_a_second(apache_factory):
    counts = stat_calls_per_request(apache_factory, "On", pause=AUTORELOAD_PACE)
    # the first comes within the second of the load; then app.py and
    # helper.py at each look (the first look may load again: files saved
    # within the second of a load are not trusted)
    assert all(c >= 2 for c in counts[1:]), counts


def test_autoreload_looks_at_most_once_a_second(apache_factory):
    """mod_python's pace: requests in quick succession cost no stat() for
    the handler's files (the look of one request covers the second)."""
    started = time.monotonic()
    counts = stat_calls_per_request(apache_factory, "On", pause=0.0, requests=6)
    seconds = time.monotonic() - started
    assert sum(counts) <= 2 * (1 + int(seconds)), (counts, seconds)


def test_autoreload_checks_a_module_once_per_look_whatever_its_phases(apache_factory):
    """Four phases' handlers in one module: its files are stat()ed once a
    look, as for one handler; a save still shows at the next look."""
    phases = "PythonHeaderParserHandler app::noop\nPythonFixupHandler app::noop\nPythonLogHandler app::noop"
    counts = stat_calls_per_request(apache_factory, "On", phases, pause=AUTORELOAD_PACE, requests=4)
    # the first comes within the second of the load, the next may load
    # again (files saved within the second of a load are not trusted);
    # then app.py and helper.py once each, not per phase
    assert counts[2:] == [2, 2], counts
