r"""Point estimates with uncertainty, and the two ways facmech forms their intervals.

An :class:`Estimate` holds ``estimate``, ``std_error``, ``ci_low``, ``ci_high`` and ``p_value``. It is
what ``to_frame()`` rows and the CLI's JSON ``E`` objects are made of, in mediation, g-methods and
design studies alike. :class:`Intervals` is the same record for a whole array of estimates at once
(the replicates of a design study, the effects of a batched mediation fit); ``Intervals[i]`` is one
:class:`Estimate`.

Every interval in facmech is built here, in one of two ways:

* **Wald** (:func:`wald_intervals`): :math:`\hat\theta \pm q_{1-\alpha/2}\,\widehat{se}` and the
  two-sided p-value :math:`2\,P(|T| > |\hat\theta| / \widehat{se})`, with :math:`q` and :math:`T`
  standard normal, or Student :math:`t` with ``df`` degrees of freedom.
* **From resampling draws** (:func:`draw_intervals`; bootstrap or Monte Carlo): the percentile
  interval (the :math:`\alpha/2` and :math:`1-\alpha/2` quantiles of the draws, numpy's default
  linear interpolation), the standard deviation of the draws as standard error, and the p-value
  :math:`\min\{1, \max(2\min(\hat P(\theta^* \le \theta_0), \hat P(\theta^* \ge \theta_0)), 1/B)\}`
  as R ``mediation`` reports it (Imai, Keele & Tingley 2010). NaN draws (failed refits) are left
  out; an infinite draw (a ratio over a zero total effect) is a value, which makes the standard
  error NaN and the interval possibly infinite: the caller reports such an estimate as undefined.

>>> e = Estimate.from_draws(0.5, [0.4, 0.5, 0.6, 0.55, 0.45], alpha=0.2)
>>> round(e.estimate, 2), e.ci_low < e.estimate < e.ci_high
(0.5, True)
>>> w = wald_intervals(np.array([1.0, -0.1]), np.array([0.4, 0.1]), alpha=0.05)
>>> np.round(w.ci_low, 3).tolist(), w.reject.tolist()
([0.216, -0.296], [True, False])
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from facmech.errors import EstimationError

__all__ = [
    "ESTIMATE_COLUMNS",
    "Estimate",
    "Intervals",
    "draw_intervals",
    "estimates_frame",
    "percentile_interval",
    "wald_intervals",
]

ESTIMATE_COLUMNS = ("estimate", "std_error", "ci_low", "ci_high", "p_value")


@dataclass(frozen=True)
class Estimate:
    """An effect estimate with its standard error, confidence interval and p-value.

    ``p_value`` (and, where no inference was run, ``std_error`` and the interval) may be ``None``:
    "not computed" is explicit, never a silent NaN.
    """

    estimate: float
    std_error: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None

    def __post_init__(self) -> None:
        if self.estimate is None or not math.isfinite(float(self.estimate)):
            raise EstimationError(f"estimate is not finite (got {self.estimate!r})")

    @classmethod
    def from_draws(
        cls,
        point: float,
        draws: Sequence[float] | np.ndarray,
        *,
        alpha: float = 0.05,
        null: float = 0.0,
    ) -> Estimate:
        """Percentile interval, SD of draws as standard error, two-sided p-value from the draws
        (see :func:`draw_intervals`).

        >>> Estimate.from_draws(1.0, np.arange(101) / 50, alpha=0.1).ci_low
        0.1
        """
        d = np.asarray(draws, dtype=float).ravel()
        return draw_intervals(float(point), d, alpha=alpha, null=null)[()]

    @classmethod
    def from_normal(
        cls, point: float, std_error: float, *, alpha: float = 0.05, df: float | None = None
    ) -> Estimate:
        """Wald interval and p-value, normal or ``t`` with ``df`` degrees of freedom
        (see :func:`wald_intervals`).

        >>> round(Estimate.from_normal(1.0, 0.5).ci_high, 4)
        1.98
        """
        if not (math.isfinite(std_error) and std_error >= 0):
            raise EstimationError(f"standard error is not finite and non-negative (got {std_error!r})")
        return wald_intervals(float(point), float(std_error), alpha=alpha, df=df)[()]

    def to_dict(self) -> dict[str, float | None]:
        """The five fields as a JSON-ready dict."""
        return {k: (None if v is None else float(v)) for k, v in asdict(self).items()}


@dataclass(frozen=True, eq=False)
class Intervals:
    """Estimates, standard errors, intervals and p-values as arrays of one shape.

    The array form of :class:`Estimate`, for many estimates at once (replicates, effects); index it
    to get one :class:`Estimate` (``intervals[()]`` for a 0-d batch). ``p_value`` is ``None``
    where none was computed.
    """

    estimate: np.ndarray
    std_error: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_value: np.ndarray | None = None

    @property
    def reject(self) -> np.ndarray:
        """Whether each interval excludes 0 (a two-sided test at level ``alpha``)."""
        return (self.ci_low > 0) | (self.ci_high < 0)

    def columns(self, *, p_value: bool = False) -> dict[str, np.ndarray]:
        """``estimate``, ``std_error``, ``ci_low``, ``ci_high`` (and ``p_value``), ``reject``: the
        per-estimand arrays a design study collects."""
        out = {"estimate": self.estimate, "std_error": self.std_error, "ci_low": self.ci_low,
               "ci_high": self.ci_high}
        if p_value:
            if self.p_value is None:
                raise EstimationError("these intervals have no p-values")
            out["p_value"] = self.p_value
        out["reject"] = self.reject
        return out

    def __getitem__(self, index) -> Estimate:
        values = [None if getattr(self, f) is None else float(np.asarray(getattr(self, f))[index])
                  for f in ESTIMATE_COLUMNS]
        return Estimate(*values)


def wald_intervals(
    estimate: np.ndarray | float,
    std_error: np.ndarray | float,
    *,
    alpha: float = 0.05,
    df: np.ndarray | float | None = None,
) -> Intervals:
    r"""Wald intervals :math:`\hat\theta \pm q\,\widehat{se}` and two-sided p-values, batched.

    Parameters
    ----------
    estimate, std_error : array_like
        Broadcastable arrays; standard errors must be non-negative (a zero one gives p-value 0).
    alpha : float
        Two-sided level: ``1 - alpha`` intervals.
    df : array_like or float, optional
        Degrees of freedom of a Student ``t`` reference (broadcast against the estimates; ``inf``
        is the normal); ``None`` for the standard normal.

    Examples
    --------
    >>> w = wald_intervals(2.0, 1.0, df=10)
    >>> round(float(w.ci_high), 4), round(float(w.p_value), 4)
    (4.2281, 0.0734)
    """
    est = np.asarray(estimate, dtype=float)
    se = np.asarray(std_error, dtype=float)
    if df is None:
        q = stats.norm.ppf(1 - alpha / 2)
        sf = stats.norm.sf
    else:
        dfa = np.asarray(df, dtype=float)
        q = stats.t.ppf(1 - alpha / 2, dfa)

        def sf(x):
            return stats.t.sf(x, dfa)

    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(se > 0, 2 * sf(np.abs(est / se)), 0.0)
    return Intervals(est, se, est - q * se, est + q * se, p)


def percentile_interval(
    draws: np.ndarray, *, alpha: float = 0.05, axis: int = -1
) -> tuple[np.ndarray, np.ndarray]:
    """The ``alpha/2`` and ``1 - alpha/2`` quantiles of ``draws`` over ``axis`` (numpy's linear
    interpolation), NaN draws (failed refits) left out.

    Raises
    ------
    EstimationError
        When an estimate has fewer than two draws that are not NaN.

    Examples
    --------
    >>> lo, hi = percentile_interval(np.array([[0.0, 1.0, 2.0, np.nan]]), alpha=0.5)
    >>> lo.tolist(), hi.tolist()
    ([0.5], [1.5])
    """
    d = np.moveaxis(np.asarray(draws, dtype=float), axis, -1)
    return _percentile(d, ~np.isnan(d), alpha)


def _percentile(d: np.ndarray, observed: np.ndarray, alpha: float
                ) -> tuple[np.ndarray, np.ndarray]:
    if np.any(observed.sum(axis=-1) < 2):
        raise EstimationError("fewer than two usable resampling draws; cannot form an interval")
    probs = [alpha / 2, 1 - alpha / 2]
    with np.errstate(invalid="ignore"):  # infinite draws give infinite (or NaN) quantiles
        if observed.all():
            return tuple(np.quantile(d, probs, axis=-1))
        return tuple(np.nanquantile(d, probs, axis=-1))


def draw_intervals(
    estimate: np.ndarray | float,
    draws: np.ndarray,
    *,
    alpha: float = 0.05,
    axis: int = -1,
    null: float = 0.0,
) -> Intervals:
    """Percentile intervals, draw SDs and draw p-values over ``axis`` of ``draws``, batched.

    Parameters
    ----------
    estimate : array_like
        The point estimates, shaped as ``draws`` without ``axis``.
    draws : ndarray
        Bootstrap or Monte Carlo draws; NaN ones (failed refits) are left out, infinite ones kept
        (the standard error is then NaN).
    alpha : float
        Two-sided level.
    axis : int
        The draws axis.
    null : float
        Value of the two-sided test of the p-value.

    Raises
    ------
    EstimationError
        When an estimate has fewer than two draws that are not NaN.

    Examples
    --------
    >>> d = np.array([[0.1, 0.2, 0.3, 0.4], [-1.0, 1.0, np.nan, 3.0]])
    >>> out = draw_intervals(np.array([0.25, 1.0]), d, alpha=0.5)
    >>> out.ci_low.tolist(), out.p_value.tolist()
    ([0.175, 0.0], [0.25, 0.6666666666666666])
    """
    d = np.moveaxis(np.asarray(draws, dtype=float), axis, -1)
    observed = ~np.isnan(d)
    lo, hi = _percentile(d, observed, alpha)
    n = observed.sum(axis=-1)
    with np.errstate(invalid="ignore"):  # an infinite draw: SD NaN
        se = np.std(d, axis=-1, ddof=1) if observed.all() else np.nanstd(d, axis=-1, ddof=1)
    tail = np.minimum((d <= null).sum(axis=-1), (d >= null).sum(axis=-1)) / n
    p = np.minimum(1.0, np.maximum(2 * tail, 1.0 / n))
    est = np.broadcast_to(np.asarray(estimate, dtype=float), se.shape)
    return Intervals(est, se, lo, hi, p)


def estimates_frame(effects: Mapping[str, Estimate], *, index_name: str = "effect") -> pd.DataFrame:
    """A tidy frame, one row per named estimate, columns :data:`ESTIMATE_COLUMNS`.

    >>> estimates_frame({"total": Estimate(1.0, 0.1, 0.8, 1.2, 0.001)}).columns.tolist()
    ['estimate', 'std_error', 'ci_low', 'ci_high', 'p_value']
    """
    rows = {name: e.to_dict() for name, e in effects.items()}
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(ESTIMATE_COLUMNS))
    frame.index.name = index_name
    return frame.astype(float)
