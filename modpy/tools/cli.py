"""`python -m modpy COMMAND`: the user-facing entry points.

    module-config   the LoadModule and PythonHome lines (and advice) for a system httpd.conf
    install-module  the same as Debian's mods-available/pyshim.load and .conf, for a2enmod
    serve TARGET    a private Apache in the foreground serving a handler,
                    a config snippet or a directory (like mod_wsgi-express)
"""
from __future__ import annotations

import argparse
import sys
from typing import Optional

from modpy.tools.apacheconf import MPMS


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m modpy", description="mod_python rebuilt for today.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    mc = sub.add_parser("module-config", help="print what a system httpd.conf needs to load modpy",
                        description="Print the LoadModule line for this build of modpy, and warn on "
                        "stderr about every file Apache's children (running as --user, else "
                        "APACHE_RUN_USER from /etc/apache2/envvars) could not read.")
    mc.add_argument("--user", help="the User Apache's children run as (default: APACHE_RUN_USER)")
    mc.add_argument("--group", help="their Group (default: APACHE_RUN_GROUP, else the user's group)")

    im = sub.add_parser("install-module", help="install modpy as Debian's a2enmod expects it (pyshim)",
                        description="Link mod_pyshim.so into Apache's modules directory and write "
                        "mods-available/pyshim.load (LoadModule, PythonHome, '# Conflicts: python "
                        "wsgi') and pyshim.conf; then `a2enmod pyshim`.")
    im.add_argument("--modules-dir", help="Apache's modules directory (default: apxs -q LIBEXECDIR)")
    im.add_argument("--apache-dir", help="Apache's config directory (default: $APACHE_CONFDIR, else /etc/apache2)")
    im.add_argument("--user", help="the User Apache's children run as, for the readability check "
                    "(default: APACHE_RUN_USER from that directory's envvars)")
    im.add_argument("--group", help="their Group")

    sv = sub.add_parser("serve", help="run a private Apache in the foreground serving TARGET",
                        description="Serve TARGET with a generated httpd.conf: a handler module (.py, "
                        "served at /), a config snippet (.conf, included; ${MODPY_SITE} is its "
                        "directory) or a directory (its site.conf if there is one, else each "
                        "NAME.py in it is a handler at /NAME.py and other files are static).")
    sv.add_argument("target", metavar="TARGET")
    sv.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000; 0: any free port)")
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sv.add_argument("--mpm", choices=MPMS, default="event", help="Apache MPM (default event)")
    sv.add_argument("--log-level", default="info", help="Apache LogLevel (default info)")
    sv.add_argument("--debug", action="store_true",
                    help="one process (apache2 -X) with PythonEnablePdb On: breakpoint() and "
                    "pdb stop in this terminal")
    sv.add_argument("--post-mortem", action="store_true",
                    help="one process; a handler that raises opens pdb on its traceback here")
    sv.add_argument("--processes", type=int, help="child processes (default 1; prefork: 5)")
    sv.add_argument("--threads", type=int, help="threads per process (default 5; not with prefork)")
    sv.add_argument("--user", help="the user the children run as (default: nobody as root, else you)")
    sv.add_argument("--group", help="their group (default: the user's)")
    sv.add_argument("--access-log", action="store_true", help="copy the access log to stdout")
    sv.add_argument("--https-port", type=int,
                    help="also serve HTTPS on this port, with a self-signed certificate made for --host")
    sv.add_argument("--reload-on-changes", action="store_true",
                    help="graceful restart when a .py, .conf, .psp or .htaccess file under the site changes")
    sv.add_argument("--setup-only", metavar="DIR",
                    help="write the server's config and an apachectl script (start, stop, restart, "
                    "graceful, configtest) to DIR, and start nothing")
    return p


def main(argv: Optional[list] = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "module-config":
        from modpy.tools import moduleconfig
        return moduleconfig.run(args.user, args.group, sys.stdout, sys.stderr)
    if args.command == "install-module":
        from modpy.tools import installmodule
        return installmodule.run(args.modules_dir, args.apache_dir, args.user, args.group,
                                 sys.stdout, sys.stderr)
    from modpy.tools import serve as express
    return express.serve(args)
