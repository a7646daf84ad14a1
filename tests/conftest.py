"""Fixtures: `apache` builds a real server from a config body and stops it
after the test; every server is checked for crashed children.

Tests in files named *_unit.py run in-process; every other test needs
Apache and carries the `apache` marker (`pytest -m "not apache"` runs the
unit tests alone)."""
from __future__ import annotations

import pytest

from tests.apache import Apache


@pytest.fixture
def apache_factory(tmp_path):
    servers = []

    def make(body: str = "", mpm: str = "event", **conf) -> Apache:
        root = tmp_path / f"httpd{len(servers)}"
        root.mkdir()
        server = Apache(str(root), body, mpm=mpm, **conf)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()
    for server in servers:
        assert server.crashes() == server.apache_own_crashes(), f"a child crashed:\n{server.error_log()}"


@pytest.fixture
def apache(apache_factory):
    """A server whose body the test writes before calling .start()."""
    return apache_factory


def pytest_collection_modifyitems(items):
    for item in items:
        if not item.path.name.endswith("_unit.py"):
            item.add_marker(pytest.mark.apache)
