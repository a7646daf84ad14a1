"""Finding and loading handler modules, and the objects in them.

A handler names `module[::object]`.  A module given as a path, or a plain
name with a file `<name>.py` in the directory of the section that
configured it, is loaded from that file into the namespace of the
interpreter in effect: two sites with a `handlers.py` each get two modules.
Anything else is an ordinary import (sys.modules, shared).

With autoreload on, a file-loaded module is re-executed when its mtime
changes.  The new module replaces the old only once it has run to the end,
so no thread ever sees a half-imported module; if it fails, the error goes
to the request and the old module stays in place.
"""
from __future__ import annotations

import builtins
import hashlib
import importlib
import importlib.util
import inspect
import os
import sys
import threading
import types
from typing import Any, Optional

from .grammar import HandlerSpec


class Vanished(FileNotFoundError):
    """A handler module file that is not there (any more)."""


class Namespace:
    """The handler modules of one interpreter name."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._files: dict[str, tuple[int, types.ModuleType]] = {}
        self._by_name: dict[str, types.ModuleType] = {}   # PythonImport'ed plain modules
        self._lock = threading.Lock()
        # the builtins its modules see: `import x` finds this namespace's
        # PythonImport'ed copy of x before sys.modules
        self._builtins = dict(builtins.__dict__, __import__=self._import)

    def _import(self, name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0:
            module = self._by_name.get(name)
            if module is not None:
                return module
        return builtins.__import__(name, globals, locals, fromlist, level)

    def load_file(self, path: str, autoreload: bool, optimize: int = -1) -> types.ModuleType:
        cached = self._files.get(path)
        if cached is not None and not autoreload:
            return cached[1]
        try:
            mtime = os.stat(path).st_mtime_ns
        except FileNotFoundError as e:
            raise Vanished(e.errno, e.strerror, path) from None
        if cached is not None and cached[0] == mtime:
            return cached[1]
        with self._lock:                    # one thread (re)loads, the others wait
            cached = self._files.get(path)
            if cached is not None and cached[0] == mtime:
                return cached[1]
            module = self._execute(path, optimize)
            self._files[path] = (mtime, module)
            return module

    def _execute(self, path: str, optimize: int) -> types.ModuleType:
        name = "_modpy_" + hashlib.sha1(f"{self.name}\0{path}".encode()).hexdigest()[:16]
        with open(path, "rb") as f:
            code = compile(f.read(), path, "exec", dont_inherit=True, optimize=optimize)
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
        return [m for _, m in self._files.values()]

    def imported(self, name: str) -> Optional[types.ModuleType]:
        """The module PythonImport loaded under `name` here, if any."""
        return self._by_name.get(name)

    def import_by_name(self, name: str, path: str, optimize: int = -1) -> types.ModuleType:
        module = self.load_file(path, autoreload=False, optimize=optimize)
        self._by_name[name] = module
        return module


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


_current = threading.local()


def current_interpreter() -> str:
    """The interpreter name the calling thread works for: the one of the
    handler (or PythonImport) it last loaded a module for."""
    return getattr(_current, "name", "main_interpreter")


# (module, directory) -> the file module_file() found: saves a stat per
# request; a file that vanishes is looked for again from scratch.
_found: dict[tuple[str, Optional[str]], str] = {}


def load(spec: HandlerSpec, directory: Optional[str], interpreter: str,
         autoreload: bool = True, optimize: int = -1) -> types.ModuleType:
    _current.name = interpreter
    key = (spec.module, directory)
    path = _found.get(key)
    if path is not None:
        try:
            return namespace(interpreter).load_file(path, autoreload, optimize)
        except Vanished:
            _found.pop(key, None)
    path = module_file(spec, directory)
    if path is not None:
        _found[key] = path
        return namespace(interpreter).load_file(path, autoreload, optimize)
    module = namespace(interpreter).imported(spec.module) if _namespaces else None
    if module is None:
        module = sys.modules.get(spec.module)
        # another thread may be running its import right now: then wait for
        # it in importlib (which holds the module's lock) rather than use a
        # module whose functions are not defined yet
        if module is None or getattr(getattr(module, "__spec__", None), "_initializing", False):
            module = importlib.import_module(spec.module)
    return module


def load_import(spec: HandlerSpec, interpreter: str, optimize: int = -1) -> types.ModuleType:
    """PythonImport: a top-level module that is a plain .py file on
    sys.path is executed into the interpreter's namespace, so two
    interpreters importing it get two copies with their own state (and
    that interpreter's handlers naming it get that copy).  Packages, dotted
    names and extension modules are ordinary, shared imports."""
    _current.name = interpreter
    if not spec.is_path and "." not in spec.module and spec.module not in sys.modules:
        found = importlib.util.find_spec(spec.module)
        origin = getattr(found, "origin", None) if found is not None else None
        if origin and origin.endswith(".py") and not found.submodule_search_locations:
            return namespace(interpreter).import_by_name(spec.module, origin, optimize)
    return load(spec, None, interpreter, optimize=optimize)


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
            raise AttributeError(f"'{where}' has no '{dotted}'")
        obj = getattr(parent, part)
        if inspect.isclass(parent):
            obj = getattr(parent(arg), part)
    return obj
