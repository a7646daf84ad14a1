"""docs/api.md is what modpy.tools.apidoc renders from the docstrings, and
it covers the request object's members and mod_python's public modules."""
from __future__ import annotations

import os

from modpy.tools import apidoc
from tests.apache import REPO


def test_docs_api_md_is_current():
    with open(os.path.join(REPO, "docs", "api.md")) as f:
        assert f.read() == apidoc.render(), "run: python -m modpy.tools.apidoc > docs/api.md"


def test_it_names_the_request_members_and_each_module():
    text = apidoc.render()
    assert "| `req.uri` | str | yes |" in text and "| `req.headers_in` | table |  |" in text
    assert "- `req.write(data: Union[str, bytes], flush: int=1)`:" in text
    for module in ("apache", "util", "Cookie", "Session", "publisher", "psp", "wsgi", "cgihandler"):
        assert f"## mod_python.{module}\n" in text
