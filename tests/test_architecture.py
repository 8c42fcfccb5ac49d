"""The packages' shape, read from their source with ``ast``: layers, no import cycles, no private reach-ins.

Every ``import`` counts, at module level or inside a function (an import in a
function is still a dependency; it only runs later). Imports under
``if TYPE_CHECKING:`` never run, so they do not make a cycle, but they still
count for the layering and for private names.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("autograd", "nn", "viz")
ALLOWED = {"autograd": set(), "nn": {"autograd"}, "viz": {"autograd", "nn"}}
"""Which of the project's packages each package may import: autograd ← nn ← viz."""


@dataclass(frozen=True)
class Import:
    """One imported name (or module) as the source states it."""

    importer: str  # the module whose source holds the import
    target: str  # the module it loads (a package's submodule when the name is one)
    name: str | None  # the name taken from ``target`` (None: the module itself)
    line: int
    runtime: bool  # False under ``if TYPE_CHECKING:``

    def __str__(self) -> str:
        what = self.target if self.name is None else f"{self.target}.{self.name}"
        return f"{self.importer} (line {self.line}) imports {what}"


def module_files() -> dict[str, Path]:
    """Every module of the packages by dotted name (a package's ``__init__.py`` under the package's name)."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _type_checking_only(tree: ast.AST) -> set[ast.AST]:
    """The import statements inside ``if TYPE_CHECKING:`` blocks."""
    found: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else test.attr if isinstance(test, ast.Attribute) else ""
            if name == "TYPE_CHECKING":
                for inner in node.body:
                    found.update(n for n in ast.walk(inner) if isinstance(n, (ast.Import, ast.ImportFrom)))
    return found


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    """The project modules ``module`` imports, anywhere in its source."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    hidden = _type_checking_only(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        runtime = node not in hidden
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PACKAGES:
                    found.append(Import(module, alias.name, None, node.lineno, runtime))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source.split(".")[0] not in PACKAGES:
                continue
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in modules:
                    found.append(Import(module, submodule, None, node.lineno, runtime))
                else:
                    found.append(Import(module, source, alias.name, node.lineno, runtime))
    return found


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    modules = module_files()
    return [imp for module, path in modules.items() for imp in imports_of(module, path, modules)]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of two or more modules (or a module importing itself), each as a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's algorithm; the graph is a few dozen modules, recursion is fine
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1 or v in edges.get(v, ()):
                groups.append(_one_cycle(sorted(group), edges))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return groups


def _one_cycle(group: list[str], edges: dict[str, set[str]]) -> list[str]:
    """A path from the group's first module back to itself, inside the group (to name it in a failure)."""
    inside = set(group)
    start = group[0]
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        v = frontier.pop(0)
        for w in sorted(edges.get(v, ()) & inside):
            if w == start:
                return paths[v] + [start]
            if w not in paths:
                paths[w] = paths[v] + [w]
                frontier.append(w)
    return group


def test_the_import_graph_is_read_from_every_module(imports):
    modules = module_files()
    assert {"autograd.value", "nn.module", "viz.dot", "viz.steps"} <= set(modules)
    importers = {imp.importer for imp in imports}
    assert {"viz.dot", "viz.steps", "nn.layers", "autograd.value"} <= importers
    # an import inside a function counts: viz's package imports its lab lazily, in __getattr__
    assert any(imp.importer == "viz" and imp.target == "viz.lab" for imp in imports)


def test_cycles_are_found_with_the_modules_named():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert cycles(edges) == [["a", "b", "c", "a"], ["e", "e"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles(imports):
    edges: dict[str, set[str]] = {}
    for imp in imports:
        if imp.runtime and imp.target != imp.importer:
            edges.setdefault(imp.importer, set()).add(imp.target)
    found = cycles(edges)
    assert not found, "import cycles (imports inside functions count):\n" + "\n".join(" → ".join(c) for c in found)


def test_no_private_names_imported_from_another_module(imports):
    """What modules share lives in a module of its own under public names; ``_name`` stays in its module."""
    private = [
        str(imp)
        for imp in imports
        if imp.name is not None and imp.name.startswith("_") and not imp.name.startswith("__")
    ]
    assert not private, "private names imported across modules:\n" + "\n".join(private)


def test_layers_import_only_downwards(imports):
    """autograd knows nothing of nn or viz; nn draws nothing (no viz)."""
    upward = [
        str(imp)
        for imp in imports
        if (package := imp.importer.split(".")[0]) != (used := imp.target.split(".")[0])
        and used not in ALLOWED[package]
    ]
    assert not upward, "imports against the layering autograd ← nn ← viz:\n" + "\n".join(upward)


def test_the_checks_catch_what_they_are_for(tmp_path):
    """The reader finds a function-level import, a private name, an upward import and a TYPE_CHECKING import."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "from .dot import _Drawing\n"
        "if TYPE_CHECKING:\n"
        "    from .lab import GraphView\n"
        "def show():\n"
        "    from . import lab\n"
        "    import nn.module\n"
    )
    (tmp_path / "graph.py").write_text(source, encoding="utf-8")
    modules = {"viz.graph": tmp_path / "graph.py", "viz.lab": tmp_path / "graph.py"}
    found = imports_of("viz.graph", tmp_path / "graph.py", modules)
    assert {(i.target, i.name, i.runtime) for i in found} == {
        ("viz.dot", "_Drawing", True),
        ("viz.lab", None, True),
        ("viz.lab", "GraphView", False),
        ("nn.module", None, True),
    }


def test_architecture_md_names_every_module():
    """ARCHITECTURE.md is the map: every module of the three packages has its line there."""
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    files = [path.relative_to(ROOT).as_posix() for path in module_files().values()]
    unnamed = [f for f in files if f"`{f}`" not in text]
    assert not unnamed, "modules ARCHITECTURE.md does not name (add a line to its table):\n" + "\n".join(unnamed)
