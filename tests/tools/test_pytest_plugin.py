"""What a modpy user's own test suite gets: the `modpy_server` fixture
(modpy's pytest plugin, found through its entry point), and
`mod_python.apache` importable outside Apache.  Run as a user would: pytest
on a project of theirs, in a subprocess."""
from __future__ import annotations

import os
import subprocess
import sys

HANDLER = '''
from mod_python import apache

def handler(req):
    if req.args == "missing":
        raise apache.SERVER_RETURN(apache.HTTP_NOT_FOUND)
    req.content_type = "text/plain"
    req.write("Hello " + req.uri)
    return apache.OK
'''

USER_TESTS = '''
import sys

from mod_python import apache


def test_the_handler_module_imports_outside_apache():
    sys.path.insert(0, "site")
    import hello
    assert apache.OK == 0 and apache.HTTP_NOT_FOUND == 404
    assert hello.apache is apache


def test_served_by_a_real_apache(modpy_server):
    server = modpy_server("site")
    response = server.get("/hello.py")
    assert (response.status, response.text) == (200, "Hello /hello.py")
    assert response.headers["Content-Type"] == "text/plain"
    assert server.get("/hello.py?missing").status == 404


def test_a_handler_module_alone_with_another_mpm(modpy_server):
    server = modpy_server("site/hello.py", mpm="prefork", processes=2)
    assert server.get("/any/where").text == "Hello /any/where"
'''


def test_a_users_suite_uses_the_fixture(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "hello.py").write_text(HANDLER)
    (tmp_path / "test_site.py").write_text(USER_TESTS)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "PYTHONPATH"))}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_site.py"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


def test_outside_apache_other_names_say_where_they_work(tmp_path):
    code = ("from mod_python import apache\n"
            "try:\n    apache.log_error('x')\nexcept AttributeError as e:\n    print(e)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                            timeout=60)
    assert "mod_python.apache.log_error works only inside Apache httpd" in result.stdout, result.stderr
