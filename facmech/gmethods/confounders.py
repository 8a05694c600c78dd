"""Which columns are the time-varying confounders of which treatment periods, read off a map.

Unrolling a mechanism map over periods turns its feedback loop (leadership engagement <->
facilitation) into a DAG over ``<id>_t<k>`` copies. For the treatment copy ``A_t`` a node ``X`` is a
confounder when it is an ancestor of ``A_t`` with a directed path to the outcome that avoids
``A_t``; it is *time-varying* when it has a period, and *affected by earlier treatment* when it
descends from some ``A_s``, ``s < t`` (treatment-confounder feedback: regression adjustment is then
biased and g-methods are needed). The report also checks sequential exchangeability for each
period (Robins 1986; Pearl & Robins 1995): in the graph with the edges out of ``A_t`` and into
later treatments removed, the outcome must be d-separated from ``A_t`` by the observed history
(observed non-descendants of ``A_t`` from periods up to ``t`` and time-invariant nodes).

>>> from facmech.formats import load_map
>>> rep = time_varying_confounders(load_map("facilitation"), treatment="facilitation",
...                                outcome="uptake", periods=3)
>>> rep.columns
('acceptance', 'leadership_engagement')
>>> rep.timing
'after'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx

from facmech.errors import ArgumentError, MapError, NotIdentifiedError, UnknownNodeError, closest

__all__ = [
    "ConfounderReport",
    "PeriodConfounders",
    "strategy_identification",
    "time_varying_confounders",
]


@dataclass(frozen=True)
class PeriodConfounders:
    """Confounders of one treatment period."""

    period: int
    treatment_node: str
    time_varying: tuple[str, ...]  # observed, unrolled node ids
    baseline: tuple[str, ...]  # observed, time-invariant
    latent: tuple[str, ...]  # unobserved confounders (any kind)
    affected_by_treatment: tuple[str, ...]  # subset of time_varying descending from earlier A_s
    sequentially_exchangeable: bool


@dataclass(frozen=True)
class ConfounderReport:
    """Per-period confounders and the column lists to pass to :func:`facmech.gmethods.gformula`."""

    treatment: str
    outcome: str
    periods: tuple[PeriodConfounders, ...]
    columns: tuple[str, ...]  # base ids of observed time-varying confounders (``confounders=``)
    baseline: tuple[str, ...]  # observed time-invariant confounders (``baseline=``)
    timing: str  # "before" or "after": when confounders are measured relative to treatment
    feedback: bool  # some time-varying confounder is affected by earlier treatment

    @property
    def identified(self) -> bool:
        """Sequential exchangeability holds in every period given the observed history."""
        return all(p.sequentially_exchangeable for p in self.periods)

    def by_period(self) -> Mapping[int, tuple[str, ...]]:
        """Period -> observed time-varying confounder node ids."""
        return {p.period: p.time_varying for p in self.periods}

    def summary(self) -> str:
        lines = [
            f"Confounders of `{self.treatment}` for `{self.outcome}` "
            f"({len(self.periods)} periods; confounders measured {self.timing} treatment)",
            f"  pass confounders={list(self.columns)}, baseline={list(self.baseline)}, "
            f"timing={self.timing!r}",
        ]
        for p in self.periods:
            flag = "" if p.sequentially_exchangeable else "  NOT exchangeable given the history"
            lines.append(
                f"  {p.treatment_node}: time-varying {list(p.time_varying)}; affected by earlier "
                f"treatment {list(p.affected_by_treatment)}; latent {list(p.latent)}{flag}"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def time_varying_confounders(
    mechanism_map,
    *,
    treatment: str = "facilitation",
    outcome: str = "uptake",
    periods: int = 3,
) -> ConfounderReport:
    """Time-varying confounders of each treatment period, from a (raw or unrolled) map.

    Parameters
    ----------
    mechanism_map : MechanismMap
        Raw maps are unrolled over ``periods``; unrolled maps are used as they are.
    treatment, outcome : str
        Base node ids. A time-varying outcome is taken in the last period.
    periods : int
        Number of periods to unroll a raw map over.
    """
    unrolled = mechanism_map if mechanism_map.is_unrolled else mechanism_map.unroll(periods)
    G: nx.DiGraph = unrolled.to_networkx()
    base = {n: G.nodes[n].get("base", n) for n in G}
    per = {n: G.nodes[n].get("period") for n in G}
    bases = sorted(set(base.values()))
    for name, arg in ((treatment, "treatment"), (outcome, "outcome")):
        if name not in bases:
            raise UnknownNodeError(
                f"`{arg}` {name!r} is not a node of the map.{closest(name, bases)}"
            )
    A = sorted((n for n in G if base[n] == treatment), key=lambda n: per[n] or 0)
    if not A or per[A[0]] is None:
        raise MapError(f"`treatment` {treatment!r} is not time-varying in the map")
    ys = [n for n in G if base[n] == outcome]
    Y = max(ys, key=lambda n: -1 if per[n] is None else per[n])
    observed = {n for n in G if G.nodes[n].get("observed", True)}
    rows = []
    timings = set()
    for i, a in enumerate(A):
        t = per[a]
        anc = nx.ancestors(G, a)
        g_minus = G.copy()
        g_minus.remove_node(a)
        to_y = nx.ancestors(g_minus, Y) if Y in g_minus else set()
        conf = {x for x in anc & to_y if base[x] != treatment}
        earlier = set().union(*(nx.descendants(G, s) for s in A[:i])) if i else set()
        tv = sorted((x for x in conf if per[x] is not None and x in observed),
                    key=lambda x: (per[x], x))
        for x in tv:
            timings.add("before" if per[x] == t else "after")
        # sequential exchangeability: cut edges out of A_t and into later treatments
        g_cut = G.copy()
        g_cut.remove_edges_from(list(G.out_edges(a)))
        for later in A[i + 1:]:
            g_cut.remove_edges_from(list(G.in_edges(later)))
        desc = nx.descendants(G, a)
        history = {x for x in observed - desc - {a, Y}
                   if (per[x] is None or per[x] <= t) and x not in A[i + 1:]}
        exch = nx.is_d_separator(g_cut, {a}, {Y}, history)
        rows.append(PeriodConfounders(
            period=t,
            treatment_node=a,
            time_varying=tuple(tv),
            baseline=tuple(sorted(x for x in conf if per[x] is None and x in observed)),
            latent=tuple(sorted(x for x in conf if x not in observed)),
            affected_by_treatment=tuple(x for x in tv if x in earlier),
            sequentially_exchangeable=bool(exch),
        ))
    columns = tuple(sorted({base[x] for r in rows for x in r.time_varying}))
    baseline = tuple(sorted({x for r in rows for x in r.baseline}))
    timing = "after" if timings == {"after"} else "before"
    return ConfounderReport(
        treatment=treatment, outcome=outcome, periods=tuple(rows), columns=columns,
        baseline=baseline, timing=timing,
        feedback=any(r.affected_by_treatment for r in rows),
    )


_COPY = re.compile(r"^(?P<base>.+)_t(?P<period>\d+)$")


def _base(node: str) -> str:
    m = _COPY.match(node)
    return m.group("base") if m else node


def strategy_identification(identification: Any, *, treatment: str, outcome: str) -> Any:
    """Check that ``identification`` identifies the effect of the strategies a g-method compares.

    ``identification`` is ``facmech.identify(unrolled_map, [A_t0, A_t1, ...], Y)``: the total
    effect of the joint treatment copies ``<treatment>_t<k>`` of an unrolled map on the outcome
    (by the ID algorithm when treatment-confounder feedback leaves no adjustment set: the
    g-formula's functional, Shpitser & Pearl 2006). Returns it when it is identified and about
    ``treatment`` and ``outcome``.

    >>> import networkx as nx
    >>> from facmech.identification import identify
    >>> g = nx.DiGraph([("a_t0", "l_t1"), ("l_t1", "a_t1"), ("l_t1", "y"), ("a_t1", "y")])
    >>> strategy_identification(identify(g, ["a_t0", "a_t1"], "y"), treatment="a",
    ...                         outcome="y").strategy.value
    'id'

    Raises
    ------
    ArgumentError
        Not a total-effect record of copies of ``treatment`` on ``outcome``.
    NotIdentifiedError
        The joint effect is not identified (the message gives the engine's reason).
    """
    from facmech.identification import Effect, Identification

    if not isinstance(identification, Identification) or identification.effect is not Effect.TOTAL:
        raise ArgumentError(
            "`identification` must be the total-effect record of the treatment copies, "
            "facmech.identify(unrolled_map, [A_t0, A_t1, ...], outcome) (got "
            f"{getattr(identification, 'effect', type(identification).__name__)})")
    nodes = identification.treatment.split(", ")
    bases = {_base(n) for n in nodes}
    if bases != {treatment} or _base(identification.outcome) != outcome:
        raise ArgumentError(
            f"`identification` is for {identification.treatment} -> {identification.outcome}, "
            f"not the copies of {treatment!r} -> {outcome!r}")
    if not identification.identifiable:
        raise NotIdentifiedError(
            f"the effect of the {treatment} strategies on {outcome} is not identified: "
            f"{identification.reason}", identification=identification)
    return identification
