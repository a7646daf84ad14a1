"""core/standins: a name a dependency installs as an alias (python-
multipart's `multipart`) never finds the alias, in-process."""
from __future__ import annotations

import importlib.util
import os
import sys

import pytest

from modpy.core import standins

NAME = "standin_probe"


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A directory holding an alias package NAME; the finder for it; sys.path
    and sys.modules restored after."""
    alias = tmp_path / "site" / NAME
    alias.mkdir(parents=True)
    (alias / "__init__.py").write_text("WHO = 'alias'\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path / "site")] + sys.path)
    yield tmp_path, standins.StandInFinder({NAME: os.path.realpath(alias)})
    sys.modules.pop(NAME, None)


def load(finder) -> str:
    spec = finder.find_spec(NAME)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.WHO


def test_the_alias_alone_is_no_module(site):
    _, finder = site
    with pytest.raises(ModuleNotFoundError, match=NAME):
        finder.find_spec(NAME)


def test_a_module_beside_the_alias_is_found(site):
    tmp_path, finder = site
    (tmp_path / "site" / f"{NAME}.py").write_text("WHO = 'beside'\n")
    assert load(finder) == "beside"


def test_the_project_later_on_the_path_is_found(site, monkeypatch):
    tmp_path, finder = site
    (tmp_path / "later").mkdir()
    (tmp_path / "later" / f"{NAME}.py").write_text("WHO = 'later'\n")
    monkeypatch.setattr(sys, "path", sys.path + [str(tmp_path / "later")])
    assert load(finder) == "later"


def test_other_names_and_submodules_are_not_its_business(site):
    _, finder = site
    assert finder.find_spec("json") is None
    assert finder.find_spec(NAME, ["somewhere"]) is None


def test_python_multipart_alias_is_known_here():
    """modpy's own environment: the alias python-multipart installs."""
    import python_multipart
    site_packages = os.path.dirname(os.path.dirname(python_multipart.__file__))
    assert standins.alias_directories() == {"multipart": os.path.realpath(os.path.join(site_packages, "multipart"))}
