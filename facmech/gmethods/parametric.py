r"""The parametric (Monte Carlo) g-formula (Robins 1986; Hernan & Robins, *What If*, ch. 21).

.. math::

    E[Y^{g}] = \int E[Y \mid \bar a, \bar l, v] \prod_{t} f(l_t \mid \bar a_{t-1}, \bar l_{t-1}, v)
    \, dF(v, l_0), \qquad a_t = g_t(\bar l_t)

Each confounder of each period after the first gets its own model given the history (linear-normal
for continuous, logistic for 0/1), the outcome a linear (or logistic for 0/1) model given the whole
history. The baseline covariates and first-period confounders are taken from the data (each unit
``copies`` times); later confounders are drawn forward under the strategy, with the same random
numbers for every strategy so contrasts carry little Monte Carlo noise. Bootstrap replicates are
frequency weights over units, so every replicate is fitted and simulated in the same array pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from facmech.gmethods._fit import design_keep, logistic, wls
from facmech.gmethods.data import LongData
from facmech.gmethods.design import Term, build_design, term_names, terms_before
from facmech.gmethods.results import ModelInfo
from facmech.gmethods.strategies import Strategy

__all__ = ["ParametricSpec", "parametric_means", "parametric_spec"]


@dataclass(frozen=True)
class _Model:
    target: tuple  # ("L", t, j) or ("Y",)
    terms: tuple[Term, ...]
    keep: np.ndarray
    binary: bool


@dataclass(frozen=True)
class ParametricSpec:
    """The models of a parametric g-formula (terms chosen on the data, before any bootstrap)."""

    models: tuple[_Model, ...]

    def info(self, d: LongData) -> tuple[ModelInfo, ...]:
        out = []
        for m in self.models:
            names = term_names(m.terms, treatment=d.treatment, confounders=d.confounders,
                               baseline=d.baseline, periods=d.periods.tolist())
            target = (d.outcome if m.target[0] == "Y"
                      else f"{d.confounders[m.target[2]]}[{d.periods[m.target[1]]}]")
            family = "logistic" if m.binary else "linear-normal" if m.target[0] == "L" else "linear"
            out.append(ModelInfo(target, family, tuple(names[i] for i in m.keep)))
        return tuple(out)


def parametric_spec(d: LongData, *, history: int | None) -> ParametricSpec:
    """Choose each model's terms (constant or collinear history columns are dropped)."""
    k, p = d.L.shape[2], d.V.shape[1]
    models = []
    for t in range(1, d.T):
        for j in range(k):
            terms = tuple(terms_before("L", t, j, k=k, p=p, history=history))
            X = build_design(terms, d.V, d.L, d.A)
            models.append(_Model(("L", t, j), terms, design_keep(X), d.binary_confounders[j]))
    terms = tuple(terms_before("Y", d.T - 1, 0, k=k, p=p, history=history))
    X = build_design(terms, d.V, d.L, d.A)
    models.append(_Model(("Y",), terms, design_keep(X), d.binary_outcome))
    return ParametricSpec(tuple(models))


def _fit(d: LongData, spec: ParametricSpec, W: np.ndarray):
    fits = []
    for m in spec.models:
        X = build_design(m.terms, d.V, d.L, d.A)[:, m.keep]
        y = d.Y if m.target[0] == "Y" else d.L[:, m.target[1], m.target[2]]
        if m.binary:
            fits.append((logistic(X, y, W), None))
        else:
            fits.append(wls(X, y, W))
    return fits


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
    """Mean outcome under each strategy for each replicate weight row: array (B, S)."""
    B, n = W.shape
    N = n * copies
    max_p = max(len(m.keep) for m in spec.models)
    per_rep = N * (d.T * (d.L.shape[2] + 1) + 2 * max_p) * 8 * 2
    chunk = int(max(1, min(B, chunk_bytes // max(per_rep, 1))))
    out = np.empty((B, len(strategies)))
    for start in range(0, B, chunk):
        Wc = W[start:start + chunk]
        out[start:start + chunk] = _simulate_chunk(d, strategies, Wc, spec, copies, rng)
    return out


def _simulate_chunk(d, strategies, W, spec, copies, rng):
    B, n = W.shape
    k, T = d.L.shape[2], d.T
    fits = _fit(d, spec, W)
    idx = np.tile(np.arange(n), copies)
    N = idx.size
    Vs = d.V[idx]
    Wrep = W[:, idx]
    # common random numbers across strategies
    any_binary = any(m.binary for m in spec.models[:-1])
    z = rng.standard_normal((B, N, T, k)) if T > 1 else None
    u = rng.random((B, N, T, k)) if (T > 1 and any_binary) else None
    res = np.empty((B, len(strategies)))
    for si, strat in enumerate(strategies):
        L = np.zeros((B, N, T, k))
        A = np.zeros((B, N, T))
        L[:, :, 0, :] = d.L[idx, 0, :]
        mi = 0
        for t in range(T):
            if t > 0:
                for j in range(k):
                    m = spec.models[mi]
                    beta, sigma = fits[mi]
                    mi += 1
                    X = build_design(m.terms, Vs, L, A)[..., m.keep]
                    eta = np.einsum("bnp,bp->bn", X, beta)
                    if m.binary:
                        L[:, :, t, j] = (u[:, :, t, j] < 1.0 / (1.0 + np.exp(-eta))).astype(float)
                    else:
                        L[:, :, t, j] = eta + sigma[:, None] * z[:, :, t, j]
            A[:, :, t] = strat.assign(t, d.periods, L, A, d.confounders)
        m = spec.models[-1]
        beta, _ = fits[-1]
        X = build_design(m.terms, Vs, L, A)[..., m.keep]
        mu = np.einsum("bnp,bp->bn", X, beta)
        if m.binary:
            mu = 1.0 / (1.0 + np.exp(-mu))
        res[:, si] = (Wrep * mu).sum(axis=1) / Wrep.sum(axis=1)
    return res
