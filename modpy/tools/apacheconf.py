"""Complete httpd.conf files for a private Apache: one generator serves the
express server (`python -m modpy serve`), the tests and the benchmarks.

Pure except for looking up where things are installed; it never starts
Apache itself.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Optional

PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # modpy/
SHIM = os.path.join(PACKAGE_DIR, "mod_pyshim.so")
MPMS = ("event", "worker", "prefork")

# Loaded when present and not compiled in: enough for a typical site.
DEFAULT_MODULES = ("authn_core", "authz_core", "authz_host", "authz_user", "auth_basic",
                   "mime", "dir", "alias", "env", "setenvif", "headers")


def find_apache() -> str:
    """The httpd binary: Debian's apache2, or httpd elsewhere."""
    for name in ("apache2", "httpd"):
        path = shutil.which(name) or next(
            (p for p in (f"/usr/sbin/{name}", f"/usr/local/apache2/bin/{name}") if os.path.exists(p)), None)
        if path:
            return path
    raise FileNotFoundError("no Apache httpd found (Debian: apt-get install apache2)")


@lru_cache(maxsize=None)
def modules_dir() -> str:
    apxs = shutil.which("apxs") or shutil.which("apxs2")
    if apxs:
        out = subprocess.run([apxs, "-q", "LIBEXECDIR"], capture_output=True, text=True).stdout.strip()
        if out and os.path.isdir(out):
            return out
    for d in ("/usr/lib/apache2/modules", "/usr/lib64/httpd/modules", "/usr/local/apache2/modules"):
        if os.path.isdir(d):
            return d
    raise FileNotFoundError("cannot find Apache's modules directory")


@lru_cache(maxsize=None)
def compiled_in() -> frozenset:
    """Modules built into the httpd binary (`httpd -l`): never LoadModule'd."""
    out = subprocess.run([find_apache(), "-l"], capture_output=True, text=True).stdout
    return frozenset(line.strip()[4:-2] for line in out.splitlines() if line.strip().startswith("mod_"))


def load_module_line(name: str) -> Optional[str]:
    """`LoadModule name_module path` for an installed module, else None."""
    if name in compiled_in():
        return None
    path = os.path.join(modules_dir(), f"mod_{name}.so")
    return f"LoadModule {name}_module {path}" if os.path.exists(path) else None


def module_config(shim: str = SHIM, home: Optional[str] = sys.prefix) -> list[str]:
    """What an httpd.conf needs to load modpy and embed the python running
    this: PythonHome is its prefix (a virtualenv's own), which the shim
    reads before Python starts (None: the python modpy was built with)."""
    return [f"LoadModule pyshim_module {shim}", *([f"PythonHome {home}"] if home else [])]


@dataclass
class HttpdConf:
    """A self-contained server: everything it writes stays under `root`."""

    root: str
    port: int
    body: str = ""                          # the site's own directives
    mpm: str = "event"
    modules: tuple = DEFAULT_MODULES
    document_root: Optional[str] = None
    log_level: str = "info"
    listen: str = "127.0.0.1"
    extra_listen: list = field(default_factory=list)   # more "addr:port" to listen on
    load_modpy: bool = True                 # False: plain Apache, for side-by-side baselines
    python_home: Optional[str] = sys.prefix     # PythonHome; None: the build's python
    user: Optional[str] = None              # User and Group of the children (root only)
    group: Optional[str] = None

    def render(self) -> str:
        if self.mpm not in MPMS:
            raise ValueError(f"mpm must be one of {', '.join(MPMS)}, not {self.mpm!r}")
        docroot = self.document_root or os.path.join(self.root, "htdocs")
        loads = [load_module_line(f"mpm_{self.mpm}")]
        loads += [load_module_line(m) for m in self.modules]
        lines = [
            f'ServerRoot "{self.root}"',
            f'DefaultRuntimeDir "{self.root}"',
            f'PidFile "{self.root}/httpd.pid"',
            f'ErrorLog "{self.root}/error.log"',
            f"LogLevel {self.log_level}",
            f"Listen {self.listen}:{self.port}",
            *[f"Listen {addr}" for addr in self.extra_listen],
            f"ServerName {self.listen}:{self.port}",
            *[line for line in loads if line],
            *(module_config(home=self.python_home) if self.load_modpy else []),
            *([f"User {self.user}"] if self.user else []),
            *([f"Group {self.group}"] if self.group else []),
            "TypesConfig /etc/mime.types" if "mime" in self.modules and os.path.exists("/etc/mime.types") else "",
            'LogFormat "%h %l %u %t \\"%r\\" %>s %b" common',
            f'CustomLog "{self.root}/access.log" common',
            f'DocumentRoot "{docroot}"',
            f'<Directory "{docroot}">',
            "    Require all granted",
            "</Directory>",
            "",
            self.body,
            "",
        ]
        return "\n".join(lines)

    def write(self) -> str:
        """Write httpd.conf (and the document root) under root; its path."""
        os.makedirs(self.document_root or os.path.join(self.root, "htdocs"), exist_ok=True)
        path = os.path.join(self.root, "httpd.conf")
        with open(path, "w") as f:
            f.write(self.render())
        return path
