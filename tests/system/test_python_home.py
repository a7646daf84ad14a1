"""Which python Apache embeds (`PythonHome`, read by the shim before Python
starts), and the modules that must not share an Apache with modpy: each
mistake is one clear line from `apache2 -t`, never a crash."""
from __future__ import annotations

import os
import subprocess
import sys
import sysconfig

import pytest

from tests.apache import REPO

PROBE = """
import json, sys
def handler(req):
    req.content_type = "application/json"
    req.write(json.dumps({"prefix": sys.prefix, "executable": sys.executable}))
    return 0
"""
BODY = """
<Directory "{htdocs}">
    SetHandler mod_python
    PythonHandler probe
</Directory>
"""
VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"


@pytest.fixture
def other_venv(tmp_path) -> str:
    """A second virtualenv of the same python, without pip: modpy reaches
    it through a .pth naming this checkout and the test venv's packages."""
    venv = tmp_path / "other-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = venv / "lib" / f"python{VERSION}" / "site-packages"
    (site / "modpy-checkout.pth").write_text(f"{REPO}\n{sysconfig.get_path('purelib')}\n")
    return str(venv)


def test_python_home_chooses_the_embedded_python(apache_factory, other_venv):
    server = apache_factory(BODY, python_home=other_venv)
    server.write("probe.py", PROBE)
    info = server.start().get("/").json()
    assert info["prefix"] == other_venv
    assert info["executable"] == os.path.join(other_venv, "bin", f"python{VERSION}")


def test_without_python_home_the_build_python_runs(apache_factory):
    from modpy import _buildinfo
    server = apache_factory(BODY, python_home=None)
    server.write("probe.py", PROBE)
    info = server.start().get("/").json()
    assert info["executable"] == _buildinfo.PYTHON
    assert "PythonHome" not in open(server.conf_path).read()


@pytest.mark.parametrize("home, message", [
    ("/no/such/prefix", f"PythonHome /no/such/prefix: no /no/such/prefix/bin/python{VERSION} "
                        f"(modpy was built for Python {VERSION})"),
    ("relative/venv", "PythonHome relative/venv: an absolute path, please"),
])
def test_a_bad_python_home_is_one_clear_error(apache_factory, home, message):
    server = apache_factory("", python_home=home)
    result = server.configtest()
    assert result.returncode != 0
    assert message in result.stderr
    assert "Fatal Python error" not in result.stderr


def test_python_home_twice_is_refused(apache_factory):
    server = apache_factory("PythonHome /usr\n")
    result = server.configtest()
    assert result.returncode != 0
    assert f"PythonHome given twice (first {sys.prefix})" in result.stderr


def test_python_home_after_python_started_is_refused(apache_factory, tmp_path):
    """PythonDirectives needs Python as Apache reads it, so a PythonHome
    after it comes too late."""
    (tmp_path / "mydirs.py").write_text("from modpy.userdirectives import Directive\n"
                                      "DIRECTIVES = [Directive('MyHomeTest')]\n")
    server = apache_factory(f"PythonDirectives mydirs {tmp_path}\nPythonHome /usr\n", python_home=None)
    result = server.configtest()
    assert result.returncode != 0
    assert "PythonHome must come before PythonDirectives" in result.stderr


@pytest.mark.parametrize("module, name, before", [
    ("python_module", "mod_python", True), ("python_module", "mod_python", False),
    ("wsgi_module", "mod_wsgi", False),
])
def test_a_module_that_embeds_python_too_is_refused(apache_factory, module, name, before):
    """Loaded beside modpy, mod_python or mod_wsgi made the start die with
    "Fatal Python error: PyEval_SaveThread"; now the config is refused,
    before any Python starts, whichever LoadModule comes first."""
    load = f"LoadModule {module} /usr/lib/apache2/modules/mod_{name[4:]}.so"
    server = apache_factory(load + "\n")
    if before:
        text = open(server.conf_path).read().replace(load + "\n", "")
        text = text.replace("LoadModule pyshim_module", load + "\nLoadModule pyshim_module")
        with open(server.conf_path, "w") as f:
            f.write(text)
    result = server.configtest()
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if "modpy:" in line]
    assert len(errors) == 1 and f"{name} ({module}" in errors[0] and "is loaded too" in errors[0], \
        result.stderr
    assert "Fatal Python error" not in result.stderr


def test_a_changed_python_home_waits_for_a_full_start(apache_factory, other_venv):
    """Python cannot start twice in one process: a restart that names
    another PythonHome keeps the running one, and says so."""
    server = apache_factory(BODY)
    server.write("probe.py", PROBE)
    server.start()
    server.conf.python_home = other_venv
    server.conf.write()
    server.graceful()
    assert server.get("/").json()["prefix"] == sys.prefix
    assert f"PythonHome asks for {other_venv}/bin/python{VERSION}, but this Apache runs" in server.error_log()
