r"""The iterated conditional expectation (ICE) g-formula (Robins 1997; Bang & Robins 2005).

For an outcome measured at the end of period :math:`s`, start from :math:`Q_{s+1} = Y_s`; for
:math:`t = s, \dots, 0` regress :math:`Q_{t+1}` on the history up to and including :math:`A_t`, then
predict with :math:`A_t` set by the strategy,

.. math::

    Q_t = E[Q_{t+1} \mid \text{history before } A_t, A_t = g_t], \qquad E[Y_s^g] = E[Q_0].

No confounder model is needed: only the sequence of outcome regressions (linear; logistic with
fractional responses for a 0/1 outcome). Bootstrap replicates are frequency weights: each step is
one batched least-squares solve for all replicates.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from facmech.gmethods._fit import _xtwx, design_keep, logistic, solve_batched
from facmech.gmethods.data import LongData
from facmech.gmethods.design import build_design, term_names, terms_before
from facmech.gmethods.results import ModelInfo
from facmech.gmethods.strategies import Strategy

__all__ = ["ice_means", "ice_models"]


def _steps(d: LongData, history: int | None, timing: str, s: int):
    k, p = d.L.shape[2], d.V.shape[1]
    steps = []
    for t in range(s, -1, -1):
        terms = tuple(terms_before("Q", t, 0, k=k, p=p, history=history, timing=timing))
        keep = design_keep(build_design(terms, d.V, d.L, d.A))
        steps.append((t, terms, keep))
    return steps


def ice_models(
    d: LongData, *, history: int | None, timing: str, outcome_periods: Sequence[int]
) -> tuple[ModelInfo, ...]:
    """The regressions ICE fits, for each outcome period, last period first."""
    out = []
    for s in outcome_periods:
        for t, terms, keep in _steps(d, history, timing, s):
            names = term_names(terms, treatment=d.treatment, confounders=d.confounders,
                               baseline=d.baseline, periods=d.periods.tolist())
            target = (f"{d.outcome}[{d.periods[s]}]" if t == s
                      else f"Q[{d.periods[t + 1]}] of {d.outcome}[{d.periods[s]}]")
            fam = "logistic (fractional)" if d.binary_outcome else "linear"
            out.append(ModelInfo(target, fam, tuple(names[i] for i in keep)))
    return tuple(out)


def ice_means(
    d: LongData,
    strategies: Sequence[Strategy],
    W: np.ndarray,
    *,
    history: int | None,
    timing: str,
    outcome_periods: Sequence[int],
) -> np.ndarray:
    """Mean outcome under each strategy, per replicate and outcome period: array (B, S, P).

    Strategies share each step's design, so for a linear outcome the weighted cross-product
    ``X' W X`` is factorised once per step for all strategies and replicates.
    """
    lag = 0 if timing == "before" else 1
    S, B = len(strategies), W.shape[0]
    res = np.empty((B, S, len(outcome_periods)))
    for oi, s in enumerate(outcome_periods):
        Q = np.broadcast_to(d.Yt[:, s], (S, B, d.n))
        for t, terms, keep in _steps(d, history, timing, s):
            X = build_design(terms, d.V, d.L, d.A)[:, keep]
            X_cf = []
            for strat in strategies:
                A_cf = d.A.copy()
                A_cf[:, t] = strat.assign(t, d.periods, d.L, d.A, d.confounders, lag)
                X_cf.append(build_design(terms, d.V, d.L, A_cf)[:, keep])
            if d.binary_outcome:
                Q = np.stack([
                    1.0 / (1.0 + np.exp(-(logistic(X, Q[i], W) @ X_cf[i].T))) for i in range(S)
                ])
            else:
                xtwx = _xtwx(X, W)
                xtwq = np.einsum("sbn,np->sbp", W[None] * Q, X, optimize=True)
                beta = solve_batched(
                    np.broadcast_to(xtwx, (S, *xtwx.shape)).reshape(S * B, *xtwx.shape[1:]),
                    xtwq.reshape(S * B, -1),
                ).reshape(S, B, -1)
                Q = np.stack([beta[i] @ X_cf[i].T for i in range(S)])
        res[:, :, oi] = ((W[None] * Q).sum(axis=2) / W.sum(axis=1)[None]).T
    return res
