"""Phase routing and the return rules of each phase, in a real Apache."""
from __future__ import annotations

import os
import time

# One module serves every phase: each default-named function notes the
# phase it ran in on the request object (it lives for the whole request).
TRACE = """
    from mod_python import apache

    def _note(req):
        if not hasattr(req, "trace"):
            req.trace = []
        req.trace.append(req.phase)
        return apache.DECLINED if req.phase in RUN_FIRST else apache.OK

    RUN_FIRST = ("PythonTransHandler", "PythonTypeHandler", "PythonAuthenHandler", "PythonAuthzHandler")
    postreadrequesthandler = transhandler = headerparserhandler = accesshandler = _note
    typehandler = fixuphandler = authenhandler = authzhandler = inithandler = _note

    def handler(req):
        _note(req)
        req.content_type = "text/plain"
        req.write(" ".join(req.trace))
        return apache.OK

    def loghandler(req):
        _note(req)
        with open(req.get_options()["out"], "a") as f:
            f.write(" ".join(req.trace) + "\\n")
        return apache.OK

    def cleanuphandler(req):
        _note(req)
        with open(req.get_options()["out"], "a") as f:
            f.write("cleanup " + req.trace[-1] + "\\n")
        return apache.OK
"""


def wait_for_file(path: str, lines: int, timeout: float = 10.0) -> list[str]:
    """Log and cleanup handlers run after the client has its response."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                got = f.read().splitlines()
            if len(got) >= lines:
                return got
        time.sleep(0.05)
    raise AssertionError(f"{path} did not get {lines} lines")


def test_every_phase_runs_in_apache_order(apache_factory):
    server = apache_factory("""
        PythonPostReadRequestHandler {htdocs}/trace.py
        PythonTransHandler {htdocs}/trace.py
        <Directory "{htdocs}">
            SetHandler mod_python
            AuthType Basic
            AuthName "phases"
            Require valid-user
            PythonOption out "{root}/out.txt"
            PythonHeaderParserHandler trace
            PythonAccessHandler trace
            PythonAuthenHandler trace::set_user
            PythonAuthzHandler trace
            PythonTypeHandler trace
            PythonFixupHandler trace
            PythonHandler trace
            PythonLogHandler trace
            PythonCleanupHandler trace
        </Directory>
    """)
    server.write("trace.py", TRACE + """
    def set_user(req):
        _note(req)
        req.user = "someone"
        return apache.OK
    """)
    server.start()
    r = server.get("/page")
    assert r.status_code == 200
    expected = ["PythonPostReadRequestHandler", "PythonTransHandler", "PythonHeaderParserHandler",
                "PythonAccessHandler", "PythonAuthenHandler", "PythonAuthzHandler",
                "PythonTypeHandler", "PythonFixupHandler", "PythonHandler"]
    assert r.text.split() == expected
    log_line, cleanup_line = wait_for_file(os.path.join(server.root, "out.txt"), 2)
    assert log_line.split() == expected + ["PythonLogHandler"]
    assert cleanup_line == "cleanup PythonCleanupHandler"


def test_init_handler_means_post_read_at_server_level_and_header_parser_in_directory(apache_factory):
    server = apache_factory("""
        PythonInitHandler {htdocs}/trace.py
        PythonTransHandler {htdocs}/trace.py
        <Directory "{htdocs}/sub">
            SetHandler mod_python
            PythonInitHandler trace
            PythonAccessHandler trace
            PythonHandler trace
        </Directory>
    """)
    server.write("trace.py", TRACE)
    server.write("sub/trace.py", TRACE)
    server.start()
    assert server.get("/sub/x").text.split() == [
        "PythonPostReadRequestHandler", "PythonTransHandler", "PythonHeaderParserHandler",
        "PythonAccessHandler", "PythonHandler"]


def test_authen_and_authz_handlers_with_basic_auth(apache_factory):
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            AuthType Basic
            AuthName "modpy"
            Require valid-user
            PythonAuthenHandler auth
            PythonAuthzHandler auth
            PythonHandler auth
        </Directory>
    """)
    server.write("auth.py", """
        import base64
        from mod_python import apache

        def authenhandler(req):
            header = req.headers_in.get("Authorization", "")
            if not header.startswith("Basic "):
                req.err_headers_out["WWW-Authenticate"] = 'Basic realm="modpy"'
                return apache.HTTP_UNAUTHORIZED
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            if password != "secret":
                req.err_headers_out["WWW-Authenticate"] = 'Basic realm="modpy"'
                return apache.HTTP_UNAUTHORIZED
            req.user = user
            return apache.OK

        def authzhandler(req):
            return apache.OK if req.user in ("alice", "bob") else apache.HTTP_FORBIDDEN

        def handler(req):
            req.write("hello " + req.user)
            return apache.OK
    """)
    server.start()
    r = server.get("/x")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == 'Basic realm="modpy"'
    assert server.get("/x", auth=("alice", "wrong")).status_code == 401
    r = server.get("/x", auth=("alice", "secret"))
    assert (r.status_code, r.text) == (200, "hello alice")
    assert server.get("/x", auth=("mallory", "secret")).status_code == 403


# ---------------------------------------------------------------- return rules

RESULTS = """
    from mod_python import apache

    def _mark(req, name):
        req.err_headers_out.add("X-Ran", name)

    def ok(req):
        _mark(req, "ok"); return apache.OK
    def ok2(req):
        _mark(req, "ok2"); return apache.OK
    def declined(req):
        _mark(req, "declined"); return apache.DECLINED
    def forbid(req):
        _mark(req, "forbid"); return apache.HTTP_FORBIDDEN
    def boom(req):
        raise RuntimeError("this handler must not run")
    def write_a(req):
        req.write("a"); return apache.OK
    def write_b(req):
        req.write("b"); return apache.OK
    def write_declined(req):
        req.write("-"); return apache.DECLINED
    def raise_forbidden(req):
        raise apache.SERVER_RETURN(apache.HTTP_FORBIDDEN)
    def raise_pair(req):
        raise apache.SERVER_RETURN((apache.OK, apache.HTTP_ACCEPTED))
    def raise_ok(req):
        raise apache.SERVER_RETURN(apache.OK)
    def set_type(req):
        _mark(req, "set_type"); req.content_type = "text/x-mine"; return apache.OK
    def returns_none(req):
        return None
"""


def _results_server(apache_factory, sections: dict[str, str], extra: str = ""):
    body = extra + "".join(f"""
        <Location "/{name}">
            {directives}
        </Location>
    """ for name, directives in sections.items())
    server = apache_factory(f"""
        PythonPath "sys.path + ['{{htdocs}}']"
        {body}
    """)
    server.write("r.py", RESULTS)
    server.write("file.txt", "static file\n")
    server.write("declined-dir/file.txt", "static file\n")
    return server.start()


def ran(response) -> list[str]:
    return [v.strip() for v in ",".join(response.headers.get_list("x-ran")).split(",") if v.strip()]


def test_run_all_phases_go_on_through_ok_and_declined_and_stop_on_an_error(apache_factory):
    phases = ("PythonHeaderParserHandler", "PythonAccessHandler", "PythonFixupHandler")
    sections = {f"{p}/file.txt": f"PythonPath \"sys.path + ['{{htdocs}}']\"\n{p} r::ok r::declined r::ok2 r::forbid r::boom"
                for p in phases}
    sections["post/file.txt"] = "PythonFixupHandler r::ok r::declined"
    server = _results_server(apache_factory, sections)
    for p in phases + ("post",):
        server.write(f"{p}/file.txt", "static file\n")
    for p in phases:
        r = server.get(f"/{p}/file.txt")
        assert r.status_code == 403, p
        assert ran(r) == ["ok", "declined", "ok2", "forbid"], p
    r = server.get("/post/file.txt")
    assert (r.status_code, r.text, ran(r)) == (200, "static file\n", ["ok", "declined"])


def test_run_first_phases_go_on_while_declined(apache_factory):
    server = _results_server(apache_factory, {
        "type/file.txt": "PythonTypeHandler r::declined r::set_type r::boom",
        "typedecl/file.txt": "PythonTypeHandler r::declined",
        "typeerr/file.txt": "PythonTypeHandler r::declined r::forbid r::boom",
    })
    for d in ("type", "typedecl", "typeerr"):
        server.write(f"{d}/file.txt", "static file\n")
    r = server.get("/type/file.txt")
    assert (r.status_code, r.headers["content-type"], ran(r)) == (200, "text/x-mine", ["declined", "set_type"])
    r = server.get("/typedecl/file.txt")          # mod_mime has its turn
    assert (r.status_code, r.headers["content-type"].split(";")[0]) == (200, "text/plain")
    assert server.get("/typeerr/file.txt").status_code == 403


def test_trans_handler_ok_ends_translation(apache_factory):
    server = apache_factory("""
        PythonTransHandler {htdocs}/tr.py
        <Directory "{root}/elsewhere">
            Require all granted
        </Directory>
    """)
    server.write("tr.py", """
        from mod_python import apache

        def transhandler(req):
            if not req.uri.startswith("/mapped/"):
                return apache.DECLINED
            req.filename = apache.server_root() + "/elsewhere/" + req.uri[len("/mapped/"):]
            return apache.OK
    """)
    os.makedirs(os.path.join(server.root, "elsewhere"))
    with open(os.path.join(server.root, "elsewhere", "f.txt"), "w") as f:
        f.write("mapped by python\n")
    server.write("f.txt", "from htdocs\n")
    server.start()
    assert server.get("/mapped/f.txt").text == "mapped by python\n"
    assert server.get("/f.txt").text == "from htdocs\n"


def test_response_handlers_stack_until_one_is_not_ok(apache_factory):
    server = _results_server(apache_factory, {
        "both": "SetHandler mod_python\nPythonHandler r::write_a r::write_declined r::write_b",
        "lines": "SetHandler mod_python\nPythonHandler r::write_a\nPythonHandler r::write_b",
        "stop": "SetHandler mod_python\nPythonHandler r::forbid r::boom",
        "file.txt": "SetHandler mod_python\nPythonHandler r::declined",
    }, extra="""
        <Directory "{htdocs}/declined-dir">
            SetHandler mod_python
            PythonHandler r::declined
        </Directory>
    """)
    r = server.get("/both")     # DECLINED ends the stack (mod_python 3.5): Apache's default
    assert r.status_code == 200 and r.text.startswith("a-<!DOCTYPE")    # handler's 404 page follows
    assert server.get("/lines").text == "ab"
    r = server.get("/stop")
    assert (r.status_code, ran(r)) == (403, ["forbid"])
    r = server.get("/file.txt")     # DECLINED, and a <Location> handler's URI maps to no file: 404,
    assert (r.status_code, ran(r)) == (404, ["declined"])      # as mod_python answers
    r = server.get("/declined-dir/file.txt")    # in a <Directory>: Apache's default handler serves it
    assert (r.status_code, r.text, ran(r)) == (200, "static file\n", ["declined"])


def test_server_return(apache_factory):
    server = _results_server(apache_factory, {
        "forbidden": "SetHandler mod_python\nPythonHandler r::raise_forbidden r::boom",
        "pair": "SetHandler mod_python\nPythonHandler r::raise_pair",
        "okay": "SetHandler mod_python\nPythonHandler r::write_a r::raise_ok r::write_b",
        "access/file.txt": "PythonAccessHandler r::raise_forbidden",
    })
    server.write("access/file.txt", "static file\n")
    assert server.get("/forbidden").status_code == 403
    assert server.get("/pair").status_code == 202
    assert server.get("/okay").text == "ab"
    assert server.get("/access/file.txt").status_code == 403
    assert "must not run" not in server.error_log()


def test_a_handler_must_return_an_int(apache_factory):
    server = _results_server(apache_factory, {"none": "SetHandler mod_python\nPythonHandler r::returns_none"})
    assert server.get("/none").status_code == 500
    assert "returned NoneType, not an int" in server.error_log()


# ---------------------------------------------------------------- selecting handlers

def test_sethandler_addhandler_and_python_program(apache_factory):
    server = apache_factory("""
        <Directory "{htdocs}/set">
            SetHandler python-program
            PythonHandler h
        </Directory>
        <Directory "{htdocs}/add">
            AddHandler mod_python .py
            PythonHandler h
        </Directory>
    """)
    for d in ("set", "add"):
        server.write(f"{d}/h.py", "def handler(req):\n    req.write('python ' + req.handler)\n    return 0\n")
    server.write("add/plain.txt", "plain\n")
    server.start()
    assert server.get("/set/anything").text == "python python-program"
    assert server.get("/add/h.py").text == "python mod_python"
    assert server.get("/add/plain.txt").text == "plain\n"


def test_extension_restriction(apache_factory):
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler ext::a | .foo .bar
            PythonHandler ext::b
        </Directory>
    """)
    server.write("ext.py", """
        def a(req):
            req.write("a"); return 0
        def b(req):
            req.write("b"); return 0
    """)
    for name in ("x.foo", "x.bar", "x.baz"):
        server.write(name, "")
    server.start()
    # as mod_python: the handlers restricted to the file's extension run
    # instead of the others (its suite's test_pipe_ext)
    assert server.get("/x.foo").text == "a"
    assert server.get("/x.bar").text == "a"
    assert server.get("/x.baz").text == "b"


def test_handler_objects_dotted_and_classes(apache_factory):
    # a <Location> with a PythonHandler maps to no file (as in mod_python):
    # no <Directory> applies to it, so it says SetHandler itself
    server = apache_factory("""
        PythonPath "sys.path + ['{htdocs}']"
        <Location "/dotted">
            SetHandler mod_python
            PythonHandler objs::holder.inner.respond
        </Location>
        <Location "/class">
            SetHandler mod_python
            PythonHandler objs::Page.respond
        </Location>
        <Location "/package">
            SetHandler mod_python
            PythonHandler pkg.mod
        </Location>
    """)
    server.write("objs.py", """
        import types

        def _respond(req):
            req.write("dotted " + req.uri); return 0
        holder = types.SimpleNamespace(inner=types.SimpleNamespace(respond=_respond))

        class Page:
            def __init__(self, req):
                self.greeting = "made for " + req.uri
            def respond(self, req):
                req.write(self.greeting); return 0
    """)
    server.write("pkg/__init__.py", "")
    server.write("pkg/mod.py", "def handler(req):\n    req.write('package'); return 0\n")
    server.start()
    assert server.get("/dotted").text == "dotted /dotted"
    assert server.get("/class").text == "made for /class"
    assert server.get("/package").text == "package"


def test_more_specific_section_replaces_the_phase_handler(apache_factory):
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler h::outer
            PythonFixupHandler h::fix
            PythonOption a 1
            PythonOption b 2
            PythonOption c 3
        </Directory>
        <Directory "{htdocs}/inner">
            PythonHandler h::inner
            PythonOption b 20
            PythonOption c
        </Directory>
    """)
    code = """
        def fix(req):
            req.headers_out["X-Fix"] = "yes"; return 0
        def outer(req):
            req.write("outer " + repr(sorted(req.get_options().items()))); return 0
        def inner(req):
            req.write("inner " + repr(sorted(req.get_options().items()))); return 0
    """
    server.write("h.py", code)
    server.write("inner/h.py", code)
    server.start()
    r = server.get("/x")
    assert r.text == "outer [('a', '1'), ('b', '2'), ('c', '3')]"
    r = server.get("/inner/x")
    assert r.text == "inner [('a', '1'), ('b', '20')]"
    assert r.headers["x-fix"] == "yes"               # the fixup phase is inherited


def test_directory_goes_on_sys_path_unless_python_path_is_set(apache_factory):
    server = apache_factory("""
        <Directory "{htdocs}/auto">
            SetHandler mod_python
            PythonHandler h
        </Directory>
        <Directory "{htdocs}/fixed">
            SetHandler mod_python
            PythonHandler h
            PythonPath "['{root}/lib'] + sys.path"
        </Directory>
    """)
    code = """
        import sys
        def handler(req):
            import helper
            req.write(helper.NAME + " " + str(req.get_options().get("x")) + " "
                      + str(sys.path[0]))
            return 0
    """
    server.write("auto/h.py", code)
    server.write("auto/helper.py", "NAME = 'auto-helper'\n")
    server.write("fixed/h.py", code)
    server.write("fixed/helper.py", "NAME = 'not-this-one'\n")
    os.makedirs(os.path.join(server.root, "lib"))
    with open(os.path.join(server.root, "lib", "helper.py"), "w") as f:
        f.write("NAME = 'lib-helper'\n")
    server.start()
    assert server.get("/fixed/x").text == f"lib-helper None {server.root}/lib"
    # a separate server: sys.path is per process and was just replaced
    other = apache_factory("""
        <Directory "{htdocs}/auto">
            SetHandler mod_python
            PythonHandler h
        </Directory>
    """)
    other.write("auto/h.py", code)
    other.write("auto/helper.py", "NAME = 'auto-helper'\n")
    other.start()
    assert other.get("/auto/x").text == f"auto-helper None {other.htdocs}/auto/"


# ---------------------------------------------------------------- add_handler

def test_add_handler_current_and_later_phase_for_this_request_only(apache_factory):
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonFixupHandler dyn::fixup
            PythonHandler dyn::first
            PythonOption out "{root}/log.txt"
        </Directory>
    """)
    server.write("dyn.py", """
        from mod_python import apache

        def fixup(req):
            if req.args == "more":
                req.add_handler("PythonHandler", "dyn::added_by_fixup")
            return apache.OK

        def first(req):
            req.write("first")
            if req.args in ("more", "same"):
                req.add_handler("PythonHandler", "dyn::second")
                req.add_handler("PythonLogHandler", "dyn::logger")
            return apache.OK

        def second(req):
            req.write(" second"); return apache.OK

        def added_by_fixup(req):
            req.write(" from-fixup"); return apache.OK

        def logger(req):
            with open(req.get_options()["out"], "a") as f:
                f.write("logged " + req.args + "\\n")
            return apache.OK
    """)
    server.start()
    assert server.get("/x?more").text == "first from-fixup second"
    assert server.get("/x?same").text == "first second"
    assert server.get("/x").text == "first"
    assert wait_for_file(os.path.join(server.root, "log.txt"), 2) == ["logged more", "logged same"]
    time.sleep(0.3)
    assert wait_for_file(os.path.join(server.root, "log.txt"), 2) == ["logged more", "logged same"]


def test_add_handler_turns_on_a_phase_the_config_does_not_have(apache_factory):
    server = apache_factory("""
        <Directory "{htdocs}">
            PythonFixupHandler dyn
        </Directory>
    """)
    server.write("dyn.py", """
        from mod_python import apache

        def fixuphandler(req):
            if req.args == "python":
                req.handler = "mod_python"
                req.add_handler("PythonHandler", "dyn::content")
            return apache.OK

        def content(req):
            req.write("added " + req.uri); return apache.OK
    """)
    server.write("f.txt", "static\n")
    server.start()
    assert server.get("/f.txt?python").text == "added /f.txt"
    assert server.get("/f.txt").text == "static\n"


# ---------------------------------------------------------------- errors

def test_exception_gives_500_and_a_logged_traceback(apache_factory):
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler bad
        </Directory>
        <Directory "{htdocs}/debug">
            PythonDebug On
        </Directory>
        <Directory "{htdocs}/fixup">
            PythonFixupHandler bad::fix
        </Directory>
    """)
    code = """
        import sys

        def handler(req):
            if req.args == "exit":
                sys.exit("handler called sys.exit")
            raise ValueError("secret detail 42")
        def fix(req):
            raise KeyError("fixup broke")
    """
    for d in ("bad.py", "debug/bad.py", "fixup/bad.py"):
        server.write(d, code)
    server.start()
    r = server.get("/quiet?q=1")
    assert r.status_code == 500
    assert "secret detail" not in r.text and "Traceback" not in r.text
    log = server.error_log()
    assert "PythonHandler bad" in log
    assert "GET /quiet?q=1 HTTP/1.1" in log
    assert "ValueError: secret detail 42" in log
    assert "Traceback (most recent call last)" in log
    assert "httpd.conf:" in log                       # where the handler was configured

    r = server.get("/debug/x")
    assert r.status_code == 500
    assert "Traceback (most recent call last)" in r.text and "secret detail 42" in r.text

    r = server.get("/x?exit")
    assert r.status_code == 500
    assert "PythonHandler bad" in server.error_log() and "SystemExit: handler called sys.exit" in server.error_log()
    assert server.get("/x?again").status_code == 500          # the child is still serving

    r = server.get("/fixup/x")
    assert r.status_code == 500 and "fixup broke" not in r.text
    assert "PythonFixupHandler bad::fix" in server.error_log()


def test_missing_module_and_object_are_500_with_a_reason(apache_factory):
    server = apache_factory("""
        <Location "/nomodule">
            SetHandler mod_python
            PythonHandler no_such_module_here
        </Location>
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler h::missing
        </Directory>
        <Directory "{htdocs}/none">
            PythonHandler noneh::nothing
        </Directory>
    """)
    server.write("h.py", "def handler(req):\n    return 0\n")
    server.write("none/noneh.py", "nothing = None\n")
    server.write("none/x", "static")
    server.start()
    assert server.get("/nomodule").status_code == 500
    assert server.get("/x").status_code == 500
    # a handler that is None is no handler, but an error: mod_python calls it
    # (its suite's test_none_handler)
    assert server.get("/none/x").status_code == 500
    log = server.error_log()
    assert "No module named 'no_such_module_here'" in log
    assert "contains no 'missing'" in log       # mod_python's words (its suite looks for them)
    assert "'NoneType' object is not callable" in log


def test_a_handler_module_that_does_not_compile(apache_factory):
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler broken
        </Directory>
        <Directory "{htdocs}/debug">
            PythonDebug On
        </Directory>
    """)
    server.write("broken.py", "def handler(req)\n    return 0\n")
    server.write("debug/broken.py", "def handler(req)\n    return 0\n")
    server.start()
    r = server.get("/x")
    assert r.status_code == 500 and "SyntaxError" not in r.text
    assert "SyntaxError" in server.error_log() and "broken.py" in server.error_log()
    r = server.get("/debug/x")
    assert r.status_code == 500 and "SyntaxError" in r.text


# ---------------------------------------------------------------- the C fast path

def test_a_phase_without_python_handlers_never_enters_python(apache_factory):
    """A probe replaces modpy's phase dispatcher in the (single) child; a
    request to a location without Python handlers must not reach it."""
    server = apache_factory("""
        StartServers 1
        ServerLimit 1
        MinSpareThreads 1
        MaxSpareThreads 25
        ThreadsPerChild 25
        MaxRequestWorkers 25
        <Location "/py">
            SetHandler mod_python
            PythonHandler {htdocs}/probe.py
        </Location>
    """)
    server.write("probe.py", """
        import json, os
        from modpy.core.ffi import text
        from modpy.phases import request as dispatch

        calls = []

        def handler(req):
            if req.args == "install" and not hasattr(dispatch.phase, "probe"):
                real = dispatch.phase
                def probe(r, which, config_id):
                    calls.append((which, text(r.uri)))
                    return real(r, which, config_id)
                probe.probe = True
                dispatch.phase = probe
            req.write(json.dumps({"pid": os.getpid(), "calls": calls}))
            return 0
    """)
    server.write("static.txt", "static\n")
    server.start()
    pid = server.get("/py?install").json()["pid"]
    for _ in range(5):
        assert server.get("/static.txt").text == "static\n"
        assert server.get("/missing.txt").status_code == 404
    report = server.get("/py?report").json()
    assert report["pid"] == pid
    uris = [uri for _, uri in report["calls"]]
    assert uris == ["/py"]                              # the probe sees Python's calls ...
    which = report["calls"][0][0]
    assert which & 0xff == 8                            # ... of the response phase only,
    assert which & 0x100                                # its last with Python work (MODPY_LAST_PHASE)


def test_sections_taking_turns_with_python_path_do_not_grow_sys_path(apache_factory):
    server = apache_factory("""
        StartServers 1
        ServerLimit 1
        <Directory "{htdocs}/a">
            SetHandler mod_python
            PythonHandler h
            PythonPath "sys.path + ['{root}/a']"
        </Directory>
        <Directory "{htdocs}/b">
            SetHandler mod_python
            PythonHandler h
            PythonPath "['{root}/b'] + sys.path"
        </Directory>
    """)
    code = "import os, sys\ndef handler(req):\n    req.write(repr((os.getpid(), len(sys.path), sys.path[0], sys.path[-1])))\n    return 0\n"
    server.write("a/h.py", code)
    server.write("b/h.py", code)
    server.start()
    answers = {}
    for _ in range(4):
        for d in ("a", "b"):
            answers.setdefault(d, set()).add(server.get(f"/{d}/x").text)
    a, b = (eval(answers[d].pop()) for d in ("a", "b"))
    assert len(answers["a"]) == len(answers["b"]) == 0      # the same answer every time
    assert a[0] == b[0]                                      # from the one child
    assert a[3] == f"{server.root}/a" and b[2] == f"{server.root}/b"
    assert a[1] == b[1]                                      # base path plus one, each


def test_virtual_hosts_have_their_own_server_level_handlers(apache_factory):
    server = apache_factory("""
        PythonOption site main
        <VirtualHost 127.0.0.1:{port}>
            ServerName one.test
            PythonPostReadRequestHandler {htdocs}/site.py
            PythonOption site one
            <Location "/">
                SetHandler mod_python
                PythonHandler {htdocs}/site.py
            </Location>
        </VirtualHost>
        <VirtualHost 127.0.0.1:{port}>
            ServerName two.test
            PythonOption site two
            <Location "/">
                SetHandler mod_python
                PythonHandler {htdocs}/site.py
            </Location>
        </VirtualHost>
    """)
    server.write("site.py", """
        def postreadrequesthandler(req):
            req.early = "post-read ran"
            return 0

        def handler(req):
            req.write(req.get_options()["site"] + " " + getattr(req, "early", "no post-read"))
            return 0
    """)
    server.start()
    assert server.get("/", headers={"Host": "one.test"}).text == "one post-read ran"
    assert server.get("/", headers={"Host": "two.test"}).text == "two no post-read"


def test_post_read_request_and_log_phases_stop_on_an_error_too(apache_factory):
    server = apache_factory("""
        PythonPostReadRequestHandler {htdocs}/r.py::ok {htdocs}/r.py::declined {htdocs}/r.py::gate {htdocs}/r.py::boom_if_gated
        <Directory "{htdocs}">
            PythonLogHandler r::ok r::declined r::forbid r::boom
        </Directory>
    """)
    server.write("r.py", RESULTS + """
    def gate(req):
        return apache.HTTP_FORBIDDEN if req.uri == "/gated" else apache.OK
    def boom_if_gated(req):
        if req.uri == "/gated":
            raise RuntimeError("this handler must not run")
        return apache.OK
    """)
    server.write("file.txt", "static file\n")
    server.start()
    r = server.get("/gated", headers={"Connection": "close"})  # Apache drops the connection
    assert r.status_code == 403                                 # after a post-read refusal
    assert ran(r) == ["ok", "declined"]
    r = server.get("/file.txt")
    assert (r.status_code, r.text) == (200, "static file\n")
    time.sleep(0.5)                              # the log phase runs after the response
    assert "must not run" not in server.error_log()


def test_python_handler_module_runs_the_phases_its_module_defines(apache_factory):
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandlerModule whole
        </Directory>
    """)
    server.write("whole.py", """
        def fixuphandler(req):
            req.headers_out["X-Fixup"] = "ran"
            return 0

        def handler(req):
            req.write("content " + req.phase)
            return 0
    """)
    server.start()
    r = server.get("/x")
    assert (r.status_code, r.text, r.headers["x-fixup"]) == (200, "content PythonHandler", "ran")
    assert "has no" not in server.error_log()


def test_handlers_in_a_files_section_belong_to_the_directory_around_it(apache_factory):
    # as mod_python (its suite's test_files_directive): req.hlist.directory,
    # and the directory the handler module is imported from
    server = apache_factory("""
        <Directory "{htdocs}">
            <Files "*.py">
                SetHandler mod_python
                PythonHandler files_dir
            </Files>
        </Directory>
    """)
    server.write("files_dir.py", "def handler(req):\n    req.write(req.hlist.directory)\n    return 0\n")
    server.start()
    assert server.get("/files_dir.py").text == server.htdocs + "/"


def test_add_handler_directory_gets_a_trailing_slash(apache_factory):
    # as mod_python (its suite's test_req_add_handler_directory)
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonFixupHandler adder
        </Directory>
    """)
    server.write("adder.py", """
        import os
        from mod_python import apache

        def fixuphandler(req):
            req.add_handler("PythonHandler", "adder::show", os.path.dirname(__file__) + "/./")
            req.add_handler("PythonHandler", "adder::show", os.path.dirname(__file__))
            return apache.OK

        def show(req):
            req.write(req.hlist.directory + "|")
            return apache.OK
    """)
    server.start()
    assert server.get("/adder.py").text == (server.htdocs + "/|") * 2
