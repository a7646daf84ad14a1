"""Where a Python phase's time goes, inside Apache: a handler calls each
step of modpy's path for one no-op header-parser phase many times over (on
its own, live request: no load) and answers nanoseconds per call.

The steps nest: `lib.modpy_phase` is the whole phase as the shim calls it
(cffi's entry, the GIL already held here, so its take and release are not
in it), `phase` the dispatcher inside it, `call_handler` one handler's call,
`placement.load` the placed callable's lookup, and so on.  Finds where the
phases bench's CPU goes (bench/phases.py); no target of its own.

    python phase_costs.py [--iterations N]
"""
from __future__ import annotations

import argparse
import tempfile
import urllib.request

import harness as H
import phases

PROBE = '''
import time
from mod_python import apache
from modpy.config.phase_table import PHASES
from modpy.core import configs, runtime
from modpy.core.ffi import ffi, lib
from modpy.objects import request as requests
from modpy.phases import placement, request as dispatch

HEADER_PARSER = next(p.number for p in PHASES if p.directive == "PythonHeaderParserHandler")
N = %d


def per_call(f):
    start = time.perf_counter_ns()
    for _ in range(N):
        f()
    return (time.perf_counter_ns() - start) / N


def probe(req):
    r = req._r
    config = req._config
    ph = PHASES[HEADER_PARSER]
    entry = config.handlers[HEADER_PARSER][0]
    interpreter = placement.interpreter_name(config, entry, None, req)
    record = ffi.cast("modpy_dir_conf **", r.per_dir_config)[runtime.module_index]
    config_id = record.id or record.merged      # what the shim passes
    steps = [
        ("lib.modpy_phase (whole phase)", lambda: lib.modpy_phase(r, HEADER_PARSER, config_id)),
        ("phase", lambda: dispatch.phase(r, HEADER_PARSER, config_id)),
        ("kept_request", lambda: requests.kept_request(r)),
        ("dir_config (config id unknown)", lambda: configs.dir_config(r.per_dir_config)),
        ("call_handler", lambda: dispatch.call_handler(req, ph, entry)),
        ("interpreter_name", lambda: placement.interpreter_name(config, entry, None, req)),
        ("placement.load", lambda: placement.load(entry, config, interpreter, req)),
        ("the no-op handler", lambda: entry.placed[interpreter].target(req)),
        ("perf_counter_ns (timing, x2)", time.perf_counter_ns),
    ]
    empty = per_call(lambda: None)
    req.content_type = "text/plain"
    req.write("".join("%%-32s %%7.0f ns\\n" %% (name, per_call(f) - empty) for name, f in steps))
    return apache.OK
'''


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20000)
    args = parser.parse_args()
    section = phases.section("directory", ["PythonHeaderParserHandler phases::noop",
                                           '<Files "probe.py">', "PythonHandler phases::probe", "</Files>"])
    files = {"app/phases.py": phases.HANDLERS + PROBE % args.iterations, "app/probe.py": "",
             "static.txt": phases.BODY}
    server = H.Server("modpy", section, "/app/phases.py", files=files, expect=phases.BODY, modpy=True)
    server.start(tempfile.mkdtemp(prefix="modpy-phase-costs-"), "prefork", 1, 1)
    try:
        with urllib.request.urlopen(server.url("/app/probe.py"), timeout=300) as response:
            print(response.read().decode(), end="")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    H.run(main)
