"""Merged configs in a real Apache: the shim remembers, on a section's
record, the merge Python resolved last (`joined`, shim/modpy.h), so a
request whose walk merges the same two records finds its config at once.
A section merged under two virtual hosts takes turns between two merges:
each request must still get its own host's."""
from __future__ import annotations

import pytest

SITE = """
<VirtualHost 127.0.0.1:{port}>
    ServerName a.test
    PythonOption who a
</VirtualHost>
<VirtualHost 127.0.0.1:{port}>
    ServerName b.test
    PythonOption who b
    PythonOption only_b yes
</VirtualHost>
<Directory "{htdocs}">
    SetHandler mod_python
    PythonHandler who
    PythonOption section here
</Directory>
"""

WHO = """
def handler(req):
    options = req.get_options()
    req.write("%s %s %s" % (options.get("who"), options.get("section"), options.get("only_b")))
    return 0
"""


@pytest.mark.parametrize("mpm", ["prefork", "event"])
def test_a_section_merged_under_two_hosts_gets_each_hosts_config(apache_factory, mpm):
    server = apache_factory(SITE, mpm=mpm)
    server.write("who.py", WHO)
    server.start()
    expected = {"a.test": "a here None", "b.test": "b here yes"}
    for host in ["a.test", "b.test", "b.test", "a.test", "a.test", "b.test"] * 5:
        assert server.get("/x", headers={"Host": host}).text == expected[host], host
