"""Validation of a mechanism map's structure, run by :class:`~facmech.maps.model.MechanismMap` on
construction.

A map is valid when its node ids are unique (and can be written in every format, see
:func:`~facmech.maps.elements.check_node_id`), every edge joins known nodes, no edge is given twice,
each figure arrow number is used once, lags are 0 or 1, the lag-0 edges (all edges, once unrolled)
form no cycle, ``periods`` is unset or at least 1, and the default treatment, outcome and adjustment
name known, distinct nodes.

>>> from facmech.maps.elements import Edge, Node
>>> validate_structure((Node("a"), Node("b")), (Edge("a", "b"), Edge("b", "a", lag=1)), periods=None)
>>> validate_structure((Node("a"),), (Edge("a", "a"),), periods=None)
Traceback (most recent call last):
...
facmech.errors.CyclicMapError: edge a -> a: a node cannot cause itself within a period ...
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import networkx as nx

from facmech.errors import CyclicMapError, MapError, UnknownNodeError, closest_id
from facmech.maps.elements import Edge, Node, check_node_id

__all__ = ["check_periods", "dag_edges", "validate_defaults", "validate_structure"]


def check_periods(periods: object) -> int | None:
    """``periods`` of a map: None (a raw map) or an integer >= 1 (an unrolled map)."""
    if periods is None:
        return None
    if isinstance(periods, bool) or not isinstance(periods, int) or periods < 1:
        raise MapError(f"`periods` must be an integer >= 1 (got {periods!r})")
    return periods


def dag_edges(edges: Sequence[Edge], periods: int | None) -> tuple[Edge, ...]:
    """The edges that must be acyclic: lag-0 edges of a raw map, every edge of an unrolled one."""
    if periods is not None:
        return tuple(edges)
    return tuple(e for e in edges if e.lag == 0)


def _unknown(
    name: object, ids: Mapping[str, object] | set[str], what: str, end: str = ""
) -> UnknownNodeError:
    hint = closest_id(str(name), ids)
    known = hint or f" known nodes: {', '.join(sorted(ids)[:25])}"
    return UnknownNodeError(f"{what}: unknown {end}node {name!r};{known}")


def validate_structure(
    nodes: Sequence[Node], edges: Sequence[Edge], *, periods: int | None
) -> None:
    """Raise :class:`~facmech.errors.MapError` (or a subclass) if the nodes and edges do not form
    a valid map; see the module docstring."""
    check_periods(periods)
    seen: set[str] = set()
    for n in nodes:
        if not isinstance(n, Node):
            raise MapError(f"`nodes` must hold Node objects (got {type(n).__name__})")
        check_node_id(n.id)
        if n.id in seen:
            raise MapError(f"duplicate node id {n.id!r}: each node id must be unique")
        seen.add(n.id)
    arrows: dict[int, Edge] = {}
    keys: set[tuple[str, str, int]] = set()
    for e in edges:
        if not isinstance(e, Edge):
            raise MapError(f"`edges` must hold Edge objects (got {type(e).__name__})")
        for end, name in (("source", e.source), ("target", e.target)):
            if name not in seen:
                raise _unknown(name, seen, f"edge {e.source} -> {e.target}", f"{end} ")
        if e.lag not in (0, 1) or isinstance(e.lag, bool):
            raise MapError(f"edge {e}: `lag` must be 0 or 1 (got {e.lag!r})")
        if e.source == e.target and e.lag == 0:
            raise CyclicMapError(
                f"edge {e}: a node cannot cause itself within a period (use lag: 1 for "
                "persistence over periods)",
                cycle=(e.source,),
            )
        if e.key in keys:
            raise MapError(f"duplicate edge {e.source} -> {e.target} (lag {e.lag})")
        keys.add(e.key)
        if e.arrow is not None and periods is None:
            if e.arrow in arrows:
                raise MapError(f"arrow number {e.arrow} is used twice: {arrows[e.arrow]} and {e}")
            arrows[e.arrow] = e
    graph = nx.DiGraph()
    graph.add_nodes_from(n.id for n in nodes)
    graph.add_edges_from((e.source, e.target) for e in dag_edges(edges, periods))
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return
    nodes_on = [u for u, _ in cycle] + [cycle[0][0]]
    where = "in the unrolled map" if periods else "within a period (lag-0 edges)"
    raise CyclicMapError(
        f"the map has a cycle {where}: {' -> '.join(nodes_on)}; mark the feedback edge as "
        "`lag: 1` (from period t to t+1) or remove it",
        cycle=nodes_on[:-1],
    )


def validate_defaults(
    ids: Mapping[str, object], defaults: Mapping[str, Sequence[str]]
) -> dict[str, tuple[str, ...]]:
    """Check the map's default ``treatment``/``outcome``/``adjustment`` ids; return them as tuples.

    Each must name known nodes, without repeats; no node may be both a treatment and an outcome.
    """
    out: dict[str, tuple[str, ...]] = {}
    for field, value in defaults.items():
        items = (value,) if isinstance(value, str) else tuple(value)
        for i in items:
            if not isinstance(i, str) or i not in ids:
                raise _unknown(i, set(ids), f"`{field}`")
        if len(set(items)) != len(items):
            raise MapError(f"`{field}` names a node twice: {list(items)}")
        out[field] = items
    both = set(out.get("treatment", ())) & set(out.get("outcome", ()))
    if both:
        raise MapError(f"node(s) {sorted(both)} are both a default treatment and a default outcome")
    return out
