"""Unrolling a mechanism map over periods: feedback loops become time-varying confounding.

Within one period a mechanism map is a DAG; its lag-1 edges (from period *t* to *t + 1*) may close
loops, such as leadership engagement -> facilitation (next period) -> acceptance -> leadership
engagement (next period). :func:`unroll` writes the map out over ``periods`` periods as one DAG:

* every **time-varying** node ``x`` becomes ``x_t0, ..., x_t{P-1}``; lag-0 edges between time-varying
  nodes are copied into every period, lag-1 edges go from ``x_tk`` to ``y_t{k+1}``;
* a **time-invariant** node with no time-varying ancestor (baseline context such as
  ``inner_context``) appears once, before period 0, and points into every period;
* a time-invariant node downstream of time-varying nodes (an end outcome such as ``uptake``, or a
  mechanism measured once at the end) appears once, after the last period, and receives an edge from
  each period of each time-varying parent: it accumulates their whole history. Such a node may not
  point back into a time-varying node (the map would have no consistent unrolling).

In the unrolled map, ``leadership_engagement_t1`` is affected by ``facilitation_t0`` (through
``acceptance_t0``) and confounds ``facilitation_t1``: the time-varying confounding that g-methods
(:mod:`facmech.gmethods`) handle.

>>> from facmech import load_map
>>> u = load_map().unroll(3)
>>> u.node("leadership_engagement_t1").base, u.node("leadership_engagement_t1").period
('leadership_engagement', 1)
>>> ("leadership_engagement_t0", "facilitation_t1") in u.to_networkx().edges
True
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import networkx as nx

from facmech.errors import CyclicMapError, MapError

if TYPE_CHECKING:  # pragma: no cover
    # Type names only: unroll builds its result with dataclasses.replace on its argument, so this
    # module needs no run-time import of the model (which imports it for MechanismMap.unroll).
    from facmech.maps.elements import Edge, Node
    from facmech.maps.model import MechanismMap

__all__ = ["period_id", "unroll"]


def period_id(node_id: str, period: int) -> str:
    """The id of a time-varying node in a period: ``period_id("trust", 2) == "trust_t2"``."""
    return f"{node_id}_t{period}"


def _downstream_of_time_varying(mmap: MechanismMap) -> set[str]:
    """Time-invariant nodes with a time-varying ancestor (through edges of any lag)."""
    graph = mmap.to_networkx(include_lagged=True)
    tv = {n.id for n in mmap.nodes if n.time_varying}
    reach: set[str] = set()
    for t in tv:
        reach |= nx.descendants(graph, t)
    return reach - tv


def unroll(mechanism_map: MechanismMap, periods: int) -> MechanismMap:
    """Unroll ``mechanism_map`` over ``periods`` periods into an acyclic map.

    Parameters
    ----------
    mechanism_map
        A raw (not yet unrolled) map.
    periods
        Number of periods, at least 1.

    Returns
    -------
    MechanismMap
        With ``periods`` set; node ``base``/``period`` attributes record where each copy came from.

    Raises
    ------
    MapError
        ``periods`` < 1, or the map is already unrolled.

    Notes
    -----
    The map's default ``treatment``/``outcome``/``adjustment`` carry over when they name a
    time-invariant node; a time-varying one has a copy per period and is dropped from the defaults.
    CyclicMapError
        A time-invariant node downstream of time-varying nodes points back into one.
    """
    if isinstance(periods, bool) or not isinstance(periods, int) or periods < 1:
        raise MapError(f"`periods` must be an integer >= 1 (got {periods!r})")
    if mechanism_map.is_unrolled:
        raise MapError(
            f"the map is already unrolled over {mechanism_map.periods} periods; unroll the raw map"
        )
    tv = {n.id for n in mechanism_map.nodes if n.time_varying}
    post = _downstream_of_time_varying(mechanism_map)
    pre = [n for n in mechanism_map.nodes if n.id not in tv and n.id not in post]

    for e in mechanism_map.edges:
        if e.source in post and e.target in tv:
            raise CyclicMapError(
                f"cannot unroll: {e.source!r} is time-invariant but downstream of time-varying "
                f"nodes, and it points back into time-varying {e.target!r} ({e}); mark "
                f"{e.source!r} as time_varying: true",
                cycle=(e.source, e.target),
            )

    nodes: list[Node] = [replace(n) for n in pre]
    for k in range(periods):
        for n in mechanism_map.nodes:
            if n.id in tv:
                label = f"{n.label or n.id} (t={k})"
                nodes.append(replace(n, id=period_id(n.id, k), label=label, base=n.id, period=k))
    nodes += [n for n in mechanism_map.nodes if n.id in post]

    edges: list[Edge] = []
    seen: set[tuple[str, str]] = set()

    def add(edge: Edge, source: str, target: str) -> None:
        if (source, target) not in seen:
            seen.add((source, target))
            edges.append(replace(edge, source=source, target=target))

    for e in mechanism_map.edges:
        s_tv, t_tv = e.source in tv, e.target in tv
        if s_tv and t_tv:
            for k in range(periods - e.lag):
                add(e, period_id(e.source, k), period_id(e.target, k + e.lag))
        elif t_tv:  # baseline -> every period (from period `lag` on)
            for k in range(e.lag, periods):
                add(e, e.source, period_id(e.target, k))
        elif s_tv:  # every period -> end node
            for k in range(periods):
                add(e, period_id(e.source, k), e.target)
        else:
            add(e, e.source, e.target)

    ids = {n.id for n in nodes}
    return replace(
        mechanism_map,
        nodes=tuple(nodes),
        edges=tuple(edges),
        title=f"{mechanism_map.title} (unrolled over {periods} periods)".strip(),
        periods=periods,
        # defaults that name a time-varying node have no single copy in the unrolled map: dropped
        treatment=tuple(i for i in mechanism_map.treatment if i in ids),
        outcome=tuple(i for i in mechanism_map.outcome if i in ids),
        adjustment=tuple(i for i in mechanism_map.adjustment if i in ids),
    )
