"""The directory a `python -m modpy serve` Apache runs from: its httpd.conf,
the self-signed certificate for --https-port, the front page, and with
--setup-only an apachectl-style script.  The config lines are pure
functions; `prepare` writes them.
"""
from __future__ import annotations

import grp
import ipaddress
import os
import pwd
import shlex
import subprocess
from dataclasses import dataclass
from typing import Optional

from modpy.tools import fileaccess, moduleconfig
from modpy.tools.apacheconf import DEFAULT_MODULES, HttpdConf, find_apache
from modpy.tools.sites import Site, front_page

FRONT_URL = "/.modpy-serve/"
FALLBACK_USER = "nobody"
APACHECTL_ACTIONS = ("start", "stop", "restart", "graceful", "graceful-stop")
PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


def children_identity(user: Optional[str], group: Optional[str], needed: list) -> tuple:
    """(User, Group, why) for the children.  Named, Apache does not guess
    (without a User line it logs an alert per child).  As given; else, as
    root, `nobody` when nobody can read what the children need, the site
    included; else, as another user, that user (Apache cannot switch).
    (None, None, why) keeps today's root children, saying why."""
    if user is None and os.geteuid() != 0:
        user = pwd.getpwuid(os.geteuid()).pw_name
    if user is not None:
        who = fileaccess.Identity.of(user, group)
        return who.name, group or grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name, None
    nobody = fileaccess.Identity.of(FALLBACK_USER)
    blocked = next(iter(fileaccess.problems(needed, nobody)), None)
    if blocked is None:
        return nobody.name, grp.getgrgid(pwd.getpwnam(FALLBACK_USER).pw_gid).gr_name, None
    return None, None, (f"children run as root: {FALLBACK_USER} cannot read what they need "
                        f"({blocked}); --user NAME names who they run as")


def worker_counts(mpm: str, processes: Optional[int], threads: Optional[int]) -> tuple[int, int]:
    """(processes, threads each): mod_wsgi-express's 1 x 5 for the threaded
    MPMs, 5 single-threaded processes for prefork."""
    for name, value in (("--processes", processes), ("--threads", threads)):
        if value is not None and value < 1:
            raise ValueError(f"{name} must be at least 1")
    if mpm == "prefork":
        if threads not in (None, 1):
            raise ValueError("--threads needs a threaded MPM (--mpm event or worker)")
        return processes or 5, 1
    return processes or 1, threads or 5


def mpm_lines(mpm: str, processes: int, threads: int) -> list[str]:
    """Exactly `processes` children of `threads` threads, started at once.
    One spare is the minimum: with every worker required spare, Apache's
    once-a-second check logs an error ("within MinSpareThreads of
    MaxRequestWorkers", "reached MaxRequestWorkers") whenever it finds one
    request in progress, since it may not start another child."""
    if mpm == "prefork":
        return [f"StartServers {processes}", f"ServerLimit {processes}", "MinSpareServers 1",
                f"MaxSpareServers {processes}", f"MaxRequestWorkers {processes}"]
    total = processes * threads
    return [f"StartServers {processes}", f"ServerLimit {processes}", f"ThreadLimit {threads}",
            f"ThreadsPerChild {threads}", "MinSpareThreads 1", f"MaxSpareThreads {total}",
            f"MaxRequestWorkers {total}"]


def https_lines(host: str, port: int, cert: str, key: str, root: str) -> list[str]:
    """A TLS virtual host on `port`; it inherits the whole site."""
    return [f"Listen {host}:{port} https", f'SSLSessionCache "shmcb:{root}/ssl_scache(512000)"',
            f"<VirtualHost {host}:{port}>", f"    ServerName {host}:{port}", "    SSLEngine on",
            f'    SSLCertificateFile "{cert}"', f'    SSLCertificateKeyFile "{key}"', "</VirtualHost>"]


def front_lines(directory: str) -> list[str]:
    """`/` falls back to the front page when the document root has no index."""
    return [f'Alias {FRONT_URL} "{directory}/"', f'<Directory "{directory}">', "    Require all granted",
            "</Directory>", f"DirectoryIndex index.html index.htm {FRONT_URL}index.html"]


def make_certificate(directory: str, host: str) -> tuple[str, str]:
    """A self-signed certificate for `host` (openssl), good for 30 days."""
    cert, key = os.path.join(directory, "server.crt"), os.path.join(directory, "server.key")
    name = f"IP:{host}" if _is_ip(host) else f"DNS:{host}"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                    "-subj", f"/CN={host}", "-addext", f"subjectAltName={name}",
                    "-addext", "basicConstraints=critical,CA:FALSE", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    os.chmod(key, 0o600)                # read by Apache's parent, as root
    return cert, key


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def apachectl_script(conf: str) -> str:
    """A script that starts, stops and restarts the server of `conf`."""
    httpd = shlex.quote(find_apache())
    actions = "|".join(APACHECTL_ACTIONS)
    return "\n".join([
        "#!/bin/sh",
        "# Written by `python -m modpy serve --setup-only`: runs the Apache configured here.",
        f"# usage: $0 {actions}|configtest",
        f"conf={shlex.quote(conf)}",
        'case "$1" in',
        f'    {actions}) exec env -i PATH={PATH} LANG=C.UTF-8 {httpd} -f "$conf" -k "$1" ;;',
        f'    configtest) exec env -i PATH={PATH} LANG=C.UTF-8 {httpd} -f "$conf" -t ;;',
        f'    *) echo "usage: $0 {actions}|configtest" >&2; exit 2 ;;',
        "esac",
        "",
    ])


@dataclass
class Prepared:
    """A server directory, written."""

    conf: str                     # httpd.conf
    port: int
    urls: list                    # http:// (and https://) base URLs
    user: Optional[str]           # None: root, for `why`
    group: Optional[str]
    why: Optional[str]
    processes: int
    threads: int


def prepare(args, site: Site, target: str, root: str, port: int, body_lines: list) -> Prepared:
    """Write httpd.conf (with its certificate and front page) under root;
    ValueError for options that cannot work together or an unknown user."""
    processes, threads = worker_counts(args.mpm, args.processes, args.threads)
    needed = moduleconfig.required_paths() + [site.directory, root]
    os.chmod(root, 0o755)               # the children (User) read the front page from here
    user, group, why = children_identity(args.user, args.group, needed)
    front = os.path.join(root, "front")
    os.makedirs(front, exist_ok=True)
    with open(os.path.join(front, "index.html"), "w") as f:
        f.write(front_page(target, site))
    lines = [site.body, *body_lines, *mpm_lines(args.mpm, processes, threads),
             *(front_lines(front) if site.front_page else [])]
    urls = [f"http://{args.host}:{port}/"]
    modules = DEFAULT_MODULES
    if args.https_port is not None:
        cert, key = make_certificate(root, args.host)
        lines += https_lines(args.host, args.https_port, cert, key, root)
        urls.append(f"https://{args.host}:{args.https_port}/")
        modules = (*modules, "socache_shmcb", "ssl")
    conf = HttpdConf(root=root, port=port, body="\n".join(lines), mpm=args.mpm, listen=args.host,
                     document_root=site.document_root, log_level=args.log_level, modules=modules,
                     user=user, group=group)
    return Prepared(conf.write(), port, urls, user, group, why, processes, threads)
