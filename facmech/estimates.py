"""Point estimates with uncertainty: the one record every facmech estimator returns per effect.

An :class:`Estimate` holds ``estimate``, ``std_error``, ``ci_low``, ``ci_high`` and ``p_value``. It is
what ``to_frame()`` rows and the CLI's JSON ``E`` objects are made of, in mediation, g-methods and
design studies alike.

>>> e = Estimate.from_draws(0.5, [0.4, 0.5, 0.6, 0.55, 0.45], alpha=0.2)
>>> round(e.estimate, 2), e.ci_low < e.estimate < e.ci_high
(0.5, True)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from facmech.errors import EstimationError

__all__ = ["ESTIMATE_COLUMNS", "Estimate", "estimates_frame"]

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
        """Percentile interval, SD of draws as standard error, two-sided p-value from the draws.

        The p-value is twice the smaller tail share of draws beyond ``null`` (bounded below by one draw),
        as R ``mediation`` reports it.
        """
        d = np.asarray(draws, dtype=float)
        d = d[np.isfinite(d)]
        if d.size < 2:
            raise EstimationError("fewer than two finite resampling draws; cannot form an interval")
        lo, hi = np.quantile(d, [alpha / 2, 1 - alpha / 2])
        tail = min(np.mean(d <= null), np.mean(d >= null))
        p = float(min(1.0, max(2 * tail, 1.0 / d.size)))
        return cls(float(point), float(np.std(d, ddof=1)), float(lo), float(hi), p)

    @classmethod
    def from_normal(
        cls, point: float, std_error: float, *, alpha: float = 0.05, df: float | None = None
    ) -> Estimate:
        """Wald interval and p-value (normal, or t with ``df`` degrees of freedom)."""
        if not (math.isfinite(std_error) and std_error >= 0):
            raise EstimationError(f"standard error is not finite and non-negative (got {std_error!r})")
        dist = stats.norm if df is None else stats.t(df)
        q = float(dist.ppf(1 - alpha / 2))
        p = float(2 * dist.sf(abs(point) / std_error)) if std_error > 0 else 0.0
        return cls(float(point), float(std_error), point - q * std_error, point + q * std_error, p)

    def to_dict(self) -> dict[str, float | None]:
        """The five fields as a JSON-ready dict."""
        return {k: (None if v is None else float(v)) for k, v in asdict(self).items()}


def estimates_frame(effects: Mapping[str, Estimate], *, index_name: str = "effect") -> pd.DataFrame:
    """A tidy frame, one row per named estimate, columns :data:`ESTIMATE_COLUMNS`.

    >>> estimates_frame({"total": Estimate(1.0, 0.1, 0.8, 1.2, 0.001)}).columns.tolist()
    ['estimate', 'std_error', 'ci_low', 'ci_high', 'p_value']
    """
    rows = {name: e.to_dict() for name, e in effects.items()}
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(ESTIMATE_COLUMNS))
    frame.index.name = index_name
    return frame.astype(float)
