"""Side-by-side load runs: several private Apaches, one `wrk`, alternating
rounds, ratios against a named baseline.

Why this shape: the machine is shared and noisy, so absolute numbers mean
little.  Every server gets the same MPM and the same fixed worker settings,
and the rounds alternate between servers, so slow moments spread over all of
them instead of landing on one.  Besides requests/s we measure the server's
own CPU per request (utime+stime of the Apache parent and children from
/proc), which is far less sensitive to what the neighbours are doing.

Loopback only, bounded in time: every run is `rounds x servers x seconds`.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Callable, Optional

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from modpy.tools import servedir  # noqa: E402
from modpy.tools.apacheconf import HttpdConf, find_apache, modules_dir  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
CLEAN_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
START_TIMEOUT = 20.0


class BenchError(RuntimeError):
    """A server could not be set up or did not answer as expected."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def module(name: str) -> str:
    """`LoadModule` line for a module of the system Apache; a clear error
    when it is not installed (the comparison cannot run without it)."""
    path = os.path.join(modules_dir(), f"mod_{name}.so")
    if not os.path.exists(path):
        raise BenchError(f"{path} is missing (Debian: apt-get install libapache2-mod-{name})")
    return f"LoadModule {name}_module {path}"


def mpm_settings(mpm: str, processes: int, threads: int) -> str:
    """The same, fixed worker pool for every server (`serve`'s): no
    children come and go during a run, so CPU readings of /proc cover all
    the work."""
    lines = servedir.mpm_lines(mpm, processes, threads)
    return "\n".join(lines + ["MaxConnectionsPerChild 0", "KeepAlive On", "MaxKeepAliveRequests 0"]) + "\n"


@dataclass
class Server:
    """One contender.  `body` is its site config ({htdocs}, {root} and
    {port} are filled in); `files` are written under htdocs first; `path` is
    what wrk requests; `expect` must be in the body of a warm-up answer."""

    name: str
    body: str
    path: str
    files: dict = field(default_factory=dict)
    expect: Optional[bytes] = None
    modpy: bool = False            # load modpy's shim (False: leave it out)
    shim: Optional[str] = None     # another modpy build's mod_pyshim.so (A/B runs)
    setup: Optional[Callable[["Server"], None]] = None

    root: str = ""
    port: int = 0
    proc: Optional[subprocess.Popen] = None

    @property
    def htdocs(self) -> str:
        return os.path.join(self.root, "htdocs")

    def expand(self, text: str) -> str:
        return (text.replace("{htdocs}", self.htdocs).replace("{root}", self.root)
                .replace("{port}", str(self.port)))

    def url(self, path: Optional[str] = None) -> str:
        return f"http://127.0.0.1:{self.port}{self.path if path is None else path}"

    # lifecycle ---------------------------------------------------------
    def start(self, base: str, mpm: str, processes: int, threads: int) -> None:
        self.root = tempfile.mkdtemp(prefix=f"{self.name}-", dir=base)
        self.port = free_port()
        for rel, content in self.files.items():
            path = os.path.join(self.htdocs, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb" if isinstance(content, bytes) else "w") as f:
                f.write(content if isinstance(content, bytes) else textwrap.dedent(content))
            if (content[:2] if isinstance(content, bytes) else content[:2].encode()) == b"#!":
                os.chmod(path, 0o755)           # a script: executable, for mod_cgid
        if self.setup:
            self.setup(self)
        conf = HttpdConf(root=self.root, port=self.port, mpm=mpm, log_level="warn",
                         body=mpm_settings(mpm, processes, threads) + self.expand(textwrap.dedent(self.body)))
        text = conf.render()
        if not self.modpy or self.shim:     # mod_python / mod_wsgi own the interpreter here
            text = "\n".join(line for line in text.splitlines()
                             if "pyshim_module" not in line and not line.startswith("PythonHome"))
        if self.shim:
            text = f"LoadModule pyshim_module {self.shim}\n" + text
        path = os.path.join(self.root, "httpd.conf")
        os.makedirs(self.htdocs, exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        # A clean environment: each Apache finds ITS Python by itself.  A
        # session of its own: prefork ends its children by signalling its
        # whole process group, which would otherwise be this one.
        self.proc = subprocess.Popen([find_apache(), "-f", path, "-DFOREGROUND"], env=CLEAN_ENV,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"{self.name}: Apache exited ({self.proc.returncode})\n"
                                 f"{self.proc.stdout.read().decode(errors='replace')}\n{self.error_log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise BenchError(f"{self.name}: Apache did not come up\n{self.error_log()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def error_log(self) -> str:
        try:
            with open(os.path.join(self.root, "error.log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def check(self) -> None:
        """One request must answer 200 with the expected body, else the
        numbers would compare error pages."""
        try:
            with urllib.request.urlopen(self.url(), timeout=30) as resp:
                status, data = resp.status, resp.read()
        except Exception as e:            # HTTPError, URLError: show the log
            raise BenchError(f"{self.name}: GET {self.path} failed: {e}\n{self.error_log()[-3000:]}")
        if status != 200 or (self.expect is not None and self.expect not in data):
            raise BenchError(f"{self.name}: GET {self.path} gave {status} {data[:200]!r}\n"
                             f"{self.error_log()[-3000:]}")

    # /proc readings ------------------------------------------------------
    def pids(self) -> list[int]:
        """The Apache parent and its children."""
        parent = self.proc.pid
        pids = [parent]
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == parent:
                    pids.append(int(entry))
        return pids

    def cpu_seconds(self) -> float:
        """utime+stime of the parent and the children, all threads, plus
        what they reaped (cutime+cstime: CGI processes under mod_cgid)."""
        total = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += sum(int(x) for x in fields[11:15])
        return total / CLK_TCK

    def rss_kb(self) -> int:
        """Resident memory of the children (the parent serves no requests)."""
        total = 0
        for pid in self.pids()[1:]:
            try:
                with open(f"/proc/{pid}/statm") as f:
                    total += int(f.read().split()[1]) * PAGE // 1024
            except OSError:
                continue
        return total


# ---------------------------------------------------------------- wrk


def wrk_binary() -> str:
    path = shutil.which("wrk")
    if not path:
        raise BenchError("wrk is not installed (Debian: apt-get install wrk)")
    return path


_NUM = r"([\d.]+)"


def parse_wrk(out: str) -> dict:
    """requests, requests/s and failures (non-2xx/3xx plus socket errors)."""
    requests = re.search(r"(\d+) requests in", out)
    rate = re.search(r"Requests/sec:\s+" + _NUM, out)
    if not requests or not rate:
        raise BenchError(f"cannot read wrk's output:\n{out}")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = sum(int(x) for x in sock.groups()) if sock else 0
    return {"requests": int(requests.group(1)), "rps": float(rate.group(1)),
            "non2xx": int(non2xx.group(1)) if non2xx else 0, "socket_errors": errors}


def run_wrk(server: Server, seconds: float, connections: int, threads: int = 1,
            script: Optional[str] = None) -> dict:
    args = [wrk_binary(), f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s"]
    if script:
        args += ["-s", script]
    before = server.cpu_seconds()
    out = subprocess.run(args + [server.url()], capture_output=True, text=True,
                         timeout=seconds + 60).stdout
    cpu = server.cpu_seconds() - before
    result = parse_wrk(out)
    result["failures"] = result["non2xx"] + result["socket_errors"]
    result["cpu_s"] = cpu
    result["cpu_us_per_req"] = cpu * 1e6 / result["requests"] if result["requests"] else float("inf")
    return result


# ---------------------------------------------------------------- runs


@dataclass
class Options:
    rounds: int = 3
    seconds: float = 5.0
    warmup: float = 2.0
    connections: int = 8
    mpm: str = "event"
    processes: int = 1
    threads: int = 16
    json_path: Optional[str] = None
    keep: bool = False
    only: Optional[str] = None
    against: Optional[str] = None


def add_arguments(parser: argparse.ArgumentParser, **defaults) -> None:
    """The knobs every bench script shares."""
    o = Options(**defaults)
    parser.add_argument("--rounds", type=int, default=o.rounds, help="alternating rounds per server")
    parser.add_argument("--seconds", type=float, default=o.seconds, help="wrk duration of one round")
    parser.add_argument("--warmup", type=float, default=o.warmup, help="wrk warm-up per server (seconds)")
    parser.add_argument("--connections", type=int, default=o.connections, help="concurrent connections")
    parser.add_argument("--mpm", default=o.mpm, choices=("event", "worker", "prefork"))
    parser.add_argument("--processes", type=int, default=o.processes, help="Apache children per server")
    parser.add_argument("--threads", type=int, default=o.threads, help="threads per child (event/worker)")
    parser.add_argument("--json", dest="json_path", default=o.json_path, help="write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the servers' temp dirs (logs)")
    parser.add_argument("--only", help="comma-separated server names to run (the baseline is always run)")
    parser.add_argument("--against", help="comma-separated source trees of other modpy builds (each built "
                        "in its own .venv): each runs as one more server, 'modpy@<dir name>'")


def options(args: argparse.Namespace) -> Options:
    return Options(**{k: getattr(args, k) for k in Options.__dataclass_fields__})


class Fleet:
    """Start the servers, stop them all whatever happens."""

    def __init__(self, servers: list[Server], opts: Options) -> None:
        self.servers, self.opts = servers, opts
        self.base = tempfile.mkdtemp(prefix="modpy-bench-")

    def __enter__(self) -> "Fleet":
        try:
            for s in self.servers:
                s.start(self.base, self.opts.mpm, self.opts.processes, self.opts.threads)
                s.check()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        for s in self.servers:
            s.stop()
        if not self.opts.keep:
            shutil.rmtree(self.base, ignore_errors=True)
        else:
            print(f"server dirs kept under {self.base}", file=sys.stderr)


def compare(servers: list[Server], baseline: str, opts: Options, title: str = "") -> dict:
    """Warm each server, then `rounds` alternating wrk rounds; the table of
    medians, spreads and ratios against `baseline`; the results as a dict."""
    names = [s.name for s in servers]
    if opts.only:
        wanted = set(opts.only.split(",")) | {baseline}
        unknown = wanted - set(names)
        if unknown:
            raise ValueError(f"--only: no server named {', '.join(sorted(unknown))} (have {names})")
        servers = [s for s in servers if s.name in wanted]
    servers = servers + other_builds(servers, opts.against)
    names = [s.name for s in servers]
    if baseline not in names:
        raise ValueError(f"baseline {baseline!r} is not one of {names}")
    rounds: dict[str, list[dict]] = {s.name: [] for s in servers}
    with Fleet(servers, opts):
        for s in servers:
            if opts.warmup > 0:
                run_wrk(s, opts.warmup, opts.connections)
        for i in range(opts.rounds):
            order = servers if i % 2 == 0 else list(reversed(servers))
            for s in order:
                r = run_wrk(s, opts.seconds, opts.connections)
                r["rss_kb"] = s.rss_kb()
                rounds[s.name].append(r)
                print(f"  round {i + 1} {s.name:>14}: {r['rps']:9.0f} req/s "
                      f"{r['cpu_us_per_req']:7.1f} us CPU/req  {r['failures']} failed", file=sys.stderr)
    summary = summarize(rounds, baseline)
    result = {"title": title, "baseline": baseline, "options": opts.__dict__, "summary": summary,
              "rounds": rounds, "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    print_table(result)
    if opts.json_path:
        with open(opts.json_path, "w") as f:
            json.dump(result, f, indent=2)
    return result


def other_builds(servers: list[Server], against: Optional[str]) -> list[Server]:
    """Copies of the modpy server, each loading another build's shim: A/B
    runs of a change, side by side in one run."""
    mine = next((s for s in servers if s.modpy), None)
    if not against or mine is None:
        return []
    extra = []
    for tree in against.split(","):
        shim = os.path.join(os.path.abspath(tree), "modpy", "mod_pyshim.so")
        if not os.path.exists(shim):
            raise BenchError(f"--against {tree}: no {shim} (build that tree: pip install -e {tree})")
        extra.append(Server(f"modpy@{os.path.basename(os.path.normpath(tree))}", mine.body, mine.path,
                            files=dict(mine.files), expect=mine.expect, modpy=True, shim=shim,
                            setup=mine.setup))
    return extra


def summarize(rounds: dict[str, list[dict]], baseline: str) -> dict:
    out = {}
    for name, rs in rounds.items():
        rps = [r["rps"] for r in rs]
        cpu = [r["cpu_us_per_req"] for r in rs]
        out[name] = {
            "rps": statistics.median(rps), "rps_min": min(rps), "rps_max": max(rps),
            "cpu_us_per_req": statistics.median(cpu), "cpu_min": min(cpu), "cpu_max": max(cpu),
            "failures": sum(r["failures"] for r in rs), "requests": sum(r["requests"] for r in rs),
            "rss_kb": rs[-1]["rss_kb"] if rs else 0,
        }
    base = out[baseline]
    for s in out.values():
        s["rps_ratio"] = s["rps"] / base["rps"] if base["rps"] else float("nan")
        s["cpu_ratio"] = s["cpu_us_per_req"] / base["cpu_us_per_req"] if base["cpu_us_per_req"] else float("nan")
    return out


def spread(lo: float, hi: float, mid: float) -> str:
    return f"±{(hi - lo) / 2 / mid * 100:.0f}%" if mid else "-"


def print_table(result: dict) -> None:
    summary, baseline = result["summary"], result["baseline"]
    if result["title"]:
        print(result["title"])
    print(f"{'server':>24} {'req/s':>9} {'spread':>7} {'x ' + baseline:>12} "
          f"{'CPU us/req':>11} {'spread':>7} {'x ' + baseline:>12} {'failed':>7} {'RSS MB':>7}")
    for name, s in summary.items():
        print(f"{name:>24} {s['rps']:9.0f} {spread(s['rps_min'], s['rps_max'], s['rps']):>7} "
              f"{s['rps_ratio']:12.2f} {s['cpu_us_per_req']:11.1f} "
              f"{spread(s['cpu_min'], s['cpu_max'], s['cpu_us_per_req']):>7} {s['cpu_ratio']:12.2f} "
              f"{s['failures']:7d} {s['rss_kb'] / 1024:7.1f}")


def target(label: str, value: float, op: str, goal: float) -> bool:
    """Print one target line (met / MISSED); True when met."""
    met = value >= goal if op == ">=" else value <= goal
    print(f"  target {label}: {value:.2f} {op} {goal} -> {'met' if met else 'MISSED'}")
    return met


def run(main: Callable[[], int]) -> None:
    """Exit with main()'s status; a BenchError is a message, not a traceback."""
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"bench: {e}", file=sys.stderr)
        sys.exit(2)
