"""``path_report``: every directed path from treatment to outcome, and each mediator, judged.

One row per directed path (is the path-specific effect identified, how, or which recanting witness
breaks it) and one row per mediator on those paths (the natural indirect effect through it; the
natural direct effect has the same verdict, being the effect along the complementary paths), after
a row for the total effect. Works on unrolled maps; path counts are computed first by dynamic
programming and a clear error is raised above ``max_paths``.

>>> import networkx as nx
>>> g = nx.DiGraph([("x", "l"), ("l", "m"), ("l", "y"), ("x", "m"), ("m", "y"), ("x", "y")])
>>> rep = path_report(g, "x", "y")
>>> df = rep.to_frame()
>>> for row in df.itertuples():
...     print(f"{row.kind:8} {row.query:18} {row.identifiable!s:6} {row.witness or '-'}")
total    x -> y             True   -
path     x -> l -> m -> y   False  l
path     x -> l -> y        False  l
path     x -> m -> y        True   -
path     x -> y             True   -
via {l}  x => l => y        True   -
via {m}  x => m => y        False  l
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from facmech.graphs import ancestors_of, count_directed_paths, descendants_of, directed_paths
from facmech.identification._query import QueryError, prepare_graph
from facmech.identification.identify import identify_total
from facmech.identification.mediation import identify_natural, identify_path
from facmech.identification.result import Effect, Identification

__all__ = ["PathReport", "path_report"]


@dataclass(frozen=True)
class PathReport:
    """Identification of the total effect, of every directed path and of each mediator."""

    treatment: str
    outcome: str
    total: Identification
    paths: tuple[Identification, ...]
    mediators: tuple[Identification, ...]

    @property
    def rows(self) -> tuple[Identification, ...]:
        return (self.total, *self.paths, *self.mediators)

    def to_frame(self) -> pd.DataFrame:
        """One row per query: kind, query, identifiable, strategy, witness, adjustment_set, reason."""
        recs = []
        for r in self.rows:
            if r.effect is Effect.PATH:
                kind, query = "path", " -> ".join(r.path)
            elif r.effect is Effect.TOTAL:
                kind, query = "total", f"{r.treatment} -> {r.outcome}"
            else:
                kind = "via {" + ", ".join(r.mediators) + "}"
                query = f"{r.treatment} => {', '.join(r.mediators)} => {r.outcome}"
            recs.append({
                "kind": kind,
                "query": query,
                "identifiable": r.identifiable,
                "strategy": None if r.strategy is None else r.strategy.value,
                "witness": r.witness,
                "adjustment_set": None if not r.adjustment_sets else
                "{" + ", ".join(r.adjustment_sets[0]) + "}",
                "reason": r.reason,
            })
        return pd.DataFrame(recs, dtype=object).astype({"identifiable": bool})

    def to_dict(self) -> dict[str, Any]:
        return {
            "treatment": self.treatment,
            "outcome": self.outcome,
            "total": self.total.to_dict(),
            "paths": [{"path": list(r.path), **r.to_dict()} for r in self.paths],
            "mediators": [{"mediators": list(r.mediators), **r.to_dict()} for r in self.mediators],
        }

    def summary(self) -> str:
        n_ok = sum(r.identifiable for r in self.paths)
        lines = [
            f"Paths from {self.treatment} to {self.outcome}: {len(self.paths)} directed paths, "
            f"{n_ok} with an identified path-specific effect",
            f"total effect: {'identified (' + str(self.total.strategy) + ')' if self.total.identifiable else 'NOT identified'}",  # noqa: E501
        ]
        for r in self.paths:
            tag = "identified" if r.identifiable else "NOT identified"
            why = f"  [witness: {r.witness}]" if r.witness else ""
            lines.append(f"  {' -> '.join(r.path)}: {tag}{why}")
        if self.mediators:
            lines.append("natural indirect (and direct) effects, one mediator at a time:")
        for r in self.mediators:
            tag = f"identified ({r.strategy})" if r.identifiable else "NOT identified"
            extra = f"  [witness: {r.witness}]" if r.witness else (
                f"  [{r.reason}]" if r.reason and not r.identifiable else "")
            if not r.identifiable and r.strategy is not None:
                tag += f"; {r.strategy} analogue identified"
            lines.append(f"  via {', '.join(r.mediators)}: {tag}{extra}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False, escape=True, na_rep="") or html.escape(str(self))


def path_report(
    graph: Any,
    treatment: str,
    outcome: str,
    *,
    observed: Iterable[str] | None = None,
    latent: Iterable[str] | None = None,
    max_paths: int = 5000,
) -> PathReport:
    """Identify the effect along every directed path from ``treatment`` to ``outcome``.

    Parameters
    ----------
    graph : MechanismMap or networkx.DiGraph
    treatment, outcome : str
    observed, latent : iterable of str, optional
        As in :func:`facmech.identify`.
    max_paths : int
        Refuse graphs with more directed paths than this (counted first, in linear time).

    Returns
    -------
    PathReport
    """
    q = prepare_graph(graph, observed=observed, latent=latent)
    x = q.check_node(treatment, argument="treatment")
    y = q.check_node(outcome, argument="outcome")
    if x == y:
        raise QueryError(f"`treatment` and `outcome` are the same node {x!r}")
    q.check_observed(x, argument="treatment")
    q.check_observed(y, argument="outcome")
    n = count_directed_paths(q.graph, x, y)
    if n > max_paths:
        raise QueryError(
            f"{n} directed paths run from {x} to {y}, more than `max_paths`={max_paths}; ask about "
            "single paths with identify(effect='path') or raise max_paths"
        )
    total = identify_total(q, (x,), y)
    paths = tuple(identify_path(q, x, y, p, details=False)
                  for p in directed_paths(q.graph, x, y))
    order = {v: i for i, v in enumerate(q.admg.nodes)}
    between = (descendants_of(q.graph, [x]) & ancestors_of(q.graph, [y])) - {x, y}
    meds = sorted(between, key=lambda v: (v in q.latent, order.get(v, len(order)), v))
    med_rows = tuple(identify_natural(q, x, y, (m,), Effect.NIE) for m in meds)
    return PathReport(x, y, total, paths, med_rows)
