"""All inclusion-minimal vertex separators between two node sets of an undirected graph.

A set ``S`` separates ``A`` from ``B`` when every path between them meets ``S``; it is *minimal* when
no proper subset does. Only ``allowed`` nodes may be used: the others (latent or forbidden nodes)
are eliminated first by joining their neighbours pairwise, which keeps exactly the separation
relations among allowed nodes. Minimal ``a, b``-separators are then listed by the closure method of
Berry, Bordat & Cogis (1999) as specialised to two terminals by Kloks & Kratsch (1998,
SIAM J. Comput. 27:605): start from the separator closest to ``a`` and grow ``a``'s side by one
separator node at a time. Each minimal separator is found once; the work per separator is
polynomial.

>>> import networkx as nx
>>> u = nx.Graph([("x", "a"), ("a", "y"), ("x", "b"), ("b", "y"), ("a", "b")])
>>> [sorted(s) for s in minimal_separators(u, {"x"}, {"y"})]
[['a', 'b']]
>>> minimal_separators(u, {"x"}, {"y"}, allowed={"a"})
[]
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import networkx as nx

__all__ = ["minimal_separators"]

_A = ("__sep_a__",)
_B = ("__sep_b__",)


def _eliminate(graph: nx.Graph, drop: Iterable[str]) -> nx.Graph:
    """Remove ``drop`` nodes one by one, joining each one's neighbours (order: fewest first)."""
    g = nx.Graph(graph)
    todo = set(drop)
    while todo:
        v = min(todo, key=lambda n: (g.degree(n), str(n)))
        todo.discard(v)
        nbrs = list(g.neighbors(v))
        g.remove_node(v)
        for i, a in enumerate(nbrs):
            for b in nbrs[i + 1:]:
                g.add_edge(a, b)
    return g


def _component(g: nx.Graph, start: object, removed: set) -> set:
    comp = {start}
    stack = [start]
    while stack:
        for n in g.neighbors(stack.pop()):
            if n not in comp and n not in removed:
                comp.add(n)
                stack.append(n)
    return comp


def _neighbourhood(g: nx.Graph, nodes: set) -> set:
    out: set = set()
    for n in nodes:
        out.update(g.neighbors(n))
    return out - nodes


def _close_to(g: nx.Graph, a_side: set, b: object) -> frozenset:
    """The minimal separator contained in N(a_side) that is closest to ``a_side``."""
    border = _neighbourhood(g, a_side)
    c_b = _component(g, b, a_side | border)
    return frozenset(_neighbourhood(g, c_b))


def minimal_separators(
    graph: nx.Graph,
    a: Iterable[str],
    b: Iterable[str],
    *,
    allowed: Iterable[str] | None = None,
) -> list[frozenset[str]]:
    """Every minimal separator of ``a`` and ``b`` made of ``allowed`` nodes (sorted by size, name).

    Parameters
    ----------
    graph : networkx.Graph
        An undirected graph (not modified).
    a, b : iterable of str
        The two disjoint node sets to separate.
    allowed : iterable of str, optional
        Nodes that may belong to a separator (default: every node outside ``a`` and ``b``).

    Returns
    -------
    list of frozenset
        Empty when ``a`` and ``b`` cannot be separated with allowed nodes.
    """
    a_set, b_set = set(a), set(b)
    ok = (set(graph.nodes) if allowed is None else set(allowed) & set(graph.nodes)) - a_set - b_set
    g = nx.Graph()
    g.add_nodes_from(graph.nodes)
    g.add_edges_from(graph.edges)
    # contract the terminals
    g.add_node(_A)
    g.add_node(_B)
    for t, group in ((_A, a_set), (_B, b_set)):
        for n in group:
            if n in g:
                for m in list(g.neighbors(n)):
                    g.add_edge(t, m)
                g.remove_node(n)
    for t in (_A, _B):
        if g.has_edge(t, t):
            g.remove_edge(t, t)
    g = _eliminate(g, set(g.nodes) - ok - {_A, _B})
    if g.has_edge(_A, _B):
        return []
    if _B not in _component(g, _A, set()):
        return [frozenset()]
    b_nbrs = set(g.neighbors(_B))
    first = _close_to(g, {_A}, _B)
    found = {first}
    queue = deque([first])
    while queue:
        sep = queue.popleft()
        a_side = _component(g, _A, set(sep))
        for x in sep:
            if x in b_nbrs:
                continue
            nxt = _close_to(g, a_side | {x}, _B)
            if nxt not in found:
                found.add(nxt)
                queue.append(nxt)
    return sorted(found, key=lambda s: (len(s), sorted(s)))
