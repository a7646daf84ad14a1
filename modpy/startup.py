"""What each child does once, before serving: PythonImport."""
from __future__ import annotations

from . import importer, log
from . import constants as C
from ._ffi import NULL
from .dispatch import server_config


def run_imports(s) -> None:
    """Import every PythonImport module (and call its ::function) in the
    interpreter it names.  A failure is logged; the child still serves."""
    seen = set()
    while s != NULL:
        config = server_config(s)
        if config is not None and id(config) not in seen:
            seen.add(id(config))
            _server_path(s)
            for spec, interpreter, origin in config.imports:
                _import_one(spec, interpreter, origin)
        s = s.next


def _import_one(spec, interpreter, origin) -> None:
    try:
        module = importer.load_import(spec, interpreter)
        if spec.object:
            importer.resolve(module, spec.object, None)()
    except Exception as e:
        log.log_error(f"modpy: PythonImport {spec} {interpreter} ({origin}) failed: "
                      f"{type(e).__name__}: {e}", C.APLOG_ERR)


def _server_path(s) -> None:
    """The server-level PythonPath holds for its PythonImports too."""
    from .dispatch import _set_path
    from .server import Server
    config = Server(s)._dir_config()
    if config.python_path is not None:
        _set_path(config, None)
