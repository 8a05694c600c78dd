"""``check_adjustment``: is a given set a valid adjustment set for ``x -> y``, and if not, why.

The question a reviewer asks of an analysis plan ("is adjusting for site readiness enough?"),
answered with the adjustment criterion (:mod:`facmech.identification.adjustment`; Shpitser,
VanderWeele & Robins 2010; Perković et al. 2018). A set that fails is explained by what breaks
the criterion, in this order:

1. it contains the treatment or the outcome, or a node that is not measured;
2. it contains a node on a causal path from the treatment to the outcome, or a descendant of one
   (adjusting for it removes part of the effect or opens a collider), named with that causal path;
3. a non-causal path between treatment and outcome stays open given the set (printed with its
   arrows, e.g. ``x <- c -> y``), with the unmeasured nodes on it.

The check also lists the minimal valid sets among the measured nodes, so a failed check says
what would work instead.

>>> import networkx as nx
>>> g = nx.DiGraph([("c", "x"), ("c", "y"), ("x", "m"), ("m", "y")])
>>> check_adjustment(g, "x", "y", ["c"]).valid
True
>>> print(check_adjustment(g, "x", "y", []).reason)
the back-door path x <- c -> y stays open
>>> print(check_adjustment(g, "x", "y", ["c", "m"]).reason)
m lies on the causal path x -> m -> y (adjusting for it removes part of the effect)
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx

from facmech.graphs import d_connecting_path, descendants_of, proper_causal_nodes
from facmech.identification._query import QueryError, as_names, prepare_graph
from facmech.identification.adjustment import (
    is_adjustment_set,
    minimal_adjustment_sets,
    proper_backdoor_graph,
)
from facmech.identification.identify import adjustment_formula, render_path

__all__ = ["AdjustmentCheck", "check_adjustment"]


def _fmt(s: Iterable[str]) -> str:
    return "{" + ", ".join(s) + "}"


@dataclass(frozen=True)
class AdjustmentCheck:
    """Whether ``adjustment`` is a valid adjustment set for the effect of ``treatment`` on ``outcome``.

    ``valid`` is the verdict (the object is truthy exactly when it is valid); ``reason`` says why
    not; ``open_path`` is a non-causal path left open, ``causal_path`` the causal path a
    forbidden node lies on (or descends from), ``unmeasured`` the nodes of the set that are not
    measured; ``valid_sets`` the minimal valid sets among the measured nodes; ``estimand`` the
    adjustment formula when the set is valid.
    """

    treatment: tuple[str, ...]
    outcome: str
    adjustment: tuple[str, ...]
    valid: bool
    reason: str = ""
    open_path: tuple[str, ...] | None = None
    open_path_text: str = ""
    causal_path: tuple[str, ...] | None = None
    unmeasured: tuple[str, ...] = ()
    valid_sets: tuple[tuple[str, ...], ...] = ()
    estimand: str = ""

    def __bool__(self) -> bool:
        return self.valid

    def summary(self) -> str:
        x = ", ".join(self.treatment)
        head = (f"{_fmt(self.adjustment)} is {'a valid' if self.valid else 'NOT a valid'} "
                f"adjustment set for the effect of {x} on {self.outcome}")
        lines = [head]
        if self.valid:
            lines.append(f"  estimand: {self.estimand}")
        else:
            lines.append(f"  why: {self.reason}")
            if self.valid_sets:
                lines.append("  valid minimal sets among the measured nodes: "
                             + ", ".join(_fmt(s) if s else "{} (no adjustment needed)"
                                         for s in self.valid_sets))
            else:
                lines.append("  no set of measured nodes is a valid adjustment set (see "
                             "`facmech identify` for front-door and ID-algorithm answers)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_dict(self) -> dict[str, Any]:
        return {
            "treatment": list(self.treatment), "outcome": self.outcome,
            "adjustment": list(self.adjustment), "valid": self.valid, "reason": self.reason,
            "open_path": None if self.open_path is None else list(self.open_path),
            "open_path_text": self.open_path_text,
            "causal_path": None if self.causal_path is None else list(self.causal_path),
            "unmeasured": list(self.unmeasured),
            "valid_sets": [list(s) for s in self.valid_sets], "estimand": self.estimand,
        }

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"


def _causal_route(g: nx.DiGraph, xs: set[str], y: str, z: str) -> tuple[tuple[str, ...], str]:
    """A causal path x -> ... -> y through the proper causal node ``z`` descends from."""
    cn = proper_causal_nodes(g, xs, {y})
    if z in cn:
        on = z
    else:
        on = next(c for c in sorted(cn) if z in descendants_of(g, [c]))
    x = next(a for a in sorted(xs) if on in descendants_of(g, [a], blocked=xs - {a}))
    head = nx.shortest_path(g, x, on)
    tail = nx.shortest_path(g, on, y)
    return tuple(head + tail[1:]), on


def check_adjustment(
    graph: Any,
    treatment: str | Sequence[str] | None,
    outcome: str | None,
    adjustment: Iterable[str] | None = None,
    *,
    observed: Iterable[str] | None = None,
    latent: Iterable[str] | None = None,
) -> AdjustmentCheck:
    """Check whether ``adjustment`` is a valid adjustment set for the effect of ``treatment``.

    Parameters
    ----------
    graph : MechanismMap or networkx.DiGraph
        The map (latent nodes included).
    treatment, outcome : str
        The effect asked about. ``None`` takes the map's default (dagitty ``[exposure]``,
        ``[outcome]``).
    adjustment : iterable of str, optional
        The proposed set. ``None`` takes the map's default (dagitty ``[adjusted]``), else the
        empty set.
    observed, latent : iterable of str, optional
        As in :func:`facmech.identify`.

    Returns
    -------
    AdjustmentCheck
        Truthy when the set is valid; ``reason`` and the paths say why not.

    Examples
    --------
    >>> import facmech
    >>> m = facmech.load_map()
    >>> r = facmech.check_adjustment(m, "facilitation", "uptake", ["leadership_engagement"])
    >>> r.valid, r.causal_path[:2]
    (False, ('facilitation', 'leadership_engagement'))
    >>> bool(facmech.check_adjustment(m, "facilitation", "uptake", []))
    True
    """
    if hasattr(graph, "default_endpoints"):
        treatment, outcome = graph.default_endpoints(treatment, outcome)
        if adjustment is None:
            adjustment = getattr(graph, "adjustment", ())
    elif treatment is None or outcome is None:
        raise QueryError("`treatment` and `outcome` are required for a graph without defaults")
    q = prepare_graph(graph, observed=observed, latent=latent)
    xs = q.check_nodes(as_names(treatment), argument="treatment")
    y = q.check_node(outcome, argument="outcome")
    zs = q.check_nodes(as_names(adjustment), argument="adjustment")
    order = {n: i for i, n in enumerate(q.graph.nodes)}
    zs = tuple(sorted(dict.fromkeys(zs), key=order.__getitem__))
    if y in xs:
        raise QueryError(f"`treatment` and `outcome` are the same node {y!r}")
    for x in xs:
        q.check_observed(x, argument="treatment")
    q.check_observed(y, argument="outcome")
    g, xset, zset = q.graph, set(xs), set(zs)
    sets = tuple(tuple(sorted(s, key=order.__getitem__))
                 for s in minimal_adjustment_sets(g, xset, {y}, observed=q.observed))
    common = dict(treatment=xs, outcome=y, adjustment=zs, valid_sets=sets)
    ends = sorted(zset & (xset | {y}), key=order.__getitem__)
    if ends:
        return AdjustmentCheck(**common, valid=False,
                               reason=f"it contains the {'treatment' if ends[0] in xset else 'outcome'} "
                                      f"{ends[0]}")
    hidden = tuple(z for z in zs if z in q.latent)
    if hidden:
        return AdjustmentCheck(**common, valid=False, unmeasured=hidden,
                               reason=f"{_fmt(hidden)} {'is' if len(hidden) == 1 else 'are'} not "
                                      "measured (latent in the map), so no analysis can adjust for "
                                      f"{'it' if len(hidden) == 1 else 'them'}")
    cn = proper_causal_nodes(g, xset, {y})
    forbidden = descendants_of(g, cn)
    bad = [z for z in zs if z in forbidden]
    if bad:
        z = bad[0]
        route, on = _causal_route(g, xset, y, z)
        text = " -> ".join(route)
        why = (f"{z} lies on the causal path {text} (adjusting for it removes part of the effect)"
               if z == on else
               f"{z} is a descendant of {on}, which lies on the causal path {text} (adjusting for "
               "a consequence of the treatment can remove part of the effect or open a collider)")
        return AdjustmentCheck(**common, valid=False, causal_path=route, reason=why)
    if is_adjustment_set(g, xset, {y}, zset):
        return AdjustmentCheck(**common, valid=True, estimand=adjustment_formula(xs, y, zs))
    pbd = proper_backdoor_graph(g, xset, {y})
    path = None
    for x in xs:
        path = d_connecting_path(pbd, x, y, zset)
        if path:
            break
    if path is None:  # cannot happen: the criterion failed on separation, so a path is open
        return AdjustmentCheck(**common, valid=False, reason="it does not d-separate the "
                               "treatment from the outcome in the proper back-door graph")
    text = render_path(g, path)
    kind = "back-door path" if g.has_edge(path[1], path[0]) else "non-causal path"
    why = f"the {kind} {text} stays open"
    colliders = [b for a, b, c in zip(path, path[1:], path[2:], strict=False)
                 if g.has_edge(a, b) and g.has_edge(c, b)]
    opened = [c for c in colliders if c in zset or descendants_of(g, [c]) & zset]
    if opened:
        why += f" (adjusting for {_fmt(sorted(descendants_of(g, [opened[0]]) & zset))} opens " \
               f"the collider {opened[0]})"
    hid = [n for n in path if n in q.latent]
    if hid:
        why += f"; it runs through unmeasured {_fmt(hid)}"
    return AdjustmentCheck(**common, valid=False, open_path=path, open_path_text=text, reason=why)
