"""`mod_python.apache` where no Apache runs: a test run or a script that
imports a handler module.  It has what a handler module uses at import time
and in its return values: the constants (OK, DECLINED, HTTP_*, APLOG_* ...),
SERVER_RETURN, parse_qs and parse_qsl; anything else says that it works
only inside Apache.  Inside Apache, `mod_python.apache` is
modpy.library.apache, of which this is a subset with the same objects.
"""
from __future__ import annotations

import urllib.parse

from modpy.constants import *  # noqa: F401,F403  (OK, DECLINED, HTTP_*, APLOG_* ...)
from modpy.core.errors import SERVER_RETURN  # noqa: F401

parse_qs = urllib.parse.parse_qs
parse_qsl = urllib.parse.parse_qsl


def __getattr__(name: str):
    raise AttributeError(f"mod_python.apache.{name} works only inside Apache httpd; outside it "
                         "(a test importing a handler module) mod_python.apache has the constants, "
                         "SERVER_RETURN, parse_qs and parse_qsl")
