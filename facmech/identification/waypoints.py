"""Paths as researchers write them: waypoints, and the set of directed paths through them.

A hypothesized mechanism is usually named by its waypoints ("engagement -> trust ->
normalization"), not by every arrow. A node sequence whose consecutive nodes are not all adjacent
is read as the *set* of directed paths that visit those nodes in that order; the path-specific
effect along that set is identified by the recanting-district criterion for sets of paths (Avin,
Shpitser & Pearl 2005, IJCAI, Thm 2; Shpitser & Tchetgen Tchetgen 2016, Ann. Stat. 44:2433, Thm 4),
decided here without listing the paths (:class:`~facmech.identification.path_specific.PathSet`
``waypoints``). The paths covered are counted by dynamic programming and listed on demand
(:func:`waypoint_paths`, paged). A sequence whose consecutive nodes are all adjacent keeps its
meaning: that one path.

An unmeasured waypoint ``w`` is kept when every route the latent projection folds into one arrow
either passes ``w`` or avoids it; when an arrow ``a -> b`` of the projection stands for routes of
both kinds, paths through ``w`` cannot be told apart from paths around it and the effect is not
identified from what is measured.

>>> import networkx as nx
>>> from facmech.identification import identify
>>> g = nx.DiGraph([("x", "a"), ("x", "b"), ("a", "m"), ("b", "m"), ("m", "y"), ("x", "y")])
>>> r = identify(g, path=["x", "m", "y"])
>>> r.identifiable, r.path_count, r.paths
(True, 2, (('x', 'a', 'm', 'y'), ('x', 'b', 'm', 'y')))
>>> waypoint_paths(g, ["x", "m", "y"], start=1, limit=1)
[('x', 'b', 'm', 'y')]
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any

import networkx as nx

from facmech.graphs import ancestors_of, count_directed_paths, descendants_of
from facmech.identification._query import GraphInput, QueryError, prepare_graph
from facmech.identification.assumptions import consistency, correct_diagram, no_recanting_witness
from facmech.identification.path_specific import PathSet, path_criterion
from facmech.identification.result import Effect, Identification, Strategy

__all__ = ["count_waypoint_paths", "is_waypoint_query", "waypoint_paths"]

#: Paths listed in an identification record; more are counted and listed on demand.
LISTED = 50


def is_waypoint_query(graph: nx.DiGraph, nodes: Sequence[Any]) -> bool:
    """True for a node sequence with some consecutive pair not joined by an arrow."""
    items = list(nodes)
    return (len(items) > 1 and all(isinstance(n, str) and n in graph for n in items)
            and any(not graph.has_edge(a, b) for a, b in itertools.pairwise(items)))


def _check(graph: nx.DiGraph, nodes: Sequence[str]) -> None:
    for a, b in itertools.pairwise(nodes):
        if b not in descendants_of(graph, [a]):
            raise QueryError(
                f"`path` {' -> '.join(nodes)}: there is no arrow {a} -> {b} and no directed path "
                f"from {a} to {b}, so no path of the graph visits these nodes in this order"
            )
    if len(set(nodes)) != len(nodes):
        raise QueryError(f"`path` {' -> '.join(nodes)} visits a node twice")


def count_waypoint_paths(graph: nx.DiGraph, nodes: Sequence[str]) -> int:
    """Number of directed paths visiting ``nodes`` in order (product over the segments).

    In a DAG a path from ``w_i`` to ``w_{i+1}`` cannot visit a later waypoint (that would close a
    cycle), so the paths through the waypoints are exactly the concatenations of segment paths.
    """
    n = 1
    for a, b in itertools.pairwise(nodes):
        n *= count_directed_paths(graph, a, b)
    return n


def _segment(graph: nx.DiGraph, a: str, b: str) -> Iterator[tuple[str, ...]]:
    keep = descendants_of(graph, [a]) & ancestors_of(graph, [b])
    yield from (tuple(p) for p in sorted(nx.all_simple_paths(graph.subgraph(keep), a, b)))


def iter_waypoint_paths(graph: nx.DiGraph, nodes: Sequence[str]) -> Iterator[tuple[str, ...]]:
    """The directed paths through ``nodes`` in order, lazily, in lexicographic segment order."""
    segs = [list(_segment(graph, a, b)) for a, b in itertools.pairwise(nodes)]
    for combo in itertools.product(*segs):
        out = list(combo[0])
        for s in combo[1:]:
            out.extend(s[1:])
        yield tuple(out)


def waypoint_paths(
    graph: Any, nodes: Sequence[str], *, start: int = 0, limit: int | None = LISTED
) -> list[tuple[str, ...]]:
    """One page of the directed paths through ``nodes`` in order (``start``, ``limit`` paths).

    ``graph`` is a MechanismMap or a networkx DiGraph; the page is computed lazily, so asking for
    the first paths of a graph with millions is cheap.
    """
    q = prepare_graph(graph)
    names = q.check_nodes(nodes, argument="path")
    _check(q.graph, names)
    stop = None if limit is None else start + limit
    return list(itertools.islice(iter_waypoint_paths(q.graph, names), start, stop))


def _marks(q: GraphInput, x: str, y: str, hidden: Sequence[str]
           ) -> tuple[set[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """Label projection arrows by the unmeasured waypoints their routes pass (or find a mix)."""
    marks: set[tuple[str, str, str]] = set()
    mixed: list[tuple[str, str, str]] = []
    rel = descendants_of(q.graph, [x]) & ancestors_of(q.graph, [y])
    for a, b in q.admg.directed:
        if a not in rel or b not in rel:
            continue
        sub = q.graph.subgraph(set(q.latent) | {a, b})
        for w in hidden:
            via = w in descendants_of(sub, [a]) and b in descendants_of(sub, [w])
            if not via:
                continue
            around = b in descendants_of(sub.subgraph(set(sub) - {w}), [a])
            if around:
                mixed.append((a, b, w))
            else:
                marks.add((a, b, w))
    return marks, mixed


def identify_waypoints(
    q: GraphInput, x: str, y: str, nodes: Sequence[str], *, details: bool = True
) -> Identification:
    """Path-specific effect along every directed path through ``nodes`` (``x`` first, ``y`` last)."""
    from facmech.identification.mediation import _bundle, _linear_sem, _not_identified_reason

    names = tuple(nodes)
    _check(q.graph, names)
    n_paths = count_waypoint_paths(q.graph, names)
    listed = tuple(itertools.islice(iter_waypoint_paths(q.graph, names), LISTED))
    label = " -> ".join(names)
    what = f"the effect of {x} on {y} along the {n_paths} directed paths through {label}"
    common = dict(effect=Effect.PATH, treatment=x, outcome=y, path=names, waypoints=True,
                  paths=listed, path_count=n_paths)
    inner = names[1:-1]
    hidden = [w for w in inner if w in q.latent]
    marks, mixed = _marks(q, x, y, hidden) if hidden else (set(), [])
    if mixed:
        a, b, w = mixed[0]
        unmeasured = sorted({m[2] for m in mixed}, key=names.index)
        reason = (f"{what} is not identified from what is measured: {w} is not measured, and "
                  f"routes from {a} to {b} through unmeasured nodes both pass {w} and avoid it, so "
                  "paths through it cannot be told apart from paths around it")
        q2 = prepare_graph(q.graph, observed=q.observed | set(unmeasured))
        then = identify_waypoints(q2, x, y, names, details=False)
        reason += ("; measuring {" + ", ".join(unmeasured) + "} makes it identified"
                   if then.identifiable else "; even with {" + ", ".join(unmeasured)
                   + "} measured it is not identified")
        return Identification(**common, identifiable=False, witness=w, reason=reason)
    ps = PathSet.waypoints(inner, marks=marks)
    pc = path_criterion(q.admg, x, y, ps)
    if pc.identified:
        return Identification(
            **common, identifiable=True, strategy=Strategy.PATH_SPECIFIC,
            estimand=(f"P({y}(g, {x}, {x}')) = {pc.expression}; effect = E[{y}(g, {x}, {x}')] - "
                      f"E[{y}({x}')], g = the {n_paths} directed paths through {label}"),
            assumptions=(no_recanting_witness(
                names, text="no recanting district: no node both transmits the effect "
                "along the paths asked for and leaves them toward the outcome"),
                correct_diagram(), consistency()),
        )
    alts = []
    if details and pc.recanting is not None:
        alts.append(_bundle(q, x, y, pc))
    if details and len(listed) == 1:
        alts.append(_linear_sem(q, listed[0]))
    return Identification(**common, identifiable=False, witness=pc.witness,
                          reason=_not_identified_reason(pc, x, what), alternatives=tuple(alts))
