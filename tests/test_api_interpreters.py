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
