"""What a CGI script does to the import system, kept to its request.

- `sys.meta_path` and `sys.path_hooks` are lists that stay the process's
  (the same list objects, so C code and everyone else see them as they
  were), but on a CGI thread a change made to them (Mercurial's
  demandimport wraps every meta-path finder in a lazy one) goes into a
  copy of the request's own, and so does a rebinding.  While a script has
  path hooks of its own it has its own sys.path_importer_cache too, so the
  finders they make are not cached for the process.
- `builtins.__import__ = f` on a CGI thread makes `f` the script's
  importer: a dispatcher then takes the place of the builtin and calls
  the script's importer on that thread, the original everywhere else.
- Modules a script's lazy loader leaves half-loaded in sys.modules are
  loaded by whichever thread touches them first; before Python 3.13 two
  threads doing so at once could see one half-run (CPython gh-114763).
  `install()` makes that load take a lock and the module look lazy to
  the others until it is complete.
- Names that modpy's own dependencies install at top level (python-
  multipart's `multipart`) are not what a script gets when it imports
  them: a script's import of such a name finds its own module of that
  name on sys.path if there is one, and fails with ModuleNotFoundError if
  not, as it would in a process without modpy.

Pure: nothing here knows about Apache.
"""
from __future__ import annotations

import builtins
import importlib.machinery
import importlib.metadata
import importlib.util
import os
import sys
import threading
import types
from typing import Optional

from modpy.handlers.cgi import state


class ImportState:
    """A request's own copies of the import lists (None: the process's)."""

    __slots__ = ("meta_path", "path_hooks", "path_importer_cache")

    def __init__(self) -> None:
        self.meta_path: Optional[list] = None
        self.path_hooks: Optional[list] = None
        self.path_importer_cache: Optional[dict] = None


def _own(name: str) -> Optional[list]:
    """This request's copy of sys.<name>, made on first change; None off a
    CGI thread."""
    ctx = state.current()
    if ctx is None:
        return None
    if ctx.imports is None:
        ctx.imports = ImportState()
    own = getattr(ctx.imports, name)
    if own is None:
        own = list.copy(_lists[name])
        setattr(ctx.imports, name, own)
        if name == "path_hooks":
            ctx.imports.path_importer_cache = {}
    return own


def _seen(name: str):
    """What this thread sees of sys.<name>: the request's copy or the
    process's list."""
    ctx = state.current()
    if ctx is not None and ctx.imports is not None:
        own = getattr(ctx.imports, name)
        if own is not None:
            return own
    return None


def _reader(method: str):
    base = getattr(list, method)

    def read(self, *args):
        own = _seen(self._name)
        return base(self if own is None else own, *args)
    read.__name__ = method
    return read


def _writer(method: str):
    base = getattr(list, method)

    def write(self, *args):
        own = _own(self._name)
        return base(self if own is None else own, *args)
    write.__name__ = method
    return write


class ImportList(list):
    """sys.meta_path / sys.path_hooks: the process's list (its items are the
    real ones), read and changed through the request's copy on a CGI
    thread that changed it."""

    _name = ""

    for _m in ("__iter__", "__len__", "__getitem__", "__contains__", "__reversed__", "index", "count",
               "__repr__", "__eq__", "copy", "__add__", "__mul__"):
        locals()[_m] = _reader(_m)
    for _m in ("__setitem__", "__delitem__", "__iadd__", "__imul__", "append", "extend", "insert",
               "pop", "remove", "clear", "reverse", "sort"):
        locals()[_m] = _writer(_m)
    del _m

    __hash__ = None


class MetaPath(ImportList):
    _name = "meta_path"


class PathHooks(ImportList):
    _name = "path_hooks"


class ImporterCache(dict):
    """sys.path_importer_cache: the request's own while it has path hooks
    of its own, else the process's."""

    def _target(self) -> dict:
        ctx = state.current()
        if ctx is not None and ctx.imports is not None and ctx.imports.path_importer_cache is not None:
            return ctx.imports.path_importer_cache
        return None

    def __getitem__(self, key):
        own = self._target()
        return dict.__getitem__(self if own is None else own, key)

    def __setitem__(self, key, value):
        own = self._target()
        dict.__setitem__(self if own is None else own, key, value)

    def __delitem__(self, key):
        own = self._target()
        dict.__delitem__(self if own is None else own, key)

    def __contains__(self, key):
        own = self._target()
        return dict.__contains__(self if own is None else own, key)

    def get(self, key, default=None):
        own = self._target()
        return dict.get(self if own is None else own, key, default)

    def items(self):
        own = self._target()
        return dict.items(self if own is None else own)

    def clear(self):
        own = self._target()
        dict.clear(self if own is None else own)


_lists: dict = {}


def _bind_list(name: str):
    def bind(ctx, value) -> None:
        if isinstance(value, ImportList):
            return
        if ctx is None:
            list.__setitem__(_lists[name], slice(None), value)
        else:
            own = _own(name)
            own[:] = value
    return bind


def _bind_cache(ctx, value) -> None:
    if ctx is None or isinstance(value, ImporterCache):
        dict.clear(_lists["path_importer_cache"])
        dict.update(_lists["path_importer_cache"], value)
    else:
        _own("path_hooks")
        ctx.imports.path_importer_cache = dict(value)


# ---------------------------------------------------------------- __import__

_builtin_import = builtins.__import__
_importing = threading.local()


def _dispatch_import(name, globals=None, locals=None, fromlist=(), level=0):
    """builtins.__import__ once a script has replaced it: the script's
    importer on its thread (a nested import it makes through the original
    it saved comes here again, and goes to the builtin), the builtin
    elsewhere."""
    ctx = state.current()
    importer = None if ctx is None else ctx.importer
    if importer is None or getattr(_importing, "active", False):
        return _builtin_import(name, globals, locals, fromlist, level)
    _importing.active = True
    try:
        return importer(name, globals, locals, fromlist, level)
    finally:
        _importing.active = False


def _bind_import(ctx, value) -> bool:
    if ctx is None:
        return False
    if builtins.__dict__.get("__import__") is not _dispatch_import:
        builtins.__dict__["__import__"] = _dispatch_import
    ctx.importer = None if value in (_dispatch_import, _builtin_import) else value
    return True


# ---------------------------------------------------------------- modpy's own dependencies


def dependency_names(distribution: str = "modpy") -> dict[str, set]:
    """Top-level names the runtime dependencies of `distribution` install
    (recursively), each with the directories they are installed in; the
    names modpy itself is made of are not among them."""
    names: dict[str, set] = {}
    seen: set = set()
    todo = _requirements(distribution)
    while todo:
        dist_name = todo.pop()
        if dist_name in seen:
            continue
        seen.add(dist_name)
        try:
            dist = importlib.metadata.distribution(dist_name)
        except importlib.metadata.PackageNotFoundError:
            continue
        todo += _requirements(dist_name)
        for name in _top_level(dist):
            names.setdefault(name, set()).add(os.path.realpath(str(dist.locate_file(""))))
    return names


def _requirements(dist_name: str) -> list[str]:
    try:
        requires = importlib.metadata.requires(dist_name) or []
    except importlib.metadata.PackageNotFoundError:
        return []
    return [r.split(";")[0].split("[")[0].split("<")[0].split(">")[0].split("=")[0].split("~")[0]
            .split("!")[0].strip() for r in requires if "extra ==" not in r]


def _top_level(dist) -> set:
    text = dist.read_text("top_level.txt")
    if text:
        return {line.strip() for line in text.splitlines() if line.strip()}
    names = set()
    for f in dist.files or ():
        first = f.parts[0]
        if first.endswith((".dist-info", ".egg-info")) or first in ("..", "__pycache__"):
            continue
        names.add(first[:-3] if first.endswith(".py") else first.split(".")[0])
    return names


class DependencyFinder:
    """First on sys.meta_path: on a CGI thread, a top-level import of a name
    modpy's dependencies installed looks for it everywhere on sys.path
    except where they installed it."""

    def __init__(self, hidden: dict[str, set]) -> None:
        self._hidden = hidden

    def find_spec(self, name, path=None, target=None):
        if path is not None or name not in self._hidden or state.current() is None:
            return None
        where = self._hidden[name]
        entries = [p for p in sys.path if os.path.realpath(p or ".") not in where]
        spec = importlib.machinery.PathFinder.find_spec(name, entries)
        if spec is None:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return spec

    def invalidate_caches(self) -> None:
        pass


# ---------------------------------------------------------------- lazy modules


def _safe_lazy_modules() -> None:
    """Make importlib.util's lazy modules load under a lock, looking lazy
    to other threads until loaded (Python < 3.13)."""
    if sys.version_info >= (3, 13):
        return
    lazy = importlib.util._LazyModule
    load = lazy.__getattribute__
    lock = threading.RLock()

    class Loading(types.ModuleType):
        """A lazy module being loaded: another thread waits for the load."""

        def __getattribute__(self, attr):
            with lock:
                return types.ModuleType.__getattribute__(self, attr)

    def __getattribute__(self, attr):
        with lock:
            if type(self) is not lazy:          # loaded while we waited
                return getattr(self, attr)
            try:
                return load(self, attr)
            finally:
                if type(self) is Loading:
                    object.__setattr__(self, "__class__", types.ModuleType)

    def __setattr__(self, attr, value):
        if attr == "__class__" and value is types.ModuleType and type(self) is lazy:
            value = Loading                     # the loader's first step: look loaded
        types.ModuleType.__setattr__(self, attr, value)

    lazy.__getattribute__ = __getattribute__
    lazy.__setattr__ = __setattr__


# ---------------------------------------------------------------- install

_installed = False


def install() -> None:
    """Once per process, after state.install()."""
    global _installed
    if _installed:
        return
    _lists["meta_path"] = MetaPath(sys.meta_path)
    _lists["path_hooks"] = PathHooks(sys.path_hooks)
    _lists["path_importer_cache"] = ImporterCache(sys.path_importer_cache)
    # the module's own __setattr__ would pass these to the binders below
    types.ModuleType.__setattr__(sys, "meta_path", _lists["meta_path"])
    types.ModuleType.__setattr__(sys, "path_hooks", _lists["path_hooks"])
    types.ModuleType.__setattr__(sys, "path_importer_cache", _lists["path_importer_cache"])
    state.add_binder("sys", "meta_path", _bind_list("meta_path"))
    state.add_binder("sys", "path_hooks", _bind_list("path_hooks"))
    state.add_binder("sys", "path_importer_cache", _bind_cache)
    state.add_binder("builtins", "__import__", _bind_import)
    list.insert(_lists["meta_path"], 0, DependencyFinder(dependency_names()))
    _safe_lazy_modules()
    _installed = True
