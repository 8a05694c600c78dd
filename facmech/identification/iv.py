"""Instrumental variables: graphical (conditional) instruments.

``Z`` is a conditional instrument for ``X -> Y`` given ``W`` (Pearl 2009, Def. 7.4.1; Brito &
Pearl 2002) when ``W`` holds no descendants of ``X``, ``W`` d-separates ``Z`` from ``Y`` in the
graph without the edges out of ``X``, and ``Z`` is d-connected to ``X`` given ``W``. An instrument
does **not** point-identify the average effect nonparametrically: it needs extra assumptions
(linear homogeneous effects, or monotonicity for a local average effect; Angrist, Imbens & Rubin
1996), and bounds are the nonparametric answer (Balke & Pearl 1997).

>>> import networkx as nx
>>> g = nx.DiGraph([("z", "x"), ("x", "y"), ("u", "x"), ("u", "y")])
>>> instruments(g, "x", "y", observed={"z", "x", "y"})
[('z', frozenset())]
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx

from facmech.graphs import d_separated, descendants_of

__all__ = ["instruments"]


def instruments(
    graph: nx.DiGraph, x: str, y: str, *, observed: Iterable[str] | None = None
) -> list[tuple[str, frozenset[str]]]:
    """Observed (conditional) instruments ``(z, W)`` for the effect of ``x`` on ``y``, by ``z``."""
    obs = set(graph.nodes) if observed is None else set(observed)
    de_x = descendants_of(graph, [x])
    g_x = nx.DiGraph(graph)
    g_x.remove_edges_from(list(graph.out_edges(x)))
    out: list[tuple[str, frozenset[str]]] = []
    for z in sorted(obs - de_x - {y}):
        allowed = (obs - de_x - {z, y})
        w = nx.find_minimal_d_separator(g_x, {z}, {y}, restricted=allowed)
        if w is None:
            continue
        w = frozenset(w)
        if not d_separated(graph, {z}, {x}, w):
            out.append((z, w))
    return out
