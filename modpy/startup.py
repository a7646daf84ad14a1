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
            for spec, interpreter, origin in config.imports:
                _import_one(spec, interpreter, origin)
        s = s.next


def _import_one(spec, interpreter, origin) -> None:
    try:
        module = importer.load(spec, None, interpreter)
        if spec.object:
            importer.resolve(module, spec.object, None)()
    except Exception as e:
        log.log_error(f"modpy: PythonImport {spec} {interpreter} ({origin}) failed: "
                      f"{type(e).__name__}: {e}", C.APLOG_ERR)
