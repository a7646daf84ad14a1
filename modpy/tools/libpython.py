"""Where an interpreter's shared libpython is: the one finder for the build
(which links the shim against it), `./dev` (which picks an interpreter
Apache can embed) and anything else that asks.

Standard library only, and runnable as a script by any python3, before a
virtualenv or cffi exists:  python3 modpy/tools/libpython.py  prints the
path and exits 0, or says why not and exits 1.
"""
from __future__ import annotations

import os
import sys
import sysconfig
from typing import Optional

MIN_VERSION = (3, 9)


def find() -> Optional[tuple[str, str]]:
    """(directory, file name) of this interpreter's shared libpython, or
    None for a build without one (Apache cannot load such a python)."""
    version = sysconfig.get_config_var("LDVERSION") or sysconfig.get_config_var("VERSION")
    names = [sysconfig.get_config_var("INSTSONAME") or "",
             f"libpython{version}.so.1.0", f"libpython{version}.so"]
    dirs = [sysconfig.get_config_var(v) or "" for v in ("LIBDIR", "LIBPL")]
    multiarch = sysconfig.get_config_var("MULTIARCH")
    if multiarch:
        dirs.append(os.path.join("/usr/lib", multiarch))
    for d in dirs:
        for name in names:
            if d and name.endswith((".so", ".so.1.0")) and os.path.exists(os.path.join(d, name)):
                return d, name
    return None


def why_not() -> str:
    """What to do when find() gives None."""
    version = sysconfig.get_config_var("LDVERSION") or sysconfig.get_config_var("VERSION")
    return (f"no shared libpython{version} found for {sys.executable}.\n"
            "modpy embeds Python in Apache, which needs libpython as a shared library. "
            "Use an interpreter built with --enable-shared (pyenv: "
            "PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install ...; "
            "Debian: apt-get install libpython3-dev).")


def main() -> int:
    found = find() if sys.version_info >= MIN_VERSION else None
    if found is None:
        print(f"libpython: {why_not()}", file=sys.stderr)
        return 1
    print(os.path.join(*found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
