"""mod_python.util under modpy and Debian's mod_python: each function and
class, one line per case (the code the probe runs and the request it runs
in).  Debian's util is broken under Python 3 where its C query parser hands
Python 3 what it no longer takes: those cases assert the manual's answer
and say so."""
from __future__ import annotations

import pytest

from tests.system.differential.pair import body, get, pair_fixture, post

SITE = """
    <Directory "{htdocs}">
        SetHandler mod_python
        PythonHandler probe
    </Directory>
"""

pair = pair_fixture(SITE, {})

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data; boundary=XyZ"
PARTS = (b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\none\r\n"
         b"--XyZ\r\nContent-Disposition: form-data; name=\"up\"; filename=\"f.txt\"\r\n"
         b"Content-Type: text/plain\r\n\r\nfile body\n\r\n"
         b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\ntwo\r\n--XyZ--\r\n")

FS = "(fs := util.FieldStorage(req, keep_blank_values=1))"

SAME = [
    # (code, request)
    (f"[{FS}, fs['up'].filename, fs['up'].type, fs['up'].file.read(), fs['up'].name][1:]",
     post("/probe.py", PARTS, MULTIPART)),
    (f"[{FS}, fs['zz']][1]", post("/probe.py", b"a=x", FORM)),
    (f"[{FS}, fs.clear(), len(fs)][2]", post("/probe.py", b"a=x", FORM)),
    ("util.redirect(req, '/elsewhere')", get("/probe.py")),
    ("util.redirect(req, '/elsewhere', permanent=1)", get("/probe.py")),
    ("util.redirect(req, '/elsewhere', text='gone there')", get("/probe.py")),
    ("req.write('begun'); util.redirect(req, '/elsewhere')", get("/probe.py")),
    ("util.Field('n').name", get("/probe.py")),
    ("util.StringField('v').value", get("/probe.py")),
    ("sorted(util.parse_qs('a=1&a=2&b=').items())", get("/probe.py")),
    ("util.FieldStorage(req, 0, 0, None, None, 5)", get("/probe.py")),
    (f"[{FS}, util.apply_fs_data(lambda req: req.uri, fs, req=req)][1]", get("/probe.py")),
    (f"[{FS}, util.apply_fs_data(lambda req, x=1: x, fs, req=req, other=2)][1]", get("/probe.py")),
]

# Debian's util under Python 3: its C query parser (parse_qs, parse_qsl and
# FieldStorage's) fails or mangles the query string, a form body is lost
# (getfirst None, fs['a'] a KeyError), parse_header takes bytes only, and a
# StringField is bytes whose repr fails.  The manual's answers, which modpy
# gives (a StringField is a str, its repr the str's: compatibility.md):
MANUAL = [
    # (code, request, modpy's body)
    ("util.parse_header('text/plain; charset=\"utf-8\"; q=1')", get("/probe.py"),
     "('text/plain', {'charset': 'utf-8', 'q': '1'})"),
    ("util.parse_header('attachment')", get("/probe.py"), "('attachment', {})"),
    (f"[{FS}, sorted(fs.keys())][1]", get("/probe.py?a=1&b=2"), "['a', 'b']"),
    (f"[{FS}, fs.getfirst('a'), fs.getfirst('zz', 'd')][1:]", post("/probe.py", b"a=x&a=y", FORM),
     "['x', 'd']"),
    (f"[{FS}, fs.getlist('a'), fs.getlist('zz')][1:]", post("/probe.py", b"a=x&a=y", FORM),
     "[['x', 'y'], []]"),
    (f"[{FS}, fs['a'], fs.get('zz', 'd'), 'a' in fs, len(fs)][1:]", post("/probe.py", b"a=x&b=", FORM),
     "['x', 'd', True, 2]"),
    (f"[{FS}, fs.has_key('a'), fs.has_key('zz')][1:]", post("/probe.py", b"a=x", FORM), "[True, False]"),
    (f"[{FS}, type(fs['a']).__name__, type(fs.list).__name__][1:]", post("/probe.py", b"a=x", FORM),
     "['StringField', 'FieldList']"),
    (f"[{FS}, fs['a'], fs.getlist('a'), sorted(fs.keys())][1:]", post("/probe.py", PARTS, MULTIPART),
     "[['one', 'two'], ['one', 'two'], ['a', 'up']]"),
    (f"[{FS}, fs['up'].type_options, fs['up'].disposition, fs['up'].disposition_options][1:]",
     post("/probe.py", PARTS, MULTIPART), "[{}, 'form-data', {'name': 'up', 'filename': 'f.txt'}]"),
    (f"[{FS}, fs.add_field('n', 'v'), fs['n']][2]", get("/probe.py"), "'v'"),
    (f"[{FS}, fs.__delitem__('a'), sorted(fs.keys())][2]", post("/probe.py", b"a=x&b=y", FORM), "['b']"),
    ("util.StringField('v')", get("/probe.py"), "'v'"),
    (f"[{FS}, [(k, fs.getlist(k)) for k in sorted(fs.keys())]][1]",
     post("/probe.py?q=1&a=z", b"a=x&a=y&b=", FORM), "[('a', ['z', 'x', 'y']), ('b', ['']), ('q', ['1'])]"),
    ("sorted(util.parse_qs('a=1&a=2&b=', keep_blank_values=1).items())", get("/probe.py"),
     "[('a', ['1', '2']), ('b', [''])]"),
    ("util.parse_qsl('a=1&&b=2', keep_blank_values=1)", get("/probe.py"), "[('a', '1'), ('b', '2')]"),
    ("util.parse_qsl('x=%41%20b&y=+', 1)", get("/probe.py"), "[('x', 'A b'), ('y', ' ')]"),
    ("util.parse_qsl('a=1&bad', 1, 1)", get("/probe.py"), "raised ValueError: bad query field: 'bad'"),
    (f"[{FS}, util.apply_fs_data(lambda a, b='-', req=None: (a, b, req is not None), fs, req=req)][1]",
     get("/probe.py?a=1&a=2&c=3"), "(['1', '2'], '-', True)"),
    (f"[{FS}, util.apply_fs_data(lambda **kw: sorted(kw), fs, req=req)][1]",
     get("/probe.py?a=1&c=3"), "['a', 'c', 'req']"),
]


def with_code(raw: bytes, code: str) -> bytes:
    return raw.replace(b"Host: x\r\n", b"Host: x\r\nX-Code: " + code.encode() + b"\r\n", 1)


@pytest.mark.parametrize("code, raw", SAME, ids=[c for c, _ in SAME])
def test_same(pair, code, raw):
    pair.same(with_code(raw, code))


@pytest.mark.parametrize("code, raw, expected", MANUAL, ids=[c for c, *_ in MANUAL])
def test_where_debian_is_broken(pair, code, raw, expected):
    mine, theirs = pair.both(with_code(raw, code))
    assert mine != theirs, "Debian's mod_python answers this now: compare instead"
    assert body(mine) == expected.encode()
