"""Per-thread sys/os views, the working-directory gate, compiled scripts."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time

import pytest

from modpy.handlers.cgi import state as cgistate
from modpy.handlers.cgi.code import ScriptCache, main_globals


@pytest.fixture(scope="module", autouse=True)
def installed():
    saved = (sys.stdout, sys.stdin, sys.stderr, sys.argv, os.environ, os.environb, subprocess.Popen, os.system)
    cgistate._installed = False
    cgistate.install()
    yield sys.stdout, sys.stdin         # pytest's capturing swaps sys.std* per test
    (sys.stdout, sys.stdin, sys.stderr, sys.argv, os.environ, os.environb, subprocess.Popen, os.system) = saved
    cgistate._installed = False


def context(env, argv=("x.py",)):
    stdout = io.TextIOWrapper(io.BytesIO(), "utf-8", write_through=True)
    return cgistate.Context(dict(env), list(argv), stdout, lambda: io.StringIO("in\n"), io.StringIO)


def written(ctx) -> str:
    return ctx.stdout.buffer.getvalue().decode()


def test_threads_see_their_own_environment_argv_and_streams(installed):
    stdout, stdin = installed
    outputs, seen = {}, {}
    barrier = threading.Barrier(8)

    def run(n):
        ctx = context({"N": str(n)}, [f"s{n}.py", str(n)])
        cgistate.activate(ctx)
        try:
            barrier.wait()
            for _ in range(50):
                print(os.environ["N"], sys.argv[1], os.getenv("N"), file=stdout)
                assert os.environb[b"N"] == str(n).encode()
            seen[n] = (stdin.readline(), dict(os.environ), list(sys.argv))
            outputs[n] = written(ctx)
        finally:
            cgistate.activate(None)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for n in range(8):
        assert outputs[n] == f"{n} {n} {n}\n" * 50
        assert seen[n] == ("in\n", {"N": str(n)}, [f"s{n}.py", str(n)])


def test_outside_a_script_the_process_objects_answer():
    assert cgistate.current() is None
    assert os.environ.get("PATH") == os.environ._default.get("PATH")
    assert sys.argv == sys.argv._default


def test_setting_a_variable_stays_in_the_script():
    cgistate.activate(context({"A": "1"}))
    try:
        os.environ["NEW_ONE"] = "x"
        del os.environ["A"]
        assert dict(os.environ) == {"NEW_ONE": "x"}
        assert os.environ | {"B": "2"} == {"NEW_ONE": "x", "B": "2"}
        assert sys.argv + ["-v"] == ["x.py", "-v"] and ["py"] + sys.argv == ["py", "x.py"]
        with pytest.raises(TypeError):
            os.environ["B"] = 1
    finally:
        cgistate.activate(None)
    assert "NEW_ONE" not in os.environ


def test_children_inherit_the_script_environment():
    ctx = context({"ONLY_HERE": "yes", "PATH": "/usr/bin:/bin"})
    cgistate.activate(ctx)
    try:
        out = subprocess.run(["/bin/sh", "-c", "echo $ONLY_HERE"], capture_output=True, text=True).stdout
        status = os.system('echo "system $ONLY_HERE"; test "$ONLY_HERE" = yes')
    finally:
        cgistate.activate(None)
    assert out == "yes\n" and status == 0
    assert written(ctx) == "system yes\n"


def test_cwd_gate_shares_one_directory_and_queues_another():
    moves, events = [], []
    gate = cgistate.CwdGate(chdir=moves.append)
    gate.enter("/a")
    gate.enter("/a")                            # same directory: in at once
    assert moves == ["/a"]

    def other():
        gate.enter("/b")
        events.append(("b in", list(moves)))
        gate.leave()

    t = threading.Thread(target=other)
    t.start()
    time.sleep(0.05)
    assert events == []                         # waits for the /a holders
    gate.leave()
    time.sleep(0.05)
    assert events == []
    gate.leave()
    t.join(5)
    assert events == [("b in", ["/a", "/b"])]


def test_cwd_gate_failure_is_the_waiters_own():
    def chdir(d):
        if d == "/gone":
            raise FileNotFoundError(d)
    gate = cgistate.CwdGate(chdir=chdir)
    with pytest.raises(FileNotFoundError):
        gate.enter("/gone")
    gate.enter("/ok")
    gate.leave()


def version(path) -> tuple:
    st = os.stat(path)
    return st.st_mtime_ns, st.st_size, st.st_ino


def test_scripts_compile_once_and_again_when_changed(tmp_path):
    path = tmp_path / "s.py"
    path.write_text("x = 1\n")
    cache = ScriptCache()
    code = cache.code(str(path), version(path))
    assert cache.code(str(path), version(path)) is code
    path.write_text("x = 22\n")
    newer = cache.code(str(path), version(path))
    g = main_globals(str(path))
    exec(newer, g)
    assert g["x"] == 22 and g["__name__"] == "__main__"
    assert "x" not in main_globals(str(path))
