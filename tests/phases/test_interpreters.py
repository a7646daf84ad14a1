"""Interpreter names: PythonInterpreter, PythonInterpPerDirectory,
PythonInterpPerDirective, PythonImport into a named interpreter, and two
sites with a handlers.py each, side by side (docs/interpreters.md)."""

HANDLERS = """
    from mod_python import apache
    import counter
    SITE = {site!r}
    hits = []

    def handler(req):
        hits.append(1)
        counter.bump()
        req.write(repr((SITE, len(hits), counter.total(), req.interpreter, apache.interpreter,
                        counter.loaded_in)))
        return apache.OK
"""

COUNTER = """
    from mod_python import apache
    loaded_in = apache.interpreter
    _n = []

    def bump():
        _n.append(1)

    def total():
        return len(_n)
"""


def test_two_sites_side_by_side(apache_factory):
    server = apache_factory("""
        PythonPath "sys.path + ['{root}/lib']"
        PythonImport counter siteA
        PythonImport counter siteB
        <Directory "{htdocs}/a">
            SetHandler mod_python
            PythonHandler handlers
            PythonInterpreter siteA
        </Directory>
        <Directory "{htdocs}/b">
            SetHandler mod_python
            PythonHandler handlers
            PythonInterpreter siteB
        </Directory>
        <Directory "{htdocs}/c">
            SetHandler mod_python
            PythonHandler handlers
            PythonInterpPerDirectory On
        </Directory>
    """, mpm="prefork")
    server.write("a/handlers.py", HANDLERS.format(site="A"))
    server.write("b/handlers.py", HANDLERS.format(site="B"))
    server.write("c/handlers.py", HANDLERS.format(site="C"))
    import os
    os.makedirs(os.path.join(server.root, "lib"))
    with open(os.path.join(server.root, "lib", "counter.py"), "w") as f:
        import textwrap
        f.write(textwrap.dedent(COUNTER))
    server.start()
    results = [eval(server.get(p).text) for p in ("/a/x", "/a/x", "/b/x", "/a/x", "/c/x")]
    # prefork: a request may land on any child, so compare per site
    a = [r for r in results if r[0] == "A"]
    b = [r for r in results if r[0] == "B"]
    assert all(r[3] == r[4] == r[5] == "siteA" for r in a), results
    assert all(r[3] == r[4] == r[5] == "siteB" for r in b), results
    assert all(r[1] == r[2] for r in a + b)    # each site's counter is its own copy
    c = results[4]
    assert c[3] == c[4] == server.htdocs + "/c/"
    assert "failed" not in server.error_log()


def test_interp_per_directive_and_default(apache_factory):
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler who
        </Directory>
        <Directory "{htdocs}/sub">
            PythonInterpPerDirective On
        </Directory>
    """)
    who = """
        from mod_python import apache
        def handler(req):
            req.write(req.interpreter)
            return apache.OK
    """
    server.write("who.py", who)
    server.write("sub/x", "")
    server.start()
    assert server.get("/who").text == "127.0.0.1"
    # the directive stands in {htdocs}, so its directory names the interpreter
    assert server.get("/sub/x").text == server.htdocs + "/"


# Filters and connection handlers are placed by the same rules as request
# handlers (modpy.phases.placement): each says which interpreter it ran in.
WHERE_FILTER = """
    from mod_python import apache

    def outputfilter(filter):
        data = filter.read()
        while data:
            filter.write(data)
            data = filter.read()
        if data is None:
            filter.write("|filter in " + apache.interpreter)
            filter.close()
"""

WHERE_HANDLER = """
    from mod_python import apache

    def handler(req):
        req.content_type = "text/plain"
        req.register_output_filter("WHEREDYN", "where_filter::outputfilter")
        req.add_output_filter("WHEREDYN")
        req.write("handler in " + req.interpreter)
        return apache.OK
"""


def _filter_site(apache_factory, directive: str):
    server = apache_factory(f"""
        PythonPath "sys.path + ['{{htdocs}}']"
        PythonOutputFilter where_filter WHERE
        <Directory "{{htdocs}}/static">
            SetOutputFilter WHERE
            {directive}
        </Directory>
        <Directory "{{htdocs}}/dyn">
            SetHandler mod_python
            PythonHandler handler
            {directive}
        </Directory>
        <Directory "{{htdocs}}/plain">
            SetHandler mod_python
            PythonHandler handler
        </Directory>
    """)
    server.write("where_filter.py", WHERE_FILTER)
    server.write("static/page.txt", "static")
    server.write("dyn/handler.py", WHERE_HANDLER)
    server.write("plain/handler.py", WHERE_HANDLER)
    server.start()
    return server


def test_a_filter_runs_in_the_interpreter_python_interpreter_names(apache_factory):
    server = _filter_site(apache_factory, "PythonInterpreter filters_here")
    assert server.get("/static/page.txt").text == "static|filter in filters_here"
    assert server.get("/dyn/x").text == "handler in filters_here|filter in filters_here"


def test_a_filter_honours_interp_per_directory(apache_factory):
    server = _filter_site(apache_factory, "PythonInterpPerDirectory On")
    assert server.get("/static/page.txt").text == f"static|filter in {server.htdocs}/static/"
    assert server.get("/dyn/x").text == (f"handler in {server.htdocs}/dyn/|filter in {server.htdocs}/dyn/")


def test_a_filter_honours_interp_per_directive(apache_factory):
    """A filter registered by a handler belongs to that handler's section;
    one named by a server-level PythonOutputFilter has no section, and
    runs in the virtual host's interpreter."""
    server = _filter_site(apache_factory, "PythonInterpPerDirective On")
    assert server.get("/dyn/x").text == f"handler in {server.htdocs}/dyn/|filter in {server.htdocs}/dyn/"
    host = server.get("/plain/x").text.split("|")[0][len("handler in "):]
    assert server.get("/static/page.txt").text == f"static|filter in {host}"


WHERE_PROTOCOL = """
    from mod_python import apache

    def connectionhandler(conn):
        conn.write(("connection in " + apache.interpreter + "\\n").encode())
        return apache.OK
"""


def _connection_says(apache_factory, directive: str) -> bytes:
    import socket

    from tests.apache import free_port
    port = free_port()
    server = apache_factory(f"""
        AcceptFilter http none
        <VirtualHost 127.0.0.1:{port}>
            ServerName proto.example
            PythonPath "sys.path + ['{{htdocs}}']"
            {directive}
            PythonConnectionHandler where_protocol
        </VirtualHost>
    """, extra_listen=[f"127.0.0.1:{port}"])
    server.write("where_protocol.py", WHERE_PROTOCOL)
    server.start()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        return s.makefile("rb").readline()


def test_a_connection_handler_runs_in_the_interpreter_python_interpreter_names(apache_factory):
    assert _connection_says(apache_factory, "PythonInterpreter protocols") == b"connection in protocols\n"


def test_a_connection_handler_without_a_directory_or_file_runs_in_its_host(apache_factory):
    """PythonInterpPerDirectory and PythonInterpPerDirective name a file's
    or a section's directory; a connection has neither, so its handler
    runs in its virtual host's interpreter, as without them."""
    for directive in ("PythonInterpPerDirectory On", "PythonInterpPerDirective On", ""):
        assert _connection_says(apache_factory, directive) == b"connection in proto.example\n", directive


def test_interp_per_directory_names_a_directory_by_itself(apache_factory):
    # mod_python: a request for a directory runs in that directory's
    # interpreter, with or without its trailing slash (its suite's
    # test_interpreter_per_directory)
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonInterpPerDirectory On
            PythonFixupHandler who
        </Directory>
    """)
    server.write("who.py", """
        from mod_python import apache
        def fixuphandler(req):
            req.write(req.interpreter)
            return apache.DONE
    """)
    server.write("sub/x", "")
    server.start()
    assert server.get("/who.py").text == server.htdocs + "/"
    assert server.get("/sub/nothing.py").text == server.htdocs + "/sub/"
    assert server.get("/sub/").text == server.htdocs + "/sub/"
    assert server.get("/sub").text == server.htdocs + "/sub/"


def test_python_import_is_in_sys_modules_and_writes_server_options(apache_factory):
    # as in mod_python's interpreter (its suite's test_import): the module
    # PythonImport loaded is sys.modules' entry, and what its function
    # writes into the main server's options stays there for the handlers
    server = apache_factory("""
        PythonPath "sys.path + ['{htdocs}']"
        PythonImport dm site
        PythonImport dm::function site
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler h
            PythonInterpreter site
        </Directory>
    """)
    server.write("dm.py", """
        from mod_python import apache
        def function():
            apache.main_server.get_options()["dm::function"] = "1"
    """)
    server.write("h.py", """
        import sys
        import dm
        from mod_python import apache
        def handler(req):
            req.write(repr((sys.modules["dm"] is dm, apache.main_server.get_options().get("dm::function"))))
            return apache.OK
    """)
    server.start()
    assert server.get("/h").text == "(True, '1')"
