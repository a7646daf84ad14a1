"""mod_python.cache in-process: building, staleness, LRU, the file,
module, weak and function caches."""
import os
import threading
import time

import mod_python.cache as cache


class Counting(cache.Cache):
    def __init__(self, max_size=0):
        super().__init__(max_size)
        self.built = []

    def build(self, key, name, opened, entry):
        self.built.append(key)
        return key * 2


def test_built_once_and_lru():
    c = Counting(max_size=2)
    assert c["a"] == "aa" and c["a"] == "aa" and c.built == ["a"]
    c["b"], c["c"] = "B", "C"
    assert c.lru() == "b" and c.mru() == "c"
    assert c["a"] == "aa" and c.built == ["a", "a"]      # "a" had gone: the oldest of three
    del c["a"]
    c.clear()
    assert c.lru() is None and Counting().mru() is None


def test_file_and_module_caches_follow_the_file(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("x = 1\n")
    files, modules = cache.FileCache(), cache.ModuleCache()
    assert files[str(path)] == b"x = 1\n" and modules[str(path)].x == 1
    first = modules[str(path)]
    assert modules[str(path)] is first
    path.write_text("x = 2\n")
    os.utime(path, (time.time() + 5, time.time() + 5))
    assert files[str(path)] == b"x = 2\n" and modules[str(path)].x == 2


def test_weak_and_function_caches():
    class Value:
        pass

    class Weak(cache.WeakCache):
        def build(self, key, name, opened, entry):
            return Value()

    w = Weak()
    held = w["k"]
    assert w["k"] is held
    del held
    assert "k" not in w._dict
    calls = []
    f = cache.FunctionCache(lambda a, b=0: calls.append((a, b)) or a + b)
    assert f(1, b=2) == 3 and f(1, b=2) == 3 and calls == [(1, 2)]


def test_one_builder_per_entry_at_a_time():
    class Slow(cache.Cache):
        builds = 0

        def build(self, key, name, opened, entry):
            Slow.builds += 1
            time.sleep(0.05)
            return key

    s = Slow()
    threads = [threading.Thread(target=lambda: s["k"]) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Slow.builds == 1


def test_http_dates():
    assert cache.parseRFC822Time("Thu, 01 Jan 1970 00:01:00 GMT") == 60.0
