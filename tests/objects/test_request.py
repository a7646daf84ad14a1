"""The request object against a real Apache: members, writable members,
and the methods of the manual's "Request Object"."""
import base64
import os

SITE = """
    <Directory "{htdocs}">
        SetHandler mod_python
        PythonHandler probe
        PythonOption opt1 value1
        AuthType Basic
        AuthName "probe realm"
        Require ip 127.0.0.1
    </Directory>
"""


def start(apache_factory, code, body=SITE, **kw):
    server = apache_factory(body, **kw)
    server.write("probe.py", code)
    server.write("static.txt", "static file\n")
    server.start()
    return server


def test_members_have_the_manuals_types(apache_factory):
    server = start(apache_factory, """
        import json, time
        from mod_python import apache

        def handler(req):
            out = dict(
                the_request=req.the_request, protocol=req.protocol, proto_num=req.proto_num,
                hostname=req.hostname, method=req.method, method_number=req.method_number,
                uri=req.uri, unparsed_uri=req.unparsed_uri, args=req.args,
                filename=req.filename, path_info=req.path_info, status=req.status,
                header_only=req.header_only, assbackwards=req.assbackwards,
                age=time.time() - req.request_time,
                parsed_uri=list(req.parsed_uri), query=req.parsed_uri[apache.URI_QUERY],
                finfo_type=req.finfo[apache.FINFO_FILETYPE], finfo_size=req.finfo.size,
                content_languages=list(req.content_languages),
                main=req.main, prev=req.prev, next=req.next,
                is_initial=req.main is None,
                server=req.server.server_hostname, port=req.server.port,
                remote_ip=req.connection.remote_ip, local_addr=list(req.connection.local_addr),
                useragent_addr=req.useragent_addr[0], phase=req.phase,
                interpreter=req.interpreter, hlist=(req.hlist.handler, req.hlist.silent, req.hlist.directory, req.hlist.parent), options=dict(req.get_options()),
                clength=req.clength, chunked=req.chunked, allowed=req.allowed,
                keepalive=req.connection.keepalive, aborted=req.connection.aborted,
            )
            req.content_type = "application/json"
            req.write(json.dumps(out))
            return apache.OK
    """)
    r = server.get("/probe.py/extra?a=1&b=%FF")
    assert r.status_code == 200, server.error_log()
    d = r.json()
    assert d["the_request"] == "GET /probe.py/extra?a=1&b=%FF HTTP/1.1"
    assert (d["protocol"], d["proto_num"], d["method"], d["method_number"]) == ("HTTP/1.1", 1001, "GET", 0)
    assert d["uri"] == "/probe.py/extra" and d["path_info"] == "/extra" and d["args"] == "a=1&b=%FF"
    assert d["filename"] == os.path.join(server.htdocs, "probe.py")
    assert 0 <= d["age"] < 60
    assert d["parsed_uri"][6] == "/probe.py/extra" and d["query"] == "a=1&b=%FF"
    assert d["finfo_type"] == 1 and d["finfo_size"] == os.path.getsize(d["filename"])
    assert d["main"] is None and d["prev"] is None and d["next"] is None
    assert d["remote_ip"] == "127.0.0.1" and d["local_addr"] == ["127.0.0.1", server.port]
    assert d["port"] == server.port and d["phase"] == "PythonHandler"
    assert d["interpreter"] == "127.0.0.1" and d["options"] == {"opt1": "value1"}
    assert d["hlist"] == ["probe", False, server.htdocs + "/", None]
    assert d["keepalive"] in (0, 1, 2) and d["aborted"] == 0 and type(d["aborted"]) is int   # as mod_python


def test_writable_members_and_wrong_types(apache_factory):
    server = start(apache_factory, """
        from mod_python import apache

        def handler(req):
            errors = []
            for name, value in (("status", "200"), ("content_type", 5), ("filename", 1.5),
                                ("no_cache", "yes"), ("the_request", "x")):
                try:
                    setattr(req, name, value)
                    errors.append(name + ":no error")
                except (TypeError, AttributeError) as e:
                    errors.append(name + ":" + type(e).__name__)
            req.status = 201
            req.content_type = "text/x-probe"
            req.no_cache = 1
            req.filename = "/tmp/other"
            req.path_info = "/pi"
            req.user = "someone"
            req.headers_out["X-Filename"] = req.filename + req.path_info + req.user
            req.write(" ".join(errors))
            return apache.OK
    """)
    r = server.get("/probe.py")
    assert r.status_code == 201
    assert r.headers["content-type"] == "text/x-probe"
    assert r.headers["x-filename"] == "/tmp/other/pisomeone"
    assert "no-cache" in r.headers.get("cache-control", "") or r.headers.get("expires")
    assert r.text == ("status:TypeError content_type:TypeError filename:TypeError "
                      "no_cache:TypeError the_request:AttributeError")


def test_http_helpers(apache_factory):
    server = start(apache_factory, """
        import os
        from mod_python import apache

        def handler(req):
            what = req.args
            if what == "cond":
                req.update_mtime(os.stat(req.filename).st_mtime)
                req.set_last_modified()
                req.set_etag()
                status = req.meets_conditions()
                if status != apache.OK:
                    return status
                req.write("fresh")
            elif what == "length":
                req.set_content_length(5)
                req.write("12345")
            elif what == "url":
                req.write(req.construct_url("/x/y") + " " + req.document_root() + " "
                          + str(req.get_remote_host(apache.REMOTE_NOLOOKUP, 1)))
            elif what == "allow":
                req.allow_methods(["GET", "PROPFIND"], reset=1)
                return apache.HTTP_METHOD_NOT_ALLOWED
            elif what == "auth":
                pw = req.get_basic_auth_pw()
                req.write(repr((req.auth_name(), req.auth_type(), req.user, pw, req.requires())))
            elif what == "sendfile":
                n = req.sendfile(os.path.join(os.path.dirname(req.filename), "static.txt"), 2, 5)
                req.write(" %d" % n)
            elif what == "nofile":
                req.sendfile("/nonexistent/file")
            elif what == "discard":
                req.write(str(req.discard_request_body()))
            return apache.OK
    """)
    r = server.get("/probe.py?cond")
    assert r.text == "fresh" and "last-modified" in r.headers and "etag" in r.headers
    r2 = server.get("/probe.py?cond", headers={"If-None-Match": r.headers["etag"]})
    assert r2.status_code == 304
    r2 = server.get("/probe.py?cond", headers={"If-Modified-Since": r.headers["last-modified"]})
    assert r2.status_code == 304
    r = server.get("/probe.py?length")
    assert r.headers["content-length"] == "5" and r.text == "12345"
    r = server.get("/probe.py?url")
    assert r.text == f"http://127.0.0.1:{server.port}/x/y {server.htdocs} ('127.0.0.1', True)"
    r = server.get("/probe.py?allow")
    assert r.status_code == 405 and set(r.headers["allow"].replace(" ", "").split(",")) >= {"GET", "PROPFIND"}
    r = server.get("/probe.py?auth", auth=("alice", "s3cret"))
    assert r.text == repr(("probe realm", "Basic", "alice", "s3cret", ("all granted", "ip 127.0.0.1")))
    r = server.get("/probe.py?auth")
    assert r.text == repr(("probe realm", "Basic", None, None, ("all granted", "ip 127.0.0.1")))
    # credentials that are not UTF-8 read as Latin-1, as mod_python reads them
    # (its suite's test_req_get_basic_auth_pw_latin1); UTF-8 ones as UTF-8
    latin1 = "Basic " + base64.b64encode(b"sp\xe1m:\xe9ggs").decode()
    r = server.get("/probe.py?auth", headers={"Authorization": latin1})
    assert eval(r.text)[2:4] == ("sp\xe1m", "\xe9ggs")
    utf8 = "Basic " + base64.b64encode("sp\xe1m:\u20ac".encode()).decode()
    assert eval(server.get("/probe.py?auth", headers={"Authorization": utf8}).text)[2:4] == ("sp\xe1m", "\u20ac")
    r = server.get("/probe.py?sendfile")
    assert r.text == "atic  5"
    r = server.get("/probe.py?nofile")
    assert r.status_code == 500
    assert "FileNotFoundError: [Errno 2] cannot open '/nonexistent/file'" in server.error_log()
    r = server.post("/probe.py?discard", content=b"x" * 100000)
    assert r.text == "0"


def test_internal_redirect_and_prev_next(apache_factory):
    server = start(apache_factory, """
        from mod_python import apache

        def handler(req):
            if req.args == "go":
                req.notes["from"] = "first"
                req.internal_redirect("/probe.py?landed")
                return apache.OK
            prev = req.prev
            req.write(repr((req.args, prev.args if prev else None,
                            prev.next is req if prev else None,
                            prev.notes.get("from") if prev else None,
                            req.subprocess_env.get("REDIRECT_STATUS"))))
            return apache.OK
    """)
    r = server.get("/probe.py?go")
    assert r.text == repr(("landed", "go", True, "first", None)) or \
        r.text == repr(("landed", "go", True, "first", "200")), server.error_log()


def test_cleanups_and_use_after_the_request(apache_factory):
    server = start(apache_factory, """
        from mod_python import apache
        kept = {}

        def done(data):
            apache.log_error("cleanup ran with " + repr(data), apache.APLOG_NOTICE)

        def uses_req(req):
            req.log_error("cleanup sees " + req.uri, apache.APLOG_NOTICE)

        def boom(data):
            raise ValueError("cleanup failure " + data)

        def handler(req):
            if req.args == "later":
                errors = []
                for use in (lambda: kept["headers"]["x"], lambda: kept["req"].uri,
                            lambda: setattr(kept["req"], "status", 200)):
                    try:
                        use()
                    except RuntimeError as e:
                        errors.append("RuntimeError")
                req.write(" ".join(errors))
                return apache.OK
            req.register_cleanup(uses_req, req)     # before any table: req still live then
            kept["headers"] = req.headers_in
            kept["req"] = req
            req.register_cleanup(done, "data1")
            req.register_cleanup(boom, "x")
            req.write("kept")
            return apache.OK
    """, mpm="prefork")
    # prefork with one child: both requests reach the same process
    assert server.get("/probe.py").text == "kept"
    assert server.get("/probe.py?later").text in ("RuntimeError RuntimeError RuntimeError", "")
    log = server.error_log()
    assert "cleanup ran with 'data1'" in log
    assert "cleanup failure x" in log
    assert "cleanup sees /probe.py" in log
    assert server.get("/probe.py").status_code == 200


def test_a_request_or_table_kept_past_the_request_raises_and_costs_a_cleanup_only_then(apache_factory):
    """The Request and its tables are cut loose with the request pool only
    if something still holds them after the last Python phase: a request
    that keeps nothing costs no pool cleanup (the ticket counter moves by
    the one this handler draws)."""
    server = start(apache_factory, """
        from mod_python import apache
        from modpy.core import cleanups
        kept = {}

        def handler(req):
            if req.args == "use":
                errors = []
                for use in (lambda: kept["req"].uri, lambda: kept["req"].headers_in["host"],
                            lambda: kept["notes"]["x"], lambda: kept["out"].add("x", "y")):
                    try:
                        use()
                    except (RuntimeError, KeyError) as e:
                        errors.append(type(e).__name__)
                req.write(" ".join(errors) + " ")
            host = req.headers_in["Host"]             # tables read, nothing kept
            req.headers_out["X-Host"] = host
            if req.args == "keep-req":
                kept["req"] = req
            elif req.args == "keep-tables":
                kept["notes"], kept["out"] = req.notes, req.headers_out
            req.write(str(next(cleanups._tickets)))
            return apache.OK
    """, mpm="prefork")
    # prefork with one child: the requests reach the same process
    tickets = [int(server.get("/probe.py").text) for _ in range(3)]
    assert tickets[2] - tickets[1] == 1                       # no cleanup of its own
    before = int(server.get("/probe.py?keep-req").text)
    used = server.get("/probe.py?use").text.split()
    assert int(used[-1]) - before == 2                        # one, for the kept req
    assert used[:4] == ["RuntimeError", "RuntimeError", "KeyError", "KeyError"]
    server.get("/probe.py?keep-tables")
    assert server.get("/probe.py?use").text.split()[:4] == ["RuntimeError"] * 4
    assert server.crashes() == 0


def test_sub_requests_see_their_main(apache_factory):
    from modpy.tools.apacheconf import DEFAULT_MODULES
    server = apache_factory("""
        <Directory "{htdocs}">
            Options +Includes
            AddOutputFilter INCLUDES .shtml
        </Directory>
        <Location /sub>
            SetHandler mod_python
            PythonPath "sys.path + ['{htdocs}']"
            PythonHandler probe
        </Location>
    """, modules=DEFAULT_MODULES + ("include",))
    server.write("probe.py", """
        from mod_python import apache

        def handler(req):
            main = req.main
            req.write(repr((req.uri, main.uri if main else None, main.main if main else "-",
                            main.notes.get("seen") if main else None)))
            return apache.OK
    """)
    server.write("page.shtml", '[<!--#include virtual="/sub/one" -->]')
    server.start()
    r = server.get("/page.shtml")
    assert r.text == "[" + repr(("/sub/one", "/page.shtml", None, None)) + "]", server.error_log()
    assert server.get("/sub/direct").text == repr(("/sub/direct", None, "-", None))


def test_mod_python_type_names_argv_and_server_version(apache_factory):
    # what code written for mod_python looks at (its suite's test_req_members,
    # test_sys_argv, testLoadModule): the types' names, _content_type_set,
    # sys.argv, and Python in the server's version string
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler names
        </Directory>
    """)
    server.write("names.py", """
        import sys
        from mod_python import apache

        def handler(req):
            before = req._content_type_set
            req.content_type = "text/plain"
            req.add_common_vars()
            req.write(repr([str(type(req)), str(type(req.connection)), str(type(req.server)),
                            str(type(req.headers_in)), before, req._content_type_set, sys.argv,
                            "Python/" in req.subprocess_env["SERVER_SOFTWARE"]]))
            return apache.OK
    """)
    server.start()
    r = server.get("/names")
    assert eval(r.text) == ["<class 'mp_request'>", "<class 'mp_conn'>", "<class 'mp_server'>",
                            "<class 'mp_table'>", 0, 1, ["mod_python"], True]
    assert "modpy/" in r.headers["server"] and "Python/3." in r.headers["server"]


EXTS_PROBE = """
    from mod_python import apache

    def handler(req):
        req.write(repr(req.get_addhandler_exts()))
        return apache.OK
"""


def test_addhandler_exts_without_mod_mime(apache_factory):
    # no mod_mime: no AddHandler anywhere, and no config of its to read
    from modpy.tools.apacheconf import DEFAULT_MODULES
    server = start(apache_factory, EXTS_PROBE, modules=tuple(m for m in DEFAULT_MODULES if m != "mime"))
    assert "mod_mime" not in open(server.conf_path).read()
    assert server.get("/probe.py").text == "''"


def test_addhandler_exts_from_many_threads(apache_factory):
    # the event MPM: threads read the same <Directory>'s mappings, and the
    # ones merged per request with an .htaccess, at once; each answer whole
    import concurrent.futures

    import httpx
    exts = [f"e{i}" for i in range(40)]
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler probe
            AddHandler mod_python %s
            AddHandler cgi-script .cgi
        </Directory>
        <Directory "{htdocs}/ht">
            AllowOverride FileInfo
        </Directory>
    """ % " ".join("." + e for e in exts))
    server.write("probe.py", EXTS_PROBE)
    server.write("ht/.htaccess", "AddHandler mod_python .fromht\nRemoveHandler .e0\n")
    server.start()
    expected = {"/probe.py": repr("".join(f"{e} " for e in sorted(exts))),
                "/ht/x": repr("".join(f"{e} " for e in sorted(exts[1:] + ["fromht"])))}

    def fetch(n: int) -> bool:
        path = ("/probe.py", "/ht/x")[n % 2]
        with httpx.Client(timeout=30) as client:
            return all(client.get(server.url(path)).text == expected[path] for _ in range(10))

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        assert all(pool.map(fetch, range(16))), server.error_log()
