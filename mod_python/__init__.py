"""The mod_python package, for handlers written for mod_python 3.5:
`from mod_python import apache, util` and `PythonHandler mod_python.X`
give modpy's modules of the same name.

`mod_python.X` is an alias of `modpy.X` (the same module object), made on
first import by a finder on sys.meta_path.
"""
import importlib
import importlib.abc
import importlib.util
import sys


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds `mod_python.X` as `modpy.X`."""

    prefix = __name__ + "."

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(self.prefix):
            return None
        target_name = "modpy." + fullname[len(self.prefix):]
        if importlib.util.find_spec(target_name) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        module = importlib.import_module("modpy." + spec.name[len(self.prefix):])
        _original_specs[spec.name] = module.__spec__   # the import system overwrites it
        return module

    def exec_module(self, module):
        module.__spec__ = _original_specs.pop(module.__spec__.name, module.__spec__)


_original_specs = {}


if not any(isinstance(f, _Alias) for f in sys.meta_path):
    sys.meta_path.insert(0, _Alias())


def __getattr__(name):
    """`import mod_python; mod_python.apache` works like `from mod_python import apache`."""
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ImportError:
        raise AttributeError(name) from None
