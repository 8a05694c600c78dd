"""Closed-form true effects of a *linear* scenario, independent of the simulation engine.

When every node is continuous, the dose rule has no floor and the design's contrast does not depend
on a threshold (not a SMART), the structural model is linear with mean-zero errors. Unrolled over
the periods, the node means solve

.. math::

    \\mu = B\\mu + c \\quad\\Longrightarrow\\quad \\mu = (I - B)^{-1} c,

with one row per baseline node and per (node, period); :math:`B` holds the edge coefficients (lag-1
edges from period *t - 1*) and :math:`c` the intercepts, the outcome's trend and the dose rule's
deterministic part. Each counterfactual world changes the strategy rows (and, for natural effects,
replaces the mediator rows by their means in the ``a = 0`` world). Path-specific effects are sums,
over the unrolled paths that follow the named path (staying on a node through its lag-1
persistence), of the products of edge coefficients times the change in dose (Wright's path tracing;
Alwin & Hauser 1975), computed by dynamic programming over periods.

>>> from facmech.simulation import Scenario, ParallelCRT, DoseRule
>>> s = Scenario(dose=DoseRule(floor=None), patient_covariates={})
>>> a = analytic_effects(s, ParallelCRT(sites=10, patients=5), mediators=("normalization",),
...                      paths=())
>>> round(a.total - a.nde - a.nie, 12)
0.0
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from facmech.simulation.designs import SMART, Design
from facmech.simulation.engine import Kind, Model
from facmech.simulation.scenario import NodeType, Scenario

__all__ = ["AnalyticTruth", "analytic_effects", "is_linear"]


@dataclass(frozen=True)
class AnalyticTruth:
    """Closed-form effects of a linear scenario (same definitions as :mod:`~.truth`)."""

    total: float
    nde: float
    nie: float
    paths: dict[str, float] = field(default_factory=dict)
    sustained: dict[str, float] = field(default_factory=dict)
    by_period_total: tuple[float, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["by_period_total"] = list(self.by_period_total)
        out["available"] = True
        return out


def is_linear(scenario: Scenario, design: Design) -> tuple[bool, str]:
    """Whether the closed form applies, and if not, why."""
    nonlinear = [k for k, v in scenario.types.items() if v is not NodeType.CONTINUOUS]
    if nonlinear:
        return False, f"non-continuous nodes: {', '.join(nonlinear)}"
    if scenario.dose.floor is not None:
        return False, "the dose rule has a floor (dose.floor is not null)"
    if isinstance(design, SMART):
        return False, "a SMART's contrast depends on the response threshold (nonlinear)"
    return True, ""


class _System:
    def __init__(self, model: Model):
        self.model = model
        self.T = model.periods
        self.index: dict[tuple[str, int], int] = {}
        for s in model.nodes:
            if s.kind is Kind.CONTEXT:
                self.index[(s.id, -1)] = len(self.index)
        for t in range(self.T):
            for s in model.nodes:
                if s.kind is not Kind.CONTEXT:
                    self.index[(s.id, t)] = len(self.index)
        self.n = len(self.index)

    def pos(self, node: str, t: int) -> int:
        return self.index[(node, -1)] if (node, -1) in self.index else self.index[(node, t)]

    def solve(self, dose: str, *, fixed: float = 0.0,
              pinned: dict[tuple[str, int], float] | None = None) -> dict[tuple[str, int], float]:
        """Means in a world: ``dose`` is ``"rule"`` (exposed, always), ``"fixed"`` (constant)."""
        sc = self.model.scenario
        B = np.zeros((self.n, self.n))
        c = np.zeros(self.n)
        pinned = pinned or {}
        for s in self.model.nodes:
            times = [-1] if s.kind is Kind.CONTEXT else range(self.T)
            for t in times:
                r = self.pos(s.id, t)
                if (s.id, t) in pinned:
                    c[r] = pinned[(s.id, t)]
                    continue
                if s.kind is Kind.STRATEGY:
                    ended = sc.dose.duration is not None and t >= sc.dose.duration
                    if dose == "fixed" or ended:
                        c[r] = fixed if dose == "fixed" else 0.0
                        continue
                    c[r] = sc.dose.base * (1 - sc.dose.taper) ** t
                else:
                    c[r] = s.intercept
                    if s.id == sc.outcome:
                        c[r] += sc.trend * t
                for pid, lag, coef in s.parents:
                    if s.kind is Kind.CONTEXT or self.model.spec[pid].kind is Kind.CONTEXT:
                        B[r, self.pos(pid, -1)] += coef
                    elif t - lag >= 0:
                        B[r, self.pos(pid, t - lag)] += coef
                if s.self_lag and t >= 1:
                    B[r, self.pos(s.id, t - 1)] += s.self_lag
        mu = np.linalg.solve(np.eye(self.n) - B, c)
        return {key: float(mu[i]) for key, i in self.index.items()}


def _path_effect(model: Model, sysm: _System, mu0: dict[tuple[str, int], float],
                 path: Sequence[str]) -> float:
    """Sum over unrolled paths following ``path`` of coefficient products times the dose change."""
    sc, spec, T = model.scenario, model.spec, model.periods
    strat = spec[path[0]]
    w = np.zeros(T)
    for t in range(T):  # dose change when only the exposure is switched on, inputs at reference
        if sc.dose.duration is not None and t >= sc.dose.duration:
            continue
        d = sc.dose.base * (1 - sc.dose.taper) ** t
        for pid, lag, coef in strat.parents:
            if model.spec[pid].kind is Kind.CONTEXT:
                d += coef * mu0[(pid, -1)]
            elif t - lag >= 0:
                d += coef * mu0[(pid, t - lag)]
        w[t] = d
    for prev, node in itertools.pairwise(path):
        s = spec[node]
        edges = [(lag, coef) for pid, lag, coef in s.parents if pid == prev]
        nxt = np.zeros(T)
        for t in range(T):
            nxt[t] = sum(coef * w[t - lag] for lag, coef in edges if t - lag >= 0)
            if s.self_lag and t >= 1:
                nxt[t] += s.self_lag * nxt[t - 1]
        w = nxt
    return float(w.mean())


def analytic_effects(scenario: Scenario, design: Design, *, mediators: Sequence[str],
                     paths: Sequence[Sequence[str]]) -> AnalyticTruth:
    """Closed-form ``total``, ``nde``, ``nie``, ``paths`` and static ``sustained`` effects.

    Raises :class:`~facmech.errors.DesignError` if the scenario is not linear (:func:`is_linear`).
    """
    from facmech.errors import DesignError

    ok, reason = is_linear(scenario, design)
    if not ok:
        raise DesignError(f"no closed-form truth: {reason}")
    model = Model.compile(scenario, design.periods)
    sysm = _System(model)
    T, y = design.periods, scenario.outcome
    mu0 = sysm.solve("fixed", fixed=0.0)
    mu1 = sysm.solve("rule")
    pinned = {(m, t): mu0[(m, t)] for m in mediators for t in range(T)}
    mu10 = sysm.solve("rule", pinned=pinned)

    def avg(mu: dict[tuple[str, int], float]) -> float:
        return float(np.mean([mu[(y, t)] for t in range(T)]))

    total = avg(mu1) - avg(mu0)
    nde = avg(mu10) - avg(mu0)
    always = sysm.solve("fixed", fixed=scenario.dose.base)
    path_effects = {">".join(p): _path_effect(model, sysm, mu0, p) for p in paths}
    return AnalyticTruth(
        total=total, nde=nde, nie=total - nde, paths=path_effects,
        sustained={"always": avg(always), "never": avg(mu0),
                   "contrast": avg(always) - avg(mu0)},
        by_period_total=tuple(mu1[(y, t)] - mu0[(y, t)] for t in range(T)),
    )
