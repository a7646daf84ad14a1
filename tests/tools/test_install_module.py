"""`python -m modpy install-module`, run as an admin would, against a copy of
this machine's Debian Apache layout (never /etc/apache2 itself): then
`a2enmod pyshim` honours its `# Conflicts:` line and `apache2ctl configtest`
loads modpy, Python and all."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

import pytest

from modpy.tools import installmodule
from modpy.tools.apacheconf import SHIM
from tests.apache import REPO

SYSTEM_CONFDIR = "/etc/apache2"


@dataclass
class Layout:
    confdir: str
    modules: str
    env: dict

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(args, env=self.env, capture_output=True, text=True, timeout=120)

    def install(self, *extra: str) -> subprocess.CompletedProcess:
        return self.run(sys.executable, "-m", "modpy", "install-module", "--modules-dir", self.modules,
                        "--apache-dir", self.confdir, *extra)

    def enabled(self, name: str) -> bool:
        return os.path.lexists(os.path.join(self.confdir, "mods-enabled", name))


@pytest.fixture
def layout(tmp_path) -> Layout:
    """A copy of /etc/apache2; a2enmod's state directory and the modules
    directory are temp directories too (a2enmod reads APACHE_CONFDIR and
    APACHE_STATE_DIRECTORY, apache2ctl APACHE_CONFDIR)."""
    confdir, modules, state = tmp_path / "apache2", tmp_path / "modules", tmp_path / "state"
    shutil.copytree(SYSTEM_CONFDIR, confdir, symlinks=True)
    modules.mkdir()
    state.mkdir()
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C", "PYTHONPATH": REPO,
           "APACHE_CONFDIR": str(confdir), "APACHE_STATE_DIRECTORY": str(state)}
    return Layout(str(confdir), str(modules), env)


def test_the_files_a2enmod_reads():
    load = installmodule.load_text("/mods/mod_pyshim.so").splitlines()
    assert load[0] == "# Conflicts: python wsgi"
    assert "LoadModule pyshim_module /mods/mod_pyshim.so" in load
    assert f"PythonHome {sys.prefix}" in load
    directives = [line for line in load if line and not line.startswith("#")]
    assert load.index(directives[0]) > 0          # a2enmod reads comments up to the first directive
    assert installmodule.conf_text().startswith("<IfModule pyshim_module>")


def test_install_then_a2enmod_then_configtest(layout):
    os.makedirs(os.path.join(layout.confdir, "mods-enabled"), exist_ok=True)
    python_load = os.path.join(layout.confdir, "mods-enabled", "python.load")
    if not os.path.lexists(python_load):               # mod_python left enabled, as Debian's package does
        os.symlink("../mods-available/python.load", python_load)

    result = layout.install()
    assert result.returncode == 0, result.stderr
    link = os.path.join(layout.modules, "mod_pyshim.so")
    assert os.path.realpath(link) == os.path.realpath(SHIM)
    assert "a2dismod python first" in result.stderr
    with open(os.path.join(layout.confdir, "mods-available", "pyshim.load")) as f:
        assert f"LoadModule pyshim_module {link}\n" in f.read()

    refused = layout.run("a2enmod", "pyshim")
    assert refused.returncode != 0
    assert "Module python is enabled - cannot proceed due to conflicts" in refused.stdout + refused.stderr
    assert not layout.enabled("pyshim.load")

    layout.run("a2dismod", "-q", "python", "wsgi")
    enabled = layout.run("a2enmod", "pyshim")
    assert enabled.returncode == 0, enabled.stdout + enabled.stderr
    assert layout.enabled("pyshim.load") and layout.enabled("pyshim.conf")

    test = layout.run("apache2ctl", "configtest")
    assert test.returncode == 0, test.stdout + test.stderr
    assert "Syntax OK" in test.stdout + test.stderr


def test_again_replaces_its_own_files(layout):
    assert layout.install().returncode == 0
    result = layout.install()
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(layout.modules)) == ["mod_pyshim.so"]
    assert sorted(n for n in os.listdir(os.path.join(layout.confdir, "mods-available"))
                  if n.startswith("pyshim")) == ["pyshim.conf", "pyshim.load"]


def test_not_a_debian_layout_is_a_clear_error(tmp_path, layout):
    result = layout.run(sys.executable, "-m", "modpy", "install-module", "--modules-dir", layout.modules,
                        "--apache-dir", str(tmp_path / "httpd"))
    assert result.returncode == 2
    assert "not a Debian-style Apache" in result.stderr
    assert os.listdir(layout.modules) == []
