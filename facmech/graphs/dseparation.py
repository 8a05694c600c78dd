"""d-separation (Pearl 1988) and d-connecting paths.

Sets ``X`` and ``Y`` are d-separated by ``Z`` in a DAG when every path between them is *blocked*:
it has a non-collider in ``Z``, or a collider that is neither in ``Z`` nor an ancestor of ``Z``.
Latent nodes are ordinary nodes here; they simply never appear in ``Z``.

>>> import networkx as nx
>>> g = nx.DiGraph([("a", "m"), ("b", "m")])
>>> d_separated(g, {"a"}, {"b"}, set()), d_separated(g, {"a"}, {"b"}, {"m"})
(True, False)
>>> d_connecting_path(g, "a", "b", {"m"})
('a', 'm', 'b')
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import networkx as nx

from facmech.graphs.paths import ancestors_of

__all__ = ["d_connecting_path", "d_separated"]


def d_separated(graph: nx.DiGraph, x: Iterable[str], y: Iterable[str], z: Iterable[str]) -> bool:
    """Whether ``z`` d-separates ``x`` from ``y`` in the DAG ``graph`` (networkx's algorithm)."""
    xs, ys, zs = set(x), set(y), set(z)
    if xs & ys:
        return False
    return nx.is_d_separator(graph, xs, ys, zs - xs - ys)


def d_connecting_path(
    graph: nx.DiGraph, x: str, y: str, z: Iterable[str], *, first_edge_into_x: bool = False
) -> tuple[str, ...] | None:
    """A path between ``x`` and ``y`` that ``z`` leaves open, or ``None`` (Bayes-ball search).

    With ``first_edge_into_x`` only back-door paths (first edge pointing into ``x``) are considered.
    The path is found by breadth-first search, so it is a shortest open one.
    """
    zs = set(z)
    an_z = ancestors_of(graph, zs)
    # state: (node, arrived_from_child) ; arrived_from_child means the edge is node -> previous
    start: list[tuple[str, bool]] = [(p, True) for p in graph.predecessors(x)]
    if not first_edge_into_x:
        start += [(c, False) for c in graph.successors(x)]
    prev: dict[tuple[str, bool], tuple[str, bool] | None] = {}
    queue: deque[tuple[str, bool]] = deque()
    for s in start:
        if s not in prev:
            prev[s] = None
            queue.append(s)
    while queue:
        state = queue.popleft()
        node, from_child = state
        if node == y:
            path = [node]
            cur = prev[state]
            while cur is not None:
                path.append(cur[0])
                cur = prev[cur]
            path.append(x)
            return tuple(reversed(path))
        if node == x:
            continue
        nxt: list[tuple[str, bool]] = []
        if from_child:
            if node not in zs:
                nxt += [(p, True) for p in graph.predecessors(node)]
                nxt += [(c, False) for c in graph.successors(node)]
        else:
            if node not in zs:
                nxt += [(c, False) for c in graph.successors(node)]
            if node in an_z:
                nxt += [(p, True) for p in graph.predecessors(node)]
        for s in nxt:
            if s not in prev:
                prev[s] = state
                queue.append(s)
    return None
