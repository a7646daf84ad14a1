"""Directives declared in Python (`PythonDirectives`), against a real
Apache, and their pure rules in-process."""
from __future__ import annotations

import os

import pytest

from modpy.config.grammar import DirectiveError
from modpy.config.userdirectives import Directive, Table, check

DECLARING = """
from modpy.config.userdirectives import Directive

def longest(general, specific):
    return max(general, specific, key=len)

DIRECTIVES = [
    Directive("GreetingText", args="one", where=("server", "directory"),
              help="GreetingText text: what the greeter says"),
    Directive("GreetingLoud", args="flag"),
    Directive("GreetingTags", args="list", merge="append", where=("server", "directory", "htaccess")),
    Directive("GreetingLongest", args="one", merge=longest),
    Directive("GreetingServerOnly", args="two", where=("server",)),
]
"""

HANDLER = """
from modpy.config.userdirectives import value

def handler(req):
    req.content_type = "text/plain"
    req.write(repr((value(req, "GreetingText"), value(req, "GreetingLoud"), value(req, "GreetingTags"),
                    value(req, "GreetingLongest"), value(req, "GreetingServerOnly"))))
    return 0
"""


def site(server, body: str) -> None:
    pkg = os.path.join(server.root, "lib", "greeter")
    os.makedirs(pkg, exist_ok=True)
    open(os.path.join(pkg, "__init__.py"), "w").close()
    with open(os.path.join(pkg, "directives.py"), "w") as f:
        f.write(DECLARING)
    server.set_body(f"""
        PythonDirectives greeter.directives {server.root}/lib
    """ + body)
    server.write("app.py", HANDLER)


BODY = """
    GreetingText "hello there"
    GreetingTags a b
    GreetingLongest abc
    GreetingServerOnly x y
    <Directory "{htdocs}">
        SetHandler mod_python
        PythonHandler app
        AllowOverride Options
    </Directory>
    <Directory "{htdocs}/sub">
        GreetingText howdy
        GreetingLoud On
        GreetingTags c
        GreetingLongest z
    </Directory>
"""


def test_declared_directives_parse_merge_and_reach_handlers(apache_factory):
    server = apache_factory()
    site(server, BODY)
    server.write("sub/x.txt", "")
    server.write("sub/deeper/.htaccess", "GreetingTags from-htaccess\n")
    assert server.configtest().returncode == 0, server.configtest().stderr
    server.start()
    assert server.get("/").text == repr(("hello there", None, ["a", "b"], "abc", ("x", "y")))
    assert server.get("/sub/x").text == repr(("howdy", True, ["a", "b", "c"], "abc", ("x", "y")))
    assert server.get("/sub/deeper/x").text == repr(
        ("howdy", True, ["a", "b", "c", "from-htaccess"], "abc", ("x", "y")))
    # a graceful restart removes the module and declares it again
    server.graceful()
    assert server.get("/sub/x").text == repr(("howdy", True, ["a", "b", "c"], "abc", ("x", "y")))
    server.restart()
    assert server.get("/").text == repr(("hello there", None, ["a", "b"], "abc", ("x", "y")))


@pytest.mark.parametrize("line, message", [
    ("GreetingText", "GreetingText: takes exactly one argument, not 0 (GreetingText text: what the greeter says)"),
    ("GreetingLoud maybe", "GreetingLoud: must be On or Off, not 'maybe'"),
    ("<Directory /tmp>\nGreetingServerOnly a b\n</Directory>", "GreetingServerOnly not allowed in <Directory> context"),
])
def test_configtest_errors_name_file_line_and_problem(apache_factory, line, message):
    server = apache_factory()
    site(server, line)
    result = server.configtest()
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert f"of {server.conf_path}" in result.stderr


def test_configtest_errors_for_bad_declarations(apache_factory):
    server = apache_factory()
    site(server, "")
    server.set_body("PythonDirectives no.such.module\n")
    result = server.configtest()
    assert "PythonDirectives: cannot import 'no.such.module': ModuleNotFoundError" in result.stderr
    server.set_body("PythonDirectives os\n")
    assert "'os' has no DIRECTIVES list" in server.configtest().stderr
    # Apache runs directives once the whole file is read, so a use may come
    # before the declaration; a name nobody declared is still an error
    site(server, "")
    server.set_body(f"GreetingText hi\nPythonDirectives greeter.directives {server.root}/lib\n")
    assert server.configtest().returncode == 0
    server.set_body(f"GreetingTypo hi\nPythonDirectives greeter.directives {server.root}/lib\n")
    assert "Invalid command 'GreetingTypo'" in server.configtest().stderr


def test_declaring_an_existing_apache_directive_is_refused(apache_factory):
    server = apache_factory()
    pkg = os.path.join(server.root, "lib")
    os.makedirs(pkg, exist_ok=True)
    with open(os.path.join(pkg, "clash.py"), "w") as f:
        f.write("from modpy.userdirectives import Directive\nDIRECTIVES = [Directive('DocumentRoot')]\n")
    server.set_body(f"PythonDirectives clash {pkg}\n")
    result = server.configtest()
    assert "directive 'DocumentRoot' already exists (declared by core.c)" in result.stderr, result.stderr


def test_declarations_are_checked():
    assert len(check([Directive("A"), Directive("B", args="list", merge="append")], "m")) == 2
    for bad, msg in [
        ([Directive("Python Thing")], "a directive name is letters"),
        ([Directive("PythonThing")], "names starting with 'Python'"),
        ([Directive("A"), Directive("a")], "declared twice"),
        ([Directive("A", args="three")], "args must be one of"),
        ([Directive("A", where="server")], "where must be a tuple"),
        ([Directive("A", merge="sum")], "merge must be"),
        ([Directive("A", merge="append")], "needs args='list'"),
        (["A"], "not a modpy.userdirectives.Directive"),
        (5, "must be a list of Directive"),
    ]:
        with pytest.raises(DirectiveError, match=msg):
            check(bad, "m")


def test_argument_kinds_and_merges():
    assert Directive("A", args="two").parse(' "x y" z') == ("x y", "z")
    assert Directive("A", args="none").parse("") is True
    assert Directive("A", args="raw").parse("  a  'b' ") == "a  'b'"
    with pytest.raises(DirectiveError, match="takes no arguments"):
        Directive("A", args="none").parse("x")
    with pytest.raises(DirectiveError, match="one or more"):
        Directive("A", args="list").parse("")
    assert Directive("A", args="list", merge="append").combine(["a"], ["b"]) == ["a", "b"]
    assert Directive("A", merge=lambda g, s: g + s).combine("a", "b") == "ab"
    t = Table()
    t.add((Directive("Foo"),))
    assert t.get("FOO").name == "Foo"


def test_a_restart_reads_changed_declarations(apache_factory):
    server = apache_factory()
    site(server, BODY)
    server.start()
    assert server.get("/").status_code == 200
    with open(os.path.join(server.root, "lib", "greeter", "directives.py"), "a") as f:
        f.write("DIRECTIVES.append(Directive('GreetingNew', args='one'))\n")
    server.set_body(server.conf.body.replace("GreetingText \"hello there\"",
                                             "GreetingText \"hello there\"\nGreetingNew fresh"))
    server.write("app.py", HANDLER.replace('value(req, "GreetingServerOnly")', 'value(req, "GreetingNew")'))
    server.graceful()
    assert server.get("/").text == repr(("hello there", None, ["a", "b"], "abc", "fresh"))
