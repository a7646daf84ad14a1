"""How long Python phases take: per request (logged with `PythonOption
modpy.timing On`) and per process (shown by the modpy.status handler).

`Stats` is pure and thread-safe: counters per phase, kept by this process
only.  Apache runs several children, each with its own Python, so a
status page shows the child that served it, never the whole server.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Optional

from modpy.constants import APLOG_NOTICE


@dataclass
class PhaseTotals:
    calls: int = 0
    total_ns: int = 0
    max_ns: int = 0

    @property
    def mean_ns(self) -> float:
        return self.total_ns / self.calls if self.calls else 0.0


class Stats:
    """Requests and per-phase time of one process.

    Recording takes no lock and no Python call: the dispatcher appends to
    `records` (a list's append is one C call, safe under threads) a None
    for each new request and (phase, ns) for each phase; fold() adds them
    into the totals, when a report asks and, checked once a request,
    whenever `FOLD_AT` have gathered.  (A locked add() per phase cost ~6k instructions a request,
    bench/instructions.py.)"""

    FOLD_AT = 1024

    def __init__(self) -> None:
        self.records: list = []        # cleared in place, never replaced: the dispatcher binds its append
        self._reset()
        # a fresh child (Apache forks, the shim runs Python's after-fork
        # handlers): the parent's numbers are not its own
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self.started = time.time()
        self.pid = os.getpid()
        self.requests = 0
        self.phases: dict[str, PhaseTotals] = {}
        self.records.clear()

    def count_request(self) -> None:
        self.records.append(None)

    def add(self, phase: str, elapsed_ns: int) -> None:
        self.records.append((phase, elapsed_ns))

    def fold(self) -> None:
        """Add the records gathered so far into the totals.  Records
        appended meanwhile stay for the next fold: copying the first n and
        deleting them are one operation each on the list."""
        with self._lock:
            n = len(self.records)
            batch = self.records[:n]
            del self.records[:n]
            for record in batch:
                if record is None:
                    self.requests += 1
                    continue
                phase, elapsed_ns = record
                totals = self.phases.get(phase)
                if totals is None:
                    totals = self.phases[phase] = PhaseTotals()
                totals.calls += 1
                totals.total_ns += elapsed_ns
                if elapsed_ns > totals.max_ns:
                    totals.max_ns = elapsed_ns

    def snapshot(self) -> dict:
        """A consistent copy, for reports."""
        self.fold()
        with self._lock:
            return {"pid": self.pid, "started": self.started, "requests": self.requests,
                    "phases": {k: PhaseTotals(v.calls, v.total_ns, v.max_ns) for k, v in self.phases.items()}}


stats = Stats()


def format_line(request_line: Optional[str], timings: list[tuple[str, int]]) -> str:
    """One log line for a request: each Python phase in the order run."""
    parts = ", ".join(f"{phase} {ns / 1e6:.3f}ms" for phase, ns in timings)
    total = sum(ns for _, ns in timings) / 1e6
    return f"modpy timing {request_line!r}: {parts} (total {total:.3f}ms)"


def note(req, phase: str, elapsed_ns: int) -> None:
    """With modpy.timing On, after a phase (its stats.add() is the
    dispatcher's): into the request's line, logged when the request pool
    goes."""
    timings = req.__dict__.get("_timings")
    if timings is None:
        from modpy.core import cleanups
        timings = req.__dict__["_timings"] = []
        line_of = req.the_request
        server = req._r.server

        def log_timings() -> None:
            from modpy.core import log
            log.log_error(format_line(line_of, timings), APLOG_NOTICE, server)
        cleanups.register(req._r.pool, log_timings)
    timings.append((phase, elapsed_ns))

