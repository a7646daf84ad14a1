"""The apache module: functions, attributes and constants of the manual."""
import os

CODE = """
    import os
    from mod_python import apache
    import mod_python.apache as A

    def handler(req):
        st = apache.stat(req.filename, apache.APR_FINFO_NORM)
        missing = apache.stat("/nonexistent/x")
        other = os.path.join(os.path.dirname(req.filename), "other.txt")
        if req.args == "finfo":
            req.filename = other
            req.finfo = apache.stat(other)
            req.write(repr((req.finfo.size, req.finfo[apache.FINFO_FILETYPE] == apache.APR_REG,
                            req.finfo.fname)))
            return apache.OK
        apache.log_error("to the error log", apache.APLOG_WARNING, req.server)
        apache.log_error("to the main log")
        helper = apache.import_module("helper", path=[os.path.dirname(req.filename)])
        tree = apache.config_tree()
        out = dict(
            stat=(st.size == os.path.getsize(req.filename), st[apache.FINFO_FILETYPE] == apache.APR_REG,
                  missing[apache.FINFO_FILETYPE] == apache.APR_NOFILE),
            helper=helper.VALUE,
            defined=(apache.exists_config_define("PROBE_DEFINE"), apache.exists_config_define("NOPE")),
            root=apache.server_root(),
            threaded=apache.mpm_query(apache.AP_MPMQ_IS_THREADED),
            qs=(apache.parse_qs("a=1&a=2&b="), apache.parse_qsl("a=1&b=", True)),
            main=apache.main_server.server_hostname,
            interp=apache.interpreter,
            consts=(apache.OK, apache.DECLINED, apache.DONE, apache.HTTP_NOT_FOUND, apache.APLOG_ERR,
                    apache.REMOTE_NOLOOKUP, apache.AP_CONN_KEEPALIVE, apache.PROG_TRACEBACK,
                    apache.HTTP_MOVED_TEMPORARILY),
            tree=any(d[0] == "PythonOption" for d in tree) or any(
                len(d) == 3 and any(c[0] == "PythonHandler" for c in d[2]) for d in tree),
            magic=apache.MODULE_MAGIC_NUMBER_MAJOR > 20000000,
            version="Apache/" in apache.version,
            server=(req.server.get_options().get("srv"), req.server.get_config().get("PythonDebug"),
                    req.server.is_virtual, req.server.timeout > 0, req.server.loglevel,
                    req.server.names, req.server.limit_req_fields > 0),
        )
        req.write(repr(out))
        return apache.OK

    def raiser(req):
        raise apache.SERVER_RETURN(apache.HTTP_FORBIDDEN)
"""


def test_apache_module(apache_factory):
    server = apache_factory("""
        PythonOption srv yes
        PythonDebug On
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler probe
        </Directory>
        <Location /raise>
            SetHandler mod_python
            PythonPath "sys.path + ['{htdocs}']"
            PythonHandler probe::raiser
        </Location>
    """)
    server.write("probe.py", CODE)
    server.write("helper.py", "VALUE = 42\n")
    server.write("other.txt", "12345")
    server.start("PROBE_DEFINE")
    r = server.get("/probe.py")
    assert r.status_code == 200, server.error_log()
    d = eval(r.text)
    assert d["stat"] == (True, True, True)
    assert d["helper"] == 42
    assert d["defined"] == (True, False)
    assert d["root"] == server.root
    assert d["threaded"] == 1
    assert d["qs"] == ({"a": ["1", "2"]}, [("a", "1"), ("b", "")])
    assert d["main"] == "127.0.0.1" and d["interp"] == "127.0.0.1"
    assert d["consts"] == (0, -1, -2, 404, 3, 2, 2, "PROG_TRACEBACK", 302)
    assert d["tree"] and d["magic"] and d["version"]
    assert d["server"] == ("yes", "1", False, True, 6, (), True)
    log = server.error_log()
    assert "to the error log" in log and "to the main log" in log
    assert eval(server.get("/probe.py?finfo").text) == (5, True, os.path.join(server.htdocs, "other.txt"))
    assert server.get("/raise").status_code == 403


def test_process_cleanups_run_at_child_exit(apache_factory):
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler c
        </Directory>
    """, mpm="prefork")
    server.write("c.py", """
        from mod_python import apache

        def bye(data):
            apache.log_error("child cleanup " + data, apache.APLOG_NOTICE)

        def handler(req):
            apache.register_cleanup(bye, "from apache")
            req.server.register_cleanup(req, bye, "from server")
            req.write("registered")
            return apache.OK
    """)
    server.start()
    assert server.get("/c").text == "registered"
    server.stop()
    log = server.error_log()
    assert "child cleanup from apache" in log and "child cleanup from server" in log
