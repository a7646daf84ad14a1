"""`python -m modpy module-config`: the lines a system httpd.conf needs to
load this build of modpy, and a warning for every file Apache's children
could not read once they run as a non-root `User`.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
from typing import Optional, TextIO

from modpy.tools import fileaccess
from modpy.tools.apacheconf import PACKAGE_DIR, SHIM, module_config
from modpy.tools.libpython import find as find_libpython

ENVVARS = "/etc/apache2/envvars"


def build_facts():
    """modpy/_buildinfo.py, which the build writes beside the shim; None
    before a build."""
    try:
        from modpy import _buildinfo
    except ImportError:
        return None
    return _buildinfo


def libpython() -> Optional[str]:
    """The shared libpython the shim loads, as the build recorded it."""
    facts = build_facts()
    return facts.LIBPYTHON if facts is not None else None


def own_libpython() -> Optional[str]:
    """This interpreter's shared libpython, if it has one."""
    found = find_libpython()
    return os.path.join(*found) if found else None


def header() -> list[str]:
    """What the lines below load, and a WARNING when this python cannot be
    the one embedded: the shim is linked against the build's libpython, so
    PythonHome may name any python of that libpython (any virtualenv of
    the same base), and no other."""
    version = ".".join(map(str, sys.version_info[:3]))
    built, own = libpython(), own_libpython()
    lines = [
        "# modpy: mod_python handlers, filters and Python* directives on the C shim mod_pyshim.so.",
        "# The module symbol is pyshim_module. Do not also load mod_python (python_module) or",
        "# mod_wsgi: they embed Python too, and modpy refuses to start beside them.",
    ]
    if built and own and os.path.realpath(built) == os.path.realpath(own):
        lines.append(f"# Embedded Python {version}: {os.path.abspath(sys.executable)} (PythonHome below; "
                     f"libpython {built}).")
    else:
        lines.append(f"# WARNING: {SHIM} is linked against {built or 'an unknown libpython'}, but "
                     f"{os.path.abspath(sys.executable)} uses {own or 'no shared libpython'}: run this "
                     "with a python of that libpython, or reinstall modpy with this one.")
    embedded = embedded_modpy()
    if embedded != PACKAGE_DIR:
        found = f"imports modpy from {embedded}" if embedded else "cannot import modpy"
        lines.append(f"# WARNING: inside Apache this python {found} (Apache ignores PYTHONPATH): "
                     f"install modpy into {sys.prefix} (pip install), or run this with the python "
                     "modpy is installed for.")
    return lines


def embedded_modpy() -> Optional[str]:
    """Where the python PythonHome names imports modpy from as Apache
    embeds it: no PYTHONPATH, no user site (python -I); None if it cannot."""
    program = os.path.join(sys.prefix, "bin", f"python{sys.version_info.major}.{sys.version_info.minor}")
    try:
        result = subprocess.run([program, "-I", "-c", "import modpy, os; print(os.path.dirname(modpy.__file__))"],
                                capture_output=True, text=True, timeout=60, cwd="/")
    except OSError:
        return None
    return os.path.realpath(result.stdout.strip()) if result.returncode == 0 else None


def envvars_setting(name: str, path: str = ENVVARS) -> Optional[str]:
    """A plain `export NAME=value` from Debian's envvars file, if any."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return None
    match = re.search(rf"^\s*(?:export\s+)?{name}=(['\"]?)([^'\"\s$]+)\1\s*$", text, re.M)
    return match.group(2) if match else None


def required_paths() -> list[str]:
    """What a child imports or loads from: the shim, the cffi library, the
    modpy and mod_python packages, the stdlib, site-packages and libpython."""
    facts = build_facts()
    paths = [SHIM, *([os.path.join(PACKAGE_DIR, facts.FFI_NAME)] if facts else []), PACKAGE_DIR,
             os.path.join(os.path.dirname(PACKAGE_DIR), "mod_python")]
    names = ("stdlib", "platstdlib", "purelib", "platlib")
    paths += [sysconfig.get_path(n) for n in names]
    lib = libpython()
    if lib:
        paths.append(os.path.realpath(lib))
    unique = []
    for p in paths:
        if p and os.path.exists(p) and os.path.realpath(p) not in unique:
            unique.append(os.path.realpath(p))
    return unique


def warn_unreadable(who: fileaccess.Identity, err: TextIO) -> int:
    """Print one WARNING line per path `who` cannot use, with the needed
    paths it blocks; return how many."""
    needed = required_paths()
    count = 0
    for problem in fileaccess.problems(needed, who):
        if count == 0:
            print(f"WARNING: Apache's children run as {who.name} and need to read modpy, "
                  "Python and libpython, but:", file=err)
        blocked = [p for p in needed if p != problem.path and p.startswith(problem.path.rstrip("/") + "/")]
        print(f"WARNING: {problem}" + (f"; needed below it: {', '.join(blocked)}" if blocked else ""),
              file=err)
        count += 1
    return count


def check_run_user(user: Optional[str], group: Optional[str], err: TextIO,
                   envvars: str = ENVVARS) -> int:
    """Warn about what the run user (from --user, else Debian's envvars)
    cannot read.  0 even with warnings: they are advice; 2 for an unknown
    user."""
    user = user or envvars_setting("APACHE_RUN_USER", envvars)
    group = group or (envvars_setting("APACHE_RUN_GROUP", envvars) if user else None)
    if not user:
        print("# No run user known (no --user, no APACHE_RUN_USER in " + envvars + "): "
              "readability not checked.", file=err)
        return 0
    try:
        who = fileaccess.Identity.of(user, group)
    except ValueError as e:
        print(f"modpy: {e}", file=err)
        return 2
    if warn_unreadable(who, err):
        print("WARNING: fix the modes above (chmod o+rx on directories, o+r on files), or install "
              "modpy and its virtualenv somewhere the run user can read.", file=err)
    return 0


def run(user: Optional[str], group: Optional[str], out: TextIO, err: TextIO) -> int:
    """Print the config, then check readability for the run user."""
    print("\n".join(header() + module_config()), file=out)
    return check_run_user(user, group, err)
