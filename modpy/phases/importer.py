"""Finding and loading handler modules, and the objects in them.

A handler names `module[::object]`.  A module given as a path, or a plain
name with a file `<name>.py` in the directory of the section that
configured it, is loaded from that file into the namespace of the
interpreter in effect: two sites with a `handlers.py` each get two modules.
Anything else is an ordinary import (sys.modules, shared).

With autoreload on, a file-loaded module is re-executed when its file, or
the file of any module it imported from its own directory tree, changes
(looked at, as mod_python does, at most once a second: CHECK_EVERY_NS);
those modules are re-imported with it.  The new module replaces the old
only once it has run to the end, so no thread ever sees a half-imported
module (imports of the tree go through Python's per-module import locks).
If it fails, the error goes to that request, the old modules go back in
place and keep serving until the next save.  With autoreload off, nothing
is stat()ed after the first load.

A plain top-level module named by PythonImport is executed into the
interpreter's namespace too, and that namespace's modules find it first
when they `import` it (docs/interpreters.md).
"""
from __future__ import annotations

import builtins
import errno
import hashlib
import importlib
import importlib.machinery
import importlib.util
import inspect
import os
import sys
import threading
import time
import types
from typing import Any, Optional

from modpy.config.grammar import HandlerSpec
from modpy.core import runtime


class Vanished(FileNotFoundError):
    """A handler module file that is not there (any more)."""


class _Loaded:
    """A handler module and the files it was built from: its own, and
    those of the modules it imported from its own directory, with the
    mtimes they had.  `failed` holds the stamps of a broken save, so the
    old module keeps serving until the next save."""

    __slots__ = ("module", "stamps", "checks", "tree", "failed", "due")

    def __init__(self, module: types.ModuleType, stamps: dict[str, int], tree: tuple[str, ...]) -> None:
        self.module = module
        self.stamps = stamps          # path -> st_mtime_ns
        # the same, as the per-request check reads them: encoded once
        self.checks = tuple((os.fsencode(path), stamp) for path, stamp in stamps.items())
        self.tree = tree              # sys.modules names imported from the directory
        self.failed: Optional[dict[str, int]] = None
        self.due = 0                  # time.monotonic_ns() of the next look at the files


def _stamp_after(path: str, started: int) -> int:
    """The stamp of a file first imported during a load, read only after
    it ran.  A file saved since the load began (within a second, for
    coarse clocks) may have run in its old version: it gets a stamp no file
    has, so the next request loads again, this time with a stamp taken
    before the read."""
    mtime = _mtime(path)
    return _UNSURE if mtime >= started - 1_000_000_000 else mtime


_UNSURE = -2


def _fresh(loaded: _Loaded) -> bool:
    """Nothing changed since the load, or since the last broken save."""
    for path, stamp in loaded.checks:
        if _mtime_of(path) != stamp:
            return {p: _mtime(p) for p in loaded.stamps} == loaded.failed
    return True


def _mtime_of(path: bytes) -> int:
    """A file's st_mtime_ns; -1 when it is gone (a change too)."""
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


try:
    from modpy.core.ffi import lib as _lib
except ImportError:                   # outside Apache (unit tests): os.stat
    pass
else:
    # Inside Apache, the same through C, holding the GIL: autoreload stats
    # on the request path, and os.stat's release of the GIL would hand it to
    # another thread each time (see _build_ffi.QUICK_CALLS).
    _mtime_of = _lib.modpy_mtime_ns   # noqa: F811


def _mtime(path: str) -> int:
    return _mtime_of(os.fsencode(path))


_INSTALLED = tuple({os.path.join(p, "") for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})


def _under(directory: str, module: object) -> Optional[str]:
    """The module's file if it is the user's code in `directory`: never an
    installed package (a venv inside the site must not be reloaded)."""
    path = getattr(module, "__file__", None)
    if not isinstance(path, str) or not path.startswith(directory) or path.startswith(_INSTALLED):
        return None
    return None if "/site-packages/" in path or "/dist-packages/" in path else path


_NEVER_RELOADED = ("_modpy_", "modpy", "mod_python")   # handler modules; modpy itself


def tree_modules(directory: str) -> dict[str, str]:
    """sys.modules entries loaded from files under `directory` (the
    handler's tree): name -> file.  All of them, not only those this
    handler imported -- a module of the tree imported elsewhere first is
    found too, at the price of a spare reload now and then."""
    prefix = os.path.join(directory, "")
    return {name: path for name, module in list(sys.modules.items())
            if not name.startswith(_NEVER_RELOADED) and (path := _under(prefix, module))}


# Reloads are rare and touch the shared sys.modules: one at a time, across
# namespaces; re-entrant for a handler module that imports another.
_reload_lock = threading.RLock()


class Namespace:
    """The handler modules of one interpreter name."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._files: dict[str, _Loaded] = {}
        self._by_name: dict[str, types.ModuleType] = {}   # PythonImport'ed plain modules
        # the builtins its modules see: `import x` finds this namespace's
        # PythonImport'ed copy of x before sys.modules
        self._builtins = dict(builtins.__dict__, __import__=self._import)

    def _import(self, name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0:
            module = self._by_name.get(name)
            if module is not None:
                return module
        return builtins.__import__(name, globals, locals, fromlist, level)

    def load_file(self, path: str, autoreload: bool) -> types.ModuleType:
        """The module of a handler file.  With autoreload, re-executed
        (with the modules it imported from its directory) when any of
        their files changed; without, never looked at again."""
        loaded = self._files.get(path)
        if loaded is not None and (not autoreload or _fresh(loaded)):
            return loaded.module
        with _reload_lock:                  # one thread (re)loads, the others wait
            loaded = self._files.get(path)
            if loaded is not None and (not autoreload or _fresh(loaded)):
                return loaded.module
            return self._reload(path, loaded)

    def _reload(self, path: str, loaded: Optional[_Loaded]) -> types.ModuleType:
        """Execute the handler file afresh, its directory's modules too.
        On failure the old modules go back into sys.modules, the error goes
        to this request, and later requests keep the old module until a
        file changes again."""
        if _mtime(path) == -1:
            raise Vanished(errno.ENOENT, os.strerror(errno.ENOENT), path)
        directory = os.path.dirname(path)
        old_tree = {name: sys.modules.pop(name) for name in (loaded.tree if loaded else ())
                    if name in sys.modules}
        # stamps taken before reading: a save during the import shows as a
        # change on the next request, never as the version already loaded
        known = {p: _mtime(p) for p in ([path, *loaded.stamps] if loaded else [path])}
        started = time.time_ns()
        before = set(sys.modules)
        try:
            module = self._execute(path)
        except BaseException:
            for name in set(sys.modules) - before:
                if name in tree_modules(directory) or name in old_tree:
                    sys.modules.pop(name, None)
            sys.modules.update(old_tree)
            if loaded is not None:
                loaded.failed = known
            raise
        tree = tree_modules(directory)
        stamps = {**{p: _stamp_after(p, started) for p in tree.values()}, **known}
        self._files[path] = _Loaded(module, stamps, tuple(tree))
        return module

    def _execute(self, path: str) -> types.ModuleType:
        name = "_modpy_" + hashlib.sha1(f"{self.name}\0{path}".encode()).hexdigest()[:16]
        with open(path, "rb") as f:
            code = compile(f.read(), path, "exec", dont_inherit=True, optimize=runtime.optimize)
        module = types.ModuleType(name)
        module.__file__ = path
        module.__modpy_interpreter__ = self.name
        module.__builtins__ = self._builtins
        previous = sys.modules.get(name)
        sys.modules[name] = module          # visible to itself while it runs
        try:
            exec(code, module.__dict__)
        except BaseException:
            if previous is not None:
                sys.modules[name] = previous
            else:
                sys.modules.pop(name, None)
            raise
        return module

    def modules(self) -> list[types.ModuleType]:
        return [loaded.module for loaded in self._files.values()]

    def imported(self, name: str) -> Optional[types.ModuleType]:
        """The module PythonImport loaded under `name` here, if any."""
        return self._by_name.get(name)

    def import_by_name(self, name: str, path: str) -> types.ModuleType:
        """PythonImport of a plain module: this namespace's copy, which is
        also sys.modules[name] when no other module holds that name yet
        (the first namespace's): `name in sys.modules` is then true, as in
        the mod_python interpreter that imported it."""
        module = self.load_file(path, autoreload=False)
        self._by_name[name] = module
        if sys.modules.setdefault(name, module) is module:
            _imported_names.add(name)
        return module


# plain module names whose sys.modules entry a PythonImport put there: the
# next interpreter to import one still gets a copy of its own
_imported_names: set = set()


_namespaces: dict[str, Namespace] = {}
_namespaces_lock = threading.Lock()


def namespace(name: str) -> Namespace:
    ns = _namespaces.get(name)
    if ns is None:
        with _namespaces_lock:
            ns = _namespaces.setdefault(name, Namespace(name))
    return ns


def module_file(spec: HandlerSpec, directory: Optional[str]) -> Optional[str]:
    """The file a handler module loads from, or None for a plain import."""
    if spec.is_path:
        return spec.module
    if directory and "." not in spec.module:
        candidate = os.path.join(directory, spec.module + ".py")
        if os.path.isfile(candidate):
            return candidate
    return None


# running.name: the interpreter name the calling thread works for, the one
# of the handler (or PythonImport) it last loaded a module for or placed
running = threading.local()


def current_interpreter() -> str:
    """The interpreter name the calling thread works for."""
    return getattr(running, "name", "main_interpreter")


# mod_python's pace for autoreload: a module's files (or the directory a
# plain import's file may appear in) are looked at, at most, once a second,
# so a request costs no system call for them in between.
CHECK_EVERY_NS = 1_000_000_000

# (module, directory) -> the file module_file() found (None for a plain
# import, "" for one that no file can ever be: a dotted name, as handlers of
# mod_python.publisher and the like), and when to look again for a None
# under autoreload (a file may appear).  A file is looked for again when it
# vanishes.
_files_found: dict[tuple[str, Optional[str]], tuple[Optional[str], int]] = {}


def _file_or_never(spec: HandlerSpec, directory: Optional[str]) -> Optional[str]:
    path = module_file(spec, directory)
    if path is None and (not directory or "." in spec.module):
        return ""
    return path


# (module, directory, interpreter) -> (its namespace's records, file, record)
# of the file module it last loaded: while that record is still the
# namespace's and fresh, a request takes the module from here, past the
# lookups below.
_last_loaded: dict[tuple[str, Optional[str], str], tuple[dict, str, _Loaded]] = {}


def load(spec: HandlerSpec, directory: Optional[str], interpreter: str,
         autoreload: bool = True) -> types.ModuleType:
    """The module a handler names.  With autoreload, its files are looked
    at again once CHECK_EVERY_NS has passed since the last look."""
    running.name = interpreter
    hot = (spec.module, directory, interpreter)
    last = _last_loaded.get(hot)
    if last is not None:
        files, path, loaded = last
        if files.get(path) is loaded:
            if not autoreload:
                return loaded.module
            now = time.monotonic_ns()
            if now < loaded.due:
                return loaded.module
            if _fresh(loaded):
                loaded.due = now + CHECK_EVERY_NS
                return loaded.module
    path = _file_for(spec, directory, autoreload)
    if path:
        try:
            return _load_file(hot, path, autoreload)
        except Vanished:
            path = _file_for(spec, directory, autoreload, again=True)
            if path:
                return _load_file(hot, path, autoreload)
    ns = _namespaces.get(interpreter)
    module = ns.imported(spec.module) if ns is not None else None
    if module is None:
        module = sys.modules.get(spec.module)
        # another thread may be running its import right now: then wait for
        # it in importlib (which holds the module's lock) rather than use a
        # module whose functions are not defined yet
        if module is None or getattr(getattr(module, "__spec__", None), "_initializing", False):
            module = importlib.import_module(spec.module)
    return module


def _file_for(spec: HandlerSpec, directory: Optional[str], autoreload: bool,
              again: bool = False) -> Optional[str]:
    """The file a handler module loads from (module_file), looked up once;
    with autoreload, a plain import's directory again once a second (a
    file may appear), and `again` after a file vanished."""
    key = (spec.module, directory)
    found = _files_found.get(key)
    if found is not None and not again:
        path, due = found
        if path is not None or not autoreload:
            return path
        now = time.monotonic_ns()
        if now < due:
            return None
    path = _file_or_never(spec, directory)
    _files_found[key] = (path, time.monotonic_ns() + CHECK_EVERY_NS)
    return path


def holder(spec: HandlerSpec, directory: Optional[str], interpreter: str,
           module: types.ModuleType) -> tuple[dict, object, object]:
    """Where `module`, as load() just gave it, is held: a dict, a key and
    the value there that stays while the module is the one load() gives
    (a reload or a new import replaces it)."""
    last = _last_loaded.get((spec.module, directory, interpreter))
    if last is not None and last[2].module is module:
        return last
    ns = _namespaces.get(interpreter)
    if ns is not None and ns.imported(spec.module) is module:
        return ns._by_name, spec.module, module
    return sys.modules, spec.module, module


def _load_file(hot: tuple[str, Optional[str], str], path: str, autoreload: bool) -> types.ModuleType:
    ns = namespace(hot[2])
    module = ns.load_file(path, autoreload)
    _last_loaded[hot] = (ns._files, path, ns._files[path])
    return module


def load_import(spec: HandlerSpec, interpreter: str) -> types.ModuleType:
    """PythonImport: a top-level module that is a plain .py file on
    sys.path is executed into the interpreter's namespace, so two
    interpreters importing it get two copies with their own state (and
    that interpreter's handlers naming it get that copy).  Packages, dotted
    names and extension modules are ordinary, shared imports."""
    running.name = interpreter
    if not spec.is_path and "." not in spec.module and (
            spec.module not in sys.modules or spec.module in _imported_names):
        found = importlib.machinery.PathFinder.find_spec(spec.module)   # not sys.modules: it may hold another copy
        origin = getattr(found, "origin", None) if found is not None else None
        if origin and origin.endswith(".py") and not found.submodule_search_locations:
            return namespace(interpreter).import_by_name(spec.module, origin)
    return load(spec, None, interpreter)


_MISSING = object()


def resolve(module: types.ModuleType, dotted: str, arg: Any, silent: bool = False) -> Any:
    """Walk `a.b.c` from the module.  A class met on the way is instantiated
    with `arg` (the request) before its attribute is taken, as the manual
    says.  With `silent`, a missing name gives None."""
    if "." not in dotted:                   # the usual `handler`: one lookup
        obj = getattr(module, dotted, _MISSING)
        if obj is not _MISSING:
            return obj
    obj = module
    for part in dotted.split("."):
        parent = obj
        if not hasattr(parent, part):
            if silent:
                return None
            where = getattr(module, "__file__", None) or module.__name__
            raise AttributeError(f"module '{where}' contains no '{dotted}'")   # mod_python's words
        obj = getattr(parent, part)
        if inspect.isclass(parent):
            obj = getattr(parent(arg), part)
    return obj
