"""Covariate adjustment: the adjustment criterion and all minimal adjustment sets.

``Z`` is a valid adjustment set for the total effect of ``X`` on ``Y``,
:math:`P(y \\mid do(x)) = \\sum_z P(y \\mid x, z) P(z)`, if and only if (Shpitser, VanderWeele &
Robins 2010; Perković et al. 2018; van der Zander, Liśkiewicz & Textor 2019, AIJ 270:1)

1. no node of ``Z`` is a descendant of a node (other than ``X``) on a proper causal path, and
2. ``Z`` d-separates ``X`` from ``Y`` in the *proper back-door graph*: the DAG without the first edge
   of every proper causal path from ``X`` to ``Y``.

The criterion is complete: it finds every set that works, including sets Pearl's back-door
criterion misses. Minimal sets are the minimal separators of the moralised ancestral proper
back-door graph restricted to allowed (observed, not forbidden) nodes; this is what dagitty's
``adjustmentSets(type = "minimal")`` lists.

>>> import networkx as nx
>>> g = nx.DiGraph([("a", "x"), ("a", "m"), ("b", "m"), ("b", "y"), ("x", "y")])  # M-bias
>>> minimal_adjustment_sets(g, {"x"}, {"y"})
[frozenset()]
>>> is_adjustment_set(g, {"x"}, {"y"}, {"m"}), is_adjustment_set(g, {"x"}, {"y"}, {"m", "a"})
(False, True)
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx

from facmech.graphs import (
    ancestors_of,
    d_separated,
    descendants_of,
    minimal_separators,
    proper_causal_nodes,
)

__all__ = [
    "forbidden_nodes",
    "is_adjustment_set",
    "minimal_adjustment_sets",
    "proper_backdoor_graph",
]


def forbidden_nodes(graph: nx.DiGraph, x: Iterable[str], y: Iterable[str]) -> set[str]:
    """Nodes no adjustment set may contain: ``X`` and descendants of proper causal nodes."""
    xs = set(x)
    return descendants_of(graph, proper_causal_nodes(graph, xs, y)) | xs


def _first_edges(graph: nx.DiGraph, xs: set[str], cn: set[str]) -> list[tuple[str, str]]:
    return [(a, b) for a in xs for b in graph.successors(a) if b in cn]


def proper_backdoor_graph(graph: nx.DiGraph, x: Iterable[str], y: Iterable[str]) -> nx.DiGraph:
    """A copy of ``graph`` without the first edge of each proper causal path from ``x`` to ``y``."""
    xs = set(x)
    cn = proper_causal_nodes(graph, xs, y)
    g = nx.DiGraph(graph)
    g.remove_edges_from(_first_edges(graph, xs, cn))
    return g


def _ancestors_without(graph: nx.DiGraph, nodes: set[str], cut: set[tuple[str, str]]) -> set[str]:
    seen = set(nodes)
    stack = list(seen)
    while stack:
        c = stack.pop()
        for p in graph.predecessors(c):
            if p not in seen and (p, c) not in cut:
                seen.add(p)
                stack.append(p)
    return seen


def is_adjustment_set(
    graph: nx.DiGraph, x: Iterable[str], y: Iterable[str], z: Iterable[str]
) -> bool:
    """Whether ``z`` satisfies the adjustment criterion for the effect of ``x`` on ``y``.

    The graph is not copied: the proper back-door graph is a view, and with ``z`` empty the
    d-separation of ``x`` and ``y`` is the absence of a common ancestor in it (no trek), two
    ancestor searches. Path reports ask this for every mediator of maps with hundreds of nodes.
    """
    xs, ys, zs = set(x), set(y), set(z)
    if xs & ys:
        return False
    cn = proper_causal_nodes(graph, xs, ys)
    if zs & (descendants_of(graph, cn) | xs):
        return False
    cut = set(_first_edges(graph, xs, cn))
    if not zs:
        return not (_ancestors_without(graph, xs, cut) & _ancestors_without(graph, ys, cut))
    return d_separated(nx.restricted_view(graph, (), cut), xs, ys, zs)


def minimal_adjustment_sets(
    graph: nx.DiGraph,
    x: Iterable[str],
    y: Iterable[str],
    *,
    observed: Iterable[str] | None = None,
) -> list[frozenset[str]]:
    """All inclusion-minimal valid adjustment sets made of ``observed`` nodes.

    Parameters
    ----------
    graph : networkx.DiGraph
        The DAG, latent nodes included.
    x, y : iterable of str
        Treatment and outcome nodes.
    observed : iterable of str, optional
        Nodes that may be adjusted for (default: all).

    Returns
    -------
    list of frozenset
        Sorted by size then names; ``[]`` when no adjustment set exists, ``[frozenset()]`` when no
        adjustment is needed.
    """
    xs, ys = set(x), set(y)
    allowed = set(graph.nodes) if observed is None else set(observed)
    allowed -= forbidden_nodes(graph, xs, ys) | ys
    pbd = proper_backdoor_graph(graph, xs, ys)
    anc = ancestors_of(pbd, xs | ys)
    moral = nx.moral_graph(pbd.subgraph(anc))
    return minimal_separators(moral, xs, ys, allowed=allowed & anc)
