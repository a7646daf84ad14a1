"""The first request object against a real Apache: members, tables,
options, config, logging, and hostile bytes reaching a handler."""
from __future__ import annotations

import socket


def _server(apache_factory, code: str, extra: str = "", **conf):
    server = apache_factory(f"""
        <Directory "{{htdocs}}">
            SetHandler mod_python
            PythonHandler h
            {extra}
        </Directory>
    """, **conf)
    server.write("h.py", code)
    return server.start()


def test_request_members(apache_factory):
    server = _server(apache_factory, """
        import json
        from mod_python import apache

        def handler(req):
            req.content_type = "application/json"
            req.write(json.dumps({
                "uri": req.uri, "method": req.method, "args": req.args,
                "filename": req.filename, "path_info": req.path_info,
                "phase": req.phase, "status": req.status,
                "protocol": req.protocol, "the_request": req.the_request,
                "ua": req.headers_in["user-agent"], "ct": req.content_type,
            }))
            return apache.OK
    """)
    server.write("script.txt", "x")
    r = server.get("/script.txt/extra/path?a=1&b=2", headers={"User-Agent": "probe/1"})
    assert r.status_code == 200
    got = r.json()
    assert got == {
        "uri": "/script.txt/extra/path", "method": "GET", "args": "a=1&b=2",
        "filename": server.htdocs + "/script.txt", "path_info": "/extra/path",
        "phase": "PythonHandler", "status": 200, "protocol": "HTTP/1.1",
        "the_request": "GET /script.txt/extra/path?a=1&b=2 HTTP/1.1",
        "ua": "probe/1", "ct": "application/json",
    }
    assert server.get("/script.txt").json()["args"] is None


def test_status_and_headers_out(apache_factory):
    server = _server(apache_factory, """
        from mod_python import apache

        def handler(req):
            req.status = apache.HTTP_CREATED
            req.content_type = "text/plain"
            req.headers_out["X-One"] = "1"
            req.headers_out.add("Set-Cookie", "a=1")
            req.headers_out.add("set-cookie", "b=2")
            req.err_headers_out["X-Err"] = "kept"
            assert req.headers_out.get_all("SET-COOKIE") == ["a=1", "b=2"]
            assert "x-one" in req.headers_out and req.headers_out["X-ONE"] == "1"
            del req.headers_out["x-one"]
            req.headers_out["X-Two"] = "2"
            req.write("made")
            return apache.OK
    """)
    r = server.get("/x")
    assert r.status_code == 201
    assert r.text == "made"
    assert r.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert "x-one" not in r.headers
    assert r.headers["x-two"] == "2"
    assert r.headers["x-err"] == "kept"


def test_err_headers_out_survive_an_error(apache_factory):
    server = _server(apache_factory, """
        from mod_python import apache

        def handler(req):
            req.err_headers_out["X-Why"] = "denied"
            req.headers_out["X-Lost"] = "lost"
            return apache.HTTP_FORBIDDEN
    """)
    r = server.get("/x")
    assert r.status_code == 403
    assert r.headers["x-why"] == "denied"
    assert "x-lost" not in r.headers


def test_headers_in_case_insensitive_multi_valued(apache_factory):
    server = _server(apache_factory, """
        import json

        def handler(req):
            h = req.headers_in
            req.write(json.dumps([h["x-multi"], h["X-MULTI"], h.get_all("X-Multi"),
                                  "x-multi" in h, "x-absent" in h, h.get("x-absent", "dflt")]))
            return 0
    """)
    r = server.get("/x", headers=[("X-Multi", "a"), ("X-Multi", "b")])
    first, first_upper, all_values, present, absent, default = r.json()
    assert first == first_upper
    assert ", ".join(all_values) in ("a, b", "a,b") or all_values == ["a", "b"]
    assert (present, absent, default) == (True, False, "dflt")


def test_get_options_get_config_and_log_error(apache_factory):
    server = _server(apache_factory, """
        import json
        from mod_python import apache

        def handler(req):
            req.log_error("handler says hello", apache.APLOG_WARNING)
            apache.log_error("module says hello", apache.APLOG_ERR)
            req.write(json.dumps([dict(req.get_options()), dict(req.get_config())]))
            return apache.OK
    """, extra="""
            PythonOption colour blue
            PythonOption "two words" "value with spaces"
            PythonDebug On
            PythonAutoReload Off
            PythonInterpreter shared
    """)
    options, config = server.get("/x").json()
    assert options == {"colour": "blue", "two words": "value with spaces"}
    assert config == {"PythonDebug": "1", "PythonAutoReload": "0", "PythonInterpreter": "shared"}
    log = server.error_log()
    assert "handler says hello" in log and "module says hello" in log
    line = next(l for l in log.splitlines() if "handler says hello" in l)
    assert ":warn]" in line and "[client 127.0.0.1" in line


def test_apache_constants(apache_factory):
    server = _server(apache_factory, """
        import json
        from mod_python import apache

        def handler(req):
            names = ["OK", "DECLINED", "DONE", "HTTP_OK", "HTTP_NOT_FOUND", "HTTP_FORBIDDEN",
                     "HTTP_UNAUTHORIZED", "HTTP_INTERNAL_SERVER_ERROR", "HTTP_MOVED_TEMPORARILY",
                     "APLOG_EMERG", "APLOG_ERR", "APLOG_NOTICE", "APLOG_DEBUG"]
            req.write(json.dumps({n: getattr(apache, n) for n in names}))
            return apache.OK
    """)
    assert server.get("/x").json() == {
        "OK": 0, "DECLINED": -1, "DONE": -2, "HTTP_OK": 200, "HTTP_NOT_FOUND": 404,
        "HTTP_FORBIDDEN": 403, "HTTP_UNAUTHORIZED": 401, "HTTP_INTERNAL_SERVER_ERROR": 500,
        "HTTP_MOVED_TEMPORARILY": 302, "APLOG_EMERG": 0, "APLOG_ERR": 3, "APLOG_NOTICE": 5,
        "APLOG_DEBUG": 7,
    }


def _raw_request(server, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(request)
        chunks = []
        while True:
            data = s.recv(65536)
            if not data:
                return b"".join(chunks)
            chunks.append(data)


def test_hostile_bytes_reach_a_handler_without_crashing(apache_factory):
    server = _server(apache_factory, """
        from mod_python import apache

        def handler(req):
            parsed = apache.parse_qs(req.args or "")
            value = req.headers_in["X-Bad"]
            cookie = req.headers_in.get("Cookie")
            req.headers_out["X-Echo"] = value          # back to the client, same bytes
            req.content_type = "application/octet-stream"
            req.write(req.args + "|" + value + "|" + cookie + "|" + repr(sorted(parsed)) + "|" + req.uri)
            return apache.OK
    """)
    raw = (b"GET /x%E9\xff?q=caf\xe9&r=%ff%fe&s=\xc3\x28 HTTP/1.0\r\nHost: 127.0.0.1\r\n"
           b"X-Bad: caf\xe9\xff\r\nCookie: sid=\xe9\x80abc; other=\xc0\r\nConnection: close\r\n\r\n")
    response = _raw_request(server, raw)
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), response  # answered as 1.1, body not chunked for 1.0
    assert b"\r\nX-Echo: caf\xe9\xff" in head
    args, value, cookie, parsed, uri = body.split(b"|")
    assert uri == b"/x\xe9\xff"
    assert args == b"q=caf\xe9&r=%ff%fe&s=\xc3\x28"
    assert value == b"caf\xe9\xff"
    assert cookie == b"sid=\xe9\x80abc; other=\xc0"
    assert parsed == b"['q', 'r', 's']"
    # the same through a percent-encoded query string and a latin-1 header via httpx
    r = server.get("/x?q=%E9", headers={"X-Bad": b"\xe9t\xe9", "Cookie": "a=b"})
    assert r.status_code == 200
    assert r.content == b"q=%E9|\xe9t\xe9|a=b|['q']|/x"
    assert "Traceback" not in server.error_log()
