"""The table object over apr_table_t, and apache.table/make_table."""

CODE = """
    from mod_python import apache

    def handler(req):
        t = apache.table()
        t["Content-Type"] = "a"
        t.add("set-cookie", "1")
        t.add("Set-Cookie", "2")
        h = req.headers_in
        out = [
            t["content-type"], t["SET-COOKIE"], t.get("set-cookie"), t.get_all("Set-Cookie"),
            "CONTENT-TYPE" in t, "nope" in t, 5 in t, len(t), list(t.keys()),
            sorted(dict(apache.make_table({"b": "2", "a": "1"}).items()).items()),
            apache.table([("x", "1"), ("x", "2")]).get_all("X"),
            h["x-multi"], h.get_all("X-MULTI"), h.get("x-bytes"),
        ]
        p = apache.table([("a", "1"), ("A", "2"), ("b", "3")])
        out.append((p.pop("a"), p.pop("B"), p.pop("gone", "dflt"), list(p.items())))
        try:
            p.pop("gone")
        except KeyError:
            out.append("pop KeyError")
        del t["set-cookie"]
        out.append(list(t.items()))
        try:
            del t["absent"]
        except KeyError:
            out.append("KeyError")
        for bad in (lambda: t.__setitem__("k", None), lambda: t.__setitem__("k\\0", "v")):
            try:
                bad()
            except (TypeError, ValueError) as e:
                out.append(type(e).__name__)
        req.headers_out.add("X-Out", "one")
        req.headers_out.add("X-Out", "two")
        req.err_headers_out["X-Err"] = "kept"
        t.clear()
        out.append(len(t))
        req.write(repr(out))
        return apache.OK
"""


def test_table(apache_factory):
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler t
        </Directory>
    """)
    server.write("t.py", CODE)
    server.start()
    r = server.get("/t", headers=[("X-Multi", "1"), ("X-Multi", "2"), ("X-Bytes", b"\xff\xfe")])
    assert r.status_code == 200, server.error_log()
    assert eval(r.text) == [
        "a", ["1", "2"], "1", ["1", "2"], True, False, False, 3, ["Content-Type", "set-cookie", "Set-Cookie"],
        [("a", "1"), ("b", "2")], ["2"],      # made from pairs: each set in turn, as mod_python
        "1, 2", ["1, 2"], "\udcff\udcfe",     # Apache merges repeated request headers
        ("2", "3", "dflt", []), "pop KeyError",
        [("Content-Type", "a")], "KeyError", "TypeError", "ValueError", 0,
    ]
    assert r.headers.get_list("x-out") == ["one", "two"]
    assert r.headers["x-err"] == "kept"


MOD_PYTHON_WAYS = """
    from mod_python import apache

    def postreadrequesthandler(req):
        req.add_common_vars()         # before the file is known: SCRIPT_FILENAME has no value
        req.notes["script_filename"] = repr((req.subprocess_env["SCRIPT_FILENAME"],
                                             req.subprocess_env.get("SCRIPT_FILENAME", "dflt")))
        return apache.OK

    def handler(req):
        t = apache.table()
        t[1] = 2
        t.add("f", 1.5)
        t.add("m", "1")
        t.add("m", "2")
        copied = t.copy()
        t.add("m", "3")
        out = [copied.get_all("m"), list(t.items())[:2], repr(apache.table([("k", "v")])), repr(apache.table()),
               t.setdefault("new"), t["new"],
               t.setdefault("f", "x"), req.notes["script_filename"]]
        try:
            t.update(None)
        except AttributeError as e:
            out.append("AttributeError")
        t.update([("p", "q")])
        out.append(t["p"])
        req.write(repr(out))
        return apache.OK
"""


def test_table_takes_numbers_and_shows_itself_as_mod_python(apache_factory):
    # as mod_python's table (its suite's _test_table and test_postreadrequest)
    server = apache_factory("""
        PythonPostReadRequestHandler t
        PythonPath "sys.path + ['{htdocs}']"
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler t
        </Directory>
    """)
    server.write("t.py", MOD_PYTHON_WAYS)
    server.start()
    r = server.get("/t")
    assert r.status_code == 200, server.error_log()
    assert eval(r.text) == [
        ["1", "2"], [("1", "2"), ("f", "1.5")], "{'k': 'v'}", "{}", "", "", "1.5",
        "(None, 'dflt')", "AttributeError", "q",
    ]
