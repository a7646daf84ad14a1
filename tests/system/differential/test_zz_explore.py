import os, pytest
from tests.system.differential.pair import get, post, pair_fixture, body
SITE = open(os.environ["SITE"]).read() if os.environ.get("SITE") else """
    <Directory "{htdocs}">
        SetHandler mod_python
        PythonHandler probe
    </Directory>
    <Location "/loc">
        SetHandler mod_python
        PythonPath "['{htdocs}'] + sys.path"
        PythonHandler probe
    </Location>
"""
pair = pair_fixture(SITE, {})
CODES = [l for l in open(os.environ["CODES"]).read().split("\n") if l.strip()]
@pytest.mark.parametrize("line", CODES)
def test_x(pair, line):
    path, _, code = line.partition(" ")
    m, t = pair.both(get(path, code))
    print("\n###", line); print("  modpy:     ", body(m) if m.split(b" ")[1]==b"200" else m); print("  mod_python:", body(t) if t.split(b" ")[1]==b"200" else t)
