"""The naive comparator: outcome regression on the treatment history, adjusting (or not) for
the confounder history. With treatment-confounder feedback it is biased either way: adjusting
blocks the part of the effect that runs through the confounder (and can open collider paths), not
adjusting leaves confounding. g-methods exist because of this; we report it side by side.

>>> from facmech.gmethods.simulate import adaptive_dose_data
>>> df, truth = adaptive_dose_data(sites=2000, periods=3, seed=0)
>>> e = naive_regression(df, site="site", period="period", treatment="facilitation",
...                      confounders="leadership_engagement", outcome="uptake", seed=0)
>>> truth["always - never"] - e.estimate > 0.5   # adjusting for engagement misses its share
True
>>> e.contrast, e.constant_periods
('always vs never', ())

In a stepped wedge no site is facilitated in period 0, so that period's coefficient is not
estimable: it is dropped, and the result says which contrast the number then is.

>>> sw = df.assign(facilitation=df.facilitation.where(df.period > 0, 0.0))
>>> e = naive_regression(sw, site="site", period="period", treatment="facilitation",
...                      confounders="leadership_engagement", outcome="uptake", inference=20,
...                      seed=0)
>>> e.contrast, e.constant_periods
('from:1 vs never', (0,))
>>> print(e.note)
`facilitation` is 0 for every site in period 0: its coefficient is not estimable and is left
out, so the estimate is the contrast from:1 vs never (`facilitation` raised by 1 in periods 1, 2
only)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from facmech._deprecation import renamed
from facmech._random import SeedLike, as_generator
from facmech.errors import EstimationError
from facmech.estimates import Estimate
from facmech.estimation.fit import design_keep, with_single_thread_blas, wls
from facmech.estimation.resampling import Bootstrap
from facmech.gmethods.data import _py, prepare
from facmech.gmethods.design import build_design, terms_before
from facmech.gmethods.gformula import DEFAULT_BOOTSTRAP, _inference, unit_bootstrap_weights
from facmech.gmethods.options import OutcomeAt, Timing

__all__ = ["NaiveEstimate", "naive_regression"]


@dataclass(frozen=True)
class NaiveEstimate(Estimate):
    """An :class:`~facmech.estimates.Estimate` that also states the contrast it estimates.

    Attributes
    ----------
    contrast : str
        ``"always[:level] vs never"`` when every period's coefficient is estimable; otherwise the
        contrast the dropped periods leave (``"from:K[:level] vs never"`` when they are the first
        periods and untreated, as in a stepped wedge).
    constant_periods : tuple
        Periods in which every unit had the same treatment: their coefficients are not estimable
        and are left out (the treatment stays at that common value in both arms).
    note : str
        A sentence saying so (empty when nothing was left out).
    """

    contrast: str = "always vs never"
    constant_periods: tuple[Any, ...] = ()
    note: str = ""

    def to_dict(self) -> dict[str, Any]:  # type: ignore[override]
        """The five estimate fields, then ``contrast``, ``constant_periods`` and ``note``."""
        out: dict[str, Any] = Estimate(self.estimate, self.std_error, self.ci_low, self.ci_high,
                                       self.p_value).to_dict()
        out.update(contrast=self.contrast, constant_periods=list(self.constant_periods),
                   note=self.note)
        return out

    def summary(self) -> str:
        """One line with the estimate and interval, then the note (if any)."""
        line = f"naive regression, {self.contrast}: {self.estimate:.4g}"
        if self.ci_low is not None and self.ci_high is not None:
            line += f" ({self.ci_low:.4g}, {self.ci_high:.4g})"
        return line + (f"\n{self.note}" if self.note else "")


def _fmt_periods(labels: Sequence[Any]) -> str:
    return ", ".join(str(_py(p)) for p in labels)


def _contrast(
    treatment: str, periods: np.ndarray, constant: np.ndarray, values: np.ndarray, level: float
) -> tuple[str, str]:
    """The contrast label and the note when the periods flagged in ``constant`` are left out."""
    sfx = "" if level == 1.0 else f":{level:g}"
    if not constant.any():
        return f"always{sfx} vs never", ""
    first = int(np.argmin(constant))  # first period with treatment variation
    varying = periods[~constant]
    if not constant[first:].any() and np.all(values[constant] == 0):
        label = f"from:{_py(periods[first])}{sfx} vs never"
    else:
        label = (f"{level:g} vs 0 in periods {_fmt_periods(varying)} "
                 f"(periods {_fmt_periods(periods[constant])} as observed)")
    vals = np.unique(values[constant])
    held = (f"{_py(vals[0]):g} for every site" if vals.size == 1
            else "the same for every site")
    many = constant.sum() > 1
    note = (f"`{treatment}` is {held} in period{'s' if many else ''} "
            f"{_fmt_periods(periods[constant])}: "
            f"{'their coefficients are' if many else 'its coefficient is'} not estimable and "
            f"{'are' if many else 'is'} left out, so the estimate is the contrast {label} "
            f"(`{treatment}` raised by {level:g} in "
            f"periods {_fmt_periods(varying)} only)")
    return label, note


@renamed(unit="site", time="period", nested="patient", draws="inference")
@with_single_thread_blas
def naive_regression(
    data: pd.DataFrame,
    *,
    site: str,
    period: str,
    treatment: str,
    confounders: str | Sequence[str],
    outcome: str,
    baseline: str | Sequence[str] = (),
    adjust: bool = True,
    level: float = 1.0,
    timing: str | Timing = "before",
    outcome_at: str | OutcomeAt = "last",
    patient: str | None = None,
    inference: Bootstrap | int | None = DEFAULT_BOOTSTRAP,
    alpha: float = 0.05,
    seed: SeedLike = None,
) -> NaiveEstimate:
    """"Always ``level``" minus "never" implied by OLS of the outcome on each period's treatment.

    For the outcome of period ``s``: ``Y_s ~ A_0 + ... + A_s [+ every confounder measured up to
    Y_s] + V``; the contrast is ``level`` times the sum of the treatment coefficients (averaged
    over periods with ``outcome_at="mean"``). Percentile interval from a bootstrap over sites
    (``inference``: a :class:`~facmech.Bootstrap`, a number of draws, or None for
    the point estimate only; formerly ``draws``), all replicates batched.

    Periods in which every unit has the same treatment (the all-control first period of a stepped
    wedge) have no estimable coefficient: they are left out, the treatment staying at its common
    value in both arms, and the result states it (``constant_periods``, ``note``, and ``contrast``,
    e.g. ``"from:1 vs never"``). The g-formula's strategy ``"from:1"`` estimates the same contrast.

    Returns
    -------
    NaiveEstimate
        An :class:`~facmech.estimates.Estimate` with ``contrast``, ``constant_periods`` and ``note``.
    """
    tim = Timing.parse(timing)
    out_at = OutcomeAt.parse(outcome_at)
    d = prepare(data, site=site, period=period, treatment=treatment, confounders=confounders,
                outcome=outcome, baseline=baseline, patient=patient,
                every_period_outcome=out_at is OutcomeAt.MEAN)
    boot = _inference(inference)
    draws = boot.draws if boot else 0
    rng = as_generator(seed)
    W = unit_bootstrap_weights(d.n, draws, rng)
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
        beta = wls(X[:, keep], d.Yt[:, s], W).coef[0]
        pos = [int(np.nonzero(keep == c)[0][0]) for c in a_cols]
        total += level * beta[:, pos].sum(axis=1)
    total /= len(periods)
    est = Estimate.from_draws(float(total[0]), total[1:], alpha=alpha) if boot \
        else Estimate(float(total[0]))
    constant = np.ptp(d.A, axis=0) == 0
    label, note = _contrast(treatment, d.periods, constant, d.A[0], level)
    return NaiveEstimate(est.estimate, est.std_error, est.ci_low, est.ci_high, est.p_value,
                         contrast=label, constant_periods=tuple(_py(p) for p in d.periods[constant]),
                         note=note)

