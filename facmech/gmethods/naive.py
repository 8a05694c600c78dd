"""The naive comparator: one outcome regression on the treatment history, adjusting (or not) for
the confounder history. With treatment-confounder feedback it is biased either way: adjusting
blocks the part of the effect that runs through the confounder (and can open collider paths), not
adjusting leaves confounding. g-methods exist because of this; we report it side by side.

>>> from facmech.gmethods.simulate import adaptive_dose_data
>>> df, truth = adaptive_dose_data(n_units=2000, n_periods=3, seed=0)
>>> e = naive_regression(df, unit="site", time="period", treatment="facilitation",
...                      confounders="leadership_engagement", outcome="uptake")
>>> truth["always - never"] - e.estimate > 0.5   # adjusting for engagement misses its share
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm

from facmech.errors import EstimationError
from facmech.estimates import Estimate
from facmech.gmethods._fit import design_keep
from facmech.gmethods.data import prepare

__all__ = ["naive_regression"]


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
    nested: str | None = None,
    alpha: float = 0.05,
) -> Estimate:
    """Always-minus-never contrast implied by OLS of the outcome on every period's treatment.

    The estimate is the sum of the treatment coefficients (one per period) in
    ``Y ~ A_0 + ... + A_{T-1} [+ L_0 + ... + L_{T-1}] + V``, with an HC1 (heteroskedasticity-
    robust) standard error; rows are units, so this is also robust to clustering by unit.
    """
    d = prepare(data, unit=unit, time=time, treatment=treatment, confounders=confounders,
                outcome=outcome, baseline=baseline, nested=nested)
    cols = [np.ones(d.n), *d.A.T]
    if adjust:
        cols.extend(d.L.reshape(d.n, -1).T)
    cols.extend(d.V.T)
    X = np.column_stack(cols)
    keep = design_keep(X)  # e.g. a confounder fixed in the first period
    if not np.all(np.isin(np.arange(1, 1 + d.T), keep)):
        raise EstimationError("a period's treatment is collinear with the other regressors")
    X = X[:, keep]
    fit = sm.OLS(d.Y, X).fit(cov_type="HC1")
    c = np.zeros(X.shape[1])
    c[1 : 1 + d.T] = 1.0
    est = float(c @ fit.params)
    se = float(np.sqrt(c @ fit.cov_params() @ c))
    return Estimate.from_normal(est, se, alpha=alpha)
