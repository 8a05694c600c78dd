"""``path_report``: every directed path from treatment to outcome, and each mediator, judged.

One row per directed path (is the path-specific effect identified, how, or which recanting witness
breaks it) and one row per mediator on those paths (the natural indirect effect through it; the
natural direct effect has the same verdict, being the effect along the complementary paths), after
a row for the total effect. Works on unrolled maps: paths are counted first by dynamic
programming; up to ``listed`` paths each get a row, and beyond that the paths are reported in
groups that share a verdict (the first measured node after the treatment and the first step
through several unmeasured routes decide it, :mod:`facmech.identification._path_groups`), each
with the number of paths it covers, so a map unrolled over 12 periods (7 million paths) is judged
without listing them. :meth:`PathReport.list_paths` pages through the paths on demand.

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
from facmech.identification._path_groups import PathGroup, path_groups
from facmech.identification._query import GraphInput, QueryError, prepare_graph
from facmech.identification.identify import identify_total
from facmech.identification.mediation import identify_natural, identify_path
from facmech.identification.result import Effect, Identification

__all__ = ["PathReport", "path_report"]


def _group_label(x: str, y: str, g: PathGroup) -> str:
    if g.step is None:
        return f"{x} -> {g.first} -> ... -> {y}"
    a, b = g.step
    return f"{x} -> {g.first} -> ... -> {a} ~> {b} -> ... -> {y}"


@dataclass(frozen=True)
class PathReport:
    """Identification of the total effect, of every directed path and of each mediator.

    ``paths`` has one record per directed path when there are at most ``listed`` of them (else
    it is empty); ``groups`` always partitions the paths into groups sharing one verdict, with
    ``(group, record of its example path)`` pairs; ``n_paths`` counts them all.
    """

    treatment: str
    outcome: str
    total: Identification
    paths: tuple[Identification, ...]
    mediators: tuple[Identification, ...]
    groups: tuple[tuple[PathGroup, Identification], ...] = ()
    n_paths: int = 0
    _query: GraphInput | None = None

    @property
    def rows(self) -> tuple[Identification, ...]:
        return (self.total, *self.paths, *self.mediators)

    def verdict_counts(self) -> dict[str, int]:
        """How many paths each verdict covers: ``{"identified": n, "not identified": m}``."""
        out = {"identified": 0, "not identified": 0}
        for g, r in self.groups:
            out["identified" if r.identifiable else "not identified"] += g.count
        return out

    def list_paths(self, *, start: int = 0, limit: int | None = 50) -> list[tuple[str, ...]]:
        """One page of the directed paths (depth-first order), generated lazily: cheap for any
        path count."""
        import networkx as nx

        if self._query is None:
            return [r.path for r in self.paths][start:None if limit is None else start + limit]
        import itertools

        g = self._query.graph
        keep = descendants_of(g, [self.treatment]) & ancestors_of(g, [self.outcome])
        it = (tuple(p) for p in nx.all_simple_paths(g.subgraph(keep), self.treatment,
                                                     self.outcome))
        return list(itertools.islice(it, start, None if limit is None else start + limit))

    def to_frame(self) -> pd.DataFrame:
        """One row per query: kind, query, identifiable, strategy, witness, adjustment_set, reason,
        n_paths (paths covered; a ``paths`` row is a group of paths sharing one verdict)."""
        recs = []
        listed = bool(self.paths) or not self.groups
        rows = [(r, None) for r in self.rows[:1 + len(self.paths)]]
        if not listed:
            rows += [(r, g) for g, r in self.groups]
        rows += [(r, None) for r in self.mediators]
        for r, grp in rows:
            count = None
            if grp is not None:
                kind, query = "paths", _group_label(self.treatment, self.outcome, grp)
                count = grp.count
            elif r.effect is Effect.PATH:
                kind, query = "path", " -> ".join(r.path)
                count = 1
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
                "n_paths": count,
            })
        return pd.DataFrame(recs, dtype=object).astype({"identifiable": bool})

    def to_dict(self) -> dict[str, Any]:
        return {
            "treatment": self.treatment,
            "outcome": self.outcome,
            "total": self.total.to_dict(),
            "n_paths": self.n_paths,
            "verdict_counts": self.verdict_counts(),
            "paths": [{"path": list(r.path), **r.to_dict()} for r in self.paths],
            "path_groups": [{"first": g.first, "step": None if g.step is None else list(g.step),
                             "n_paths": g.count, "example": list(g.example), **r.to_dict()}
                            for g, r in self.groups],
            "mediators": [{"mediators": list(r.mediators), **r.to_dict()} for r in self.mediators],
        }

    def summary(self) -> str:
        n_ok = self.verdict_counts()["identified"]
        lines = [
            f"Paths from {self.treatment} to {self.outcome}: {self.n_paths} directed paths, "
            f"{n_ok} with an identified path-specific effect",
            f"total effect: {'identified (' + str(self.total.strategy) + ')' if self.total.identifiable else 'NOT identified'}",  # noqa: E501
        ]
        for r in self.paths:
            tag = "identified" if r.identifiable else "NOT identified"
            why = f"  [witness: {r.witness}]" if r.witness else ""
            lines.append(f"  {' -> '.join(r.path)}: {tag}{why}")
        if not self.paths and self.groups:
            lines.append(f"  ({self.n_paths} paths, in {len(self.groups)} groups sharing a verdict; "
                         "PathReport.list_paths pages through them)")
            for g, r in self.groups:
                tag = "identified" if r.identifiable else "NOT identified"
                why = f"  [witness: {r.witness}]" if r.witness else ""
                lines.append(f"  {g.count} path{'s' * (g.count != 1)} "
                             f"{_group_label(self.treatment, self.outcome, g)}: {tag}{why}")
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
    max_paths: int | None = None,
    listed: int = 200,
) -> PathReport:
    """Identify the effect along every directed path from ``treatment`` to ``outcome``.

    Parameters
    ----------
    graph : MechanismMap or networkx.DiGraph
    treatment, outcome : str
    observed, latent : iterable of str, optional
        As in :func:`facmech.identify`.
    max_paths : int, optional
        Refuse graphs with more directed paths than this (counted first, in linear time). No
        limit by default: above ``listed`` paths are judged in groups.
    listed : int, default 200
        Give each path its own row when there are at most this many; otherwise report groups of
        paths sharing a verdict (each with its count) and list paths on demand.

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
    if max_paths is not None and n > max_paths:
        raise QueryError(
            f"{n} directed paths run from {x} to {y}, more than `max_paths`={max_paths}; ask about "
            "single paths with identify(effect='path') or raise max_paths"
        )
    total = identify_total(q, (x,), y)
    groups = tuple((grp, identify_path(q, x, y, grp.example, details=False))
                   for grp in path_groups(q, x, y))
    paths = tuple(identify_path(q, x, y, p, details=False)
                  for p in directed_paths(q.graph, x, y)) if n <= listed else ()
    order = {v: i for i, v in enumerate(q.admg.nodes)}
    between = (descendants_of(q.graph, [x]) & ancestors_of(q.graph, [y])) - {x, y}
    meds = sorted(between, key=lambda v: (v in q.latent, order.get(v, len(order)), v))
    med_rows = tuple(identify_natural(q, x, y, (m,), Effect.NIE, details=False) for m in meds)
    return PathReport(x, y, total, paths, med_rows, groups, n, q)
