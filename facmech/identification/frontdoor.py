"""The front-door criterion (Pearl 1995, Biometrika 82:669).

A set ``Z`` satisfies the front-door criterion relative to ``(X, Y)`` if

1. ``Z`` intercepts every directed path from ``X`` to ``Y``;
2. there is no unblocked back-door path from ``X`` to ``Z``;
3. every back-door path from ``Z`` to ``Y`` is blocked by ``X``.

Then :math:`P(y \\mid do(x)) = \\sum_z P(z \\mid x) \\sum_{x'} P(y \\mid x', z) P(x')`.

>>> import networkx as nx
>>> g = nx.DiGraph([("u", "x"), ("u", "y"), ("x", "m"), ("m", "y")])
>>> frontdoor_sets(g, "x", "y", observed={"x", "m", "y"})
[frozenset({'m'})]
>>> frontdoor_formula("x", "y", {"m"})
"sum_{m} P(m | x) sum_{x'} P(y | x', m) P(x')"
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import networkx as nx

from facmech.graphs import ancestors_of, count_directed_paths, d_separated, descendants_of

__all__ = ["frontdoor_formula", "frontdoor_sets", "is_frontdoor_set"]


def is_frontdoor_set(graph: nx.DiGraph, x: str, y: str, z: Iterable[str]) -> bool:
    """Whether ``z`` satisfies Pearl's front-door criterion for the effect of ``x`` on ``y``."""
    zs = set(z)
    if not zs or x in zs or y in zs:
        return False
    if count_directed_paths(graph, x, y, avoid=zs) > 0:
        return False
    g_x = nx.DiGraph(graph)
    g_x.remove_edges_from(list(graph.out_edges(x)))
    if not d_separated(g_x, {x}, zs, set()):
        return False
    g_z = nx.DiGraph(graph)
    g_z.remove_edges_from([e for n in zs for e in graph.out_edges(n)])
    return d_separated(g_z, zs, {y}, {x})


def frontdoor_sets(
    graph: nx.DiGraph,
    x: str,
    y: str,
    *,
    observed: Iterable[str] | None = None,
    max_size: int = 4,
) -> list[frozenset[str]]:
    """Inclusion-minimal front-door sets of at most ``max_size`` observed nodes (sorted).

    Candidates are observed nodes on directed paths from ``x`` to ``y``; sets are searched by
    increasing size and supersets of a set already found are skipped.
    """
    obs = set(graph.nodes) if observed is None else set(observed)
    cands = sorted((descendants_of(graph, [x]) & ancestors_of(graph, [y]) & obs) - {x, y})
    found: list[frozenset[str]] = []
    for k in range(1, min(max_size, len(cands)) + 1):
        for combo in itertools.combinations(cands, k):
            s = frozenset(combo)
            if any(f <= s for f in found):
                continue
            if is_frontdoor_set(graph, x, y, s):
                found.append(s)
    return found


def frontdoor_formula(x: str, y: str, z: Iterable[str]) -> str:
    """The front-door adjustment formula as text."""
    zs = ", ".join(sorted(z))
    return f"sum_{{{zs}}} P({zs} | {x}) sum_{{{x}'}} P({y} | {x}', {zs}) P({x}')"
