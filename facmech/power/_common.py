"""Shared pieces of the closed forms: two-sided power of t/z tests and argument checks."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from facmech.errors import DesignError

__all__ = [
    "check_alpha",
    "check_count",
    "check_fraction",
    "check_icc",
    "check_real",
    "two_sided_power",
]


def two_sided_power(effect: float, std_error: float, *, df: float | None, alpha: float) -> float:
    r"""Power of the two-sided level-``alpha`` test of ``effect / std_error``.

    With ``df`` the statistic is noncentral t with noncentrality :math:`\lambda = \text{effect}/se`:
    :math:`1 - F_{t,df,\lambda}(t_{1-\alpha/2}) + F_{t,df,\lambda}(-t_{1-\alpha/2})` (PowerUpR's
    ``.power.fun``); with ``df=None`` the normal version
    :math:`\Phi(|\lambda| - z_{1-\alpha/2}) + \Phi(-|\lambda| - z_{1-\alpha/2})` (Hussey & Hughes
    2007).

    >>> round(two_sided_power(1.96, 1.0, df=None, alpha=0.05), 3)
    0.5
    """
    lam = effect / std_error
    if df is None:
        z = stats.norm.ppf(1 - alpha / 2)
        return float(stats.norm.cdf(abs(lam) - z) + stats.norm.cdf(-abs(lam) - z))
    crit = stats.t.ppf(1 - alpha / 2, df)
    return float(stats.nct.sf(crit, df, lam) + stats.nct.cdf(-crit, df, lam))


def check_count(name: str, value: object, *, minimum: int = 1) -> int:
    """An integer >= ``minimum`` (bools and non-integral floats refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        else:
            raise DesignError(f"`{name}` must be an integer >= {minimum} (got {value!r})")
    if value < minimum:
        raise DesignError(f"`{name}` must be an integer >= {minimum} (got {value})")
    return int(value)


def check_real(name: str, value: object, *, positive: bool = False) -> float:
    """A finite real number (strictly positive if asked)."""
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DesignError(f"`{name}` must be a finite number (got {value!r})") from None
    if not math.isfinite(out):
        raise DesignError(f"`{name}` must be a finite number (got {value!r})")
    if positive and out <= 0:
        raise DesignError(f"`{name}` must be > 0 (got {out:g})")
    return out


def check_icc(value: object, *, name: str = "icc") -> float:
    """An intraclass correlation in [0, 1)."""
    out = check_real(name, value)
    if not 0 <= out < 1:
        raise DesignError(f"`{name}` must be in [0, 1) (got {out:g})")
    return out


def check_fraction(name: str, value: object, *, closed_low: bool = True) -> float:
    """A proportion in [0, 1) (or (0, 1) when ``closed_low`` is False)."""
    out = check_real(name, value)
    ok = (0 <= out < 1) if closed_low else (0 < out < 1)
    if not ok:
        interval = "[0, 1)" if closed_low else "(0, 1)"
        raise DesignError(f"`{name}` must be in {interval} (got {out:g})")
    return out


def check_alpha(value: object) -> float:
    """A significance level in (0, 1)."""
    return check_fraction("alpha", value, closed_low=False)
