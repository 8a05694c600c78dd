"""``gformula``: mean outcomes under sustained treatment strategies, by the g-formula.

Use it when the treatment (facilitation) varies over periods and a time-varying confounder
(leadership engagement) both drives later treatment and is driven by earlier treatment. Regression
that adjusts for the confounder blocks part of the effect; regression that ignores it is
confounded. The g-formula standardizes over the confounder history instead.

>>> from facmech.gmethods.simulate import adaptive_dose_data
>>> df, truth = adaptive_dose_data(sites=300, periods=3, seed=1)
>>> res = gformula(df, site="site", period="period", treatment="facilitation",
...                confounders=["leadership_engagement"], outcome="uptake",
...                strategies=["always", "never"], inference=None, seed=1)
>>> abs(res.contrast.estimate - truth["always - never"]) < 0.3
True
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from facmech._choice import Choice
from facmech._deprecation import renamed
from facmech._inference import parse_inference
from facmech._random import SeedLike, as_generator
from facmech._validation import check_alpha
from facmech.errors import DataError, EstimationError, PositivityWarning
from facmech.estimates import Estimate
from facmech.estimation.fit import with_single_thread_blas
from facmech.estimation.resampling import Bootstrap, bootstrap_weights
from facmech.gmethods.confounders import strategy_identification
from facmech.gmethods.data import LongData, prepare
from facmech.gmethods.ice import ice_means, ice_models
from facmech.gmethods.options import OutcomeAt, Timing
from facmech.gmethods.parametric import is_exact, parametric_means, parametric_spec
from facmech.gmethods.results import StrategyResult
from facmech.gmethods.strategies import Strategy, parse_strategies

__all__ = [
    "DEFAULT_BOOTSTRAP",
    "Method",
    "gformula",
    "summarize_draws",
    "unit_bootstrap_weights",
]

#: The default inference: 500 bootstrap draws over sites.
DEFAULT_BOOTSTRAP = Bootstrap(draws=500)


class Method(Choice):
    """g-formula estimators."""

    PARAMETRIC = "parametric"
    ICE = "ice"


def _inference(inference: Bootstrap | int | None) -> Bootstrap | None:
    """The g-methods' ``inference=``: a site bootstrap, a number of draws, or None."""
    return parse_inference(inference, schemes=(Bootstrap,), default=Bootstrap)


def _history(history: int | None) -> int | None:
    if history is None:
        return None
    if not isinstance(history, (int, np.integer)) or isinstance(history, bool) or history < 0:
        raise DataError(f"`history` must be None (all periods) or an integer >= 0 (got {history!r})")
    return int(history)


def unit_bootstrap_weights(n: int, draws: int, rng: np.random.Generator) -> np.ndarray:
    """Row 0: ones (the point estimate); rows 1..draws: the unit bootstrap's frequency weights
    (:func:`facmech.estimation.resampling.bootstrap_weights`, one row per unit, no strata)."""
    W = np.empty((draws + 1, n))
    W[0] = 1.0
    if draws:
        W[1:] = bootstrap_weights(np.arange(n), draws, rng)
    return W


def summarize_draws(
    names: Sequence[str], values: np.ndarray, *, alpha: float, inference: Bootstrap | None
) -> tuple[dict[str, Estimate], dict[str, Estimate]]:
    """Strategy and contrast estimates from (1 + draws, S) values (row 0 is the point)."""
    def est(col: np.ndarray) -> Estimate:
        if not np.all(np.isfinite(col)):
            raise EstimationError("a strategy mean is not finite; check the data and models")
        if inference is None:
            return Estimate(float(col[0]))
        return Estimate.from_draws(float(col[0]), col[1:], alpha=alpha)

    # a p-value for "the mean outcome is 0" does not apply to a strategy mean
    means = {name: replace(est(values[:, i]), p_value=None) for i, name in enumerate(names)}
    contrasts: dict[str, Estimate] = {}
    if len(names) >= 2:
        ref = 1
        for i, name in enumerate(names):
            if i != ref:
                contrasts[f"{name} - {names[ref]}"] = est(values[:, i] - values[:, ref])
    return means, contrasts


def check_strategies(d: LongData, strategies: Sequence[Strategy]) -> list[str]:
    """Validate every strategy against the data; return support warnings (also issued).

    Raises :class:`DataError` for a dose treatment with a binary-only strategy, a strategy naming
    an unknown column, or a static strategy that sets a treatment value in a period where every
    site has one other value (no data support: e.g. "always" in the all-control first period of a
    stepped-wedge trial). Warns (:class:`PositivityWarning`) when a dose strategy's level lies
    outside the doses observed in a period (linear extrapolation).
    """
    notes: list[str] = []
    for s in strategies:
        s.validate(binary=d.binary_treatment, treatment=d.treatment, confounders=d.confounders,
                   observed=d.A)
        if s.dynamic:
            continue
        seq = np.zeros((1, d.T))
        for t in range(d.T):
            seq[:, t] = s.assign(t, d.periods, d.L[:1], seq, d.confounders)
        lo, hi = d.A.min(axis=0), d.A.max(axis=0)
        for t in range(d.T):
            if lo[t] == hi[t] and seq[0, t] != lo[t]:
                raise DataError(
                    f"strategy `{s.name}` sets {d.treatment}={seq[0, t]:g} in period "
                    f"{d.periods[t]}, but every site has {d.treatment}={lo[t]:g} there: the data "
                    f"cannot support it (positivity); use a strategy that follows the design in "
                    f"that period, e.g. 'from:{d.periods[t] + 1}' or a Static sequence"
                )
        outside = [int(d.periods[t]) for t in range(d.T) if not lo[t] <= seq[0, t] <= hi[t]]
        if outside:
            notes.append(
                f"strategy `{s.name}` sets {d.treatment} outside the observed range in period(s) "
                f"{outside}: its mean is a model extrapolation"
            )
    for note in notes:
        warnings.warn(note, PositivityWarning, stacklevel=3)
    return notes


def _with_columns(columns: Mapping[str, str], data: pd.DataFrame, *names: Any) -> tuple:
    """``data`` renamed by ``columns={node: column}`` and the column arguments read as nodes
    (``gformula`` and ``msm`` share the argument order)."""
    from facmech._columns import with_columns

    keys = ("site", "period", "treatment", "confounders", "outcome", "baseline", "patient")
    out, n = with_columns(columns, data, **dict(zip(keys, names, strict=True)))
    return (out, *(n[k] for k in keys))


@renamed(unit="site", time="period", nested="patient")
@with_single_thread_blas
def gformula(
    data: pd.DataFrame,
    *,
    site: str,
    period: str,
    treatment: str,
    confounders: str | Sequence[str],
    outcome: str,
    strategies: Sequence[str | Strategy] = ("always", "never"),
    baseline: str | Sequence[str] = (),
    method: str | Method = "parametric",
    history: int | None = None,
    timing: str | Timing = "before",
    outcome_at: str | OutcomeAt = "last",
    patient: str | None = None,
    inference: Bootstrap | int | None = DEFAULT_BOOTSTRAP,
    monte_carlo: int = 10_000,
    alpha: float = 0.05,
    seed: SeedLike = None,
    identification: Any = None,
    columns: Mapping[str, str] | None = None,
) -> StrategyResult:
    """Mean end-of-study outcome under each treatment strategy, by the g-formula.

    Parameters
    ----------
    data : DataFrame
        Long data, one row per site and period (see :func:`facmech.gmethods.data.prepare`).
    site, period, treatment, outcome : str
        Column names (``site`` and ``period`` were ``unit`` and ``time``, deprecated aliases for
        one release). The outcome is read in each site's last period.
    confounders : str or list of str
        Time-varying confounders measured before treatment in each period (in causal order).
        :func:`facmech.gmethods.time_varying_confounders` reads them off an unrolled map.
    strategies : list of str or Strategy
        At least one; the first two define ``contrast`` (first minus second). See
        :func:`facmech.gmethods.strategies.parse_strategy`.
    baseline : list of str
        Covariates constant within site.
    method : {"parametric", "ice"}
        Monte Carlo g-formula or iterated conditional expectations.
    history : int, optional
        Number of previous periods each model conditions on (default: all).
    timing : {"before", "after"}
        Whether each period's confounders are measured before its treatment (default) or after it
        (then treatment reacts to the previous period's confounders, as in facmech.simulation).
    outcome_at : {"last", "mean"}
        Compare strategies on the last period's outcome, or on the mean over periods of the
        per-period outcome (then ``result.extra["by_period"]`` holds per-period contrasts).
    patient : str, optional
        Patient column (formerly ``nested``); patient rows are averaged to site-period means.
    inference : Bootstrap, int or None
        Bootstrap over sites (all replicates vectorized; an integer is the number of draws);
        ``None`` for the point estimate only. See :mod:`facmech._inference`.
    monte_carlo : int
        Size of the parametric g-formula's simulated population (sites are copied to reach it).
        Not used when all models are linear and strategies static: the means are then propagated
        exactly.
    alpha : float
        1 - confidence level of the percentile intervals.
    seed : int, Generator or None
    identification : Identification, optional
        ``facmech.identify(unrolled_map, [A_t0, A_t1, ...], outcome)``, the identification of the
        joint effect the strategies contrast (checked by
        :func:`facmech.gmethods.confounders.strategy_identification`); the result carries it and
        its assumptions (``result.assumptions``).
    columns : mapping of node to column, optional
        Data columns of map nodes whose column is named otherwise (``{"facilitation": "hours"}``;
        CLI ``--column``); arguments may then name the node or the column, results use the node.

    Returns
    -------
    StrategyResult
    """
    if columns is not None:
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
    meth = Method.parse(method)
    out_periods = list(range(d.T)) if out_at is OutcomeAt.MEAN else [d.T - 1]
    hist = _history(history)
    boot = _inference(inference)
    alpha = check_alpha(alpha)
    if not isinstance(monte_carlo, (int, np.integer)) or monte_carlo < 1:
        raise DataError(f"`monte_carlo` must be a positive integer (got {monte_carlo!r})")
    rng = as_generator(seed)
    W = unit_bootstrap_weights(d.n, boot.draws if boot else 0, rng)
    if meth is Method.PARAMETRIC:
        spec = parametric_spec(d, history=hist, timing=tim.value, outcome_periods=out_periods)
        copies = max(1, math.ceil(monte_carlo / d.n))
        per_period = parametric_means(d, strats, W, spec=spec, copies=copies, rng=rng)
        models = spec.info(d)
        simulation = "exact (linear models, static strategies)" if is_exact(spec, strats) \
            else f"Monte Carlo, {copies * d.n} simulated sites"
    else:
        per_period = ice_means(d, strats, W, history=hist, timing=tim.value,
                               outcome_periods=out_periods)
        models = ice_models(d, history=hist, timing=tim.value, outcome_periods=out_periods)
        simulation = "none (ICE)"
    values = per_period.mean(axis=2)
    notes: list[str] = list(support)
    if any(s.dynamic for s in strats) and meth is Method.ICE:
        notes.append(
            "ICE fits linear outcome regressions; under a threshold (dynamic) strategy the "
            "iterated targets are non-linear in the confounder, so linear ICE is an approximation: "
            "compare with method='parametric'"
        )
    names = [s.name for s in strats]
    means, contrasts = summarize_draws(names, values, alpha=alpha, inference=boot)
    return StrategyResult(
        method=meth.value, strategies=means, contrasts=contrasts, models=models, n_sites=d.n,
        n_periods=d.T, draws=boot.draws if boot else 0, alpha=alpha, history=hist,
        warnings=tuple(notes),
        extra={**by_period_extra(names, per_period, d, out_at, alpha=alpha, inference=boot),
               "simulation": simulation},
        identification=ident,
    )


def by_period_extra(names, per_period, d: LongData, out_at: OutcomeAt, *, alpha, inference):
    """``{"outcome_at": ..., "by_period": {period: {quantity: E}}}`` for per-period outcomes."""
    extra: dict = {"outcome_at": out_at.value}
    if out_at is OutcomeAt.MEAN:
        extra["by_period"] = {}
        for t in range(per_period.shape[2]):
            m, c = summarize_draws(names, per_period[:, :, t], alpha=alpha, inference=inference)
            extra["by_period"][int(d.periods[t])] = {**m, **c}
    return extra

