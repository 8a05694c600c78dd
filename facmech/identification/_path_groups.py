"""Group the directed paths of a graph by what decides their identification, without listing them.

For one directed path ``p`` from ``x`` to ``y`` the path-specific criterion
(:mod:`facmech.identification.path_specific`) looks at two things only:

1. the first measured node ``c`` after ``x`` (the child of ``x`` in the latent projection through
   which ``p`` leaves): ``p`` recants iff the district of ``c`` in :math:`G_{Y^*}` holds another
   child of ``x`` or ``c`` has several paths on to ``y``; and
2. whether ``p`` takes a *step* ``a -> b`` of the projection that stands for several routes
   through unmeasured nodes (then ``p`` cannot be told apart from them at all).

So the paths fall into groups keyed by ``(c, first such step or None)``; every path of a group has
the same verdict. Group sizes are products of path counts (dynamic programming over the
projection with each arrow weighted by the number of latent routes it stands for), linear in the
graph; one representative path per group is identified. Individual paths are listed on demand
(:func:`facmech.identification.waypoints.waypoint_paths`, paged).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx

from facmech.graphs import ancestors_of, descendants_of
from facmech.identification._query import GraphInput

__all__ = ["PathGroup", "path_groups"]


@dataclass(frozen=True)
class PathGroup:
    """Directed paths sharing their first measured node and their first ambiguous step."""

    first: str
    step: tuple[str, str] | None
    count: int
    example: tuple[str, ...]
    hidden: tuple[str, ...] = ()  # the unmeasured nodes the ambiguous step runs through


def _routes(q: GraphInput, a: str, b: str) -> nx.DiGraph:
    keep = (descendants_of(q.graph.subgraph(set(q.latent) | {a, b}), [a])
            & ancestors_of(q.graph.subgraph(set(q.latent) | {a, b}), [b]))
    return q.graph.subgraph(keep)


def _count(sub: nx.DiGraph, a: str, b: str) -> int:
    counts = {b: 1}
    for n in reversed(list(nx.topological_sort(sub))):
        if n != b:
            counts[n] = sum(counts.get(c, 0) for c in sub.successors(n))
    return counts.get(a, 0)


def _expand(q: GraphInput, nodes: Iterable[str]) -> tuple[str, ...]:
    """A path of the DAG for a path of the projection (one latent route per arrow)."""
    nodes = list(nodes)
    out = [nodes[0]]
    for a, b in itertools.pairwise(nodes):
        if q.graph.has_edge(a, b):
            out.append(b)
        else:
            out.extend(nx.shortest_path(_routes(q, a, b), a, b)[1:])
    return tuple(out)


def path_groups(q: GraphInput, x: str, y: str) -> tuple[PathGroup, ...]:
    """Partition the directed paths from ``x`` to ``y`` into groups with one verdict each."""
    order = list(q.admg.nodes)
    rel = (descendants_of(q.graph, [x]) & ancestors_of(q.graph, [y])) - set(q.latent)
    proj = nx.DiGraph()
    proj.add_nodes_from(n for n in order if n in rel)
    weight: dict[tuple[str, str], int] = {}
    for a, b in q.admg.directed:
        if a in rel and b in rel and b != x:
            proj.add_edge(a, b)
            weight[(a, b)] = _count(_routes(q, a, b), a, b)
    topo = [n for n in order if n in proj]
    # paths to y: all (weighted) and unambiguous only
    full = {y: 1}
    clean = {y: 1}
    for n in reversed(topo):
        if n == y:
            continue
        full[n] = sum(weight[(n, c)] * full[c] for c in proj.successors(n))
        clean[n] = sum(clean[c] for c in proj.successors(n) if weight[(n, c)] == 1)
    groups: list[PathGroup] = []
    for c in (k for k in topo if proj.has_edge(x, k)):
        if weight[(x, c)] > 1:
            groups.append(_group(q, proj, weight, full, clean, x, y, c, (x, c), 1))
            continue
        if clean[c]:
            groups.append(_group(q, proj, weight, full, clean, x, y, c, None, clean[c]))
        # unambiguous prefixes from c, then the first ambiguous step
        reach = {c: 1}
        for n in topo[topo.index(c):]:
            if n not in reach or n == y:
                continue
            for k in proj.successors(n):
                if weight[(n, k)] == 1:
                    reach[k] = reach.get(k, 0) + reach[n]
                else:
                    groups.append(_group(q, proj, weight, full, clean, x, y, c, (n, k), reach[n]))
    return tuple(groups)


def _group(q, proj, weight, full, clean, x, y, c, step, prefix) -> PathGroup:
    if step is None:
        count = prefix
        nodes = [x, c]
        while nodes[-1] != y:
            nodes.append(next(k for k in sorted(proj.successors(nodes[-1]))
                              if weight[(nodes[-1], k)] == 1 and clean[k]))
        return PathGroup(c, None, count, _expand(q, nodes))
    a, b = step
    count = prefix * weight[step] * full[b]
    if a == x:
        head = [x]
    elif a == c:
        head = [x, c]
    else:
        head = [x, *nx.shortest_path(
            proj.edge_subgraph([e for e, w in weight.items() if w == 1]), c, a)]
    tail = [b]
    while tail[-1] != y:
        tail.append(next(k for k in sorted(proj.successors(tail[-1])) if full[k]))
    between = _routes(q, a, b)
    hidden = tuple(n for n in nx.topological_sort(between) if n not in (a, b))
    return PathGroup(c, step, count, _expand(q, [*head, *tail]), hidden)
