"""One Request object per request, for every Python phase it has: what a
handler sets on `req` is there in the later phases (the dispatcher keeps the
object only when a later phase has Python work)."""
import time


def _wait_for(server, text, timeout=5.0):
    deadline = time.monotonic() + timeout
    while text not in server.error_log():
        assert time.monotonic() < deadline, f"{text!r} not logged:\n{server.error_log()}"
        time.sleep(0.05)


def test_attributes_reach_later_phases(apache_factory):
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonFixupHandler phases::fixup
            PythonHandler phases
        </Directory>
        <Directory "{htdocs}/logged">
            PythonLogHandler phases::log
        </Directory>
    """)
    server.write("phases.py", """
        from mod_python import apache

        def fixup(req):
            req.marker = "from-fixup"
            return apache.OK

        def handler(req):
            req.seen = req.marker + "/" + req.uri
            if req.args == "add":
                req.add_handler("PythonLogHandler", "phases::log")
            req.content_type = "text/plain"
            req.write(req.seen)
            return apache.OK

        def log(req):
            req.log_error("log phase saw " + req.seen)
            return apache.OK
    """)
    server.write("logged/x", "")
    server.start()
    for _ in range(3):              # request_recs are reused: nothing stale may show
        assert server.get("/a").text == "from-fixup//a"
    assert server.get("/logged/x").text == "from-fixup//logged/x"
    _wait_for(server, "log phase saw from-fixup//logged/x")
    assert server.get("/b?add").text == "from-fixup//b"
    _wait_for(server, "log phase saw from-fixup//b")


def test_handler_only_requests_get_fresh_objects(apache_factory):
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler fresh
        </Directory>
    """)
    server.write("fresh.py", """
        def handler(req):
            old = getattr(req, "mine", None)
            req.mine = req.uri
            req.content_type = "text/plain"
            req.write(repr(old))
            return 0
    """)
    server.start()
    for i in range(5):
        assert server.get(f"/p{i}").text == "None"
