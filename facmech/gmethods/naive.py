"""The naive comparator: outcome regression on the treatment history, adjusting (or not) for
the confounder history. With treatment-confounder feedback it is biased either way: adjusting
blocks the part of the effect that runs through the confounder (and can open collider paths), not
adjusting leaves confounding. g-methods exist because of this; we report it side by side.

>>> from facmech.gmethods.simulate import adaptive_dose_data
>>> df, truth = adaptive_dose_data(n_units=2000, n_periods=3, seed=0)
>>> e = naive_regression(df, unit="site", time="period", treatment="facilitation",
...                      confounders="leadership_engagement", outcome="uptake", seed=0)
>>> truth["always - never"] - e.estimate > 0.5   # adjusting for engagement misses its share
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from facmech._random import SeedLike, as_generator
from facmech.errors import EstimationError
from facmech.estimates import Estimate
from facmech.gmethods._fit import design_keep, with_single_thread_blas, wls
from facmech.gmethods.data import prepare
from facmech.gmethods.design import build_design, terms_before
from facmech.gmethods.options import OutcomeAt, Timing

__all__ = ["naive_regression"]


@with_single_thread_blas
def naive_regression(
    data: pd.DataFrame,
    *,
    unit: str,
    time: str,
    treatment: str,
    confounders: str | Sequence[str],
    outcome: str,
    baseline: str | Sequence[str] = (),
    adjust: bool = True,
    level: float = 1.0,
    timing: str | Timing = "before",
    outcome_at: str | OutcomeAt = "last",
    nested: str | None = None,
    draws: int = 500,
    alpha: float = 0.05,
    seed: SeedLike = None,
) -> Estimate:
    """"Always ``level``" minus "never" implied by OLS of the outcome on each period's treatment.

    For the outcome of period ``s``: ``Y_s ~ A_0 + ... + A_s [+ every confounder measured up to
    Y_s] + V``; the contrast is ``level`` times the sum of the treatment coefficients (averaged
    over periods with ``outcome_at="mean"``). Periods in which every unit has the same treatment
    are skipped (their coefficient is not estimable). Percentile interval from a bootstrap over units
    (``draws`` replicates, batched).
    """
    tim = Timing.parse(timing)
    out_at = OutcomeAt.parse(outcome_at)
    d = prepare(data, unit=unit, time=time, treatment=treatment, confounders=confounders,
                outcome=outcome, baseline=baseline, nested=nested,
                every_period_outcome=out_at is OutcomeAt.MEAN)
    rng = as_generator(seed)
    W = np.ones((draws + 1, d.n))
    W[1:] = rng.multinomial(d.n, np.full(d.n, 1.0 / d.n), size=draws)
    k, p = d.L.shape[2], d.V.shape[1]
    periods = range(d.T) if out_at is OutcomeAt.MEAN else [d.T - 1]
    total = np.zeros(draws + 1)
    for s in periods:
        terms = terms_before("Y", s, 0, k=k, p=p, history=None, timing=tim.value)
        if not adjust:
            terms = [t for t in terms if t[0] != "L"]
        X = build_design(terms, d.V, d.L, d.A)
        keep = design_keep(X)
        # a period where every unit has the same treatment (the all-control first period of a
        # stepped wedge) has no estimable coefficient: it contributes nothing, as in "from:1"
        a_cols = [i for i, t in enumerate(terms, start=1) if t[0] == "A" and np.ptp(d.A[:, t[1]]) > 0]
        if not set(a_cols) <= set(keep.tolist()):
            raise EstimationError(
                f"`{treatment}` is constant or collinear in some period up to {d.periods[s]}; "
                f"the naive regression cannot separate its coefficients"
            )
        beta, _ = wls(X[:, keep], d.Yt[:, s], W)
        pos = [int(np.nonzero(keep == c)[0][0]) for c in a_cols]
        total += level * beta[:, pos].sum(axis=1)
    total /= len(periods)
    return Estimate.from_draws(float(total[0]), total[1:], alpha=alpha)

