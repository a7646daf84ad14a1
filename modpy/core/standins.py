"""Names that modpy's dependencies install for another project's module.

python-multipart, modpy's form parser, installs beside its own
`python_multipart` a deprecated `multipart` package that only re-exports
it.  `multipart` is also another project on PyPI, which applications
import by that name and do without when it is missing (Trac 1.6 prefers
it to the cgi module, and reads its API).  Installed with modpy, the alias
would stand in for that project, and such an application's forms fail.

So, for all code in the interpreter, a top-level import of such a name
never finds the alias: it finds the project of that name where one is on
sys.path (a module file beside the alias too, which the alias' package
directory would shadow), and else fails with ModuleNotFoundError, as in an
environment without modpy.  modpy imports `python_multipart` only.  (For
CGI scripts, modpy/handlers/cgi/imports.py hides all of modpy's
dependencies, as a process of the system's python would not see them.)

Pure: nothing here knows about Apache.
"""
from __future__ import annotations

import importlib.machinery
import importlib.metadata
import importlib.util
import os
import sys
from typing import Optional

# name -> the distribution that installs it as an alias of its own module
STAND_INS = {"multipart": "python-multipart"}


def alias_directories(stand_ins: dict[str, str] = STAND_INS) -> dict[str, str]:
    """name -> the real path of the alias package each distribution
    installed (names whose distribution is not installed are left out)."""
    found = {}
    for name, dist_name in stand_ins.items():
        try:
            dist = importlib.metadata.distribution(dist_name)
        except importlib.metadata.PackageNotFoundError:
            continue
        if any(f.parts[0] == name for f in dist.files or ()):
            found[name] = os.path.realpath(str(dist.locate_file(name)))
    return found


class StandInFinder:
    """On sys.meta_path: the import of an alias name skips the alias."""

    def __init__(self, aliases: dict[str, str]) -> None:
        self._aliases = aliases

    def find_spec(self, name, path=None, target=None):
        alias = self._aliases.get(name)
        if alias is None or path is not None:
            return None
        for entry in list(sys.path):
            spec = importlib.machinery.PathFinder.find_spec(name, [entry])
            if spec is not None and _is_alias(spec, alias):
                spec = _module_file(name, entry)
            if spec is not None:
                return spec
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)

    def invalidate_caches(self) -> None:
        pass


def _is_alias(spec, alias: str) -> bool:
    locations = spec.submodule_search_locations or ()
    return any(os.path.realpath(location) == alias for location in locations)


def _module_file(name: str, entry: str):
    """A module file `name` in the directory `entry`, where a package
    directory of that name hides it from the normal search."""
    for suffix in importlib.machinery.all_suffixes():
        path = os.path.join(entry or ".", name + suffix)
        if os.path.isfile(path):
            return importlib.util.spec_from_file_location(name, path)
    return None


_finder: Optional[StandInFinder] = None


def install() -> None:
    """Once per interpreter: the finder first on sys.meta_path."""
    global _finder
    if _finder is None:
        _finder = StandInFinder(alias_directories())
        sys.meta_path.insert(0, _finder)
