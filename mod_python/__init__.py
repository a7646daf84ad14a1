"""The mod_python package, for handlers written for mod_python 3.5:
`from mod_python import apache, util` and `PythonHandler mod_python.X`
give modpy's module that does X's job.

`mod_python.X` is the very module object `MODULES[X]` names (not a copy),
made on first import by a finder on sys.meta_path; a name mod_python 3.5
did not publish is not found.
"""
import importlib
import importlib.abc
import importlib.util
import sys

# mod_python 3.5's public modules -> modpy's module of each.
MODULES = {
    "apache": "modpy.library.apache",
    "util": "modpy.library.util",
    "Cookie": "modpy.library.Cookie",
    "Session": "modpy.library.Session",
    "publisher": "modpy.handlers.publisher",
    "psp": "modpy.handlers.psp",
    "cgihandler": "modpy.handlers.cgi.handler",
    "wsgi": "modpy.handlers.wsgi",
    "python22": "modpy.library.python22",
    "version": "modpy.library.version",
    "httpdconf": "modpy.tools.httpdconf",
    "cache": "modpy.library.cache",
    "testhandler": "modpy.handlers.testhandler",
}


# Where no Apache runs (a test importing a handler module), what of a
# module can work: the constants and SERVER_RETURN of `apache`.
OUTSIDE_APACHE = {"apache": "modpy.library.apache_outside"}


def _module(name: str):
    """modpy's module for mod_python.`name`, or its outside-Apache subset."""
    from modpy.core.errors import OutsideApache
    try:
        return importlib.import_module(MODULES[name])
    except OutsideApache:
        if name not in OUTSIDE_APACHE:
            raise
        return importlib.import_module(OUTSIDE_APACHE[name])


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds `mod_python.X` as the module MODULES names."""

    prefix = __name__ + "."

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(self.prefix) or fullname[len(self.prefix):] not in MODULES:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        module = _module(spec.name[len(self.prefix):])
        _original_specs[spec.name] = module.__spec__   # the import system overwrites it
        return module

    def exec_module(self, module):
        module.__spec__ = _original_specs.pop(module.__spec__.name, module.__spec__)


_original_specs = {}


if not any(isinstance(f, _Alias) for f in sys.meta_path):
    sys.meta_path.insert(0, _Alias())


def __getattr__(name):
    """`import mod_python; mod_python.apache` works like `from mod_python import apache`."""
    if name not in MODULES:
        raise AttributeError(name)
    return importlib.import_module(f"{__name__}.{name}")
