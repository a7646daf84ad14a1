"""The mod_python package in a real Apache: every public module of
mod_python 3.5 imports as mod_python.X, no other name does, and
mod_python.testhandler serves its page."""

PUBLIC = ("apache", "util", "Cookie", "Session", "publisher", "psp", "cgihandler", "wsgi", "cache",
          "httpdconf", "python22", "testhandler", "version")


def test_public_modules_and_no_others(apache_factory):
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
    server.write("check.py", f"""
        import importlib
        from mod_python import apache
        from mod_python.python22 import *   # what handlers still write

        def handler(req):
            found = []
            for name in {PUBLIC!r} + ("dispatch", "entry", "request", "_apache"):
                try:
                    importlib.import_module("mod_python." + name)
                    found.append(name)
                except ImportError:
                    pass
            req.write(repr(found))
            return apache.OK
    """)
    server.start()
    assert eval(server.get("/check").text) == list(PUBLIC)
    page = server.get("/info?x=<b>")
    assert page.status_code == 200 and "modpy works" in page.text
    assert "&lt;b&gt;" in page.text and "<b>" not in page.text     # every value escaped
