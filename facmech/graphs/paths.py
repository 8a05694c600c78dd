"""Directed paths, back-door paths and ancestry in a DAG.

A *directed path* from ``x`` to ``y`` follows arrows ``x -> ... -> y``; a *back-door path* from ``x``
to ``y`` is a path of the skeleton whose first edge points into ``x`` (Pearl 2009, Def. 3.3.1).
*Proper causal* nodes of ``(X, Y)`` are those on a directed path from ``X`` to ``Y`` that visits ``X``
only at its start, excluding ``X`` (Shpitser, VanderWeele & Robins 2010).

>>> import networkx as nx
>>> g = nx.DiGraph([("x", "m"), ("m", "y"), ("x", "y"), ("c", "x"), ("c", "y")])
>>> directed_paths(g, "x", "y")
[('x', 'm', 'y'), ('x', 'y')]
>>> backdoor_paths(g, "x", "y")
[('x', 'c', 'y')]
>>> sorted(proper_causal_nodes(g, {"x"}, {"y"}))
['m', 'y']
>>> count_directed_paths(g, "x", "y")
2
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import networkx as nx

__all__ = [
    "ancestors_of",
    "backdoor_paths",
    "count_directed_paths",
    "descendants_of",
    "directed_paths",
    "proper_causal_nodes",
]


def ancestors_of(
    graph: nx.DiGraph, nodes: Iterable[str], *, blocked: Iterable[str] = ()
) -> set[str]:
    """The nodes with a directed path into ``nodes`` (the nodes themselves included).

    Paths may end at a node of ``blocked`` but never pass through one (the ancestors in the graph
    with the arrows *into* ``blocked`` removed, as used for :math:`An(Y)_{G_{\\overline{X}}}`).
    """
    stop = set(blocked)
    seen = set(nodes)
    stack = [n for n in seen if n not in stop]
    while stack:
        for p in graph.predecessors(stack.pop()):
            if p not in seen:
                seen.add(p)
                if p not in stop:
                    stack.append(p)
    return seen


def descendants_of(
    graph: nx.DiGraph, nodes: Iterable[str], *, blocked: Iterable[str] = ()
) -> set[str]:
    """The nodes reachable by directed paths from ``nodes`` (included), never passing ``blocked``."""
    stop = set(blocked)
    seen = set(nodes)
    stack = list(seen)
    while stack:
        for c in graph.successors(stack.pop()):
            if c not in seen and c not in stop:
                seen.add(c)
                stack.append(c)
    return seen


def proper_causal_nodes(graph: nx.DiGraph, x: Iterable[str], y: Iterable[str]) -> set[str]:
    """Nodes other than ``x`` on proper causal paths from ``x`` to ``y``.

    .. math:: cn(X, Y) = (De_{G_{\\overline{X}}}(X) \\setminus X) \\cap An_{G_{\\underline{X}}}(Y)
    """
    xs = set(x)
    down = descendants_of(graph, xs, blocked=xs) - xs
    up = ancestors_of(graph, set(y) - xs, blocked=xs) - xs
    return down & up


def directed_paths(
    graph: nx.DiGraph, source: str, target: str, *, avoid: Iterable[str] = ()
) -> list[tuple[str, ...]]:
    """Every directed path from ``source`` to ``target`` (sorted), avoiding the nodes ``avoid``.

    The count can grow exponentially with the graph; see :func:`count_directed_paths` first.
    """
    skip = set(avoid) - {source, target}
    relevant = (descendants_of(graph, [source], blocked=skip) & ancestors_of(
        graph, [target], blocked=skip)) - skip
    if source not in relevant or target not in relevant:
        return []
    sub = graph.subgraph(relevant)
    return sorted(tuple(p) for p in nx.all_simple_paths(sub, source, target)) if source != target \
        else [(source,)]


def count_directed_paths(
    graph: nx.DiGraph, source: str, target: str, *, avoid: Iterable[str] = ()
) -> int:
    """The number of directed paths from ``source`` to ``target`` (dynamic programming, linear time)."""
    skip = set(avoid) - {source, target}
    counts: dict[str, int] = {target: 1}
    order = [n for n in nx.topological_sort(graph) if n not in skip]
    for n in reversed(order):
        if n == target:
            continue
        counts[n] = sum(counts.get(c, 0) for c in graph.successors(n) if c not in skip)
    return counts.get(source, 0)


def _skeleton_paths(graph: nx.DiGraph, x: str, y: str) -> Iterator[tuple[str, ...]]:
    und = graph.to_undirected(as_view=True)
    yield from (tuple(p) for p in nx.all_simple_paths(und, x, y))


def backdoor_paths(graph: nx.DiGraph, x: str, y: str) -> list[tuple[str, ...]]:
    """Every path between ``x`` and ``y`` whose first edge points into ``x`` (sorted).

    Enumerates simple paths of the skeleton: meant for small graphs and explanations.
    """
    return sorted(p for p in _skeleton_paths(graph, x, y) if graph.has_edge(p[1], x))
