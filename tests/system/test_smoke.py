"""The shortest path through modpy: one handler, one request."""


def test_hello_handler_runs_in_apache(apache_factory):
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler hello
        </Directory>
    """)
    server.write("hello.py", """
        from mod_python import apache

        def handler(req):
            req.content_type = "text/plain"
            req.write("hello " + req.uri)
            return apache.OK
    """)
    server.start()
    r = server.get("/x/y")
    assert r.status_code == 200
    assert r.text == "hello /x/y"
    assert r.headers["content-type"] == "text/plain"


def test_request_body_and_cgi_vars(apache_factory):
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler echo
        </Directory>
    """)
    server.write("echo.py", """
        def handler(req):
            first = req.readline()
            rest = req.read()
            req.add_common_vars()
            req.add_cgi_vars()
            req.content_type = "text/plain"
            req.write(repr((first, rest, req.subprocess_env.get("REQUEST_METHOD"),
                            req.subprocess_env.get("HTTP_X_TEST"))))
            return 0
    """)
    server.start()
    r = server.post("/e", content=b"line one\nrest\xff", headers={"X-Test": "yes"})
    assert r.text == repr((b"line one\n", b"rest\xff", "POST", "yes"))
    # chunked body, de-chunked by Apache
    r = server.post("/e", content=iter([b"ab\n", b"cd"]))
    assert r.text == repr((b"ab\n", b"cd", "POST", None))
