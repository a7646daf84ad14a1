"""`python -m modpy install-module`: modpy as a Debian-style Apache module,
so that `a2enmod pyshim` and `apache2ctl configtest` work as for any other.

It links mod_pyshim.so into Apache's modules directory and writes
mods-available/pyshim.load (the LoadModule and PythonHome lines, with
`# Conflicts:` naming the modules that embed Python too, which a2enmod
reads) and mods-available/pyshim.conf.

A link, not a copy: the shim and the cffi library beside it in the package
are one build (they share the C records of shim/modpy.h), so the module
Apache loads must be the package's own file.  A copy would go stale at the
next `pip install -U modpy`; the link follows it.  The shim resolves the
link to find the cffi library.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional, TextIO

from modpy.tools import moduleconfig
from modpy.tools.apacheconf import SHIM, module_config, modules_dir

NAME = "pyshim"                                  # a2enmod pyshim
RIVALS = {"python": "mod_python", "wsgi": "mod_wsgi"}   # mods-available names that embed Python too
DEFAULT_CONFDIR = "/etc/apache2"


def load_text(module: str) -> str:
    """mods-available/pyshim.load: a2enmod reads the `# Conflicts:` line
    (only in the comments before the first directive)."""
    return "\n".join([
        f"# Conflicts: {' '.join(RIVALS)}",
        "# modpy: mod_python handlers, filters and Python* directives "
        "(written by `python -m modpy install-module`).",
        *module_config(module),
        "",
    ])


def conf_text() -> str:
    """mods-available/pyshim.conf: server-wide settings, all commented out."""
    return "\n".join([
        "<IfModule pyshim_module>",
        "    # Server-wide modpy settings (see modpy's docs/directives.md).",
        "    # Import a module in every child as it starts:",
        "    #PythonImport mymodule main_interpreter",
        "    # Compile handler modules with -O:",
        "    #PythonOptimize On",
        "</IfModule>",
        "",
    ])


@dataclass
class Installed:
    module: str          # the link in Apache's modules directory
    load: str
    conf: str


def _write(path: str, text: str) -> None:
    tmp = path + ".modpy-new"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def _link(target: str, path: str) -> None:
    tmp = path + ".modpy-new"
    if os.path.lexists(tmp):
        os.remove(tmp)
    os.symlink(target, tmp)
    os.replace(tmp, path)


def install(modules: str, confdir: str) -> Installed:
    """Link the module and write the two files; raise ValueError for a
    layout that is not Debian's."""
    available = os.path.join(confdir, "mods-available")
    if not os.path.isdir(available):
        raise ValueError(f"no {available}: not a Debian-style Apache; add the lines "
                         "`python -m modpy module-config` prints to httpd.conf instead")
    if not os.path.isdir(modules):
        raise ValueError(f"no modules directory {modules}")
    done = Installed(os.path.join(modules, "mod_pyshim.so"),
                     os.path.join(available, f"{NAME}.load"), os.path.join(available, f"{NAME}.conf"))
    _link(SHIM, done.module)
    _write(done.load, load_text(done.module))
    _write(done.conf, conf_text())
    return done


def enabled_rivals(confdir: str) -> list[str]:
    enabled = os.path.join(confdir, "mods-enabled")
    return [name for name in RIVALS if os.path.exists(os.path.join(enabled, f"{name}.load"))]


def run(modules: Optional[str], confdir: Optional[str], user: Optional[str], group: Optional[str],
        out: TextIO, err: TextIO) -> int:
    """Install; 2 when the layout is not Debian's or we may not write it."""
    confdir = confdir or os.environ.get("APACHE_CONFDIR") or DEFAULT_CONFDIR
    try:
        done = install(modules or modules_dir(), confdir)
    except (ValueError, FileNotFoundError) as e:
        print(f"modpy install-module: {e}", file=err)
        return 2
    except PermissionError as e:
        print(f"modpy install-module: {e} (run it as root)", file=err)
        return 2
    print(f"linked {done.module} -> {SHIM}", file=out)
    print(f"wrote {done.load}\nwrote {done.conf}", file=out)
    for name in enabled_rivals(confdir):
        print(f"modpy install-module: {RIVALS[name]} is enabled and cannot run beside modpy: "
              f"a2dismod {name} first (a2enmod {NAME} refuses while it is)", file=err)
    print(f"next: a2enmod {NAME} && apache2ctl configtest && systemctl restart apache2", file=out)
    return moduleconfig.check_run_user(user, group, err, os.path.join(confdir, "envvars"))
