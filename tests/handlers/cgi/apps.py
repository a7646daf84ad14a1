"""Three real CGI applications, installed unchanged, for the tests and the
bench: Mercurial's hgweb.cgi (Debian's `mercurial` package: the example
script it ships, with its one configuration line set), Trac's trac.cgi
(Trac 1.6 from PyPI in .venv/cgi-apps, the script its own `trac-admin
deploy` writes) and Roundup's roundup.cgi (Roundup from PyPI in
.venv/cgi-apps, the script as its package ships it, a classic tracker made
by `roundup-admin install` and `initialise`, found through the
TRACKER_HOMES variable the script documents).  Under mod_cgid they run on
the system's python3, as a site would run them; under modpy the same files
run in-process.

`make_template(root)` builds what every site copies (repository, Trac
environment, Roundup tracker); `make_site(template, site, port)` lays out
a site from it; `config(site, emulated)` is the Apache configuration that
serves it at /cgi/ under either.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

HGWEB_EXAMPLE = "/usr/share/doc/mercurial-common/examples/hgweb.cgi"
MERCURIAL_SITE = "/usr/lib/python3/dist-packages"       # where Debian installs it
APPS = os.path.join(sys.prefix, "cgi-apps")             # ./dev setup installs Trac and Roundup there
ROUNDUP_CGI = os.path.join(APPS, "share", "roundup", "cgi-bin", "roundup.cgi")
ROUNDUP_ADMIN = ("admin", "sekrit")                     # the tracker's admin, made by `initialise`
ROUNDUP_WEB = "http://127.0.0.1:{port}/cgi/roundup.cgi/demo/"
# What an admin sets at `roundup-admin install`: the web address (the
# site's port goes in by make_site); mail to a file, never to a server; no
# compression by Roundup itself, as its config.ini allows ("Disable it if
# your upstream server does compression"): it reads request headers that
# 2.6.0's own roundup.cgi does not give it, and fails every page, under
# mod_cgid as under modpy.
ROUNDUP_SETTINGS = ("tracker_web=" + ROUNDUP_WEB.format(port=0), "mail_domain=localhost",
                    "mail_debug=mail.log", "web_dynamic_compression=no")
PYTHON = "/usr/bin/python3"
COMMIT_DATE = "1700000000 0"                            # commits with a fixed date: stable pages

CONFIG = """
Alias /cgi "{site}/cgi"
<Directory "{site}/cgi">
    Require all granted
    SetEnv PYTHONPATH "{apps}"
    SetEnv TRACKER_HOMES "demo={site}/roundup"
    %s
</Directory>
"""
CGID = CONFIG % "Options +ExecCGI\n    SetHandler cgi-script" + """
LoadModule cgid_module /usr/lib/apache2/modules/mod_cgid.so
ScriptSock "{root}/cgid.sock"
"""
EMULATED = CONFIG % ("SetHandler mod_python\n    PythonHandler mod_python.cgihandler\n"
                     "    PythonPath \"sys.path + ['{apps}', '%s']\"" % MERCURIAL_SITE)

# Trac through its own WSGI entry point (the trac.wsgi that `trac-admin
# deploy` writes beside trac.cgi) under modpy's WSGI handler, at trac.cgi's
# address: the application unchanged, its environment kept across requests
TRAC_WSGI = """
<Location "/cgi/trac.cgi">
    SetHandler mod_python
    PythonHandler mod_python.wsgi
    PythonPath "sys.path + ['{apps}']"
    PythonOption mod_python.wsgi.application {site}/deploy/cgi-bin/trac.wsgi::application
</Location>
"""


def config(site: str, emulated: bool) -> str:
    return (EMULATED if emulated else CGID).replace("{site}", site).replace("{apps}", APPS)


def trac_wsgi_config(site: str) -> str:
    """config(site, True) with trac.cgi's address served by trac.wsgi."""
    return config(site, True) + TRAC_WSGI.replace("{site}", site).replace("{apps}", APPS)


def hg(*args: str, cwd: str = None) -> str:
    """The real Mercurial client, with no user configuration."""
    env = {"PATH": "/usr/bin:/bin", "HGRCPATH": "", "HGUSER": "tester", "HGPLAIN": "1", "LANG": "C.UTF-8"}
    return subprocess.run(["hg", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True,
                          timeout=120).stdout


def admin_tool(tool: str, *args: str) -> str:
    """One of the applications' own admin commands, on the system's python3."""
    return subprocess.run([PYTHON, os.path.join(APPS, "bin", tool), *args],
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": APPS, "LANG": "C.UTF-8"},
                          check=True, capture_output=True, text=True, timeout=120).stdout


def trac_admin(*args: str) -> str:
    return admin_tool("trac-admin", *args)


def roundup_admin(tracker: str, *args: str) -> str:
    return admin_tool("roundup-admin", "-i", tracker, *args)


def make_template(root: str) -> None:
    """What make_site copies: built once, since trac-admin takes a while."""
    cgi, repo, trac, roundup = (os.path.join(root, d) for d in ("cgi", "repo", "trac", "roundup"))
    os.makedirs(cgi)
    hg("init", repo)
    with open(os.path.join(repo, "a.txt"), "w") as f:
        f.write("hello\n")
    hg("commit", "-A", "-d", COMMIT_DATE, "-m", "first", cwd=repo)
    with open(os.path.join(repo, ".hg", "hgrc"), "w") as f:
        f.write("[web]\nallow_push = *\npush_ssl = false\n")
    trac_admin(trac, "initenv", "Test Project", "sqlite:db/trac.db")
    trac_admin(trac, "permission", "add", "anonymous", "TICKET_CREATE", "TICKET_APPEND", "WIKI_CREATE",
               "WIKI_MODIFY")
    roundup_admin(roundup, "install", "classic", "sqlite", ",".join(ROUNDUP_SETTINGS))
    roundup_admin(roundup, "initialise", ROUNDUP_ADMIN[1])


def make_site(template: str, site: str, port: int) -> str:
    """The template copied to `site` (the same path for each server, so
    pages that show paths agree), with its three scripts, and the Roundup
    tracker's web address on `port`."""
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(template, site, symlinks=True)
    cgi = os.path.join(site, "cgi")
    with open(HGWEB_EXAMPLE) as f:
        script = f.read()
    script, n = re.subn(r'^config = b".*"$', f'config = b"{site}/repo"', script, flags=re.M)
    assert n == 1, "the example hgweb.cgi has no config line"
    _script(os.path.join(cgi, "hgweb.cgi"), script)
    deploy = os.path.join(site, "deploy")
    trac_admin(os.path.join(site, "trac"), "deploy", deploy)
    with open(os.path.join(deploy, "cgi-bin", "trac.cgi")) as f:
        _script(os.path.join(cgi, "trac.cgi"), f.read())
    with open(ROUNDUP_CGI) as f:    # "If your Python isn't installed as "python" [...] fix the first line"
        _script(os.path.join(cgi, "roundup.cgi"), f"#!{PYTHON}\n" + f.read().split("\n", 1)[1])
    _set_line(os.path.join(site, "roundup", "config.ini"), "web = " + ROUNDUP_WEB.format(port=port))
    for folder, dirs, files in os.walk(site):   # Apache's children write the repository and db
        for name in dirs + files:
            path = os.path.join(folder, name)
            os.chmod(path, os.stat(path).st_mode | (0o777 if name in dirs else 0o666))
    os.chmod(site, 0o777)
    return site


def _set_line(path: str, line: str) -> None:
    """Sets the option that `line` sets, as an admin edits a config file."""
    with open(path) as f:
        text = f.read()
    option = line.split("=")[0].strip()
    text, n = re.subn(rf"^{re.escape(option)} = .*$", line, text, count=1, flags=re.M)
    assert n == 1, f"{path} has no {option} line"
    with open(path, "w") as f:
        f.write(text)


def _script(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o755)


# Values that differ from run to run by nature: Trac's random form tokens
# and session ids, times, hgweb's ETag (the repository's mtimes); Roundup's
# random script nonces, @csrf tokens and registration stamps, and its static
# files' ETag (inode-size-mtime: each server has its own copy of the site).
VOLATILE = [
    (re.compile(rb'nonce="[A-Z2-7]{64}"'), b'nonce="<nonce>"'),
    (re.compile(rb'value="[\w-]{54}"'), b'value="<csrf>"'),
    (re.compile(rb'name="opaqueregister" value="[^"]*"'), b'name="opaqueregister" value="<stamp>"'),
    (re.compile(rb'"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"'), b'"<etag>"'),
    (re.compile(rb"\b[0-9a-f]{24}\b"), b"<token>"),
    (re.compile(rb"expires=[^;]*;"), b"expires=<date>;"),
    (re.compile(rb'W/"\d+"'), b'W/"<etag>"'),
    (re.compile(rb"\d{4}-\d\d-\d\dT\d\d(:|%3A)\d\d(:|%3A)\d\d(Z|[+-]\d\d(:|%3A)?\d\d)"), b"<iso-time>"),
    (re.compile(rb"[A-Z][a-z]{2} \d{1,2}, \d{4},? \d{1,2}:\d\d(:\d\d)?\s?[AP]M"), b"<time>"),
    (re.compile(rb"\d+ (second|minute|hour)s?"), b"<age>"),
    (re.compile(rb"[A-Z][a-z]{2} \d{1,2}, \d{4}"), b"<day>"),
    (re.compile(rb"\d\d/\d\d/\d\d(\d\d)?"), b"<day>"),
    (re.compile(rb"\b\d\d?:\d\d(:\d\d)?\b"), b"<clock>"),
    (re.compile(rb"\b\d{16}\b"), b"<usec>"),                 # Trac's change times, in microseconds
]


def normalise(data: bytes) -> bytes:
    for pattern, replacement in VOLATILE:
        data = pattern.sub(replacement, data)
    return data
