"""mod_python.publisher against a real Apache: traversal, arguments,
content types, the security refusals and the __auth__/__access__ guards."""
import pytest

CONF = """
    <Directory "{htdocs}">
        SetHandler mod_python
        PythonHandler mod_python.publisher
        PythonDebug On
    </Directory>
"""

HELLO = '''
import os
from shutil import rmtree

greeting = "a published string"

def say(req, what="NOTHING"):
    return "I am saying %s" % what

def both(a, b):
    return "a=%r b=%r" % (a, b)

def page(req):
    return "  <HTML><body>hi</body></html>"

def typed(req):
    req.content_type = "application/json"
    return '{"x": 1}'

def raw(req):
    return b"\\x00\\xff"

def nothing(req):
    req.write("wrote it myself")

def everything(req, **fields):
    return repr(sorted(fields.items())) + " " + repr(sorted(req.form.keys()))

def _private(req):
    return "secret"

class Klass:
    def method(self):
        return "class internals"

class Thing:
    name = "thing"
    def show(self, req):
        return "showing " + self.name

thing = Thing()
'''

INDEX = '''
def index(req):
    return "We are in index()"

def hello(req):
    return "We are in hello()"

def hello_there(req):
    return "hello from index"
'''

AUTH = '''
__auth_realm__ = "Module Realm"
__auth__ = {"spam": "eggs", "joe": "pw"}

def open_page(req):
    return "hello " + req.user

def admins(req):
    __access__ = ["spam"]
    return "admin " + req.user

def checked(req):
    def __auth__(req, user, password):
        return password == "eggs"
    def __access__(req, user):
        return user == "spam"
    return "checked " + req.user

def attr_guarded(req):
    return "attr " + req.user
attr_guarded.__auth__ = lambda req, user, password: user == "joe" and password == "pw"
attr_guarded.__auth_realm__ = "Attr Realm"

class Pages:
    def method(self, req):
        def __auth__(req, user, password):
            return user == "spam"
        return "method " + req.user

pages = Pages()
'''

NOAUTH = '''
def locked(req):
    __auth__ = None
    return "never"

def realm_only(req):
    __auth_realm__ = "Inner"
    def __auth__(req, user, password):
        return False
    return "never"
'''


@pytest.fixture
def server(apache_factory):
    server = apache_factory(CONF)
    server.write("hello.py", HELLO)
    server.write("index.py", INDEX)
    server.write("auth.py", AUTH)
    server.write("noauth.py", NOAUTH)
    server.start()
    return server


def test_function_with_form_arguments(server):
    assert server.get("/hello.py/say").text == "I am saying NOTHING"
    r = server.get("/hello.py/say?what=hello")
    assert r.status_code == 200 and r.text == "I am saying hello"
    assert r.headers["content-type"] == "text/plain"
    assert server.post("/hello.py/say", data={"what": "posted"}).text == "I am saying posted"
    assert server.get("/hello.py/both?a=1&b=2&b=3").text == "a='1' b=['2', '3']"
    assert server.get("/hello.py/everything?x=1&y=2").text == \
        "[('x', '1'), ('y', '2')] ['x', 'y']"


def test_extension_is_optional_and_index_is_default(server):
    assert server.get("/hello/say?what=x").text == "I am saying x"
    assert server.get("/index/index").text == "We are in index()"
    assert server.get("/index/").text == "We are in index()"
    assert server.get("/index").text == "We are in index()"
    assert server.get("/").text == "We are in index()"
    assert server.get("/index/hello").text == "We are in hello()"
    assert server.get("/hello.py/greeting").text == "a published string"


def test_content_type_guess_and_return_values(server):
    r = server.get("/hello.py/page")
    assert r.headers["content-type"] == "text/html"
    r = server.get("/hello.py/typed")
    assert r.headers["content-type"] == "application/json" and r.json() == {"x": 1}
    assert server.get("/hello.py/raw").content == b"\x00\xff"
    assert server.get("/hello.py/nothing").text == "wrote it myself"


def test_instances_are_traversed(server):
    assert server.get("/hello.py/thing/show").text == "showing thing"
    assert server.get("/hello.py/thing/name").text == "thing"


@pytest.mark.parametrize("path", [
    "/hello.py/_private",           # underscore
    "/hello.py/thing/__class__",    # underscore, deeper
    "/hello.py/thing/__dict__",
    "/hello.py/os",                 # a module
    "/hello.py/os/system",
    "/hello.py/Klass",              # a class
    "/hello.py/Klass/method",       # a class's internals
    "/hello.py/rmtree",             # an imported function
    "/hello.py/thing/show/__globals__",
    "/hello.py/say/__code__",
    "/hello.py/say/anything",       # a step into a function
    "/hello.py/thing/show/x",       # into a method
    "/hello.py/greeting/upper",     # a builtin method
])
def test_refused_with_403(server, path):
    # mod_python's status for what it will not publish (its own test suite's
    # test_publisher_security)
    r = server.get(path)
    assert r.status_code == 403, r.text


@pytest.mark.parametrize("path", ["/hello.py/nowhere", "/nomodule.py/x", "/hello.py/thing/nothing"])
def test_missing_is_404(server, path):
    assert server.get(path).status_code == 404


def test_missing_module_falls_back_to_index(server):
    assert server.get("/hello_there").text == "hello from index"
    assert server.get("/hello_there/").text == "hello from index"
    assert server.get("/nomodule/x").status_code == 404


def test_missing_argument_is_400(server):
    assert server.get("/hello.py/both?a=1").status_code == 400


def test_module_level_auth(server):
    r = server.get("/auth.py/open_page")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == 'Basic realm="Module Realm"'
    assert server.get("/auth.py/open_page", auth=("spam", "bad")).status_code == 401
    assert server.get("/auth.py/open_page", auth=("nobody", "eggs")).status_code == 401
    r = server.get("/auth.py/open_page", auth=("spam", "eggs"))
    assert r.status_code == 200 and r.text == "hello spam"


def test_access_list_inside_function(server):
    assert server.get("/auth.py/admins", auth=("joe", "pw")).status_code == 403
    assert server.get("/auth.py/admins", auth=("spam", "eggs")).text == "admin spam"


def test_nested_auth_and_access_functions(server):
    # module __auth__ passes joe, the nested __auth__ refuses his password
    assert server.get("/auth.py/checked", auth=("joe", "pw")).status_code == 401
    assert server.get("/auth.py/checked", auth=("spam", "eggs")).text == "checked spam"


def test_nested_auth_in_a_method(server):
    assert server.get("/auth.py/pages/method", auth=("joe", "pw")).status_code == 401
    assert server.get("/auth.py/pages/method", auth=("spam", "eggs")).text == "method spam"


def test_function_attribute_auth_and_realm(server):
    r = server.get("/auth.py/attr_guarded", auth=("spam", "eggs"))
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == 'Basic realm="Attr Realm"'
    assert server.get("/auth.py/attr_guarded", auth=("joe", "pw")).text == "attr joe"


def test_constant_false_auth_and_inner_realm(server):
    assert server.get("/noauth.py/locked", auth=("a", "b")).status_code == 401
    r = server.get("/noauth.py/realm_only")
    assert r.status_code == 401 and r.headers["www-authenticate"] == 'Basic realm="Inner"'


def test_malformed_authorization_is_401(server):
    r = server.get("/auth.py/open_page", headers={"Authorization": "Basic !!!notbase64"})
    assert r.status_code == 401
    r = server.get("/auth.py/open_page", headers={"Authorization": b"Basic \xff\xfe"})
    assert r.status_code == 401
