"""The autoreload rules of modpy.importer, in-process (the real-Apache
side is in test_devloop_reload.py)."""
from __future__ import annotations

import os
import sys

import pytest

from modpy.phases.importer import Namespace, tree_modules


def save(path, text: str) -> None:
    """Write the file whole, with an mtime distinct from the last one."""
    old = os.stat(path).st_mtime_ns if os.path.exists(path) else 0
    with open(str(path) + ".tmp", "w") as f:
        f.write(text)
    os.utime(str(path) + ".tmp", ns=(old + 10**9, old + 10**9))
    os.replace(str(path) + ".tmp", path)


@pytest.fixture
def site(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in list(sys.modules):
        if name.startswith("dl_"):
            del sys.modules[name]


def test_a_dependency_change_reloads_handler_and_dependency(site):
    save(site / "dl_helper.py", "V = 1\n")
    save(site / "app.py", "import dl_helper\nV = dl_helper.V\n")
    ns = Namespace("t")
    first = ns.load_file(str(site / "app.py"), autoreload=True)
    assert first.V == 1
    assert ns.load_file(str(site / "app.py"), autoreload=True) is first
    assert "dl_helper" in tree_modules(str(site))
    save(site / "dl_helper.py", "V = 2\n")
    second = ns.load_file(str(site / "app.py"), autoreload=True)
    assert second is not first and second.V == 2 and sys.modules["dl_helper"].V == 2


def test_a_broken_save_raises_once_then_the_old_modules_serve(site):
    save(site / "dl_helper.py", "V = 1\n")
    save(site / "app.py", "import dl_helper\nV = dl_helper.V\n")
    ns = Namespace("t")
    first = ns.load_file(str(site / "app.py"), autoreload=True)
    old_helper = sys.modules["dl_helper"]
    save(site / "dl_helper.py", "V = (\n")
    with pytest.raises(SyntaxError):
        ns.load_file(str(site / "app.py"), autoreload=True)
    assert sys.modules["dl_helper"] is old_helper                   # put back
    assert ns.load_file(str(site / "app.py"), autoreload=True) is first
    save(site / "dl_helper.py", "V = 3\n")
    assert ns.load_file(str(site / "app.py"), autoreload=True).V == 3


def test_a_first_load_that_fails_is_retried(site):
    save(site / "app.py", "raise RuntimeError('not yet')\n")
    ns = Namespace("t")
    for _ in range(2):
        with pytest.raises(RuntimeError):
            ns.load_file(str(site / "app.py"), autoreload=True)


def test_autoreload_off_keeps_the_module(site):
    save(site / "app.py", "V = 1\n")
    ns = Namespace("t")
    first = ns.load_file(str(site / "app.py"), autoreload=False)
    save(site / "app.py", "V = 2\n")
    assert ns.load_file(str(site / "app.py"), autoreload=False) is first


def test_installed_and_modpy_modules_are_never_part_of_a_tree():
    import modpy
    root = os.path.dirname(os.path.dirname(modpy.__file__))
    assert not any(name.startswith("modpy") for name in tree_modules(root))
    assert not any("site-packages" in path for path in tree_modules("/").values())
