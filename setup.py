"""Build modpy: the cffi embedded library (modpy/_modpy_ffi*.so) from
modpy/_build_ffi.py and shim/lib_*.c, the Apache module
(modpy/mod_pyshim.so) from shim/mod_pyshim.c, and modpy/_buildinfo.py, the
facts of this build that `python -m modpy module-config` reports.  All land
inside the package, side by side: the shim finds the cffi library next to
itself.

The shim is compiled with the compiler directly rather than `apxs -c`,
which drops -Wl,-rpath: the module must find this interpreter's libpython
wherever Apache runs it.
"""
import os
import sys
import sysconfig

from setuptools import setup
from setuptools.command.build_ext import build_ext

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


class BuildWithShim(build_ext):
    """build_ext that also builds the Apache module into the package."""

    def run(self):
        super().run()
        self.build_shim()

    def build_shim(self):
        from modpy import _build_ffi as b

        libdir, libname = b.libpython()
        facts = {"PYTHON": _interpreter(), "LIBPYTHON": os.path.join(libdir, libname),
                 "FFI_NAME": os.path.basename(self.get_ext_fullpath("modpy._modpy_ffi"))}
        out_dir = os.path.join("modpy") if self.inplace else os.path.join(self.build_lib, "modpy")
        os.makedirs(out_dir, exist_ok=True)
        _write_buildinfo(os.path.join(out_dir, "_buildinfo.py"), {**facts, **b.apache_facts()})
        macros = [("MODPY_" + name, _c_string(value)) for name, value in facts.items()]
        for flag in b.apache_cflags():
            name, _, value = flag[2:].partition("=")
            macros.append((name, value or None))
        objects = self.compiler.compile(
            [os.path.join("shim", "mod_pyshim.c")],
            output_dir=self.build_temp,
            macros=macros,
            include_dirs=["shim", sysconfig.get_path("include")] + b.apache_include_dirs(),
            extra_postargs=["-fPIC", "-Wall", "-Werror=implicit-function-declaration"],
        )
        self.compiler.link_shared_object(
            objects,
            os.path.join(out_dir, "mod_pyshim.so"),
            libraries=[libname[3:].split(".so")[0]],
            library_dirs=[libdir],
            runtime_library_dirs=[libdir],
            extra_postargs=["-ldl"],
        )

    def get_outputs(self):
        return super().get_outputs() + [os.path.join(self.build_lib, "modpy", name)
                                        for name in ("mod_pyshim.so", "_buildinfo.py")]


def _write_buildinfo(path: str, facts: dict) -> None:
    """modpy/_buildinfo.py: what the shim was compiled with, as Python."""
    with open(path, "w") as f:
        f.write('"""Facts of this build of modpy, written by setup.py: the interpreter\n'
                'the shim embeds, its libpython, the cffi library\'s file name, and the\n'
                'Apache it was built against (mod_python.version names them)."""\n')
        for name, value in facts.items():
            f.write(f"{name} = {value!r}\n")


def _interpreter() -> str:
    """The python that runs this build, unresolved: a venv's own bin/python
    (not its target), so that the embedded interpreter finds pyvenv.cfg and
    with it the venv's site-packages."""
    return os.path.abspath(sys.executable)


def _c_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


setup(
    cffi_modules=["modpy/_build_ffi.py:ffi"],
    cmdclass={"build_ext": BuildWithShim},
)
