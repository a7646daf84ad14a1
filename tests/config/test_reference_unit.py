"""docs/directives.md cannot drift: the reference has one entry for each
directive of the Python table and of the shim's command table, with the
shim's contexts; one for each PythonOption key the code reads; and the
file is what the reference renders."""
from __future__ import annotations

import ast
import os
import re

from modpy.config import reference
from modpy.config.directives import TABLE
from tests.apache import REPO

CONTEXTS = {"RSRC_CONF": reference.SERVER, "OR_ALL | ACCESS_CONF | RSRC_CONF": reference.ANYWHERE}


def shim_directives() -> dict[str, tuple]:
    """name -> contexts, read from shim/mod_pyshim.c's command table."""
    with open(os.path.join(REPO, "shim", "mod_pyshim.c")) as f:
        source = f.read()
    table = source[source.index("static const command_rec directives[]"):]
    table = table[:table.index("{NULL}")]
    found = {}
    for name, flags in re.findall(r'\(\s*"(Python\w+)",\s*(?:\w+,\s*NULL,\s*)?([A-Z_| ]+?)\s*[,)]', table):
        flags = " | ".join(f for f in (w.strip() for w in flags.split("|")) if f != "EXEC_ON_READ")
        found[name] = CONTEXTS[flags]
    return found


def test_every_directive_is_in_the_reference_with_the_shims_contexts():
    shim = shim_directives()
    assert set(TABLE) <= set(shim)
    assert set(reference.DIRECTIVES) == set(shim)
    for name, contexts in shim.items():
        assert reference.DIRECTIVES[name].contexts == contexts, name


def options_read() -> set:
    """PythonOption keys named in modpy's code: the string arguments of the
    option readers, the *_OPTION constants and the *OPTIONS tables."""
    readers = {"_option", "option_on", "get"}
    keys = set()
    for folder, _, files in os.walk(os.path.join(REPO, "modpy")):
        for name in files:
            if not name.endswith(".py"):
                continue
            tree = ast.parse(open(os.path.join(folder, name)).read())
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                    owner = getattr(node.func, "value", None)
                    if func == "get" and not (isinstance(owner, ast.Name) and owner.id in ("opts", "options")):
                        continue
                    if func in readers:
                        keys |= {a.value for a in node.args if isinstance(a, ast.Constant)
                                 and isinstance(a.value, str)}
                elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                    if any(isinstance(t, ast.Name) and t.id.endswith("_OPTION") for t in node.targets):
                        keys.add(node.value.value)
                elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
                    # a table of option keys (formdata.Limits.OPTIONS: field -> key)
                    if any(isinstance(t, ast.Name) and t.id.endswith("OPTIONS") for t in node.targets):
                        keys |= {v.value for v in node.value.values if isinstance(v, ast.Constant)
                                 and isinstance(v.value, str) and v.value.startswith(("mod_python.", "modpy."))}
    return keys


def test_every_option_read_is_documented_and_no_other():
    assert options_read() == set(reference.OPTIONS)


def test_docs_directives_md_is_current():
    with open(os.path.join(REPO, "docs", "directives.md")) as f:
        assert f.read() == reference.render(), "run: python -m modpy.config.reference > docs/directives.md"
