r"""Inverse-probability-weighted marginal structural models (Robins, Hernan & Brumback 2000).

Stabilized weights from pooled-over-sites, per-period treatment models,

.. math::

    SW_i = \prod_t \frac{f(A_{it} \mid \bar A_{i,t-1}, V_i)}
                        {f(A_{it} \mid \bar A_{i,t-1}, \bar L_{it}, V_i)},

(logistic for a 0/1 treatment, normal densities for a dose), optionally truncated at percentiles,
then a weighted regression of the end-of-study outcome on the treatment history
(:class:`MSMForm`: one coefficient per period, or the cumulative dose) and the baseline covariates.
The mean under a static strategy is the model's prediction averaged over sites. Diagnostics: mean,
range, effective sample size, how many weights were truncated and how much truncation moved the
contrast; a :class:`~facmech.errors.PositivityWarning` counts site-periods whose fitted treatment
probability is below ``positivity`` or above ``1 - positivity``.

>>> from facmech.gmethods.simulate import adaptive_dose_data
>>> df, truth = adaptive_dose_data(sites=400, periods=3, adapt=0.5, seed=3)
>>> res = msm(df, site="site", period="period", treatment="facilitation",
...           confounders="leadership_engagement", outcome="uptake", inference=None)
>>> abs(res.contrast.estimate - truth["always - never"]) < 0.4
True
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from facmech._choice import Choice
from facmech._deprecation import renamed
from facmech._random import SeedLike, as_generator
from facmech.errors import DataError, EstimationError, PositivityWarning
from facmech.estimation.fit import design_keep, irls, with_single_thread_blas, wls
from facmech.estimation.resampling import Bootstrap
from facmech.gmethods.confounders import strategy_identification
from facmech.gmethods.data import LongData, prepare
from facmech.gmethods.design import build_design, term_names, terms_before
from facmech.gmethods.gformula import (
    DEFAULT_BOOTSTRAP,
    _history,
    _inference,
    by_period_extra,
    check_strategies,
    summarize_draws,
    unit_bootstrap_weights,
)
from facmech.gmethods.options import OutcomeAt, Timing
from facmech.gmethods.results import ModelInfo, StrategyResult, WeightDiagnostics
from facmech.gmethods.strategies import Strategy, parse_strategies

__all__ = ["MSMForm", "Stabilized", "msm", "stabilized_weights"]


class MSMForm(Choice):
    """How the marginal structural model codes the treatment history."""

    EACH = "each"  # one coefficient per period
    CUMULATIVE = "cumulative"  # total dose over periods


@dataclass(frozen=True)
class Stabilized:
    """Stabilized weights, truncated at the ``truncate`` percentiles (``None``: untruncated).

    ``truncate=0.99`` means ``(0.01, 0.99)``; a pair gives both ends.
    """

    truncate: float | tuple[float, float] | None = None

    def bounds(self) -> tuple[float, float] | None:
        if self.truncate is None:
            return None
        if isinstance(self.truncate, (int, float)):
            hi = float(self.truncate)
            lo = 1.0 - hi if hi > 0.5 else hi
            hi = max(hi, 1.0 - hi)
        else:
            lo, hi = (float(x) for x in self.truncate)
        if not (0.0 <= lo < hi <= 1.0):
            raise DataError(
                f"`truncate` must be a percentile in (0.5, 1] or a pair 0 <= low < high <= 1 "
                f"(got {self.truncate!r})"
            )
        return lo, hi


def _weighted_quantile(x: np.ndarray, W: np.ndarray, q: float) -> np.ndarray:
    order = np.argsort(x, axis=1)
    xs = np.take_along_axis(x, order, axis=1)
    cw = np.cumsum(np.take_along_axis(W, order, axis=1), axis=1)
    cw /= cw[:, -1:]
    idx = np.argmax(cw >= q - 1e-12, axis=1)
    return xs[np.arange(x.shape[0]), idx]


def stabilized_weights(
    d: LongData,
    W: np.ndarray,
    *,
    history: int | None,
    timing: str = "before",
    positivity: float = 0.01,
) -> tuple[np.ndarray, tuple[ModelInfo, ...], int]:
    """Untruncated stabilized weights through each period (B, n, T), the treatment models, and
    the number of site-periods with a near positivity violation."""
    k, p = d.L.shape[2], d.V.shape[1]
    log_sw = np.zeros((*W.shape, d.T))
    models: list[ModelInfo] = []
    extreme = 0
    periods = d.periods.tolist()
    for t in range(d.T):
        a = d.A[:, t]
        if np.ptp(a) == 0:
            continue  # treatment fixed by design in this period: factor 1
        den_terms = terms_before("A", t, 0, k=k, p=p, history=history, timing=timing)
        num_terms = [term for term in den_terms if term[0] != "L"]
        for label, terms, sign in (("denominator", den_terms, -1.0), ("numerator", num_terms, 1.0)):
            X = build_design(terms, d.V, d.L, d.A)
            keep = design_keep(X)
            X = X[:, keep]
            names = term_names(terms, treatment=d.treatment, confounders=d.confounders,
                               baseline=d.baseline, periods=periods)
            if d.binary_treatment:
                beta = irls(X, a, "logit", W).require(
                    f"the treatment model of {d.treatment}[{periods[t]}] ({label})",
                    allow_singular=True).coef[0]
                prob = 1.0 / (1.0 + np.exp(-(beta @ X.T)))
                dens = np.where(a == 1.0, prob, 1.0 - prob)
                if label == "denominator":
                    extreme = extreme + int(
                        np.sum((prob[0] < positivity) | (prob[0] > 1 - positivity))
                    )
                fam = "logistic"
            else:
                fit = wls(X, a, W)
                beta, sigma = fit.coef[0], fit.sigma[0]
                z = (a - beta @ X.T) / sigma[:, None]
                dens = np.exp(-0.5 * z**2) / sigma[:, None]
                fam = "linear-normal density"
            log_sw[:, :, t] += sign * np.log(np.clip(dens, 1e-300, None))
            models.append(ModelInfo(f"{d.treatment}[{periods[t]}] ({label})", fam,
                                    tuple(names[i] for i in keep)))
    return np.exp(np.cumsum(log_sw, axis=2)), tuple(models), extreme


def _msm_design(A: np.ndarray, V: np.ndarray, form: MSMForm) -> np.ndarray:
    cols = [np.ones(A.shape[0])]
    cols.extend(A.T if form is MSMForm.EACH else [A.sum(axis=1)])
    cols.extend(V.T)
    return np.column_stack(cols)


@renamed(unit="site", time="period", nested="patient")
@with_single_thread_blas
def msm(
    data: pd.DataFrame,
    *,
    site: str,
    period: str,
    treatment: str,
    confounders: str | Sequence[str],
    outcome: str,
    strategies: Sequence[str | Strategy] = ("always", "never"),
    baseline: str | Sequence[str] = (),
    weights: Stabilized = Stabilized(),
    form: str | MSMForm = "each",
    history: int | None = None,
    timing: str | Timing = "before",
    outcome_at: str | OutcomeAt = "last",
    patient: str | None = None,
    inference: Bootstrap | int | None = DEFAULT_BOOTSTRAP,
    positivity: float = 0.01,
    alpha: float = 0.05,
    seed: SeedLike = None,
    identification: Any = None,
    columns: Mapping[str, str] | None = None,
) -> StrategyResult:
    """IPW marginal structural model for the end-of-study outcome under static strategies.

    With ``outcome_at="mean"`` one MSM per outcome period is fitted (weights through that period,
    treatment history up to it) and the strategy means are averaged over periods.

    Parameters are as in :func:`facmech.gmethods.gformula`, plus ``weights`` (a
    :class:`Stabilized` with optional truncation), ``form`` (``"each"`` or ``"cumulative"``) and
    ``positivity`` (the probability below which a fitted treatment probability counts as a near
    violation), and ``identification`` (carried with its assumptions). Dynamic strategies are not
    supported (use :func:`gformula`).
    """
    if columns is not None:
        from facmech.gmethods.gformula import _with_columns

        data, site, period, treatment, confounders, outcome, baseline, patient = _with_columns(
            columns, data, site, period, treatment, confounders, outcome, baseline, patient)
    ident = None if identification is None else strategy_identification(
        identification, treatment=treatment, outcome=outcome)
    tim = Timing.parse(timing)
    out_at = OutcomeAt.parse(outcome_at)
    d = prepare(data, site=site, period=period, treatment=treatment, confounders=confounders,
                outcome=outcome, baseline=baseline, patient=patient,
                every_period_outcome=out_at is OutcomeAt.MEAN)
    strats = parse_strategies(strategies)
    support = check_strategies(d, strats)
    dyn = [s.name for s in strats if s.dynamic]
    if dyn:
        raise EstimationError(
            f"the IPW marginal structural model here handles static strategies only (got dynamic "
            f"{dyn}); use gformula(..., method='parametric') for dynamic strategies"
        )
    if not isinstance(weights, Stabilized):
        raise DataError(f"`weights` must be a Stabilized(truncate=...) (got {weights!r})")
    bounds = weights.bounds()
    form = MSMForm.parse(form, argument="form")
    hist = _history(history)
    boot = _inference(inference)
    rng = as_generator(seed)
    W = unit_bootstrap_weights(d.n, boot.draws if boot else 0, rng)
    out_periods = list(range(d.T)) if out_at is OutcomeAt.MEAN else [d.T - 1]

    sw_all, models, extreme = stabilized_weights(d, W, history=hist, timing=tim.value,
                                                 positivity=positivity)
    seqs = []
    for s in strats:
        A_s = np.zeros((1, d.T))
        for t in range(d.T):
            A_s[:, t] = s.assign(t, d.periods, d.L[:1], A_s, d.confounders)
        seqs.append(A_s[0])

    per_period = np.empty((W.shape[0], len(strats), len(out_periods)))
    untrunc = np.empty((1, len(strats), len(out_periods)))
    n_trunc = 0
    for oi, s_t in enumerate(out_periods):
        sw = sw_all[:, :, s_t]
        sw_t = sw
        if bounds is not None:
            lo = _weighted_quantile(sw, W, bounds[0])[:, None]
            hi = _weighted_quantile(sw, W, bounds[1])[:, None]
            sw_t = np.clip(sw, lo, hi)
            if s_t == d.T - 1:
                n_trunc = int(np.sum(sw[0] != sw_t[0]))
        A_hist = d.A[:, : s_t + 1]
        X = _msm_design(A_hist, d.V, form)
        keep = design_keep(X)

        def fit_means(wts: np.ndarray, X=X, keep=keep, s_t=s_t) -> np.ndarray:
            beta = wls(X[:, keep], d.Yt[:, s_t], wts).coef[0]
            Wb = W[: wts.shape[0]]
            out = np.empty((wts.shape[0], len(strats)))
            for i, seq in enumerate(seqs):
                Xs = _msm_design(np.broadcast_to(seq[: s_t + 1], (d.n, s_t + 1)), d.V, form)
                out[:, i] = (Wb * (beta @ Xs[:, keep].T)).sum(axis=1) / Wb.sum(axis=1)
            return out

        per_period[:, :, oi] = fit_means(W * sw_t)
        untrunc[:, :, oi] = fit_means(W[:1] * sw[:1])
        if s_t == d.T - 1:
            s0 = sw_t[0]
            final_keep = keep
    values = per_period.mean(axis=2)
    untrunc_v = untrunc.mean(axis=2)
    warn: list[str] = list(support)
    if extreme:
        msg = (
            f"{extreme} site-period(s) have a fitted treatment probability below {positivity:g} or "
            f"above {1 - positivity:g}: some histories are (nearly) never treated or never untreated"
        )
        warnings.warn(msg, PositivityWarning, stacklevel=2)
        warn.append(msg)
    diag = WeightDiagnostics(
        mean=float(np.mean(s0)),
        minimum=float(np.min(s0)),
        maximum=float(np.max(s0)),
        effective_sample_size=float(s0.sum() ** 2 / np.sum(s0**2)),
        n_truncated=n_trunc,
        truncation_effect=float(
            (values[0, 0] - values[0, 1]) - (untrunc_v[0, 0] - untrunc_v[0, 1])
        ) if len(strats) >= 2 else 0.0,
        near_positivity_violations=extreme,
    )
    msm_names = ["(intercept)"] + (
        [f"{d.treatment}[{t}]" for t in d.periods] if form is MSMForm.EACH
        else [f"sum({d.treatment})"]
    ) + list(d.baseline)
    models = (*models, ModelInfo(f"{d.outcome} (MSM, weighted)", "linear",
                                 tuple(msm_names[i] for i in final_keep)))
    names = [s.name for s in strats]
    means, contrasts = summarize_draws(names, values, alpha=alpha, inference=boot)
    return StrategyResult(
        method="ipw", strategies=means, contrasts=contrasts, models=models, n_sites=d.n,
        n_periods=d.T, draws=boot.draws if boot else 0, alpha=alpha, history=hist,
        warnings=tuple(warn), diagnostics=diag,
        extra=by_period_extra(names, per_period, d, out_at, alpha=alpha, inference=boot),
        identification=ident,
    )

