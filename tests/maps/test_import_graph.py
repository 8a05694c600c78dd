"""The import graph of facmech has no circle (issue 11: mechanism_map.py, formats/ and unroll.py
formed an eight-file circle), and ``import facmech`` loads no heavy module (issue 15).

The graph is read from the source with :mod:`ast`: every ``import`` statement, at module level or
inside a function, is an edge (a function-level import still ties the two modules together); imports
under ``if TYPE_CHECKING:`` are not, since they never run. ``from facmech.a import b`` is an edge to
``facmech.a.b`` when that is a module, else to ``facmech.a``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[2] / "facmech"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_package: bool) -> list[str]:
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                found.extend(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    package = module if is_package else module.rpartition(".")[0]
                    for _ in range(child.level - 1):
                        package = package.rpartition(".")[0]
                    base = f"{package}.{base}".rstrip(".")
                found.extend(f"{base}.{alias.name}" for alias in child.names)
            visit(child)

    visit(tree)
    return found


def import_graph() -> nx.DiGraph:
    """Modules of facmech and the facmech modules each imports."""
    modules = {_module_name(p): p for p in ROOT.rglob("*.py")}
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        targets = set()
        for target in _imports(tree, name, path.name == "__init__.py"):
            # `from facmech.a import b`: the module facmech.a.b if it exists, else facmech.a
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name and not (target == "facmech" and name != "facmech"):
                targets.add(target)
        graph.add_edges_from((name, t) for t in targets)
    return graph


def test_the_graph_is_read():
    g = import_graph()
    assert g.has_edge("facmech.formats.dagitty", "facmech.maps.model")
    assert g.has_edge("facmech.maps.model", "facmech.maps.unrolling")
    assert not g.has_edge("facmech.maps.unrolling", "facmech.maps.model")  # TYPE_CHECKING only


@pytest.mark.parametrize("package", ["facmech.maps", "facmech.formats", "facmech.mechanism_map"])
def test_map_layer_has_no_import_circle(package):
    g = import_graph()
    layer = [n for n in g if n == package or n.startswith(package + ".")]
    reach = set(layer)
    for n in layer:
        reach |= nx.descendants(g, n)
    cycles = list(nx.simple_cycles(g.subgraph(reach)))
    assert cycles == []


def test_map_layer_does_not_import_upwards():
    g = import_graph()
    below = nx.descendants(g, "facmech.maps") | {"facmech.maps"}
    assert not any(n.startswith("facmech.formats") for n in below)
    assert nx.descendants(g, "facmech.formats") <= {
        n for n in g if n.startswith(("facmech.formats", "facmech.maps", "facmech.errors", "facmech._"))
    }


# Circles outside the map layer, closed by function-level imports, known when this test was written
# (owned by the identification and plotting work). A new circle anywhere fails the test.
# A new circle among other modules fails the test.
KNOWN_ELSEWHERE = ("facmech.identification.", "facmech.plotting.")


def test_whole_package_has_no_new_import_circle():
    g = import_graph()
    cycles = [c for c in nx.strongly_connected_components(g) if len(c) > 1]
    known = [c for c in cycles if any(all(n.startswith(p) for n in c) for p in KNOWN_ELSEWHERE)]
    assert [c for c in cycles if c not in known] == []


def test_import_facmech_loads_no_heavy_module():
    code = (
        "import sys, facmech; heavy = ['matplotlib', 'dowhy', 'scipy.stats', 'pandas', "
        "'statsmodels', 'pgmpy', 'networkx']; print([m for m in heavy if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    # the public API still resolves (lazily)
    code = "import facmech; print(facmech.mediate.__name__, facmech.load_map().title[:9])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "mediate Healthcar"


def test_cli_help_loads_no_heavy_module():
    code = (
        "import sys\nfrom facmech.cli import build_parser\nbuild_parser().format_help()\n"
        "heavy = ['matplotlib', 'dowhy', 'scipy.stats', 'pandas', 'statsmodels', 'pgmpy']\n"
        "print([m for m in heavy if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
