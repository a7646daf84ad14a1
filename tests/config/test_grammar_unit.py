"""modpy.grammar in-process: the argument grammar of the Python* directives."""
import pytest

from modpy.config.grammar import (
    DirectiveError,
    HandlerSpec,
    check_python_path,
    parse_filter,
    parse_flag,
    parse_handler,
    parse_handler_line,
    parse_import,
    parse_one,
    parse_option,
    parse_python_path,
    split_words,
)


@pytest.mark.parametrize("args,words", [
    ("", []),
    ("  a  b\tc ", ["a", "b", "c"]),
    ('"two words" x', ["two words", "x"]),
    ("'single q' \"double\"", ["single q", "double"]),
    (r'"say \"hi\"" end', ['say "hi"', "end"]),
    ('""', [""]),
])
def test_split_words_like_apache(args, words):
    assert split_words(args) == words


@pytest.mark.parametrize("args", ['"open', "'open", 'a "b'])
def test_split_words_unterminated_quote(args):
    with pytest.raises(DirectiveError, match="unterminated"):
        split_words(args)


@pytest.mark.parametrize("word,spec", [
    ("mod", HandlerSpec("mod")),
    ("pkg.mod", HandlerSpec("pkg.mod")),
    ("mod::obj", HandlerSpec("mod", "obj")),
    ("mod::Cls.method", HandlerSpec("mod", "Cls.method")),
    ("/abs/file.py::fn", HandlerSpec("/abs/file.py", "fn")),
    ("_private::_x1", HandlerSpec("_private", "_x1")),
])
def test_parse_handler(word, spec):
    assert parse_handler(word) == spec
    assert str(parse_handler(word)) == word


@pytest.mark.parametrize("word,message", [
    ("::obj", "has no module name"),
    ("1mod", "is not a module name"),
    ("mod-name", "is not a module name"),
    ("pkg..mod", "is not a module name"),
    ("mod::", "is not an object name"),
    ("mod::a..b", "is not an object name"),
    ("mod::a b", "is not an object name"),
    ("rel/file.py", "relative path"),
])
def test_parse_handler_errors(word, message):
    with pytest.raises(DirectiveError, match=message):
        parse_handler(word)


def test_handler_path_flag():
    assert HandlerSpec("/x/y.py").is_path and not HandlerSpec("x.y").is_path


def test_parse_handler_line_several_handlers_and_extensions():
    specs, exts = parse_handler_line("a b::c | .py .psp")
    assert specs == (HandlerSpec("a"), HandlerSpec("b", "c")) and exts == (".py", ".psp")
    specs, exts = parse_handler_line("a|.py")                 # no spaces round the bar
    assert specs == (HandlerSpec("a"),) and exts == (".py",)
    assert parse_handler_line("a") == ((HandlerSpec("a"),), ())


@pytest.mark.parametrize("args,message", [
    ("", "takes one or more handlers"),
    ("| .py", "takes one or more handlers"),
    ("a |", "must be followed by one or more file extensions"),
    ("a | py", "'py' is not a file extension"),
    ("a | .", "'.' is not a file extension"),
    ("a | .py | .x", "'|' is not a file extension"),
])
def test_parse_handler_line_errors(args, message):
    with pytest.raises(DirectiveError, match=message):
        parse_handler_line(args)


@pytest.mark.parametrize("args,value", [("On", True), ("off", False), (" ON ", True), ('"Off"', False)])
def test_parse_flag(args, value):
    assert parse_flag(args) is value


@pytest.mark.parametrize("args,message", [("", "exactly one"), ("On Off", "exactly one"),
                                          ("yes", "must be On or Off"), ("1", "must be On or Off")])
def test_parse_flag_errors(args, message):
    with pytest.raises(DirectiveError, match=message):
        parse_flag(args)


def test_parse_one():
    assert parse_one(" name ", "a name") == "name"
    with pytest.raises(DirectiveError, match="exactly one argument, a name"):
        parse_one("a b", "a name")


def test_parse_option():
    assert parse_option("key value") == ("key", "value")
    assert parse_option('"a key" "a value"') == ("a key", "a value")
    assert parse_option("key") == ("key", None)          # removes the key
    assert parse_option('key ""') == ("key", None)
    for bad in ("", "a b c"):
        with pytest.raises(DirectiveError, match="key and an optional value"):
            parse_option(bad)


def test_parse_python_path():
    assert parse_python_path("\"sys.path + ['/x']\"") == "sys.path + ['/x']"
    with pytest.raises(DirectiveError, match="not a valid Python expression"):
        parse_python_path('"sys.path + ["')
    with pytest.raises(DirectiveError, match="exactly one argument"):
        parse_python_path("sys.path + ['/x']")         # unquoted: several words


def test_check_python_path():
    assert check_python_path(("/a", "/b"), "e") == ["/a", "/b"]
    for bad in ("/a", [1], None, {"/a": 1}):
        with pytest.raises(DirectiveError, match="must give a list of directory names"):
            check_python_path(bad, "e")


def test_parse_import_and_filter():
    assert parse_import("mod::init main") == (HandlerSpec("mod", "init"), "main")
    assert parse_filter("f::out NAME") == (HandlerSpec("f", "out"), "NAME")
    with pytest.raises(DirectiveError, match="module and an interpreter name"):
        parse_import("mod")
    with pytest.raises(DirectiveError, match="handler and a filter name"):
        parse_filter("f a b")
