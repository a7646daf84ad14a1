"""The Python* directives under modpy and Debian's mod_python: each one
configured in a directory of its own and read back through the probe, one
line per case (the directory and the code).  What a directive does to
interpreters is where modpy differs on purpose (one interpreter with
namespaces, compatibility.md): those cases compare what a handler sees."""
from __future__ import annotations

import time

import pytest

from tests.apache import Apache
from tests.system.differential.pair import MOD_PYTHON_SO, body, get, pair_fixture, status

SITE = """
    PythonImport imported main_interpreter
    PythonOption server.level yes
    <Directory "{htdocs}">
        SetHandler mod_python
        PythonHandler probe
        PythonOption top.option 1
    </Directory>
    <Directory "{htdocs}/options">
        PythonOption a 1
        PythonOption b "two words"
        PythonOption top.option
    </Directory>
    <Directory "{htdocs}/options/deeper">
        PythonOption a 3
    </Directory>
    <Directory "{htdocs}/path">
        PythonPath "sys.path + ['/nonexistent/modpy-differential']"
    </Directory>
    <Directory "{htdocs}/named">
        PythonInterpreter the_name
    </Directory>
    <Directory "{htdocs}/perdir">
        PythonInterpPerDirectory On
    </Directory>
    <Directory "{htdocs}/perdirective">
        PythonInterpPerDirective On
    </Directory>
    <Directory "{htdocs}/debug">
        PythonDebug On
        PythonHandler failing
    </Directory>
    <Directory "{htdocs}/nodebug">
        PythonDebug Off
        PythonHandler failing
    </Directory>
    <Directory "{htdocs}/module">
        PythonPath "sys.path + ['{htdocs}/module']"
        PythonHandlerModule hmod
    </Directory>
    <Directory "{htdocs}/init">
        PythonInitHandler hmod
        PythonHandler hmod
    </Directory>
    <Directory "{htdocs}/noreload">
        PythonAutoReload Off
        PythonHandler stale
    </Directory>
    <Directory "{htdocs}/reload">
        PythonHandler changing
    </Directory>
    <Location "/loc">
        PythonOption in.location yes
    </Location>
    <Directory "{htdocs}/pdb">
        PythonEnablePdb Off
    </Directory>
    <Directory "{htdocs}/ht">
        AllowOverride All
    </Directory>
"""

IMPORTED = '''
import os
from mod_python import apache
ran_at_start = os.getpid()
'''

FAILING = '''
def handler(req):
    raise ValueError("a failing handler")
'''

HMOD = '''
from mod_python import apache

def handler(req):
    req.content_type = "text/plain"
    req.write("handler ran after " + repr(getattr(req, "seen", [])))
    return apache.OK

def fixuphandler(req):
    req.seen = getattr(req, "seen", []) + ["fixup"]
    return apache.OK

def headerparserhandler(req):
    req.seen = getattr(req, "seen", []) + ["headerparser"]
    return apache.OK

def inithandler(req):
    req.seen = getattr(req, "seen", []) + ["init"]
    return apache.OK
'''

CHANGING = '''
from mod_python import apache
VALUE = "first"

def handler(req):
    req.content_type = "text/plain"
    req.write(VALUE)
    return apache.OK
'''

pair = pair_fixture(SITE, {
    "imported.py": IMPORTED, "failing.py": FAILING, "module/hmod.py": HMOD, "init/hmod.py": HMOD,
    "noreload/stale.py": CHANGING, "reload/changing.py": CHANGING,
    **{f"{d}/probe.py": "from probe import *\n" for d in
       ("options", "options/deeper", "path", "named", "perdir", "perdirective", "pdb")},
    "module/x": "", "init/x": "", "debug/x": "", "nodebug/x": "",
    "ht/.htaccess": "PythonOption from.htaccess yes\nPythonInterpreter ht_name\n", "ht/probe.py": "from probe import *\n",
})

SAME = [
    # (path, code)
    ("/probe.py", "sorted(req.get_options().items())"),
    ("/options/probe.py", "sorted(req.get_options().items())"),
    ("/options/deeper/probe.py", "sorted(req.get_options().items())"),
    ("/loc", "sorted(req.get_options().items())"),
    ("/probe.py", "sorted(req.server.get_options().items())"),
    ("/probe.py", "sorted(req.get_config().items())"),
    ("/options/probe.py", "sorted(req.get_config().items())"),
    ("/path/probe.py", "'/nonexistent/modpy-differential' in sys.path"),
    ("/probe.py", "req.interpreter"),
    ("/named/probe.py", "req.interpreter"),
    ("/perdir/probe.py", "req.interpreter"),
    ("/perdirective/probe.py", "req.interpreter"),
    ("/probe.py", "'imported' in sys.modules"),
    ("/probe.py", "sys.modules['imported'].ran_at_start < os.getpid() + 1"),
    ("/probe.py", "sorted(req.get_config().keys())"),
    ("/ht/probe.py", "sorted(req.get_options().items())"),
    ("/pdb/probe.py", "sorted(req.get_config().items())"),
    ("/probe.py", "sys.flags.optimize"),
    ("/ht/probe.py", "req.interpreter"),
    ("/ht/probe.py", "[req.hlist.directory == req.document_root() + '/', req.hlist.is_location]"),
    ("/nodebug/x", None),
    ("/noreload/stale.py", None),
    ("/reload/changing.py", None),
]


@pytest.mark.parametrize("path, code", SAME, ids=[f"{p} {c}" for p, c in SAME])
def test_same(pair, path, code):
    pair.same(get(path, code or ""))


CHANGE = ("path = req.document_root() + '/{0}/changing.py'; text = open(path).read(); "
          "open(path, 'w').write(text.replace('first', 'second')); "
          "st = os.stat(path); os.utime(path, (st.st_atime, st.st_mtime + 10))")


def test_autoreload(pair):
    """A handler module changed on disk is reloaded (in whichever child
    serves the next request; PythonAutoReload Off is the child's own, so it
    is compared in test_same only for the first load).  mod_python looks at
    a module's file at most once a second: the last request waits that."""
    def after_a_second(reply: bytes) -> bytes:
        time.sleep(1.1)
        return get("/reload/changing.py")
    mine, theirs = pair.conversation(
        get("/reload/changing.py"), get("/probe.py", CHANGE.format("reload")), after_a_second)
    assert mine == theirs
    assert body(mine[2]) == b"second"


def test_debug_shows_the_traceback(pair):
    # both show the error in the response; the text is each one's own
    # (modpy's as mod_python's report, with its own paths and frames)
    mine, theirs = pair.both(get("/debug/x"))
    assert status(mine) == status(theirs) == 500
    for reply in (mine, theirs):
        assert b"ValueError: a failing handler" in reply and b"Traceback" in reply


def test_handler_module(pair):
    # Debian's mod_python fails under Python 3 where PythonHandlerModule's
    # module lacks a phase's handler (UnboundLocalError in its dispatcher:
    # 500); the manual's: every phase handler the module has runs, a missing
    # one is skipped
    mine, theirs = pair.both(get("/module/x"))
    assert status(theirs) == 500
    assert body(mine) == b"handler ran after ['headerparser', 'fixup']"


def test_init_handler_in_a_directory(pair):
    # documented (compatibility.md): in a <Directory>, PythonInitHandler is
    # the header parser, as the manual says; mod_python 3.5 never runs it
    # there (its post-read-request hook marks the init phase done)
    mine, theirs = pair.both(get("/init/x"))
    assert body(theirs) == b"handler ran after []"
    assert body(mine) == b"handler ran after ['init']"


BAD = [
    "PythonDebug Maybe", "PythonAutoReload", "PythonInterpPerDirectory sometimes", "PythonOption",
    "PythonOption a b c", "PythonPath", "PythonInterpreter", "PythonImport", "PythonImport onlyone",
    "PythonMapToStorageHandler x",
]
# documented (compatibility.md): modpy reads a handler list when Apache
# reads the file; mod_python takes these and fails when a request comes
STRICTER = ["PythonHandler", "PythonHandler mod | ext"]


def configtests(tmp_path, line: str) -> list:
    """apache2 -t of `line` under modpy and under mod_python."""
    results = []
    for debian in (False, True):
        load = f"LoadModule python_module {MOD_PYTHON_SO}\n" if debian else ""
        root = tmp_path / ("mod_python" if debian else "modpy")
        root.mkdir()
        server = Apache(str(root), load + f"<Directory {{htdocs}}>\n{line}\n</Directory>\n" if "Import" not in line
                        else load + line + "\n", mpm="prefork", load_modpy=not debian)
        results.append(server.configtest())
    return results


@pytest.mark.parametrize("line", BAD)
def test_bad_directive(tmp_path, line):
    """The same verdict from apache2 -t; a refusal names the directive
    (the words are each module's own)."""
    mine, theirs = configtests(tmp_path, line)
    assert mine.returncode == theirs.returncode, (mine.stdout + mine.stderr, theirs.stdout + theirs.stderr)
    if mine.returncode:
        assert line.split()[0] in mine.stderr + mine.stdout


@pytest.mark.parametrize("line", STRICTER)
def test_handler_list_checked_at_start(tmp_path, line):
    mine, theirs = configtests(tmp_path, line)
    assert theirs.returncode == 0 and mine.returncode != 0
    assert "PythonHandler: " in mine.stderr
