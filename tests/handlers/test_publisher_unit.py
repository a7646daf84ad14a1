"""The publisher's pure rules, in-process: which file, which names, what
is published, which content type."""
import os
import types

import pytest

from modpy.handlers.publisher import (
    _MISSING,
    _attribute,
    _published,
    _traversable,
    guess_content_type,
    module_path,
    path_names,
    target,
)


def test_module_path(tmp_path):
    assert module_path(str(tmp_path / "hello.py")) == str(tmp_path / "hello.py")
    assert module_path(str(tmp_path / "hello")) == str(tmp_path / "hello.py")
    assert module_path(str(tmp_path)) == os.path.join(str(tmp_path), "index.py")
    assert module_path(None) == "index.py"


@pytest.mark.parametrize("name, suffixes, module", [
    # only .py and the extensions AddHandler maps to mod_python go
    ("page.html", (), "page.html.py"),
    ("page.exe", ("exe",), "page.py"),
    ("page.EXE", ("exe",), "page.EXE.py"),          # as mod_python: case counts
    ("a.b.exe", ("exe", "psp"), "a.b.py"),
    ("page.py.exe", ("exe",), "page.py.py"),        # one suffix only
    ("page.tar.gz", ("gz", "tar.gz"), "page.py"),   # the longest
    ("page.tarxgz", ("tar.gz",), "page.tarxgz.py"),
    (".py", (), ".py"),
    ("x.a/b", ("a/b",), "x.a/b.py"),                # the file's own name only
])
def test_module_path_strips_known_suffixes(tmp_path, name, suffixes, module):
    assert module_path(str(tmp_path / name), suffixes) == str(tmp_path / module)


def test_target_falls_back_to_index(tmp_path):
    (tmp_path / "page.py").write_text("")
    assert target(str(tmp_path / "page.py"), "/a/b") == (str(tmp_path / "page.py"), ["a", "b"])
    assert target(str(tmp_path / "page"), None) == (str(tmp_path / "page.py"), ["index"])
    assert target(str(tmp_path / "foobar"), "") == (str(tmp_path / "index.py"), ["foobar"])
    assert target(str(tmp_path / "foobar.html"), "/x/") == (str(tmp_path / "index.py"), ["foobar.html", "x"])
    assert target(str(tmp_path / "foobar.html"), "/x/", ["html"]) == (str(tmp_path / "index.py"), ["foobar", "x"])
    assert target(str(tmp_path / "page.html"), "/x", ["html"]) == (str(tmp_path / "page.py"), ["x"])
    assert target(str(tmp_path), "/x") == (os.path.join(str(tmp_path), "index.py"), ["x"])


def test_traversable():
    class K:
        pass
    assert _traversable(K()) and _traversable({}) and _traversable("s")
    for refused in (K, len, test_traversable, K().__init__, types, os.path.join.__code__):
        assert not _traversable(refused), refused


@pytest.mark.parametrize("path_info, names", [
    (None, ["index"]), ("", ["index"]), ("/", ["index"]),
    ("/say", ["say"]), ("/a/b/", ["a", "b"]), ("//a//b", ["a", "b"]),
])
def test_path_names(path_info, names):
    assert path_names(path_info) == names


@pytest.mark.parametrize("body, ctype", [
    ("<html><body/></html>", "text/html"),
    ("  \n<HTML>", "text/html"),
    ("<!DOCTYPE html><html>", "text/html"),
    ("plain <html> later", "text/plain"),
    ("", "text/plain"),
])
def test_guess_content_type(body, ctype):
    assert guess_content_type(body) == ctype


def test_published_objects():
    module = types.ModuleType("_pub_test")
    exec("import os\nfrom shutil import rmtree\n"
         "def f(): pass\nclass K:\n    def m(self): pass\nk = K()\nvalue = 'x'\n", module.__dict__)
    ns = module.__dict__
    assert _published(ns["f"], module)
    assert _published(ns["k"], module)
    assert _published(ns["k"].m, module)
    assert _published(ns["value"], module)
    for refused in (ns["os"], ns["rmtree"], ns["K"], len, "x".upper, ns["f"].__code__):
        assert not _published(refused, module), refused


def test_only_what_the_module_defines_is_published_and_no_getter_runs():
    module = types.ModuleType("_pub_test2")
    exec("from os import environ\nfrom collections import OrderedDict\nod = OrderedDict()\n"
         "ran = []\nclass K:\n    __slots__ = ('s',)\n    @property\n    def p(self):\n"
         "        ran.append(1)\n        return 'x'\n    @staticmethod\n    def st(): pass\n"
         "    def m(self): pass\nk = K()\nk.s = 'slot'\ndata = {'a': 1}\n", module.__dict__)
    ns = module.__dict__
    for refused in (ns["environ"], ns["od"]):
        assert not _published(refused, module), refused
    assert _published(ns["k"], module) and _published(ns["data"], module)
    assert _attribute(ns["k"], "p") is _MISSING and ns["ran"] == []
    assert _attribute(ns["k"], "nothere") is _MISSING
    assert _attribute(ns["k"], "s") == "slot"
    assert _attribute(ns["k"], "m").__func__ is ns["K"].m and _attribute(ns["k"], "m").__self__ is ns["k"]
    assert _attribute(ns["k"], "st") is ns["K"].st
    assert _attribute(module, "data") is ns["data"]
