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
