"""The mod_python package: mod_python 3.5's public module names are modpy's
modules themselves, and no other name of modpy's leaks through it."""

PROBE = """
    import importlib
    import mod_python

    def handler(req):
        found = []
        for name in ("apache", "util", "Cookie", "Session", "publisher", "psp", "cgihandler", "wsgi"):
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
        "cgihandler:True", "wsgi:True",
        "dispatch:refused", "request:refused", "entry:refused", "config:refused", "core:refused",
        "attr:True", "attr:refused"]
