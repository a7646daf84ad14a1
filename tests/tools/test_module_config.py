"""`python -m modpy module-config`: the LoadModule line, and warnings for
files a non-root Apache `User` could not read."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import types

import pytest

from modpy.tools import fileaccess, moduleconfig
from modpy.tools.apacheconf import SHIM
from modpy.tools.fileaccess import EXECUTE, READ, Identity, allows
from tests.apache import REPO

ALICE = Identity("alice", 1000, frozenset({1000, 50}))


@pytest.mark.parametrize("mode, owner, group, want, expected", [
    (0o700, 1000, 0, READ, True),          # owner bits
    (0o077, 1000, 0, READ, False),         # owner bits win even when others could
    (0o040, 0, 50, READ, True),            # a supplementary group
    (0o004, 0, 51, READ, True),            # other
    (0o770, 0, 0, READ, False),
    (0o755, 0, 0, READ | EXECUTE, True),
    (0o744, 0, 0, READ | EXECUTE, False),  # readable, not searchable
])
def test_mode_bits(mode, owner, group, want, expected):
    assert allows(mode, owner, group, ALICE, want) is expected


def test_root_reads_anything():
    assert allows(0o000, 1, 1, Identity("root", 0, frozenset({0})), READ | EXECUTE)


def test_identity_of_a_real_user():
    nobody = Identity.of("nobody")
    assert nobody.uid != 0 and nobody.gids
    with pytest.raises(ValueError, match="no such user"):
        Identity.of("no-such-user-modpy")


@pytest.fixture
def world_readable_dir():
    """A directory `nobody` can reach (pytest's tmp_path sits under a 0700
    directory, which would be the only thing reported)."""
    path = tempfile.mkdtemp(prefix="modpy-access-", dir="/tmp")
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path)


def make_tree(base: str) -> None:
    os.makedirs(os.path.join(base, "pkg", "__pycache__"))
    os.makedirs(os.path.join(base, "private", "deep"))
    for name in ("pkg/a.py", "pkg/secret.py", "pkg/__pycache__/a.pyc", "private/deep/x.py"):
        with open(os.path.join(base, name), "w") as f:
            f.write("x = 1\n")
    os.chmod(os.path.join(base, "pkg", "secret.py"), 0o600)
    os.chmod(os.path.join(base, "pkg", "__pycache__", "a.pyc"), 0o600)
    os.chmod(os.path.join(base, "private"), 0o700)


def test_problems_names_each_blocking_path_once(world_readable_dir):
    make_tree(world_readable_dir)
    nobody = Identity.of("nobody")
    found = list(fileaccess.problems(
        [world_readable_dir, os.path.join(world_readable_dir, "private", "deep", "x.py")], nobody))
    found.sort(key=lambda p: p.path)
    assert [(p.path, p.need) for p in found] == [
        (os.path.join(world_readable_dir, "pkg", "secret.py"), "read"),
        (os.path.join(world_readable_dir, "private"), "search"),
    ]
    assert "file not readable (mode 0600, owner root" in str(found[0])
    assert "directory not searchable (mode 0700" in str(found[1])


def test_readable_tree_has_no_problems(world_readable_dir):
    os.makedirs(os.path.join(world_readable_dir, "pkg"))
    with open(os.path.join(world_readable_dir, "pkg", "m.py"), "w") as f:
        f.write("")
    assert list(fileaccess.problems([world_readable_dir], Identity.of("nobody"))) == []


def test_envvars_user(tmp_path):
    path = tmp_path / "envvars"
    path.write_text("unset HOME\nexport APACHE_RUN_USER=www-data\nexport APACHE_RUN_GROUP='web'\n"
                    "export APACHE_RUN_DIR=/var/run/apache2$SUFFIX\n")
    assert moduleconfig.envvars_setting("APACHE_RUN_USER", str(path)) == "www-data"
    assert moduleconfig.envvars_setting("APACHE_RUN_GROUP", str(path)) == "web"
    assert moduleconfig.envvars_setting("APACHE_RUN_DIR", str(path)) is None    # not a plain value
    assert moduleconfig.envvars_setting("APACHE_RUN_USER", str(tmp_path / "none")) is None


def module_config(python: str, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": REPO}
    return subprocess.run([python, "-m", "modpy", "module-config", *args], env=env,
                          capture_output=True, text=True, timeout=60)


def test_prints_the_load_module_line():
    result = module_config(sys.executable, "--user", "root")
    assert result.returncode == 0, result.stderr
    assert f"LoadModule pyshim_module {SHIM}" in result.stdout.splitlines()
    assert "symbol is pyshim_module" in result.stdout
    assert f"Embedded Python {sys.version_info.major}.{sys.version_info.minor}" in result.stdout
    assert "WARNING" not in result.stdout         # the venv modpy is installed in
    assert "WARNING" not in result.stderr        # root reads everything


def test_warns_about_a_venv_under_a_private_directory(world_readable_dir):
    private = os.path.join(world_readable_dir, "home")
    venv = os.path.join(private, "venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    os.chmod(private, 0o700)
    result = module_config(os.path.join(venv, "bin", "python"), "--user", "nobody")
    assert result.returncode == 0, result.stderr
    assert "LoadModule pyshim_module" in result.stdout
    lines = result.stderr.splitlines()
    assert "run as nobody" in lines[0]
    site = [line for line in lines if line.startswith(f"WARNING: {private}: directory not searchable")]
    assert len(site) == 1 and os.path.join(venv, "lib") in site[0], result.stderr
    # another venv of the build's python: embedded by naming it, but modpy
    # is only on this run's PYTHONPATH, which Apache ignores
    assert f"PythonHome {venv}" in result.stdout.splitlines()
    assert "# WARNING: inside Apache this python cannot import modpy (Apache ignores PYTHONPATH): " \
        f"install modpy into {venv}" in result.stdout


def test_a_python_of_another_libpython_is_warned_about(monkeypatch):
    """The shim is linked against the build's libpython: PythonHome cannot
    make it embed a python of another one."""
    monkeypatch.setattr(moduleconfig, "build_facts", lambda: types.SimpleNamespace(
        LIBPYTHON="/opt/python9.9/lib/libpython9.9.so.1.0"))
    warning = moduleconfig.header()[-1]
    assert warning.startswith(f"# WARNING: {SHIM} is linked against /opt/python9.9/lib/libpython9.9.so.1.0")
    assert moduleconfig.own_libpython() in warning


def test_unknown_user_is_a_clear_error():
    result = module_config(sys.executable, "--user", "no-such-user-modpy")
    assert result.returncode == 2
    assert "no such user: no-such-user-modpy" in result.stderr


def test_the_example_system_config_works(apache_factory, tmp_path):
    """conf/modpy-example.conf, with its placeholder paths filled in, in a
    real Apache (the generated config supplies the LoadModule line)."""
    app = tmp_path / "www-app"
    app.mkdir()
    (app / "app.py").write_text("def handler(req):\n    req.write('app ' + req.uri)\n    return 0\n")
    with open(os.path.join(REPO, "conf", "modpy-example.conf")) as f:
        text = f.read()
    load = "LoadModule pyshim_module /srv/modpy/modpy/mod_pyshim.so\n"
    assert load in text
    body = text.replace(load, "").replace("/srv/www/app", str(app)).replace("/srv/modpy", REPO)
    server = apache_factory(body).start()
    assert server.get("/app/x").text == "app /app/x"
    assert server.get("/hello").text == "Hello from modpy: GET /hello\n"
    assert server.get("/private").status_code == 403
