"""mod_python.version: the version of the mod_python API modpy provides,
and the facts of the Apache it was built against, under mod_python's
names (its build wrote them into this module: modpy's build does too,
into modpy/_buildinfo.py)."""
from modpy import __version__ as modpy_version
from modpy._buildinfo import APR_VERSION, HTTPD, HTTPD_VERSION, LIBEXECDIR, PYTHON, SYSCONFDIR

version = "3.5.0"                 # the mod_python release whose API modpy follows
PYTHON_BIN = PYTHON

__all__ = ["version", "modpy_version", "HTTPD", "HTTPD_VERSION", "APR_VERSION", "LIBEXECDIR",
           "SYSCONFDIR", "PYTHON_BIN"]
