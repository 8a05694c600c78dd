"""``measurement_plan``: the cheapest set of unmeasured nodes whose measurement identifies a query.

Identification is monotone in what is measured (a functional of the distribution of fewer
variables is a functional of the distribution of more), so the search visits subsets of the
candidate latent nodes in order of non-decreasing total cost (a best-first enumeration over a
heap: each subset is generated once) and stops at the first one that identifies the query: it is
a minimum-cost plan. Candidates are pruned to latent ancestors of the outcome, the mediators and
the path (other nodes cannot change the answer), and the search starts by checking that measuring
every candidate works at all; otherwise the answer is "impossible", with the reason.

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
from facmech.identification.result import Identification

__all__ = ["MeasurementPlan", "Query", "measurement_plan"]


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
    """The answer of :func:`measurement_plan`."""

    query: Query
    possible: bool
    measure: tuple[str, ...]
    cost: float
    identification: Identification
    reason: str | None = None
    ties: tuple[tuple[str, ...], ...] = ()
    evaluated: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "treatment": self.query.treatment, "outcome": self.query.outcome,
            "effect": self.query.effect, "possible": self.possible, "measure": list(self.measure),
            "cost": self.cost if self.possible else None, "reason": self.reason,
            "equally_cheap": [list(t) for t in self.ties], "evaluated": self.evaluated,
            "identification": self.identification.to_dict(),
        }

    def summary(self) -> str:
        q = self.identification.query
        if not self.possible:
            return f"{q}: impossible to identify by measuring more nodes.\n  reason: {self.reason}"
        if not self.measure:
            return f"{q}: already identified; nothing more to measure."
        lines = [f"{q}: measure {{{', '.join(self.measure)}}} (cost {self.cost:g})"]
        if self.ties:
            lines.append("  equally cheap: " + "; ".join("{" + ", ".join(t) + "}"
                                                        for t in self.ties))
        lines.append("  then: " + self.identification.summary().splitlines()[0])
        if self.identification.estimand:
            lines.append(f"  estimand: {self.identification.estimand}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


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
        return MeasurementPlan(query, False, tuple(sorted(forced)), math.inf, full,
                               reason=f"measuring every measurable node {{{', '.join(cands)}}} "
                                      f"does not help: {why}", evaluated=2)
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
