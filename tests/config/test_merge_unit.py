"""modpy.config in-process: what a section says and how sections merge."""
from modpy.config.grammar import HandlerSpec
from modpy.config.model import DirConfig, HandlerEntry, Registry, file_extension, for_file, merge
from modpy.config.phase_table import FIXUP, HANDLER, LOG


def entry(name, directive="PythonHandler", exts=()):
    return HandlerEntry(HandlerSpec(name), directive, exts)


def test_handlers_add_up_within_a_section_and_set_phase_bits():
    c = DirConfig("/d/")
    c.add_handlers(HANDLER.number, (entry("a"),))
    c.add_handlers(HANDLER.number, (entry("b"), entry("c")))
    c.add_handlers(LOG.number, (entry("l", "PythonLogHandler"),))
    assert [str(e) for e in c.handlers[HANDLER.number]] == ["a", "b", "c"]
    assert c.phases == HANDLER.bit | LOG.bit


def test_a_more_specific_section_replaces_a_phase_and_inherits_the_others():
    outer, inner = DirConfig("/d/"), DirConfig("/d/sub/")
    outer.add_handlers(HANDLER.number, (entry("outer"),))
    outer.add_handlers(FIXUP.number, (entry("fix", "PythonFixupHandler"),))
    inner.add_handlers(HANDLER.number, (entry("inner"),))
    merged = merge(outer, inner)
    assert [str(e) for e in merged.handlers[HANDLER.number]] == ["inner"]
    assert [str(e) for e in merged.handlers[FIXUP.number]] == ["fix"]
    assert merged.directory == "/d/sub/"
    assert [str(e) for e in outer.handlers[HANDLER.number]] == ["outer"]   # inputs untouched


def test_options_merge_by_key_and_a_removal_hides_the_key():
    outer, inner = DirConfig(), DirConfig()
    outer.options.update(a="1", b="2", c="3")
    inner.options.update(b="20", c=None)
    merged = merge(outer, inner)
    assert merged.get_options() == {"a": "1", "b": "20"}
    again = DirConfig()
    again.options["c"] = "back"
    assert merge(merged, again).get_options() == {"a": "1", "b": "20", "c": "back"}


def test_settings_nearest_section_wins_unset_inherits():
    outer, inner = DirConfig(), DirConfig()
    outer.debug, outer.interpreter, outer.python_path = True, "site", "sys.path"
    inner.debug = False
    merged = merge(outer, inner)
    assert (merged.debug, merged.interpreter, merged.python_path) == (False, "site", "sys.path")
    assert merge(inner, DirConfig()).debug is False


def test_htaccess_makes_a_merge_uncacheable():
    server = DirConfig()
    htaccess = DirConfig("/d/", cacheable=False)
    assert merge(server, htaccess).cacheable is False
    registry = Registry()
    a, b = registry.add(server), registry.add(htaccess)
    first, number = registry.merged((a, b))
    assert number == 0                                   # no id for a record to carry
    assert registry.merged((a, b))[0] is not first       # merged afresh each time


def test_registry_caches_merges_and_forgets_released_configs():
    registry = Registry()
    outer, inner = DirConfig("/d/"), DirConfig("/d/s/")
    outer.options["k"] = "v"
    a, b = registry.add(outer), registry.add(inner)
    assert a != b
    merged, number = registry.merged((a, b))
    assert merged.get_options() == {"k": "v"}
    assert number not in (0, a, b) and registry.get(number) is merged
    assert registry.merged((a, b)) == (merged, number)
    registry.release(b)
    assert (a, b) not in registry._merged and b not in registry._configs
    assert number not in registry._configs               # the merge's id goes with it
    assert registry.get(a) is outer


def test_entry_default_object():
    assert entry("m", "PythonAuthenHandler").object_name == "authenhandler"
    assert entry("m", "PythonInitHandler").object_name == "inithandler"
    assert HandlerEntry(HandlerSpec("m", "x.y"), "PythonHandler").object_name == "x.y"


def test_file_extension_is_from_the_first_dot():
    assert file_extension("/d/x.tar.gz") == ".tar.gz"
    assert file_extension("/d.x/page.py") == ".py"
    assert file_extension("/d/plain") is None and file_extension("/d/trailing.") is None
    assert file_extension(None) is None


def test_handlers_for_a_file_by_extension_replace_the_others():
    a, b, c = entry("a", exts=(".py", ".psp")), entry("b"), entry("c", exts=(".psp",))
    assert for_file([a, b, c], "/d/x.py") == [a]
    assert for_file([a, b, c], "/d/x.psp") == [a, c]
    assert for_file([a, b, c], "/d/x.txt") == [b]
    assert for_file([a, b, c], None) == [b]
    assert for_file([a, b, c], "/d/x.pyc") == [b]
