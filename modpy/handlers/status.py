"""`PythonHandler modpy.status`: what this Apache child's Python has done,
like mod_status's server-status but for Python phases.

Per child, because it is per process: each child has its own Python and
counts only its own requests.  Reload the page and another child may
answer; the pid on the page says which.  `?text` (or an Accept without
text/html) gives plain text for scripts.
"""
from __future__ import annotations

import html
import time

from modpy.constants import OK
from modpy.devloop.timing import stats


def rows(snapshot: dict) -> list[tuple[str, int, float, float, float]]:
    """(phase, calls, total ms, mean ms, max ms), busiest first."""
    out = [(name, t.calls, t.total_ns / 1e6, t.mean_ns / 1e6, t.max_ns / 1e6)
           for name, t in snapshot["phases"].items()]
    return sorted(out, key=lambda row: -row[2])


def render_text(snapshot: dict, now: float) -> str:
    lines = [f"modpy status of child pid {snapshot['pid']} (per process: other children count their own)",
             f"uptime: {now - snapshot['started']:.0f}s",
             f"requests served by Python: {snapshot['requests']}",
             "",
             f"{'phase':<30} {'calls':>8} {'total ms':>12} {'mean ms':>10} {'max ms':>10}"]
    for name, calls, total, mean, most in rows(snapshot):
        lines.append(f"{name:<30} {calls:>8} {total:>12.3f} {mean:>10.3f} {most:>10.3f}")
    return "\n".join(lines) + "\n"


def render_html(snapshot: dict, now: float) -> str:
    cells = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{calls}</td><td>{total:.3f}</td>"
        f"<td>{mean:.3f}</td><td>{most:.3f}</td></tr>"
        for name, calls, total, mean, most in rows(snapshot))
    return (f"<!DOCTYPE html><html><head><title>modpy status</title></head><body>"
            f"<h1>modpy status: child pid {snapshot['pid']}</h1>"
            f"<p>Per process: each Apache child has its own Python and counts only its own requests.</p>"
            f"<p>Uptime {now - snapshot['started']:.0f}s; requests served by Python: {snapshot['requests']}</p>"
            f"<table border=1><tr><th>phase</th><th>calls</th><th>total ms</th><th>mean ms</th>"
            f"<th>max ms</th></tr>{cells}</table></body></html>\n")


def handler(req) -> int:
    snapshot = stats.snapshot()
    accept = req.headers_in.get("Accept") or ""
    if req.args == "text" or "text/html" not in accept:
        req.content_type = "text/plain; charset=utf-8"
        req.write(render_text(snapshot, time.time()))
    else:
        req.content_type = "text/html; charset=utf-8"
        req.write(render_html(snapshot, time.time()))
    return OK
