"""Two real CGI applications, installed unchanged, for the tests and the
bench: Mercurial's hgweb.cgi (Debian's `mercurial` package: the example
script it ships, with its one configuration line set) and Trac's trac.cgi
(Trac 1.6 from PyPI in .venv/cgi-apps, the script its own `trac-admin
deploy` writes).  Under mod_cgid both run on the system's python3, as a
site would run them; under modpy the same files run in-process.

`make_site(root)` lays out a site under `root` (scripts, repository, Trac
environment); `config(site, emulated)` is the Apache configuration that
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
APPS = os.path.join(sys.prefix, "cgi-apps")             # ./dev setup installs Trac there
PYTHON = "/usr/bin/python3"
COMMIT_DATE = "1700000000 0"                            # commits with a fixed date: stable pages

CONFIG = """
Alias /cgi "{site}/cgi"
<Directory "{site}/cgi">
    Require all granted
    SetEnv PYTHONPATH "{apps}"
    %s
</Directory>
"""
CGID = CONFIG % "Options +ExecCGI\n    SetHandler cgi-script" + """
LoadModule cgid_module /usr/lib/apache2/modules/mod_cgid.so
ScriptSock "{root}/cgid.sock"
"""
EMULATED = CONFIG % ("SetHandler mod_python\n    PythonHandler mod_python.cgihandler\n"
                     "    PythonPath \"sys.path + ['{apps}', '%s']\"" % MERCURIAL_SITE)


def config(site: str, emulated: bool) -> str:
    return (EMULATED if emulated else CGID).replace("{site}", site).replace("{apps}", APPS)


def hg(*args: str, cwd: str = None) -> str:
    """The real Mercurial client, with no user configuration."""
    env = {"PATH": "/usr/bin:/bin", "HGRCPATH": "", "HGUSER": "tester", "HGPLAIN": "1", "LANG": "C.UTF-8"}
    return subprocess.run(["hg", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True,
                          timeout=120).stdout


def trac_admin(*args: str) -> str:
    return subprocess.run([PYTHON, os.path.join(APPS, "bin", "trac-admin"), *args],
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": APPS, "LANG": "C.UTF-8"},
                          check=True, capture_output=True, text=True, timeout=120).stdout


def make_template(root: str) -> None:
    """What make_site copies: built once, since trac-admin takes a while."""
    cgi, repo, trac = (os.path.join(root, d) for d in ("cgi", "repo", "trac"))
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


def make_site(template: str, site: str) -> str:
    """The template copied to `site` (the same path for each server, so
    pages that show paths agree), with its two scripts."""
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
    for folder, dirs, files in os.walk(site):   # Apache's children write the repository and db
        for name in dirs + files:
            path = os.path.join(folder, name)
            os.chmod(path, os.stat(path).st_mode | (0o777 if name in dirs else 0o666))
    os.chmod(site, 0o777)
    return site


def _script(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o755)


# Values that differ from run to run by nature: Trac's random form tokens
# and session ids, times, hgweb's ETag (the repository's mtimes).
VOLATILE = [
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
