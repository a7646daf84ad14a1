"""What the interpreter starts with (sys.argv), what the server announces
once its configuration is read (its version string), and what each child
does once, before serving (PythonImport)."""
from __future__ import annotations

import platform
import sys

from modpy import __version__
from modpy import constants as C
from modpy.core import log, standins
from modpy.core.configs import server_config, server_dir_config
from modpy.core.ffi import NULL, lib
from modpy.phases import importer
from modpy.phases.placement import set_path


def interpreter_ready() -> None:
    """As mod_python's interpreters: there is no command line, and
    sys.argv says who embeds Python.  Names modpy's dependencies install
    for other projects' modules do not stand in for them (core/standins)."""
    sys.argv = ["mod_python"]
    standins.install()


def announce(pconf) -> None:
    """After each reading of the configuration: the server's version
    string (Server header, SERVER_SOFTWARE) names modpy and the Python it
    embeds, as mod_python names itself and Python."""
    component = f"modpy/{__version__} Python/{platform.python_version()}"
    lib.ap_add_version_component(pconf, component.encode())


def run_imports(s) -> None:
    """Import every PythonImport module (and call its ::function) in the
    interpreter it names, with the server's own PythonPath in effect (the
    sections are not known yet).  A failure is logged; the child still
    serves."""
    seen = set()
    while s != NULL:
        config = server_config(s)
        if config is not None and id(config) not in seen:
            seen.add(id(config))
            if config.imports:
                set_path(server_dir_config(s), None)
            for spec, interpreter, origin in config.imports:
                _import_one(spec, interpreter, origin)
        s = s.next


def _import_one(spec, interpreter, origin) -> None:
    try:
        module = importer.load_import(spec, interpreter)
        if spec.object:
            importer.resolve(module, spec.object, None)()
    except BaseException as e:   # SystemExit in an import must not stop the child's start
        log.log_error(f"modpy: PythonImport {spec} {interpreter} ({origin}) failed: "
                      f"{type(e).__name__}: {e}", C.APLOG_ERR)

