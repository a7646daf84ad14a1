"""modpy.directives in-process: each directive's effect on a section."""
import pytest

from modpy.config import directives
from modpy.config.grammar import DirectiveError, HandlerSpec
from modpy.config.model import DirConfig, ServerConfig
from modpy.config.phase_table import HANDLER, HEADER_PARSER, PHASES, POST_READ_REQUEST, TRANS
from tests.apache import REPO

SERVER = directives.Where(directory=None, origin="httpd.conf:1")
DIRECTORY = directives.Where(directory="/srv/site/", origin="httpd.conf:9")

# mod_python 3.5's directives, from the manual's chapter 5
MANUAL = {
    "PythonPostReadRequestHandler", "PythonTransHandler", "PythonHeaderParserHandler",
    "PythonInitHandler", "PythonAccessHandler", "PythonAuthenHandler", "PythonAuthzHandler",
    "PythonTypeHandler", "PythonFixupHandler", "PythonHandler", "PythonLogHandler",
    "PythonCleanupHandler", "PythonInputFilter", "PythonOutputFilter", "PythonConnectionHandler",
    "PythonEnablePdb", "PythonDebug", "PythonImport", "PythonInterpPerDirectory",
    "PythonInterpPerDirective", "PythonInterpreter", "PythonHandlerModule", "PythonAutoReload",
    "PythonOptimize", "PythonOption", "PythonPath",
}


def apply(name, args, where=DIRECTORY):
    d, s = DirConfig(where.directory), ServerConfig()
    directives.apply(name, args, where, d, s if name in directives.SERVER_LEVEL else None)
    return d, s


def test_the_table_has_every_manual_directive():
    assert set(directives.TABLE) == MANUAL
    assert directives.SERVER_LEVEL <= MANUAL


def test_the_shim_registers_every_manual_directive_with_apache():
    import os
    import re
    source = open(os.path.join(REPO, "shim", "mod_pyshim.c")).read()
    table = source[source.index("static const command_rec directives[]"):]
    table = table[:table.index("{NULL}")]
    registered = re.findall(r'(?:HANDLER_DIRECTIVE|DIRECTIVE|AP_INIT_RAW_ARGS)\("(Python\w+)"', table)
    # each once; modpy adds one of its own (user-declared directives)
    assert sorted(registered) == sorted(MANUAL | {"PythonDirectives"})
    server_only = {name for name in MANUAL
                   if re.search(rf'"{name}",[^\n]*?(?:, |\b)RSRC_CONF[,)]', table)
                   and not re.search(rf'"{name}",[^\n]*OR_ALL', table)}
    assert server_only == {"PythonPostReadRequestHandler", "PythonTransHandler", "PythonImport",
                           "PythonOptimize", "PythonInputFilter", "PythonOutputFilter",
                           "PythonConnectionHandler"}


def test_handler_directive_records_entries_with_origin_and_directory():
    d, _ = apply("PythonHandler", "a b::c | .py")
    entries = d.handlers[HANDLER.number]
    assert [str(e) for e in entries] == ["a", "b::c"]
    assert {e.directory for e in entries} == {"/srv/site/"}
    assert {e.origin for e in entries} == {"httpd.conf:9"}
    assert {e.exts for e in entries} == {(".py",)}


@pytest.mark.parametrize("phase", PHASES)
def test_each_handler_directive_goes_to_its_phase(phase):
    d, _ = apply(phase.directive, "m", SERVER)
    assert list(d.handlers) == [phase.number]
    assert d.handlers[phase.number][0].object_name == phase.default_object


def test_init_handler_depends_on_where_it_stands():
    d, _ = apply("PythonInitHandler", "m", SERVER)
    assert list(d.handlers) == [POST_READ_REQUEST.number]
    d, _ = apply("PythonInitHandler", "m", DIRECTORY)
    assert list(d.handlers) == [HEADER_PARSER.number]
    assert d.handlers[HEADER_PARSER.number][0].object_name == "inithandler"


def test_extensions_only_after_trans():
    for name in ("PythonPostReadRequestHandler", "PythonTransHandler", "PythonInitHandler"):
        with pytest.raises(DirectiveError, match="after the trans phase"):
            apply(name, "m | .py", SERVER)
    d, _ = apply("PythonInitHandler", "m | .py", DIRECTORY)          # header-parser: fine
    assert d.handlers[HEADER_PARSER.number][0].exts == (".py",)


def test_handler_module_covers_the_phases_its_section_can_run():
    d, _ = apply("PythonHandlerModule", "m", DIRECTORY)
    assert POST_READ_REQUEST.number not in d.handlers and TRANS.number not in d.handlers
    assert all(e[0].silent for e in d.handlers.values())
    d, _ = apply("PythonHandlerModule", "m", SERVER)
    assert set(d.handlers) == {p.number for p in PHASES}


def test_settings():
    assert apply("PythonDebug", "On")[0].debug is True
    assert apply("PythonAutoReload", "off")[0].autoreload is False
    assert apply("PythonInterpreter", "x")[0].interpreter == "x"
    assert apply("PythonOption", "k v")[0].options == {"k": "v"}
    assert apply("PythonOption", "k")[0].options == {"k": None}
    assert apply("PythonPath", "\"sys.path + ['/x']\"")[0].python_path == "sys.path + ['/x']"


def test_server_level_directives_fill_the_server_config():
    _, s = apply("PythonImport", "mod::init site", SERVER)
    assert s.imports == [(HandlerSpec("mod", "init"), "site", "httpd.conf:1")]
    _, s = apply("PythonOutputFilter", "f::out UPPER", SERVER)
    entry, is_input = s.filters["UPPER"]
    assert str(entry) == "f::out" and is_input is False
    _, s = apply("PythonConnectionHandler", "echo", SERVER)
    assert str(s.connection) == "echo"
    assert apply("PythonOptimize", "On", SERVER)[1].optimize is True


@pytest.mark.parametrize("args,message", [
    ('"no_such_name"', "cannot be evaluated: NameError"),
    ("\"'/a/string'\"", "must give a list"),
    ('"1/0"', "ZeroDivisionError"),
    ('"exit(3)"', "SystemExit: 3"),
])
def test_python_path_is_evaluated_at_config_time(args, message):
    with pytest.raises(DirectiveError, match=message):
        apply("PythonPath", args)


def test_unknown_directive():
    with pytest.raises(DirectiveError, match="is not a modpy directive"):
        apply("PythonNothing", "x")


def test_directory_of_a_files_section_is_its_directorys():
    from modpy.config.directives import section_directory
    assert section_directory("x.py", [("<Files", "x.py>"), ("<Directory", '"/srv/www">')]) == "/srv/www/"
    assert section_directory("x.py", [("<Files", "x.py>"), ("<Directory", "/srv/www/>")]) == "/srv/www/"
    assert section_directory("/srv/www/", [("<Directory", "/srv/www>")]) == "/srv/www/"
