r"""The parametric (Monte Carlo) g-formula (Robins 1986; Hernan & Robins, *What If*, ch. 21).

.. math::

    E[Y^{g}] = \int E[Y \mid \bar a, \bar l, v] \prod_{t} f(l_t \mid \text{past}, v)
    \, dF(v), \qquad a_t = g_t(\text{confounders measured before } a_t)

Each confounder of each period gets its own model given the history (linear-normal for continuous,
logistic for 0/1), each outcome period a linear (logistic for 0/1) model given the history up to
it. Baseline covariates (and, when confounders are measured before treatment, the first period's
confounders) are taken from the data, each unit ``copies`` times; later confounders are drawn
forward under the strategy, with the same random numbers for every strategy so contrasts carry
little Monte Carlo noise. When every model is linear (continuous confounders, continuous outcome)
and the strategies are static, the conditional means are linear in the history and are propagated
without noise, which is the g-formula exactly (the Monte Carlo limit). Bootstrap replicates are
frequency weights over units, so every replicate is fitted and simulated in the same array pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from facmech.estimation.fit import design_keep, irls, wls
from facmech.gmethods.data import LongData
from facmech.gmethods.design import Term, build_design, term_names, terms_before
from facmech.gmethods.results import ModelInfo
from facmech.gmethods.strategies import Strategy

__all__ = ["ParametricSpec", "parametric_means", "parametric_spec"]


@dataclass(frozen=True)
class _Model:
    target: tuple  # ("L", t, j) or ("Y", t)
    terms: tuple[Term, ...]
    keep: np.ndarray
    binary: bool


@dataclass(frozen=True)
class ParametricSpec:
    """The models of a parametric g-formula (terms chosen on the data, before any bootstrap)."""

    confounder_models: tuple[_Model, ...]
    outcome_models: tuple[_Model, ...]
    timing: str

    def info(self, d: LongData) -> tuple[ModelInfo, ...]:
        out = []
        for m in (*self.confounder_models, *self.outcome_models):
            names = term_names(m.terms, treatment=d.treatment, confounders=d.confounders,
                               baseline=d.baseline, periods=d.periods.tolist())
            t = d.periods[m.target[1]]
            target = f"{d.outcome}[{t}]" if m.target[0] == "Y" else f"{d.confounders[m.target[2]]}[{t}]"
            family = "logistic" if m.binary else "linear-normal" if m.target[0] == "L" else "linear"
            out.append(ModelInfo(target, family, tuple(names[i] for i in m.keep)))
        return tuple(out)


def parametric_spec(
    d: LongData, *, history: int | None, timing: str, outcome_periods: Sequence[int]
) -> ParametricSpec:
    """Choose each model's terms (constant or collinear history columns are dropped)."""
    k, p = d.L.shape[2], d.V.shape[1]
    conf = []
    first = 1 if timing == "before" else 0
    for t in range(first, d.T):
        for j in range(k):
            terms = tuple(terms_before("L", t, j, k=k, p=p, history=history, timing=timing))
            X = build_design(terms, d.V, d.L, d.A)
            conf.append(_Model(("L", t, j), terms, design_keep(X), d.binary_confounders[j]))
    outs = []
    for t in outcome_periods:
        terms = tuple(terms_before("Y", t, 0, k=k, p=p, history=history, timing=timing))
        X = build_design(terms, d.V, d.L, d.A)
        outs.append(_Model(("Y", t), terms, design_keep(X), d.binary_outcome))
    return ParametricSpec(tuple(conf), tuple(outs), timing)


def _fit_one(d: LongData, m: _Model, W: np.ndarray):
    X = build_design(m.terms, d.V, d.L, d.A)[:, m.keep]
    y = d.Yt[:, m.target[1]] if m.target[0] == "Y" else d.L[:, m.target[1], m.target[2]]
    if m.binary:
        what = (f"the model of {d.outcome}[{d.periods[m.target[1]]}]" if m.target[0] == "Y"
                else f"the model of {d.confounders[m.target[2]]}[{d.periods[m.target[1]]}]")
        return irls(X, y, "logit", W).require(what, allow_singular=True).coef[0], None
    fit = wls(X, y, W)
    return fit.coef[0], fit.sigma[0]


def is_exact(spec: ParametricSpec, strategies: Sequence[Strategy]) -> bool:
    """Whether Monte Carlo can be skipped: linear-normal confounders, linear outcome, static
    strategies. Then every conditional mean is linear in the history, so propagating the means
    (no noise) gives the g-formula exactly (the Monte Carlo limit)."""
    models = (*spec.confounder_models, *spec.outcome_models)
    return not any(m.binary for m in models) and not any(s.dynamic for s in strategies)


def parametric_means(
    d: LongData,
    strategies: Sequence[Strategy],
    W: np.ndarray,
    *,
    spec: ParametricSpec,
    copies: int,
    rng: np.random.Generator,
    chunk_bytes: float = 2.0e8,
) -> np.ndarray:
    """Mean outcome under each strategy, per replicate and outcome period: array (B, S, P).

    When :func:`is_exact` holds the means are propagated without noise over the units themselves
    (``copies`` is ignored); otherwise each unit is copied ``copies`` times and simulated.
    """
    exact = is_exact(spec, strategies)
    if exact:
        copies = 1
    B, n = W.shape
    N = n * copies
    models = (*spec.confounder_models, *spec.outcome_models)
    max_p = max(len(m.keep) for m in models)
    per_rep = N * (d.T * (d.L.shape[2] + 1) * 3 + 2 * max_p) * 8
    chunk = int(max(1, min(B, chunk_bytes // max(per_rep, 1))))
    out = np.empty((B, len(strategies), len(spec.outcome_models)))
    for start in range(0, B, chunk):
        Wc = W[start:start + chunk]
        out[start:start + chunk] = _simulate_chunk(d, strategies, Wc, spec, copies, rng, exact)
    return out


def _linear_predictor(m: _Model, beta: np.ndarray, V, L, A) -> np.ndarray:
    """``X beta`` for batched histories without materialising the (B, N, p) design."""
    N = A.shape[1]
    eta = np.repeat(beta[:, :1], N, axis=1)
    for pos, col in enumerate(m.keep[1:], start=1):
        term = m.terms[col - 1]
        if term[0] == "V":
            eta += beta[:, pos, None] * V[None, :, term[1]]
        elif term[0] == "L":
            eta += beta[:, pos, None] * L[:, :, term[1], term[2]]
        else:
            eta += beta[:, pos, None] * A[:, :, term[1]]
    return eta


def _simulate_chunk(d, strategies, W, spec, copies, rng, exact):
    B, n = W.shape
    k, T = d.L.shape[2], d.T
    before = spec.timing == "before"
    conf_fits = {m.target: (m, *_fit_one(d, m, W)) for m in spec.confounder_models}
    out_fits = [(m, *_fit_one(d, m, W)) for m in spec.outcome_models]
    idx = np.tile(np.arange(n), copies)
    N = idx.size
    Vs = d.V[idx]
    Wrep = W[:, idx]
    tot = Wrep.sum(axis=1)
    # common random numbers across strategies
    z = rng.standard_normal((B, N, T, k)) if conf_fits and not exact else None
    u = rng.random((B, N, T, k)) if any(m.binary for m, *_ in conf_fits.values()) else None
    res = np.empty((B, len(strategies), len(out_fits)))
    lag = 0 if before else 1
    for si, strat in enumerate(strategies):
        L = np.zeros((B, N, T, k))
        A = np.zeros((B, N, T))
        if before:
            L[:, :, 0, :] = d.L[idx, 0, :]

        def draw_confounders(t: int, L=L, A=A) -> None:
            for j in range(k):
                if ("L", t, j) not in conf_fits:
                    continue
                m, beta, sigma = conf_fits[("L", t, j)]
                eta = _linear_predictor(m, beta, Vs, L, A)
                if m.binary:
                    L[:, :, t, j] = (u[:, :, t, j] < 1.0 / (1.0 + np.exp(-eta))).astype(float)
                elif exact:
                    L[:, :, t, j] = eta
                else:
                    L[:, :, t, j] = eta + sigma[:, None] * z[:, :, t, j]

        for t in range(T):
            if before:
                draw_confounders(t)
            A[:, :, t] = strat.assign(t, d.periods, L, A, d.confounders, lag)
            if not before:
                draw_confounders(t)
        for oi, (m, beta, _) in enumerate(out_fits):
            mu = _linear_predictor(m, beta, Vs, L, A)
            if m.binary:
                mu = 1.0 / (1.0 + np.exp(-mu))
            res[:, si, oi] = (Wrep * mu).sum(axis=1) / tot
    return res
