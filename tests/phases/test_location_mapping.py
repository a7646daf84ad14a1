"""A <Location> whose content handler is Python maps to no file, as under
mod_python 3.5: the handler sees req.filename None, and Apache does not walk
the file system for it.  Run side by side with Debian's mod_python."""
import os
import shutil
import subprocess
import time

import pytest

MOD_PYTHON = "/usr/lib/apache2/modules/mod_python.so"

HANDLER = """
    from mod_python import apache

    def handler(req):
        req.content_type = "text/plain"
        req.write(repr((req.filename, req.path_info, req.uri)))
        return apache.OK
"""

SITE = """
    PythonPath "sys.path + ['{htdocs}/lib']"
    <Location "/loc">
        SetHandler mod_python
        PythonHandler where
    </Location>
    <Directory "{htdocs}/dir">
        SetHandler mod_python
        PythonHandler where
    </Directory>
"""


def _serve(apache_factory, modpy: bool):
    body = SITE if modpy else f"LoadModule python_module {MOD_PYTHON}\n" + SITE
    server = apache_factory(body, load_modpy=modpy)
    server.write("lib/where.py", HANDLER)
    server.write("dir/file", "x")
    server.write("loc/real.txt", "x")
    server.start()
    return server


@pytest.mark.parametrize("path", ["/loc", "/loc/a/b?x=1", "/loc/real.txt", "/dir/file/extra"])
def test_what_a_handler_sees_matches_mod_python(apache_factory, path):
    answers = []
    for modpy in (True, False):
        server = _serve(apache_factory, modpy)
        r = server.get(path)
        answers.append((r.status_code, r.text.replace(server.htdocs, "HTDOCS")))
    assert answers[0] == answers[1]
    if path.startswith("/loc"):
        assert answers[0][1].startswith("(None, None, ")


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def test_a_location_handler_costs_no_file_system_walk(apache_factory):
    """strace of the one child: a request to the <Location> handler makes
    no stat and opens no .htaccess, where the <Directory> one walks."""
    server = apache_factory(SITE + """
        <Directory "{htdocs}">
            AllowOverride All
        </Directory>
        StartServers 1
        MinSpareServers 1
        MaxSpareServers 1
        MaxRequestWorkers 1
    """, mpm="prefork")
    server.write("lib/where.py", HANDLER)
    server.write("dir/file", "x")
    server.start()
    assert server.get("/loc/warm").status_code == server.get("/dir/file").status_code == 200
    location, directory = (_file_calls(server, path) for path in ("/loc/a", "/dir/file/x"))
    assert ".htaccess" in directory and "/dir/file" in directory      # the walk, traced
    assert ".htaccess" not in location and server.htdocs not in location, location


def _file_calls(server, path: str) -> str:
    """The file-system calls of the server's one child while it serves `path`."""
    assert shutil.which("strace"), "strace is installed by ./dev setup"
    child = next(int(p) for p in os.listdir("/proc") if p.isdigit() and _parent(int(p)) == server.proc.pid)
    out = os.path.join(server.root, "strace.out")
    tracer = subprocess.Popen(["strace", "-f", "-e", "trace=%file", "-o", out, "-p", str(child)])
    time.sleep(1.0)                       # attached
    assert server.get(path).status_code == 200
    time.sleep(0.3)
    tracer.terminate()
    tracer.wait(timeout=10)
    with open(out) as f:
        return f.read()
