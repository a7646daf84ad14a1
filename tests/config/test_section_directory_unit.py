"""Where a directive's handler modules are looked up: a <Files> section's
path is a file pattern, so there the <Directory> around it counts, as in
mod_python 3.5 (Debian's mod_python answers `/hello.py` from
`<Directory "/site"><Files "hello.py">PythonHandler hello` with
req.hlist.directory == "/site/")."""
from __future__ import annotations

import pytest

from modpy.config.directives import section_directory


@pytest.mark.parametrize("path, sections, expected", [
    ("/site/", [("<Directory", '"/site">')], "/site/"),                     # Apache's own path
    ("/app", [("<Location", "/app>")], "/app"),
    ("hello.py", [("<Files", '"hello.py">'), ("<Directory", '"/site">')], "/site/"),
    ("hello.py", [("<Files", "hello.py>"), ("<Directory", "/site/>")], "/site/"),
    (r"\.py$", [("<FilesMatch", r'"\.py$">'), ("<IfModule", "mod_mime.c>"),
                ("<Directory", '"/a b">')], "/a b/"),
    ("x.py", [("<Files", "x.py>"), ("<Directory", '~ "^/srv/.*">')], "^/srv/.*"),
    ("x.py", [("<Files", "x.py>"), ("<DirectoryMatch", '"^/srv">')], "^/srv"),
    ("x.py", [("<Files", "x.py>")], "x.py"),                                  # nothing around it
    (None, [], None),
])
def test_section_directory(path, sections, expected):
    assert section_directory(path, sections) == expected
