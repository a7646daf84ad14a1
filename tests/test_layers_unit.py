"""The package's shape, read from its source: no import cycle inside modpy
(imports inside functions count too), imports go one way between the
layers, and the tools that run outside Apache import nothing of cffi."""
from __future__ import annotations

import ast
import os

from tests.apache import REPO

PACKAGE = os.path.join(REPO, "modpy")

# Lower layers never import higher ones (docs/architecture.md).
LAYERS = ["constants", "config", "core", "devloop", "objects", "phases", "library", "handlers", "entry"]
# Top-level modules that are only a public name for a module of a layer.
PUBLIC_NAMES = {"modpy.userdirectives": "config", "modpy.status": "handlers"}
OUTSIDE_APACHE = ("modpy.tools", "modpy._build_ffi", "modpy.__main__")


def module_names() -> dict[str, str]:
    """modpy's modules, by dotted name -> file."""
    names = {}
    for folder, _, files in os.walk(PACKAGE):
        for f in files:
            if f.endswith(".py"):
                rel = os.path.relpath(os.path.join(folder, f), REPO)[:-3].replace(os.sep, ".")
                names[rel[: -len(".__init__")] if rel.endswith(".__init__") else rel] = os.path.join(folder, f)
    return names


def imports_of(path: str, name: str, known: set) -> set:
    """The modpy modules a file imports, anywhere in it."""
    package = name if path.endswith("__init__.py") else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(open(path).read(), path)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and target.startswith("modpy"):
                found.add(target)
    return found


def graph() -> dict[str, set]:
    names = module_names()
    known = set(names)
    return {name: imports_of(path, name, known) for name, path in names.items()}


def layer(name: str):
    if name in PUBLIC_NAMES:
        return LAYERS.index(PUBLIC_NAMES[name])
    part = name.split(".")[1] if "." in name else None
    return LAYERS.index(part) if part in LAYERS else None


def cycles(edges: dict[str, set]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_the_reader_sees_imports_inside_functions():
    edges = graph()
    assert "modpy.handlers.publisher" in edges["modpy.handlers.psp"]   # imported in a function there


def test_no_import_cycle_inside_modpy():
    assert cycles(graph()) == []


def test_cycles_are_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_imports_go_one_way_between_layers():
    upward = [f"{a} -> {b}" for a, targets in graph().items() for b in targets
              if layer(a) is not None and layer(b) is not None and layer(b) > layer(a)]
    assert upward == []


def test_tools_import_nothing_of_cffi():
    edges = graph()
    for start in [n for n in edges if n.startswith(OUTSIDE_APACHE)]:
        seen, todo = set(), [start]
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo += edges.get(name, ())
        reached = sorted(n for n in seen if layer(n) is not None and layer(n) >= LAYERS.index("core"))
        assert reached == [], f"{start} reaches {reached}"
