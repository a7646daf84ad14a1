"""modpy as pip users get it: an sdist built from a checkout holds what the
build needs (the C sources, the licence) and nothing a build left behind;
a wheel built from it in a throwaway virtualenv, which is then deleted,
installs into a fresh virtualenv that serves a request; so does the sdist
installed with pip.  The embedded python is the venv's own (PythonHome,
which `module-config` and `serve` write), not the gone build python."""
from __future__ import annotations

import glob
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile

import httpx
import pytest

from tests.apache import REPO, free_port

BASE_PYTHON = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
HANDLER = "def handler(req):\n    import sys\n    req.write('served by ' + sys.prefix)\n    return 0\n"


def run(*args: str, cwd: str = None) -> str:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{args}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def checkout_copy(dest: str) -> str:
    """The files a clone of this checkout has (tracked, or new and not ignored)."""
    names = run("git", "-C", REPO, "ls-files", "--cached", "--others", "--exclude-standard").splitlines()
    for name in names:
        source = os.path.join(REPO, name)
        if os.path.isfile(source):
            os.makedirs(os.path.dirname(os.path.join(dest, name)), exist_ok=True)
            shutil.copy2(source, os.path.join(dest, name))
    return dest


def venv(path: str) -> str:
    run(BASE_PYTHON, "-m", "venv", path)
    return os.path.join(path, "bin", "python")


def serve_one_request(python: str, site: str) -> str:
    """`python -m modpy serve` on the site's handler: the body of one GET."""
    port = free_port()
    proc = subprocess.Popen([python, "-m", "modpy", "serve", "--port", str(port), os.path.join(site, "app.py")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=site)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        banner = proc.stdout.readline() if ready else ""
        assert re.search(r"serving .* at http://127\.0\.0\.1:\d+/", banner), \
            f"no banner: {banner!r}\n{proc.stderr.read() if proc.poll() is not None else ''}"
        return httpx.get(f"http://127.0.0.1:{port}/", timeout=30).text
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)


@pytest.fixture(scope="module")
def work():
    """World-readable (Apache's children run as nobody), removed at the end."""
    path = tempfile.mkdtemp(prefix="modpy-packaging-", dir="/tmp")
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def sdist(work) -> str:
    source = checkout_copy(os.path.join(work, "checkout"))
    dist = os.path.join(work, "dist")
    run(sys.executable, "-c", f"import setuptools.build_meta as b; b.build_sdist({dist!r})", cwd=source)
    (path,) = glob.glob(os.path.join(dist, "modpy-*.tar.gz"))
    return path


@pytest.fixture
def site(work) -> str:
    path = os.path.join(work, "site")
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "app.py"), "w") as f:
        f.write(HANDLER)
    return path


def test_the_sdist_holds_the_sources_not_build_output(sdist):
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    assert {"LICENSE", "MANIFEST.in", "setup.py", "pyproject.toml", "shim/mod_pyshim.c", "shim/modpy.h",
            "modpy/_build_ffi.py", "modpy/tools/libpython.py", "examples/hello.py"} <= names
    assert not [n for n in names if n.endswith((".so", ".pyc")) or n == "modpy/_buildinfo.py"]


def test_a_wheel_built_in_a_throwaway_venv_serves_from_a_fresh_one(work, sdist, site):
    builder = os.path.join(work, "builder")
    run(venv(builder), "-m", "pip", "wheel", "-q", "--no-deps", "-w", os.path.join(work, "wheels"), sdist)
    shutil.rmtree(builder)                   # the python the wheel was built with is gone
    (wheel,) = glob.glob(os.path.join(work, "wheels", "modpy-*.whl"))

    target = os.path.join(work, "wheel-venv")
    python = venv(target)
    run(python, "-m", "pip", "install", "-q", wheel)
    config = run(python, "-m", "modpy", "module-config", "--user", "root")
    assert f"PythonHome {target}" in config.splitlines()
    assert serve_one_request(python, site) == f"served by {target}"


def test_the_sdist_installed_with_pip_serves(work, sdist, site):
    target = os.path.join(work, "sdist-venv")
    python = venv(target)
    run(python, "-m", "pip", "install", "-q", sdist)
    assert serve_one_request(python, site) == f"served by {target}"
