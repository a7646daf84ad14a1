"""Error pages: a handler, a published function, a PSP page, a CGI script
and a WSGI application each fail with the client's own markup in the
exception.  PythonDebug Off shows Apache's plain 500 (no traceback, path
or value); PythonDebug On shows the traceback, HTML-escaped for a
browser, as text (never sniffed as HTML) otherwise."""
import urllib.parse

import pytest

MARK = "<script>alert('modpy')</script>"
QUERY = "v=" + urllib.parse.quote(MARK)

HANDLER = """
from mod_python import apache, util

def handler(req):
    raise ValueError("bad value " + util.parse_qs(req.args or "")["v"][0])
"""
PUBLISHED = """
def boom(v):
    raise ValueError("bad value " + v)
"""
PSP_PAGE = '<%= int("bad value " + form.getfirst("v")) %>'
LISTED = "<b>bold</b><%= 1 %>"
CGI_SCRIPT = """#!/usr/bin/env python3
import os, urllib.parse
raise ValueError("bad value " + urllib.parse.unquote(os.environ["QUERY_STRING"][2:]))
"""
WSGI_APP = """
import urllib.parse

def application(environ, start_response):
    raise ValueError("bad value " + urllib.parse.unquote(environ["QUERY_STRING"][2:]))
"""

# (directory, handler configuration, file, URL below the directory)
PLACES = [
    ("h", "SetHandler mod_python\nPythonHandler h", "h.py", HANDLER, "x"),
    ("pub", "SetHandler mod_python\nPythonHandler mod_python.publisher", "mod.py", PUBLISHED, "mod/boom"),
    ("psp", "AddHandler mod_python .psp .psp_\nPythonHandler mod_python.psp", "bad.psp", PSP_PAGE, "bad.psp"),
    ("cgi", "SetHandler mod_python\nPythonHandler mod_python.cgihandler", "bad.py", CGI_SCRIPT, "bad.py"),
    ("wsgi", "SetHandler mod_python\nPythonHandler mod_python.wsgi\n"
             "PythonOption mod_python.wsgi.application app", "app.py", WSGI_APP, "x"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from tests.apache import Apache
    body = []
    for debug in ("On", "Off"):
        for directory, conf, *_ in PLACES:
            body.append(f'<Directory "{{htdocs}}/{debug}/{directory}">\n{conf}\nPythonDebug {debug}\n</Directory>')
    server = Apache(str(tmp_path_factory.mktemp("errorpages")), "\n".join(body))
    for debug in ("On", "Off"):
        for directory, _, name, text, _ in PLACES:
            server.write(f"{debug}/{directory}/{name}", text)
        server.write(f"{debug}/psp/listed.psp", LISTED)
    server.start()
    yield server
    server.stop()
    assert server.crashes() == 0, server.error_log()


@pytest.mark.parametrize("place", PLACES, ids=[p[0] for p in PLACES])
def test_debug_off_shows_nothing_of_the_failure(server, place):
    r = server.get(f"/Off/{place[0]}/{place[4]}?{QUERY}", headers={"Accept": "text/html"})
    assert r.status_code == 500
    for secret in ("Traceback", "ValueError", "bad value", "alert", server.root, ".py"):
        assert secret not in r.text, (secret, r.text)
    assert "bad value " + MARK in server.error_log()       # the log has it all


@pytest.mark.parametrize("place", PLACES, ids=[p[0] for p in PLACES])
def test_debug_on_escapes_what_it_echoes(server, place):
    url = f"/On/{place[0]}/{place[4]}?{QUERY}"
    r = server.get(url, headers={"Accept": "text/html,*/*"})
    assert r.status_code == 500 and r.headers["content-type"].startswith("text/html")
    assert "Traceback" in r.text and "bad value &lt;script&gt;alert(" in r.text
    assert "<script>" not in r.text
    r = server.get(url, headers={"Accept": "*/*"})
    assert r.status_code == 500 and r.headers["content-type"].startswith("text/plain")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "bad value " + MARK in r.text


def test_psp_code_listing_only_with_debug_and_escaped(server):
    r = server.get("/On/psp/listed.psp_")
    assert r.status_code == 200 and "&lt;b&gt;bold&lt;/b&gt;" in r.text and "<b>bold" not in r.text
    assert server.get("/Off/psp/listed.psp_").status_code == 404


def test_psp_errors_name_the_template_line(server):
    r = server.get(f"/On/psp/bad.psp?{QUERY}", headers={"Accept": "*/*"})
    assert "bad.psp, line 1: ValueError" in r.text
    r = server.get(f"/Off/psp/bad.psp?{QUERY}")
    assert "line 1" not in r.text
    assert "/Off/psp/bad.psp, line 1: ValueError" in server.error_log()
