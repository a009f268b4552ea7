"""The package's layers: no import cycle between its modules, and no upward import.

Every module under ``sendabm/`` is parsed (never imported) with :mod:`ast`. An import
counts wherever it is written — at module level or inside a function — in every form:
``import x.y``, ``from x import y`` (an edge to the module ``x.y`` when it is one, else
to ``x``), relative imports, and ``importlib.import_module("sendabm....")`` with a
string literal.

The layers, bottom to top (the same list is in ``sendabm/__init__.py``'s docstring);
a module may import its own layer and the layers below it, never one above:

1. ``base``: the package root, ``sendabm/core/*.py`` other than the model modules
   (rng, calendar, states, population, areas, exogenous, param, calibrated, measures,
   slots) and ``sendabm/data``;
2. ``actors``: ``sendabm/core/actors/``;
3. ``kernels``: ``sendabm/core/kernels/`` and its twin, the Python reference
   ``sendabm/core/reference/`` (which must not import the kernels it checks);
4. ``model``: :data:`MODEL_MODULES` (parameters, backends, SendModel, phases, cohorts,
   starting_state, scenario, policies, invariants, snapshot);
5. ``experiments``: ``sendabm/experiments/``;
6. ``presentation``: ``sendabm/presentation/``;
7. ``cli``: ``sendabm/cli.py``.

Exempt: imports under ``if TYPE_CHECKING:`` (they never run), and the lazy attributes of
the package root (``sendabm.SendModel``, ``sendabm.evaluate``: imported inside its PEP 562
``__getattr__`` only when first used, the public facade over the top layers).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import sendabm

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "sendabm"

LAYERS = ("base", "actors", "kernels", "model", "experiments", "presentation", "cli")
"""Layer names, bottom to top."""

MODEL_MODULES = frozenset({
    "sendabm.core.parameters", "sendabm.core.model", "sendabm.core.phases", "sendabm.core.backends",
    "sendabm.core.cohorts", "sendabm.core.scenario", "sendabm.core.policies",
    "sendabm.core.invariants", "sendabm.core.starting_state", "sendabm.core.snapshot",
    "sendabm.core.compile_ahead", "sendabm.core.compile_helper",
})
"""The modules of ``sendabm/core/`` that assemble the model from the layers below (a new
one goes here, a package counting with its submodules; any other module directly in
``sendabm/core/`` is a base module). ``parameters`` is here because it assembles the
actors' ``PARAMS`` declarations into the registry."""

def layer_of(module: str) -> str:
    """The layer of a dotted module name under ``sendabm``."""
    if module == "sendabm.cli":
        return "cli"
    for layer in ("presentation", "experiments"):
        if module == f"sendabm.{layer}" or module.startswith(f"sendabm.{layer}."):
            return layer
    if any(module == m or module.startswith(f"{m}.") for m in MODEL_MODULES):
        return "model"
    # The Python reference is the kernels' twin: the same layer, neither importing the other.
    for package, layer in (("kernels", "kernels"), ("reference", "kernels"), ("actors", "actors")):
        if module == f"sendabm.core.{package}" or module.startswith(f"sendabm.core.{package}."):
            return layer
    return "base"


# --------------------------------------------------------------------------- the graph


@dataclass(frozen=True)
class Edge:
    """One import of a module of the package by another."""

    importer: str
    imported: str
    line: int

    def __str__(self) -> str:
        return f"{self.importer} -> {self.imported} (line {self.line})"


def modules_of(root: Path, package: str = "sendabm") -> dict[str, Path]:
    """Dotted name -> file of every module under the package folder ``root``."""
    names = {}
    for path in sorted(root.rglob("*.py")):
        parts = [package, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _exempt_nodes(tree: ast.Module, facade: bool) -> set[int]:
    """ids of the import nodes that never run at import time (see the module docstring)."""
    exempt: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            exempt.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    if facade:
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
                exempt.update(id(n) for n in ast.walk(node))
    return exempt


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _target(name: str, known: Iterable[str]) -> str | None:
    """The module ``name`` refers to: itself, or its longest prefix that is a module."""
    known = set(known)
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts.pop()
    return None


def _imported_names(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """Absolute dotted names an import node (or import_module call) refers to."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level:
            package = module.split(".")
            if not is_package:
                package.pop()
            package = package[: len(package) - (node.level - 1)]
            base = ".".join(package + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        return [base] + [f"{base}.{alias.name}" for alias in node.names]
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
            return [node.args[0].value]
    return []


def import_edges(root: Path, package: str = "sendabm") -> list[Edge]:
    """Every import between modules of the package under ``root``, exemptions left out."""
    modules = modules_of(root, package)
    edges = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        exempt = _exempt_nodes(tree, facade=module == package)
        for node in ast.walk(tree):
            if id(node) in exempt:
                continue
            names = _imported_names(node, module, path.name == "__init__.py")
            if isinstance(node, ast.ImportFrom) and len(names) > 1:
                # ``from x import y``: the module x.y if y is one, else x itself.
                targets = [_target(n, modules) for n in names[1:]]
                targets = [t if t != names[0] else _target(names[0], modules) for t in targets]
            else:
                targets = [_target(n, modules) for n in names]
            for target in dict.fromkeys(t for t in targets if t and t != module):
                edges.append(Edge(module, target, node.lineno))
    return edges


# --------------------------------------------------------------------------- the checks


def upward_imports(edges: Iterable[Edge]) -> list[str]:
    """Each import of a higher layer by a lower one, as a line naming both layers."""
    rank = {name: i for i, name in enumerate(LAYERS)}
    found = []
    for edge in edges:
        low, high = layer_of(edge.importer), layer_of(edge.imported)
        if rank[high] > rank[low]:
            found.append(f"{edge} imports layer '{high}' from layer '{low}'")
    return found


def cycles(edges: Iterable[Edge]) -> list[list[str]]:
    """One cycle (a list of modules, first = last) per strongly connected component."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.importer, set()).add(edge.imported)
        graph.setdefault(edge.imported, set())
    return [_cycle_in(component, graph) for component in _components(graph)
            if len(component) > 1]


def _components(graph: Mapping[str, set[str]]) -> list[set[str]]:
    """Strongly connected components (Tarjan), iteratively."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    found.append(component)
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def _cycle_in(component: set[str], graph: Mapping[str, set[str]]) -> list[str]:
    """The shortest cycle through the component's first module (breadth first)."""
    start = min(component)
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node] & component):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if child not in previous:
                    previous[child] = node
                    following.append(child)
        frontier = following
    raise AssertionError(f"no cycle in component {sorted(component)}")


# --------------------------------------------------------------------------- tests


def test_no_import_cycles():
    found = cycles(import_edges(PACKAGE_DIR))
    assert not found, "import cycles between sendabm modules: " + "; ".join(
        " -> ".join(cycle) for cycle in found)


def test_no_upward_imports():
    found = upward_imports(import_edges(PACKAGE_DIR))
    assert not found, "imports of a higher layer (order: " + " -> ".join(LAYERS) + "): " + \
        "; ".join(found)


def test_the_package_docstring_lists_the_layers_in_order():
    text = sendabm.__doc__ or ""
    positions = [text.find(f"{name}:") for name in LAYERS]
    assert -1 not in positions and positions == sorted(positions), (
        f"sendabm/__init__.py's docstring must list the layers {', '.join(LAYERS)} in "
        "order, one line each as 'name: ...'")


SYNTHETIC = {
    "__init__.py": "",
    "core/__init__.py": "",
    "core/rng.py": "from sendabm.core import calendar\n",
    "core/calendar.py": "def f():\n    from . import rng\n",
    "core/areas.py": "import importlib\nM = importlib.import_module('sendabm.presentation.figs')\n",
    "core/states.py": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                       "    from sendabm.cli import main\n"),
    "core/kernels/__init__.py": "",
    "core/kernels/cases.py": "from ...experiments import run\n",
    "experiments/__init__.py": "",
    "experiments/run.py": "from sendabm.core.kernels.cases import x\n",
    "presentation/__init__.py": "",
    "presentation/figs.py": "import sendabm.experiments.run\n",
    "cli.py": "",
}


def test_the_checks_find_a_cycle_and_upward_imports(tmp_path):
    root = tmp_path / "sendabm"
    for name, text in SYNTHETIC.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    edges = import_edges(root)
    found = cycles(edges)
    assert ["sendabm.core.calendar", "sendabm.core.rng", "sendabm.core.calendar"] in found
    assert ["sendabm.core.kernels.cases", "sendabm.experiments.run",
            "sendabm.core.kernels.cases"] in found
    assert len(found) == 2
    upward = upward_imports(edges)
    assert len(upward) == 2, upward
    assert any("sendabm.core.areas -> sendabm.presentation.figs" in u for u in upward)
    assert any("sendabm.core.kernels.cases -> sendabm.experiments.run" in u for u in upward)
    # The TYPE_CHECKING import of the cli is exempt.
    assert not any(e.importer == "sendabm.core.states" for e in edges)


def test_the_reference_does_not_import_the_kernels():
    """The Python reference is an independent check: it takes its constants from the
    actors, never from the kernels it is compared with."""
    found = [str(e) for e in import_edges(PACKAGE_DIR)
             if e.importer.startswith("sendabm.core.reference")
             and e.imported.startswith("sendabm.core.kernels")]
    assert not found, "the reference imports the kernels: " + "; ".join(found)
