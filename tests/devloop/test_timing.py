"""Per-phase timing in the log and the modpy.status page, on a real Apache;
the pure pieces in-process."""
from __future__ import annotations

import re
import time

from modpy.config.model import option_on
from modpy.core.errors import error_page
from modpy.devloop.timing import Stats, format_line
from modpy.handlers.status import render_html, render_text


def timing_lines(server, want: int) -> list[str]:
    """The request's line is logged when its pool goes, just after the
    response is sent: wait for it a little."""
    deadline = time.monotonic() + 5
    while True:
        lines = [l for l in server.error_log().splitlines() if "modpy timing 'GET /a HTTP/1.1'" in l]
        if len(lines) >= want or time.monotonic() > deadline:
            return lines
        time.sleep(0.02)


def test_timing_line_per_request_and_status_page(apache_factory):
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonAccessHandler app::access
            PythonHandler app
            PythonOption modpy.timing On
        </Directory>
        <Location "/status">
            SetHandler mod_python
            PythonHandler modpy.status
        </Location>
        StartServers 1
        ServerLimit 1
    """)
    server.write("app.py", """
        import time

        def access(req):
            return 0

        def handler(req):
            time.sleep(0.02)
            req.write("ok")
            return 0
    """)
    server.start()
    for _ in range(3):
        assert server.get("/a").text == "ok"
    lines = timing_lines(server, 3)
    assert len(lines) == 3
    m = re.search(r"PythonAccessHandler ([\d.]+)ms, PythonHandler ([\d.]+)ms \(total ([\d.]+)ms\)", lines[0])
    assert m, lines[0]
    assert float(m.group(2)) >= 20.0 and float(m.group(1)) < 20.0
    r = server.get("/status?text")
    assert r.headers["content-type"].startswith("text/plain")
    assert "child pid" in r.text and "per process" in r.text
    # the child's own numbers: stats made in the parent were reset at fork
    pid = int(re.search(r"child pid (\d+)", r.text).group(1))
    with open(f"/proc/{pid}/stat") as f:
        assert int(f.read().rsplit(")", 1)[1].split()[1]) == server.proc.pid
    handler_row = next(l for l in r.text.splitlines() if l.startswith("PythonHandler "))
    calls = int(handler_row.split()[1])
    assert calls >= 3                    # the page's own request may be counted too
    assert "requests served by Python: " in r.text
    page = server.get("/status", headers={"Accept": "text/html"})
    assert "<table" in page.text and "PythonAccessHandler" in page.text


def test_no_timing_lines_without_the_option(apache_factory):
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler app
        </Directory>
    """)
    server.write("app.py", "def handler(req):\n    req.write('ok')\n    return 0\n")
    server.start()
    assert server.get("/").text == "ok"
    assert "modpy timing" not in server.error_log()


def test_stats_and_renderings():
    stats = Stats()
    stats.count_request()
    stats.add("PythonHandler", 2_000_000)
    stats.add("PythonHandler", 4_000_000)
    stats.add("PythonFixupHandler", 500_000)
    snap = stats.snapshot()
    assert snap["requests"] == 1
    assert snap["phases"]["PythonHandler"].calls == 2
    assert snap["phases"]["PythonHandler"].mean_ns == 3_000_000
    assert snap["phases"]["PythonHandler"].max_ns == 4_000_000
    text = render_text(snap, snap["started"] + 5)
    rows = [l for l in text.splitlines() if l.startswith("Python")]
    assert rows[0].split()[:4] == ["PythonHandler", "2", "6.000", "3.000"]     # busiest first
    assert "uptime: 5s" in text
    assert "<td>PythonFixupHandler</td>" in render_html(snap, snap["started"])


def test_timing_option_and_line():
    def wanted(options):
        return option_on(options, "modpy.timing")
    assert wanted({"modpy.timing": "On"}) and not wanted({}) and not wanted({"modpy.timing": "off"})
    line = format_line("GET / HTTP/1.1", [("PythonAccessHandler", 1_500_000), ("PythonHandler", 500_000)])
    assert line == ("modpy timing 'GET / HTTP/1.1': PythonAccessHandler 1.500ms, "
                    "PythonHandler 0.500ms (total 2.000ms)")


def test_error_page_follows_accept():
    kind, body = error_page("PythonHandler x failed", ["Traceback", "  <b>"], "text/html,*/*")
    assert kind.startswith("text/html") and "&lt;b&gt;" in body
    kind, body = error_page("PythonHandler x failed", ["Traceback"], "*/*")
    assert kind.startswith("text/plain") and body == "modpy: PythonHandler x failed\n\nTraceback\n"


def test_serve_settings_for_the_express_server():
    from modpy.config.model import option_on
    from modpy.tools.serve import serve_settings

    def wants_post_mortem(options):
        return option_on(options, "modpy.post_mortem")
    assert serve_settings() == ([], [])
    assert serve_settings(debug=True) == (["-X"], ["PythonEnablePdb On"])
    assert serve_settings(post_mortem=True) == (["-X"], ["PythonOption modpy.post_mortem On"])
    assert wants_post_mortem({"modpy.post_mortem": "On"}) and not wants_post_mortem({})
