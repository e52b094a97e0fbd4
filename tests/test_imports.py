"""The package's modules form layers: no flowsim module imports, at any depth, one that imports it.

A cycle works only while every module in it happens to be imported in a lucky order (a name
imported from a half-initialised module is an ImportError far from its cause), and it is a
sign that two modules share one job. The graph is read from the source with `ast`: every
`from .x import y`, `from . import x`, `import flowsim.x` and `from flowsim import x`, at the top
of a module or inside a function. Imports under `if TYPE_CHECKING:` are left out: they never run.
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
from pathlib import Path

import pytest

import flowsim

PACKAGE = Path(flowsim.__file__).parent
RUNS_ON_IMPORT = {"__main__", "streamlit_app"}
"""Modules that start the CLI or the app when imported: in the graph, but not imported here."""


LOAD_TIME_CHECKS = {("config", "initial"), ("config", "priors")}
"""The one exception, kept in view: while a scenario loads, config calls (from inside a function,
so never at import) the checks that need the model's own modules: that the initial census holds
only stages the course can fill (`initial.check`, which draws on cohort and arrivals) and that
every prior lies within its field's bounds (`priors.check`; config's schema holds `priors.Prior`).
Any other cycle fails, and so does an entry here that the code no longer has."""


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, modules: set[str]) -> set[str]:
    """The flowsim modules one module's code imports (`__init__` for names of the package itself)."""
    found: set[str] = set()

    def named(names: list[ast.alias]) -> None:
        found.update(a.name if a.name in modules else "__init__" for a in names)

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking_only(node):
            for statement in node.orelse:
                visit(statement)
            return
        if isinstance(node, ast.ImportFrom):
            dotted = node.module or ""
            if node.level == 1 or (node.level == 0 and (dotted == "flowsim" or dotted.startswith("flowsim."))):
                inside = dotted.removeprefix("flowsim").removeprefix(".") if node.level == 0 else dotted
                if inside:
                    found.add(inside.split(".")[0])
                else:
                    named(node.names)
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "flowsim":
                    found.add("__init__")
                elif a.name.startswith("flowsim."):
                    found.add(a.name.split(".")[1])
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Module → the flowsim modules it imports (itself and non-modules such as `_configs` left out)."""
    modules = {p.stem for p in package.glob("*.py")}
    return {p.stem: {m for m in _imports(ast.parse(p.read_text(encoding="utf-8")), modules)
                     if m in modules and m != p.stem}
            for p in sorted(package.glob("*.py"))}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Shortest cycles (paths back to their start), one through each module not yet on a found one."""
    found: list[list[str]] = []
    on_a_cycle: set[str] = set()
    for start in sorted(graph):
        if start in on_a_cycle:
            continue
        came_from: dict[str, str] = {}
        frontier = [start]
        while frontier and start not in came_from:  # breadth first: the shortest way back
            following = []
            for node in frontier:
                for dep in sorted(graph[node]):
                    if dep not in came_from:
                        came_from[dep] = node
                        following.append(dep)
            frontier = following
        if start in came_from:
            path = [start]
            while len(path) == 1 or path[-1] != start:
                path.append(came_from[path[-1]])
            path.reverse()
            found.append(path)
            on_a_cycle.update(path)
    return found


def test_no_flowsim_module_imports_one_that_imports_it():
    graph = import_graph()
    assert {"config", "routing", "ambulances", "store", "__init__"} <= graph.keys()
    stale = {edge for edge in LOAD_TIME_CHECKS if edge[1] not in graph[edge[0]]}
    assert not stale, f"no longer imported (drop them from LOAD_TIME_CHECKS): {sorted(stale)}"
    for module, check in LOAD_TIME_CHECKS:
        graph[module] = graph[module] - {check}
    found = cycles(graph)
    assert not found, "import cycles among flowsim modules:\n" + "\n".join(" → ".join(c) for c in found)


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_sees_function_level_and_package_imports_but_not_type_checking_ones(tmp_path: Path):
    (tmp_path / "__init__.py").write_text("from .a import f\n__version__ = '1'\n")
    (tmp_path / "a.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .c import C\n"
                                   "def f():\n    from . import __version__\n    from .b import g\n")
    (tmp_path / "b.py").write_text("import flowsim.c\nfrom flowsim import a\n")
    (tmp_path / "c.py").write_text("")
    assert import_graph(tmp_path) == {"__init__": {"a"}, "a": {"__init__", "b"}, "b": {"a", "c"}, "c": set()}


@pytest.mark.parametrize("module", sorted(m for m in import_graph() if m not in RUNS_ON_IMPORT))
def test_every_module_imports(module: str):
    importlib.import_module("flowsim" if module == "__init__" else f"flowsim.{module}")


def test_the_version_is_written_once():
    """pyproject.toml reads flowsim/_version.py: the installed metadata and the package agree."""
    from flowsim._version import __version__

    assert flowsim.__version__ == __version__
    assert importlib.metadata.version("flowsim") == __version__


def test_the_rule_names_config_checks_are_the_rules_the_model_has():
    """config holds the names (so checking a config imports no model); routing and ambulances the rules."""
    from flowsim.ambulances import DISPATCH_RULES
    from flowsim.config import DISPATCH_RULE_NAMES, ROUTING_RULE_NAMES
    from flowsim.routing import ROUTING_RULES

    assert tuple(ROUTING_RULES) == ROUTING_RULE_NAMES
    assert tuple(DISPATCH_RULES) == DISPATCH_RULE_NAMES
