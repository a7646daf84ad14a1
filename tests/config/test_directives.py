"""Every Python* directive: accepted where the manual allows it, and a wrong
one makes `apache2 -t` fail naming the directive, the problem and Apache's
file:line -- never a crash, never silently ignored.  .htaccess errors are a
500 with the reason in the error log."""
from __future__ import annotations

import pytest

HANDLER_DIRECTIVES = (
    "PythonPostReadRequestHandler", "PythonTransHandler", "PythonHeaderParserHandler",
    "PythonInitHandler", "PythonAccessHandler", "PythonAuthenHandler", "PythonAuthzHandler",
    "PythonTypeHandler", "PythonFixupHandler", "PythonHandler", "PythonLogHandler",
    "PythonCleanupHandler",
)
SERVER_ONLY = ("PythonPostReadRequestHandler", "PythonTransHandler", "PythonImport",
               "PythonOptimize", "PythonInputFilter", "PythonOutputFilter",
               "PythonConnectionHandler")
FLAGS = ("PythonEnablePdb", "PythonDebug", "PythonInterpPerDirectory", "PythonInterpPerDirective",
         "PythonAutoReload", "PythonOptimize")

# a valid line for every directive of mod_python 3.5
VALID = {
    **{d: f"{d} mod_a mod_b::obj.attr" for d in HANDLER_DIRECTIVES},
    **{d: f"{d} On" for d in FLAGS},
    "PythonInputFilter": "PythonInputFilter filters::inp MODPY_IN",
    "PythonOutputFilter": "PythonOutputFilter filters::out MODPY_OUT",
    "PythonConnectionHandler": "PythonConnectionHandler conn",
    "PythonImport": "PythonImport os main_interpreter",
    "PythonInterpreter": "PythonInterpreter site_a",
    "PythonHandlerModule": "PythonHandlerModule mod_a",
    "PythonOption": "PythonOption key value",
    "PythonPath": "PythonPath \"sys.path + ['/tmp']\"",
}


def _in(context: str, line: str) -> str:
    if context == "server":
        return line
    if context == "vhost":
        return f"<VirtualHost 127.0.0.1:{{port}}>\n{line}\n</VirtualHost>"
    if context == "directory":
        return f'<Directory "{{htdocs}}/d">\n{line}\n</Directory>'
    if context == "location":
        return f'<Location "/l">\n{line}\n</Location>'
    raise ValueError(context)


def test_every_directive_is_accepted_where_the_manual_allows_it(apache_factory):
    lines = []
    for name, line in VALID.items():
        contexts = ("server", "vhost") if name in SERVER_ONLY else ("server", "vhost", "directory", "location")
        lines += [_in(c, line) for c in contexts]
    server = apache_factory("\n".join(lines))
    result = server.configtest()
    assert result.returncode == 0, result.stderr
    assert "Syntax OK" in result.stderr


def _config_line(server, needle: str) -> int:
    with open(server.conf_path) as f:
        for number, text in enumerate(f, 1):
            if needle in text:
                return number
    raise AssertionError(f"{needle!r} not in the config")


ERRORS = [
    *[(d, f"{d}", "takes one or more handlers") for d in HANDLER_DIRECTIVES],
    *[(d, f"{d} ::obj", "has no module name") for d in HANDLER_DIRECTIVES],
    ("PythonHandler", "PythonHandler 9lives", "'9lives' is not a module name"),
    ("PythonHandler", "PythonHandler mod::", "is not an object name"),
    ("PythonHandler", "PythonHandler mod::a..b", "'a..b' is not an object name"),
    ("PythonHandler", "PythonHandler relative/file.py", "relative path"),
    ("PythonHandler", "PythonHandler mod |", "'|' must be followed by one or more file extensions"),
    ("PythonHandler", "PythonHandler mod | py", "'py' is not a file extension"),
    ("PythonHandler", "PythonHandler | .py", "takes one or more handlers"),
    ("PythonHandler", "PythonHandler 'unterminated", "unterminated ' quote"),
    ("PythonTransHandler", "PythonTransHandler mod | .py", "works only for phases after the trans phase"),
    *[(d, f"{d}", "takes exactly one argument, On or Off") for d in FLAGS],
    *[(d, f"{d} On Off", "takes exactly one argument, On or Off") for d in FLAGS],
    *[(d, f"{d} Maybe", "must be On or Off, not 'Maybe'") for d in FLAGS],
    ("PythonInterpreter", "PythonInterpreter", "takes exactly one argument, an interpreter name"),
    ("PythonInterpreter", "PythonInterpreter a b", "takes exactly one argument, an interpreter name"),
    ("PythonHandlerModule", "PythonHandlerModule", "takes exactly one argument, a module name"),
    ("PythonHandlerModule", "PythonHandlerModule mod::obj", "takes a module, not a module::object"),
    ("PythonOption", "PythonOption", "takes a key and an optional value"),
    ("PythonOption", "PythonOption a b c", "takes a key and an optional value"),
    ("PythonPath", "PythonPath", "takes exactly one argument"),
    ("PythonPath", "PythonPath \"sys.path + [\"", "is not a valid Python expression"),
    ("PythonPath", "PythonPath \"no_such_name + []\"", "cannot be evaluated: NameError"),
    ("PythonPath", "PythonPath \"'/just/a/string'\"", "must give a list of directory names, not str"),
    ("PythonPath", "PythonPath \"[1, 2]\"", "must give a list of directory names"),
    ("PythonPath", "PythonPath \"exit(3)\"", "cannot be evaluated: SystemExit: 3"),
    ("PythonImport", "PythonImport os", "takes a module and an interpreter name"),
    ("PythonImport", "PythonImport 1os main", "'1os' is not a module name"),
    ("PythonInputFilter", "PythonInputFilter filters::inp", "takes a handler and a filter name"),
    ("PythonOutputFilter", "PythonOutputFilter a b c", "takes a handler and a filter name"),
    ("PythonOutputFilter", "PythonOutputFilter ::x NAME", "has no module name"),
    ("PythonConnectionHandler", "PythonConnectionHandler", "takes exactly one argument"),
    ("PythonConnectionHandler", "PythonConnectionHandler a b", "takes exactly one argument"),
]


@pytest.mark.parametrize("context", ["server", "directory"])
@pytest.mark.parametrize("name,line,problem", ERRORS, ids=[e[1] or e[0] for e in ERRORS])
def test_a_wrong_directive_fails_configtest_with_file_line_and_reason(apache_factory, name, line,
                                                                     problem, context):
    if context == "directory" and name in SERVER_ONLY:
        context = "vhost"
    server = apache_factory(f"ServerAdmin probe@example.org\n{_in(context, line)}\n")
    result = server.configtest()
    assert result.returncode != 0
    number = _config_line(server, line)
    assert f"line {number} of {server.conf_path}" in result.stderr, result.stderr
    assert f"{name}: " in result.stderr and problem in result.stderr, result.stderr
    assert "Segmentation" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("context", ["directory", "location"])
@pytest.mark.parametrize("name", SERVER_ONLY)
def test_server_only_directives_are_refused_in_sections(apache_factory, name, context):
    line = VALID[name]
    server = apache_factory(_in(context, line))
    result = server.configtest()
    assert result.returncode != 0
    number = _config_line(server, line)
    assert f"line {number} of {server.conf_path}" in result.stderr
    assert f"{name} not allowed in <{context.capitalize()}> context" in result.stderr


def test_a_wrong_directive_stops_apache_from_starting(apache_factory):
    from tests.apache import ApacheError
    server = apache_factory("PythonDebug sometimes")
    with pytest.raises(ApacheError, match="PythonDebug: must be On or Off"):
        server.start()


# ---------------------------------------------------------------- .htaccess

def test_htaccess_directives_work_and_errors_are_500_with_the_reason(apache_factory):
    server = apache_factory("""
        <Directory "{htdocs}">
            AllowOverride All
        </Directory>
        <Directory "{htdocs}/none">
            AllowOverride None
        </Directory>
    """)
    handler = "def handler(req):\n    req.write('from ' + req.uri + ' ' + repr(dict(req.get_options())))\n    return 0\n"
    server.write("good/.htaccess", "SetHandler mod_python\nPythonHandler h\nPythonOption where htaccess\n")
    server.write("good/h.py", handler)
    server.write("good/x", "")
    server.write("good/deeper/.htaccess", "PythonOption where deeper\nPythonOption extra yes\n")
    server.write("good/deeper/x", "")
    server.write("badflag/.htaccess", "PythonDebug perhaps\n")
    server.write("badflag/f.txt", "x")
    server.write("badhandler/.htaccess", "SetHandler mod_python\nPythonHandler ::nothing\n")
    server.write("serveronly/.htaccess", "PythonImport os main_interpreter\n")
    server.write("serveronly/f.txt", "x")
    server.write("none/.htaccess", "PythonDebug perhaps\n")      # never read
    server.write("none/f.txt", "ignored htaccess\n")
    server.start()

    assert server.get("/good/x").text == "from /good/x {'where': 'htaccess'}"
    assert server.get("/good/deeper/x").text == "from /good/deeper/x {'where': 'deeper', 'extra': 'yes'}"
    assert server.get("/badflag/f.txt").status_code == 500
    assert server.get("/badhandler/x").status_code == 500
    assert server.get("/serveronly/f.txt").status_code == 500
    assert server.get("/none/f.txt").text == "ignored htaccess\n"
    log = server.error_log()
    assert f"{server.htdocs}/badflag/.htaccess: PythonDebug: must be On or Off, not 'perhaps'" in log
    assert f"{server.htdocs}/badhandler/.htaccess: PythonHandler: '::nothing' has no module name" in log
    assert f"{server.htdocs}/serveronly/.htaccess: PythonImport not allowed here" in log


def test_htaccess_needs_an_allow_override_that_covers_it(apache_factory):
    """The manual: "Override: not None" -- any AllowOverride class lets the
    Python* directives in; Apache leaves .htaccess unread with None."""
    server = apache_factory("""
        <Directory "{htdocs}">
            AllowOverride AuthConfig
            SetHandler mod_python
        </Directory>
    """)
    server.write("a/.htaccess", "PythonHandler h\n")
    server.write("a/h.py", "def handler(req):\n    req.write('ok')\n    return 0\n")
    server.start()
    assert server.get("/a/x").text == "ok"


@pytest.mark.parametrize("mpm", ["event", "worker"])
def test_htaccess_configs_under_concurrent_requests(apache_factory, mpm):
    """.htaccess is parsed on every request, in many threads at once: each
    request must see its own directory's config, and none may go missing."""
    import concurrent.futures
    server = apache_factory("""
        <Directory "{htdocs}">
            AllowOverride All
        </Directory>
    """, mpm=mpm)
    for name in ("a", "b", "c", "d"):
        server.write(f"{name}/.htaccess", f"SetHandler mod_python\nPythonHandler h\nPythonOption dir {name}\n")
        server.write(f"{name}/h.py", "def handler(req):\n    req.write(req.get_options()['dir'])\n    return 0\n")
    server.start()

    def hammer(name):
        import httpx
        with httpx.Client(base_url=server.url("")) as client:
            return [client.get(f"/{name}/x").text for _ in range(100)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(hammer, "abcdabcd"))
    for name, texts in zip("abcdabcd", results):
        assert texts == [name] * 100
    assert "Traceback" not in server.error_log()


def test_python_optimize_compiles_handler_modules_optimised(apache_factory):
    """PythonOptimize On: handler modules are compiled as under `python -O`
    (asserts gone, __debug__ False); Off, as Python's own level."""
    for setting, expected in (("On", "debug=False asserts=off"), ("Off", "debug=True asserts=on")):
        server = apache_factory(f"""
            PythonOptimize {setting}
            <Directory "{{htdocs}}">
                SetHandler mod_python
                PythonHandler opt
            </Directory>
        """)
        server.write("opt.py", """
            def handler(req):
                try:
                    assert False
                    asserts = "off"
                except AssertionError:
                    asserts = "on"
                req.write(f"debug={__debug__} asserts={asserts}")
                return 0
        """)
        server.start()
        assert server.get("/x").text == expected
        server.stop()
