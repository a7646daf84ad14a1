"""Per-request process state, in-process: sys/os views and their rebinding,
the import system, process-wide calls, the working-directory gate, the
descriptors behind stdin and stdout, compiled scripts."""
from __future__ import annotations

import atexit
import builtins
import importlib.util
import io
import locale
import os
import signal
import subprocess
import sys
import threading
import time
import types

import pytest

from modpy.handlers.cgi import imports, process, state
from modpy.handlers.cgi.code import ScriptCache, main_globals
from modpy.handlers.cgi.cwd import CwdGate, GateTimeout, ThreadDirectories, working_directories
from modpy.handlers.cgi.fds import Body, OutputSpool

# everything install() replaces, put back after this module's tests
PATCHED = [(sys, n) for n in ("stdout", "stdin", "stderr", "__stdout__", "__stdin__", "__stderr__", "argv",
                              "meta_path", "path_hooks", "path_importer_cache")] + \
          [(os, n) for n in ("environ", "environb", "chdir", "fchdir", "umask", "_exit", "abort", "kill",
                             "system", "fork", "forkpty", "execv", "execve")] + \
          [(signal, n) for n in ("signal", "getsignal", "alarm", "setitimer", "siginterrupt")] + \
          [(atexit, "register"), (atexit, "unregister"), (locale, "getpreferredencoding"),
           (subprocess, "Popen"), (threading.Thread, "__init__"), (threading.Thread, "start"),
           (threading.Thread, "_bootstrap_inner")]
LAZY = importlib.util._LazyModule


@pytest.fixture(scope="module", autouse=True)
def installed():
    saved = [(owner, name, owner.__dict__[name]) for owner, name in PATCHED]
    lazy = dict(LAZY.__dict__)
    for module in (state, imports, process):
        module._installed = False
    state.install()
    imports.install()
    process.install()
    yield sys.stdout, sys.stdin         # pytest's capturing swaps sys.std* per test
    for module in (sys, os, builtins):
        module.__class__ = types.ModuleType
    for owner, name, value in saved:
        setattr(owner, name, value)
    for name in ("__getattribute__", "__setattr__"):
        if name in lazy:
            setattr(LAZY, name, lazy[name])
        elif name in LAZY.__dict__:
            delattr(LAZY, name)
    builtins.__import__ = imports._builtin_import
    for module in (state, imports, process):
        module._installed = False


def context(env, argv=("x.py",)):
    stdout = io.TextIOWrapper(io.BytesIO(), "utf-8", write_through=True)
    return state.Context(dict(env), list(argv), stdout, lambda: io.TextIOWrapper(io.BytesIO(b"in\n")),
                         io.StringIO)


def written(ctx) -> str:
    return ctx.original("stdout").buffer.getvalue().decode()


class running:
    """`with running(ctx):` the calling thread runs a script."""

    def __init__(self, ctx) -> None:
        self.ctx = ctx

    def __enter__(self):
        state.activate(self.ctx)
        return self.ctx

    def __exit__(self, *exc) -> None:
        state.activate(None)


def test_threads_see_their_own_environment_argv_and_streams(installed):
    stdout, stdin = installed
    outputs, seen = {}, {}
    barrier = threading.Barrier(8)

    def run(n):
        with running(context({"N": str(n)}, [f"s{n}.py", str(n)])) as ctx:
            barrier.wait()
            for _ in range(50):
                print(os.environ["N"], sys.argv[1], os.getenv("N"), file=stdout)
                assert os.environb[b"N"] == str(n).encode()
            seen[n] = (stdin.readline(), dict(os.environ), list(sys.argv))
            outputs[n] = written(ctx)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for n in range(8):
        assert outputs[n] == f"{n} {n} {n}\n" * 50
        assert seen[n] == ("in\n", {"N": str(n)}, [f"s{n}.py", str(n)])


def test_outside_a_script_the_process_objects_answer():
    assert state.current() is None
    assert os.environ.get("PATH") == os.environ.default.get("PATH")
    assert sys.argv == sys.argv.default


def test_setting_a_variable_stays_in_the_script():
    with running(context({"A": "1"})):
        os.environ["NEW_ONE"] = "x"
        del os.environ["A"]
        assert dict(os.environ) == {"NEW_ONE": "x"}
        assert os.environ | {"B": "2"} == {"NEW_ONE": "x", "B": "2"}
        assert sys.argv + ["-v"] == ["x.py", "-v"] and ["py"] + sys.argv == ["py", "x.py"]
        with pytest.raises(TypeError):
            os.environ["B"] = 1
    assert "NEW_ONE" not in os.environ


def test_rebinding_stays_in_the_request(installed):
    stdout, _ = installed
    proxy = sys.stdout
    with running(context({"A": "1"})) as ctx:
        own = sys.stdout = io.StringIO()            # what a script's codecs writer does
        os.environ = {"ONLY": "mine"}
        sys.argv = ["other.py"]
        print("to the script's own", file=stdout)
        assert sys.stdout is own and sys.__dict__["stdout"] is proxy
        assert os.getenv("ONLY") == "mine" and sys.argv[0] == "other.py"
        assert ctx.stream("stdout").getvalue() == "to the script's own\n"
        sys.stdout = sys.__stdout__                 # back to the pipe it started with
        print("to the pipe", file=stdout)
    assert written(ctx) == "to the pipe\n"
    assert sys.stdout is proxy and "ONLY" not in os.environ and sys.argv != ["other.py"]


def test_a_kept_stdout_does_not_follow_a_later_rebinding():
    """roundup.cgi keeps `out = sys.stdout`, binds sys.stdout to a log, and
    writes its response to `out.buffer`."""
    with running(context({})) as ctx:
        out = sys.stdout
        assert out is sys.__stdout__ and isinstance(out, io.TextIOWrapper)
        sys.stdout = log = io.StringIO()
        print("to the log")
        out.buffer.write(b"to the pipe\n")
        out.write("and text\n")
        sys.stdout = out
        print("to the pipe again")
        assert sys.stdout is out
    assert log.getvalue() == "to the log\n"
    assert written(ctx) == "to the pipe\nand text\nto the pipe again\n"


def test_a_stdout_a_module_keeps_leads_to_each_request():
    kept = []
    for n in range(2):
        with running(context({})) as ctx:
            if not kept:
                kept.append(sys.stdout)             # a helper module keeps it at import
            print("request", n, file=kept[0])
        assert written(ctx) == f"request {n}\n"


def test_stdout_buffer_is_one_object_that_leads_to_each_request():
    kept = []
    for n in range(2):
        with running(context({})) as ctx:
            if not kept:
                kept.append(sys.stdout.buffer)      # a helper module keeps it at import
            kept[0].write(b"request %d\n" % n)
            kept[0].flush()
            assert isinstance(kept[0], io.BufferedIOBase)
        assert written(ctx) == f"request {n}\n"


def test_a_replaced_import_is_the_scripts_own():
    calls = []

    def lazy(name, *args):
        calls.append(name)
        return imports._builtin_import(name, *args)

    with running(context({})):
        builtins.__import__ = lazy
        import json  # noqa: F401
    assert calls == ["json"]
    other = threading.Thread(target=lambda: __import__("json"))     # another thread, and
    other.start()
    other.join()
    __import__("json")                                              # this one after the request
    assert calls == ["json"]


def test_import_hooks_stay_in_the_request():
    before = list(sys.meta_path)
    with running(context({})):
        sys.meta_path[:] = [types.SimpleNamespace(find_spec=lambda *a: None)] + list(sys.meta_path)
        sys.path_hooks.insert(0, lambda path: None)
        assert len(sys.meta_path) == len(before) + 1
    assert list(sys.meta_path) == before
    assert all(hook.__name__ != "<lambda>" for hook in sys.path_hooks)


def test_modpy_dependencies_do_not_stand_in_for_a_scripts_module(tmp_path):
    sys.modules.pop("multipart", None)
    with running(context({})):
        with pytest.raises(ModuleNotFoundError):
            import multipart  # noqa: F401  python-multipart's, not the script's
    (tmp_path / "multipart.py").write_text("OWN = True\n")
    sys.path.append(str(tmp_path))
    try:
        with running(context({})):
            import multipart
            assert multipart.OWN
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("multipart", None)


def test_a_lazy_module_loads_once_for_two_threads(tmp_path):
    (tmp_path / "slowmod.py").write_text("import time\ntime.sleep(0.3)\nVALUE = 1\n")
    spec = importlib.util.spec_from_file_location("slowmod", tmp_path / "slowmod.py")
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules["slowmod"] = module
    spec.loader.exec_module(module)
    seen = []

    def touch():
        seen.append(getattr(module, "VALUE", "half-loaded"))
    threads = [threading.Thread(target=touch) for _ in range(2)]
    threads[0].start()
    time.sleep(0.1)
    threads[1].start()
    for t in threads:
        t.join()
    del sys.modules["slowmod"]
    assert seen == [1, 1]


def test_process_wide_calls_stay_in_the_script():
    mask = os.umask(0o022)
    os.umask(mask)
    ran = []
    handler = signal.getsignal(signal.SIGTERM)
    with running(context({"LANG": ""})) as ctx:
        atexit.register(ran.append, "at exit")
        assert signal.signal(signal.SIGTERM, lambda *a: None) is handler
        assert signal.getsignal(signal.SIGTERM) is not handler
        assert signal.alarm(5) == 0
        os.umask(0o077)
        assert locale.getpreferredencoding() == "utf-8"
        with pytest.raises(process.ProcessExit):
            os._exit(3)
        with pytest.raises(process.ProcessExit):
            os.kill(os.getpid(), signal.SIGTERM)
        with pytest.raises(PermissionError):
            os.fork()
        with pytest.raises(PermissionError):
            os.execv("/bin/true", ["true"])
        process.finish(ctx, print)
    assert ran == ["at exit"]
    assert signal.getsignal(signal.SIGTERM) is handler and signal.alarm(0) == 0
    assert os.umask(mask) == mask


def test_threads_a_script_starts_are_its_own_and_waited_for():
    with running(context({"N": "7"})) as ctx:
        t = threading.Thread(target=lambda: (time.sleep(0.1), print(os.environ["N"])))
        t.start()
        process.finish(ctx, print)
        assert not t.is_alive()
    assert written(ctx) == "7\n"


def test_cwd_gate_shares_one_directory_and_queues_another():
    moves, events = [], []
    gate = CwdGate(chdir=moves.append)
    gate.enter("/a", 5)
    gate.enter("/a", 5)                         # same directory: in at once

    def other():
        gate.enter("/b", 5)
        events.append(("b in", list(moves)))
        gate.leave()

    t = threading.Thread(target=other)
    t.start()
    time.sleep(0.05)
    assert events == []                         # waits for the /a holders
    gate.enter("/a", 5)                         # the current directory still goes in
    gate.leave()
    gate.leave()
    time.sleep(0.05)
    assert events == []
    gate.leave()
    t.join(5)
    assert events == [("b in", ["/a", "/b"])]


def test_cwd_gate_wait_has_a_bound():
    gate = CwdGate(chdir=lambda d: None)
    gate.enter("/a", 5)
    started = time.monotonic()
    with pytest.raises(GateTimeout):
        gate.enter("/b", 0.2)
    assert 0.2 <= time.monotonic() - started < 2
    gate.leave()
    gate.enter("/b", 0.2)                       # the timed-out waiter left no trace
    gate.leave()


def test_cwd_gate_move_waits_for_the_others_of_its_directory():
    moves = []
    gate = CwdGate(chdir=moves.append)
    gate.enter("/a", 5)
    gate.enter("/a", 5)
    with pytest.raises(GateTimeout):
        gate.move("/c", 0.1)                    # another script is still in /a
    gate.leave()
    gate.move("/c", 5)
    assert moves == ["/a", "/c"] and gate.directory == "/c"
    gate.leave()


def test_cwd_gate_failure_is_the_waiters_own():
    def chdir(d):
        if d == "/gone":
            raise FileNotFoundError(d)
    gate = CwdGate(chdir=chdir)
    with pytest.raises(FileNotFoundError):
        gate.enter("/gone", 5)
    gate.enter("/ok", 5)
    gate.leave()


def test_each_thread_has_its_own_directory_and_umask(tmp_path):
    """Real unshare(CLONE_FS): two threads in two directories at once,
    each with its own umask, and the process's left as they were."""
    directories = ThreadDirectories()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    before, seen, both_in = os.getcwd(), {}, threading.Barrier(2)

    def run(name: str, mask: int) -> None:
        directories.enter(str(tmp_path / name), 5)
        os.umask(mask)
        both_in.wait(5)
        seen[name] = (os.path.basename(os.getcwd()), os.umask(mask))
        directories.leave()

    threads = [threading.Thread(target=run, args=("a", 0o077)), threading.Thread(target=run, args=("b", 0o007))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    mask = os.umask(0o022)
    os.umask(mask)
    assert seen == {"a": ("a", 0o077), "b": ("b", 0o007)}
    assert os.getcwd() == before and mask not in (0o077, 0o007)


def test_a_thread_returns_to_the_scripts_directory_after_a_helper_moved_it(tmp_path):
    """A thread a script starts shares its directory: its os.chdir moves
    the script's thread too, and the next script there must still start
    in its own directory (the thread's directory is tracked, not looked
    up: a chdir is expensive)."""
    directories = ThreadDirectories()
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    seen = []

    def script_thread() -> None:
        directories.enter(str(tmp_path / "a"), 5)
        helper = threading.Thread(target=directories.move, args=(str(tmp_path / "b"), 5))
        helper.start()
        helper.join()
        seen.append(os.path.basename(os.getcwd()))
        directories.leave(str(tmp_path / "b"))         # the script's ctx.directory
        directories.enter(str(tmp_path / "a"), 5)       # the next script of a/
        seen.append(os.path.basename(os.getcwd()))
        directories.leave(str(tmp_path / "a"))

    thread = threading.Thread(target=script_thread)
    thread.start()
    thread.join(10)
    assert seen == ["b", "a"]


def test_the_gate_stands_in_where_unshare_is_refused():
    def refused() -> None:
        raise PermissionError(1, "Operation not permitted")
    assert isinstance(working_directories(refused), CwdGate)
    tried = []
    chosen = working_directories(lambda: tried.append(threading.current_thread()))
    assert isinstance(chosen, ThreadDirectories)
    assert tried and tried[0] is not threading.current_thread()    # the probe's own thread


def test_body_gives_a_descriptor_for_what_is_left():
    body = Body()
    body.append(b"first part, second part")
    buffer = bytearray(12)
    assert body.readinto(buffer) == 12 and buffer == b"first part, "
    fd = body.fileno()
    assert os.read(fd, 100) == b"second part" and os.read(fd, 100) == b""
    body.close()


def test_output_spool_keeps_the_order_of_writers():
    spool = OutputSpool()
    spool.write(b"one ")
    os.write(spool.fd, b"two ")                 # a child's write to the same descriptor
    spool.write(b"three")
    assert b"".join(spool.take()) == b"one two three"
    assert b"".join(spool.take()) == b""
    spool.close()


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
