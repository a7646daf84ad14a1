"""mod_python.psp against a real Apache: the .psp handler, PSP() as a
templating tool, form/session variables, error pages and the cache."""
import os
import time

import pytest

CONF = """
    <Directory "{htdocs}">
        AddHandler mod_python .psp .psp_
        PythonHandler mod_python.psp
        PythonDebug On
    </Directory>
    <Directory "{htdocs}/tmpl">
        SetHandler mod_python
        PythonHandler tmplhandler
        PythonDebug On
    </Directory>
"""


@pytest.fixture
def server(apache_factory):
    server = apache_factory(CONF)
    server.write("hello.psp", """\
<html>
<%
import math
%>
Hello <%= form.getfirst("name", "world") %>, pi is <%= round(math.pi, 3) %>
<% for i in range(3): %>
<%= i %>;<%
%>
</html>
""")
    server.write("inc.psp", '<%@ include file="part.html" %>|<%@ include file="sub/p.psp" %>')
    server.write("part.html", "part")
    server.write("sub/p.psp", "sub <%= 1 + 1 %>")
    server.write("broken.psp", "line 1\n<%\nx = 1\n%>\n<%= undefined_name %>\n")
    server.write("badsyntax.psp", "a\nb\n<% if x %>\n")
    server.write("unclosed.psp", "a\n<%= 1 \n")
    server.write("witherror.psp", """\
<% psp.set_error_page("oops.psp") %>before <%= 1 / 0 %>""")
    server.write("oops.psp", "error page: <%= exception[0].__name__ %>")
    server.write("apply.psp", """\
<%
def add(a, b, req):
    return int(a) + int(b)
# the indentation of this last line ends the def
%><%= psp.apply_data(add) %>""")
    server.write("redirect.psp", '<% psp.redirect("/elsewhere") %>never')
    server.write("typed.psp", '<% req.content_type = "text/plain" %>plain')
    server.write("counter.psp", """\
<%
session["n"] = session.get("n", 0) + 1
session.save()
%>n=<%= session["n"] %>""")
    server.write("tmpl/tmplhandler.py", """
from mod_python import apache, psp

def handler(req):
    req.content_type = "text/plain"
    if req.uri.endswith("/string"):
        page = psp.PSP(req, string="<%= greeting %>, <%= who %>!", vars={"greeting": "Hi"})
        page.run({"who": "there"})
    elif req.uri.endswith("/file"):
        page = psp.PSP(req, filename="page.tmpl", vars={"items": ["a", "b"]})
        page.run()
    elif req.uri.endswith("/code"):
        req.write(str(psp.PSP(req, string="x<%= 1 %>")))
    return apache.OK
""")
    server.write("tmpl/page.tmpl", "<% for it in items: %>[<%= it %>]<%\n%>")
    server.start()
    return server


def test_psp_handler_renders_with_form(server):
    r = server.get("/hello.psp?name=you")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html"
    assert r.text == "<html>\n\nHello you, pi is 3.142\n\n0;\n1;\n2;\n</html>\n"
    assert "Hello world" in server.post("/hello.psp", data={}).text
    assert "Hello posted" in server.post("/hello.psp", data={"name": "posted"}).text


def test_include_directive(server):
    assert server.get("/inc.psp").text == "part|sub 2"


def test_runtime_error_names_template_line(server):
    r = server.get("/broken.psp")
    assert r.status_code == 500
    log = server.error_log()
    assert "broken.psp, line 5: NameError" in log


def test_syntax_errors_name_template_line(server):
    assert server.get("/badsyntax.psp").status_code == 500
    assert "badsyntax.psp, line 3" in server.error_log()
    assert server.get("/unclosed.psp").status_code == 500
    assert "unclosed.psp, line 2" in server.error_log()


def test_error_page(server):
    r = server.get("/witherror.psp")
    assert r.text == "before error page: ZeroDivisionError"


def test_apply_data(server):
    assert server.get("/apply.psp?a=2&b=40").text == "42"


def test_redirect(server):
    r = server.get("/redirect.psp")
    assert r.status_code == 302 and r.headers["location"] == "/elsewhere"
    assert "never" not in r.text


def test_page_sets_content_type(server):
    r = server.get("/typed.psp")
    assert r.headers["content-type"] == "text/plain" and r.text == "plain"


def test_psp_class_as_template_tool(server):
    assert server.get("/tmpl/string").text == "Hi, there!"
    assert server.get("/tmpl/file").text == "[a][b]"
    assert server.get("/tmpl/code").text == "req.write('x', 0)\nreq.write(str(1), 0)\n"


def test_template_cache_follows_mtime(server):
    assert server.get("/inc.psp").text == "part|sub 2"
    path = os.path.join(server.htdocs, "sub", "p.psp")
    with open(path, "w") as f:
        f.write("changed")
    later = time.time() + 5
    os.utime(path, (later, later))
    assert server.get("/inc.psp").text == "part|changed"


def test_debug_listing(server):
    r = server.get("/hello.psp_")
    assert r.status_code == 200
    assert "hello.psp:3" in r.text and "import math" in r.text


def test_missing_page_is_404(server):
    assert server.get("/nothere.psp").status_code == 404


def test_session_variable(server):
    with _Client(server) as client:
        assert client.get("/counter.psp").text == "n=1"
        assert client.get("/counter.psp").text == "n=2"


class _Client:
    """Cookie-keeping requests to the server."""

    def __init__(self, server):
        import httpx
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{server.port}")

    def __enter__(self):
        return self.client

    def __exit__(self, *exc):
        self.client.close()
