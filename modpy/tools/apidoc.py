"""docs/api.md, the API reference, from the docstrings of mod_python's
public modules and of the request object (`python -m modpy.tools.apidoc >
docs/api.md`; a test keeps the file current).

Read from the source with `ast`, not imported: these modules need Apache.
"""
from __future__ import annotations

import ast
import os
from typing import Optional

PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))     # modpy/
# the mod_python modules users import, in the manual's order -> modpy's file
MODULES = {
    "mod_python.apache": "library/apache.py",
    "mod_python.util": "library/util.py",
    "mod_python.Cookie": "library/Cookie.py",
    "mod_python.Session": "library/Session.py",
    "mod_python.publisher": "handlers/publisher.py",
    "mod_python.psp": "handlers/psp.py",
    "mod_python.wsgi": "handlers/wsgi.py",
    "mod_python.cgihandler": "handlers/cgi/handler.py",
}
REQUEST = "objects/request.py"
MEMBER_KINDS = {"_str": "str", "_int": "int", "_table": "table", "_seconds": "float seconds",
                "_strings": "tuple of str", "_related": "Request or None"}


def _parse(relative: str) -> ast.Module:
    with open(os.path.join(PACKAGE, relative)) as f:
        return ast.parse(f.read())


def _summary(node) -> str:
    """A docstring's first paragraph, on one line."""
    doc = ast.get_docstring(node) or ""
    return " ".join(doc.split("\n\n")[0].split())


def _signature(node: ast.FunctionDef) -> str:
    args = ast.unparse(node.args)
    return f"{node.name}({args.replace('self, ', '').replace('self', '')})"


def _public(body: list) -> list:
    return [n for n in body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and not n.name.startswith("_")]


def _entry(node, prefix: str = "") -> list:
    if isinstance(node, ast.ClassDef):
        lines = [f"- **class `{prefix}{node.name}`**: {_summary(node)}"]
        for method in _public(node.body):
            lines.append(f"  - `{_signature(method)}`: {_summary(method)}")
        return lines
    return [f"- `{prefix}{_signature(node)}`: {_summary(node)}"]


def module_section(name: str, relative: str) -> list:
    tree = _parse(relative)
    lines = [f"## {name}", "", _summary(tree), ""]
    for node in _public(tree.body):
        lines += _entry(node)
    return lines + [""]


def _member(node: ast.stmt) -> Optional[tuple]:
    """(name, kind, writable) of a `name = _kind("field"...)` member line."""
    if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name) and node.value.func.id in MEMBER_KINDS):
        return None
    writable = any(k.arg == "writable" and getattr(k.value, "value", False) for k in node.value.keywords)
    return node.targets[0].id, MEMBER_KINDS[node.value.func.id], writable


def request_section() -> list:
    tree = _parse(REQUEST)
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Request"]
    members = [m for m in map(_member, cls.body) if m]
    lines = ["## The request object (`req`)", "", _summary(cls), "",
             "Members (views of Apache's `request_rec`, read and written on access):", "",
             "| member | type | writable |", "|---|---|---|"]
    lines += [f"| `req.{name}` | {kind} | {'yes' if writable else ''} |" for name, kind, writable in members]
    lines += ["", "Methods and computed members:", ""]
    functions = [n for n in _public(cls.body) if isinstance(n, ast.FunctionDef)]
    setters = {n.name for n in functions if any(getattr(d, "attr", "") == "setter" for d in n.decorator_list)}
    for node in functions:
        if node.name in setters and any(getattr(d, "attr", "") == "setter" for d in node.decorator_list):
            continue
        if any(getattr(d, "id", "") == "property" for d in node.decorator_list):
            writable = " (writable)" if node.name in setters else ""
            lines.append(f"- `req.{node.name}`{writable}: {_summary(node)}")
        else:
            lines.append(f"- `req.{_signature(node)}`: {_summary(node)}")
    return lines + [""]


def render() -> str:
    lines = ["# API reference", "",
             "Generated from the docstrings (`python -m modpy.tools.apidoc > docs/api.md`). The names are "
             "mod_python 3.5's; what each does in detail is in the mod_python manual, and where modpy differs "
             "in docs/migrating.md.", ""]
    lines += request_section()
    for name, relative in MODULES.items():
        lines += module_section(name, relative)
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")
