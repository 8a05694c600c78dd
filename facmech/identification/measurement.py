"""``measurement_plan``: the cheapest set of unmeasured nodes whose measurement identifies a query.

Identification is monotone in what is measured (a functional of the distribution of fewer
variables is a functional of the distribution of more), so the search visits subsets of the
candidate latent nodes in order of non-decreasing total cost (a best-first enumeration over a
heap: each subset is generated once) and stops at the first one that identifies the query: it is
a minimum-cost plan. Candidates are pruned to latent ancestors of the outcome, the mediators and
the path (other nodes cannot change the answer), and the search starts by checking that measuring
every candidate works at all; otherwise the answer is "impossible", with the reason.

A :class:`MeasurementPlan` is the one source of truth for *what to measure*: when no measurement
identifies the query nonparametrically it also carries what is identified instead (the
alternatives of :func:`facmech.identify`, each with the nodes it needs measured; for a path, the
product of coefficients under a linear structural model) and the instruments the map suggests for
each node to measure. :meth:`MeasurementPlan.advice` words it once; the CLI (``facmech
measure``), the demo and the analysis-plan report all print those sentences.

>>> import networkx as nx
>>> g = nx.DiGraph([("u", "w"), ("w", "x"), ("w", "y"), ("x", "y"), ("u", "y")])
>>> plan = measurement_plan(g, Query("x", "y"), latent=["u", "w"], cost={"w": 5})
>>> plan.possible, plan.measure, plan.cost
(True, ('w',), 5.0)
>>> measurement_plan(g, Query("x", "y"), latent=["u", "w"], unmeasurable=["w"]).possible
False
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from facmech.graphs import ancestors_of
from facmech.identification._query import QueryError, as_names, prepare_graph
from facmech.identification.identify import identify
from facmech.identification.result import Alternative, Identification

__all__ = ["LINEAR_SEM", "MeasurementPlan", "Query", "measurement_plan"]

#: Name prefix of the linear-structural-model alternative for a path (product of coefficients).
LINEAR_SEM = "linear structural model"


@dataclass(frozen=True)
class Query:
    """An identification question, as the arguments of :func:`facmech.identify`."""

    treatment: str
    outcome: str
    effect: str = "total"
    mediators: tuple[str, ...] = ()
    path: tuple[Any, ...] = ()

    def ask(self, graph: Any, *, observed: Iterable[str]) -> Identification:
        return identify(graph, self.treatment, self.outcome, effect=self.effect,
                        mediators=list(self.mediators) or None, path=list(self.path) or None,
                        observed=observed)


@dataclass(frozen=True)
class MeasurementPlan:
    """The answer of :func:`measurement_plan`.

    ``measure`` is the minimum-cost set when ``possible``; otherwise ``alternatives`` lists the
    related quantities identified instead (with what each needs measured) and
    :attr:`recommended` the nodes to measure for the linear-model answer. ``instruments`` maps
    each node to measure to the instruments the map suggests, ``labels`` gives node labels.
    """

    query: Query
    possible: bool
    measure: tuple[str, ...]
    cost: float
    identification: Identification
    reason: str | None = None
    ties: tuple[tuple[str, ...], ...] = ()
    evaluated: int = 0
    alternatives: tuple[Alternative, ...] = ()
    instruments: tuple[tuple[str, tuple[str, ...]], ...] = ()
    labels: tuple[tuple[str, str], ...] = ()

    @property
    def linear_measure(self) -> tuple[str, ...] | None:
        """Unmeasured nodes the linear-structural-model answer needs (``()``: none), or ``None``
        when there is no such answer (possible plans, effects other than a path)."""
        for alt in self.alternatives:
            if alt.name.startswith(LINEAR_SEM) and alt.identifiable:
                return tuple(alt.requires_measuring)
        return None

    @property
    def recommended(self) -> tuple[str, ...]:
        """What the trial should measure: ``measure`` when possible, else the linear answer's."""
        if self.possible:
            return self.measure
        return self.linear_measure or ()

    def _name(self, node: str, named: bool = True) -> str:
        label = dict(self.labels).get(node) if named else None
        return f"{node} ({label})" if label and label != node else node

    def advice(self, *, named: bool = True) -> tuple[str, ...]:
        """What to measure, in plain sentences (the CLI, the demo and the report print these).

        ``named=False`` leaves out the labels after the node ids (for a caller that replaces ids
        by labels itself, as the report does).
        """
        q = self.identification.query
        names = ", ".join(self._name(n, named) for n in self.recommended)
        if self.possible and not self.measure:
            out = [f"{q}: already identified from what is measured; nothing more to measure."]
        elif self.possible:
            out = [f"{q}: measure {names} (cost {self.cost:g}); then it is identified "
                   f"({self.identification.strategy})."]
            if self.ties:
                out.append("Equally cheap: " + "; ".join("{" + ", ".join(t) + "}"
                                                         for t in self.ties) + ".")
        else:
            out = [f"{q}: impossible to identify nonparametrically by measuring more nodes "
                   f"({self.reason})."]
            lin = self.linear_measure
            if lin is not None:
                out.append("Under a linear structural model without interactions it is the product "
                           "of the path coefficients, identified "
                           + (f"once {names} {'is' if len(lin) == 1 else 'are'} measured: the trial "
                              "must measure them." if lin else "from what the trial measures now."))
            others = [a for a in self.alternatives if not a.name.startswith(LINEAR_SEM)]
            if others:
                out.append("Identified instead: " + "; ".join(f"{a.name} ({a.status})"
                                                             for a in others) + ".")
            if lin is None and not others:
                out.append("Nothing related is identified either; reconsider the question or the "
                           "map (facmech identify lists the alternatives it tried).")
        for node, tools in self.instruments:
            if tools:
                out.append(f"To measure {self._name(node, named)}: {'; '.join(tools)}.")
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "treatment": self.query.treatment, "outcome": self.query.outcome,
            "effect": self.query.effect, "possible": self.possible, "measure": list(self.measure),
            "cost": self.cost if self.possible else None, "reason": self.reason,
            "equally_cheap": [list(t) for t in self.ties], "evaluated": self.evaluated,
            "recommended": list(self.recommended),
            "linear_measure": None if self.linear_measure is None else list(self.linear_measure),
            "alternatives": [a.to_dict() for a in self.alternatives],
            "instruments": {n: list(t) for n, t in self.instruments},
            "advice": list(self.advice()),
            "identification": self.identification.to_dict(),
        }

    def summary(self) -> str:
        lines = list(self.advice())
        if self.possible and self.identification.estimand:
            lines.append(f"estimand: {self.identification.estimand}")
        return "\n  ".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _finish(plan: MeasurementPlan, graph: Any) -> MeasurementPlan:
    """Add the map's instruments and labels for the nodes the plan recommends (and those the
    alternatives need measured)."""
    from dataclasses import replace

    if not hasattr(graph, "node") or not hasattr(graph, "node_ids"):
        return plan
    need = {*plan.recommended, *(n for a in plan.alternatives for n in a.requires_measuring)}
    nodes = [n for n in graph.node_ids if n in need]
    return replace(plan, instruments=tuple((n, tuple(graph.node(n).measures)) for n in nodes),
                   labels=tuple((n, graph.node(n).label or n) for n in nodes))


def _costs(cands: Sequence[str], cost: Mapping[str, float] | None, q: Any) -> dict[str, float]:
    out = {c: 1.0 for c in cands}
    for k, v in (cost or {}).items():
        q.check_node(k, argument="cost")
        try:
            val = float(v)
        except (TypeError, ValueError) as exc:
            raise QueryError(f"`cost`: cost of {k!r} must be a number (got {v!r})") from exc
        if not math.isfinite(val) or val <= 0:
            raise QueryError(f"`cost`: cost of {k!r} must be positive and finite (got {v!r})")
        if k in out:
            out[k] = val
    return out


def measurement_plan(
    graph: Any,
    query: Query,
    *,
    cost: Mapping[str, float] | None = None,
    unmeasurable: Iterable[str] = (),
    observed: Iterable[str] | None = None,
    latent: Iterable[str] | None = None,
    max_evaluations: int = 200_000,
) -> MeasurementPlan:
    """The minimum-cost set of latent nodes to measure so that ``query`` becomes identified.

    Parameters
    ----------
    graph : MechanismMap or networkx.DiGraph
    query : Query
        Treatment, outcome, effect, mediators, path (as :func:`facmech.identify`).
    cost : mapping of node to positive float, optional
        Cost of measuring each node (default 1 each).
    unmeasurable : iterable of str
        Latent nodes that cannot be measured.
    observed, latent : iterable of str, optional
        What is measured now (as :func:`facmech.identify`).
    max_evaluations : int
        Safety limit on identification checks (exact search; raises when exceeded).

    Returns
    -------
    MeasurementPlan
    """
    return _finish(_search(graph, query, cost=cost, unmeasurable=unmeasurable, observed=observed,
                           latent=latent, max_evaluations=max_evaluations), graph)


def _search(
    graph: Any,
    query: Query,
    *,
    cost: Mapping[str, float] | None,
    unmeasurable: Iterable[str],
    observed: Iterable[str] | None,
    latent: Iterable[str] | None,
    max_evaluations: int,
) -> MeasurementPlan:
    q = prepare_graph(graph, observed=observed, latent=latent)
    if not isinstance(query, Query):
        raise QueryError(f"`query` must be a facmech Query (got {type(query).__name__})")
    banned = set(q.check_nodes(as_names(list(unmeasurable)), argument="unmeasurable"))
    base_obs = set(q.observed)
    ends = {query.treatment, query.outcome}
    q.check_nodes(sorted(ends), argument="query")
    forced = ends & set(q.latent)
    if forced & banned:
        raise QueryError(
            f"`unmeasurable` lists {sorted(forced & banned)}, but the query's treatment and outcome "
            "must be measured")
    base_obs |= forced  # the treatment and outcome must be measured in any plan
    forced_cost = sum(_costs(sorted(forced), cost, q).values())
    if not forced:
        now = query.ask(q.graph, observed=base_obs)
        if now.identifiable:
            return MeasurementPlan(query, True, (), 0.0, now, evaluated=1)
    focus = {query.outcome, *query.mediators, *(p for p in query.path if isinstance(p, str))}
    for e in query.path:
        if not isinstance(e, str):
            focus.update(e)
    focus &= set(q.graph.nodes)
    order = {n: i for i, n in enumerate(q.graph.nodes)}
    cands = sorted((set(q.latent) - banned - forced) & ancestors_of(q.graph, focus),
                   key=order.get)
    costs = _costs(cands, cost, q)
    full = query.ask(q.graph, observed=base_obs | set(cands))
    if not full.identifiable:
        why = full.reason or "not identified even with every measurable node measured"
        if full.witness and not full.witness.startswith("recanting district"):
            why = (f"{full.witness} is a recanting witness (Avin, Shpitser & Pearl 2005): "
                   f"affected by {query.treatment}, it carries the effect both along and outside "
                   "the paths asked for")
        now = query.ask(q.graph, observed=base_obs)
        alts = tuple(a for a in now.alternatives if a.identifiable
                     and not set(a.requires_measuring) & banned)
        what = (f"measuring every measurable node {{{', '.join(cands)}}} does not help"
                if cands else "no unmeasured node could change the answer")
        return MeasurementPlan(query, False, tuple(sorted(forced)), math.inf, full,
                               reason=f"{what}: {why}", evaluated=3, alternatives=alts)
    if forced:
        now = query.ask(q.graph, observed=base_obs)
        if now.identifiable:
            return MeasurementPlan(query, True, tuple(sorted(forced, key=order.get)), forced_cost,
                                   now, evaluated=3)
    items = sorted(cands, key=lambda c: (costs[c], order[c]))
    c = [costs[i] for i in items]
    heap: list[tuple[float, tuple[int, ...]]] = [(c[0], (0,))]
    evaluated = 3
    best: tuple[float, tuple[int, ...], Identification] | None = None
    ties: list[tuple[str, ...]] = []
    while heap:
        total, idx = heapq.heappop(heap)
        if best is not None and total > best[0] + 1e-12:
            break
        last = idx[-1]
        if last + 1 < len(items):
            heapq.heappush(heap, (total + c[last + 1], (*idx, last + 1)))
            heapq.heappush(heap, (total - c[last] + c[last + 1], (*idx[:-1], last + 1)))
        evaluated += 1
        if evaluated > max_evaluations:
            raise QueryError(
                f"measurement_plan gave up after `max_evaluations`={max_evaluations} checks over "
                f"{len(items)} candidate nodes; mark some as unmeasurable or raise the limit")
        names = tuple(sorted({*forced, *(items[i] for i in idx)}, key=order.get))
        res = query.ask(q.graph, observed=base_obs | set(names))
        if res.identifiable:
            if best is None:
                best = (total, names, res)
            else:
                ties.append(names)
    if best is None:  # cannot happen: measuring every candidate identifies the query
        raise QueryError("measurement_plan: internal error, no plan found")
    return MeasurementPlan(query, True, best[1], float(best[0]) + forced_cost, best[2],
                           ties=tuple(ties), evaluated=evaluated)
