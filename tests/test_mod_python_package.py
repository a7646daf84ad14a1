"""The mod_python package: mod_python 3.5's public module names are modpy's
modules themselves, and no other name of modpy's leaks through it; the
python22 shim imports as handlers write it, and mod_python.testhandler
serves its page."""

PROBE = """
    import importlib
    import mod_python

    def handler(req):
        found = []
        for name in ("apache", "util", "Cookie", "Session", "publisher", "psp", "cgihandler", "wsgi",
                     "cache", "httpdconf", "python22", "testhandler", "version"):
            module = importlib.import_module("mod_python." + name)
            same = module is importlib.import_module(mod_python.MODULES[name])
            found.append(f"{name}:{same}")
        for name in ("dispatch", "request", "entry", "config", "core"):
            try:
                importlib.import_module("mod_python." + name)
                found.append(f"{name}:imported")
            except ImportError:
                found.append(f"{name}:refused")
        found.append(f"attr:{mod_python.apache is importlib.import_module('modpy.library.apache')}")
        try:
            mod_python.dispatch
        except AttributeError:
            found.append("attr:refused")
        req.write(" ".join(found))
        return 0
"""


def test_public_names_only(apache_factory):
    server = apache_factory("""
        <Location "/probe">
            SetHandler mod_python
            PythonHandler {htdocs}/probe.py
        </Location>
    """)
    server.write("probe.py", PROBE)
    server.start()
    assert server.get("/probe").text.split() == [
        "apache:True", "util:True", "Cookie:True", "Session:True", "publisher:True", "psp:True",
        "cgihandler:True", "wsgi:True", "cache:True", "httpdconf:True", "python22:True",
        "testhandler:True", "version:True",
        "dispatch:refused", "request:refused", "entry:refused", "config:refused", "core:refused",
        "attr:True", "attr:refused"]


def test_python22_star_import_and_the_test_page(apache_factory):
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler check
        </Directory>
        <Location /info>
            SetHandler mod_python
            PythonHandler mod_python.testhandler
        </Location>
    """)
    server.write("check.py", """
        from mod_python import apache
        from mod_python.python22 import *   # what handlers still write (mod_python's suite too)

        def handler(req):
            req.write("ok")
            return apache.OK
    """)
    server.start()
    assert server.get("/check").text == "ok"
    page = server.get("/info?x=<b>")
    assert page.status_code == 200 and "modpy works" in page.text
    assert "&lt;b&gt;" in page.text and "<b>" not in page.text     # every value escaped
