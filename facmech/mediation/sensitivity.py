"""Sensitivity of mediation effects to unmeasured confounding.

**Rho analysis** (Imai, Keele & Yamamoto 2010, Stat Sci 25:51, Theorem 2; R ``medsens``). Sequential
ignorability fails when the errors of the mediator model
(:math:`M = \\alpha_2 + \\beta_2 T + \\xi_2 X + \\varepsilon_2`) and the outcome model
(:math:`Y = \\alpha_3 + \\beta_3 T + \\gamma M + \\xi_3 X + \\varepsilon_3`) are correlated,
:math:`\\rho = \\mathrm{corr}(\\varepsilon_2, \\varepsilon_3) \\ne 0`. For linear models without
interaction the indirect effect is

.. math:: \\bar\\delta(\\rho) = \\frac{\\beta_2 \\sigma_1}{\\sigma_2}\\Big\\{\\tilde\\rho - \\rho
   \\sqrt{(1 - \\tilde\\rho^2)/(1 - \\rho^2)}\\Big\\},

with :math:`\\sigma_1` the residual SD of the total-effect regression of :math:`Y` on
:math:`(T, X)`, :math:`\\sigma_2` that of the mediator model and :math:`\\tilde\\rho` the
correlation of their residuals. It is zero at :math:`\\rho = \\tilde\\rho`; the equivalent
:math:`R^{*2}_M R^{*2}_Y = \\rho^2` and :math:`\\tilde R^2_M \\tilde R^2_Y = \\rho^2 (1 - R^2_M)(1 -
R^2_Y)` are reported too. Covariates and period effects are partialled out as in the fitted
models.

**E-values** (VanderWeele & Ding 2017, Ann Intern Med 167:268): the minimum strength of association
(risk-ratio scale) an unmeasured confounder would need with both treatment and outcome to explain
away an effect, :math:`E = RR + \\sqrt{RR (RR - 1)}` for :math:`RR \\ge 1` (use :math:`1/RR`
below 1),
and for the confidence limit closest to the null (1 if the interval crosses it). Binary outcomes use
the risk ratios of the total, direct and indirect effects (mediational E-values, Smith & VanderWeele
2019); Gaussian outcomes the approximation :math:`RR \\approx \\exp(0.91 d)` with
:math:`d` = effect / SD of the outcome.

>>> round(e_value(3.9), 2), round(e_value(1.8), 2)   # VanderWeele & Ding (2017), worked example
(7.26, 3.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from facmech.errors import EstimationError

if TYPE_CHECKING:  # pragma: no cover
    from facmech.mediation.results import MediationResult

__all__ = ["RhoSensitivity", "e_value", "e_values", "rho_sensitivity"]


def e_value(rr: float) -> float:
    """E-value of a risk ratio (VanderWeele & Ding 2017): :math:`RR + \\sqrt{RR(RR-1)}`.

    >>> e_value(1.0), round(e_value(0.5), 3)
    (1.0, 3.414)
    """
    if not (math.isfinite(rr) and rr > 0):
        raise EstimationError(f"risk ratio must be positive and finite (got {rr!r})")
    rr = 1 / rr if rr < 1 else rr
    return rr + math.sqrt(rr * (rr - 1))


def _ci_e_value(lo: float | None, hi: float | None) -> float | None:
    if lo is None or hi is None:
        return None
    if lo <= 1 <= hi:
        return 1.0
    return e_value(lo if lo > 1 else hi)


def e_values(result: MediationResult) -> pd.DataFrame:
    """E-values for the total, direct and indirect effects of a mediation result.

    Returns a frame indexed by effect with columns ``rr`` (risk ratio used), ``rr_ci_low``,
    ``rr_ci_high``, ``e_value`` (point) and ``e_value_ci`` (confidence limit closest to the null).
    """
    rows = {}
    if result.risk_ratios:
        for name in ("total", "nde", "nie"):
            est = result.risk_ratios[name]
            rows[name] = (est.estimate, est.ci_low, est.ci_high)
    else:
        if result.data is None:
            raise EstimationError("the result carries no data; E-values need the outcome's SD")
        sd = float(np.std(result.data.outcome, ddof=1))
        for name in ("total", "nde", "nie"):
            est = result.effects[name]
            rows[name] = tuple(
                None if v is None else math.exp(0.91 * v / sd)
                for v in (est.estimate, est.ci_low, est.ci_high)
            )
    out = {
        name: {"rr": rr, "rr_ci_low": lo, "rr_ci_high": hi, "e_value": e_value(rr),
               "e_value_ci": _ci_e_value(lo, hi)}
        for name, (rr, lo, hi) in rows.items()
    }
    frame = pd.DataFrame.from_dict(out, orient="index").astype(float)
    frame.index.name = "effect"
    return frame


@dataclass(frozen=True, eq=False)
class RhoSensitivity:
    """Indirect effect as a function of the mediator-outcome error correlation ``rho``.

    Attributes
    ----------
    rho : ndarray
        Grid of correlations.
    nie : ndarray
        :math:`\\bar\\delta(\\rho)` on the grid.
    rho_at_zero : float
        The correlation at which the indirect effect is zero (:math:`\\tilde\\rho`).
    r2_star_product, r2_tilde_product : float
        :math:`R^{*2}_M R^{*2}_Y` and :math:`\\tilde R^2_M \\tilde R^2_Y` at that correlation.
    """

    rho: np.ndarray
    nie: np.ndarray
    rho_at_zero: float
    r2_star_product: float
    r2_tilde_product: float
    mediator: str
    params: tuple[float, float, float, float] = field(default=(0.0, 1.0, 1.0, 0.0), repr=False)

    def at(self, rho: float) -> float:
        """The indirect effect at one ``rho``."""
        return float(_curve(self.params, np.array([rho]))[0])

    def to_frame(self) -> pd.DataFrame:
        """Columns ``rho`` and ``nie``."""
        return pd.DataFrame({"rho": self.rho, "nie": self.nie})

    def summary(self) -> str:
        return (
            f"Sensitivity of the indirect effect via {self.mediator} to mediator-outcome "
            f"confounding (Imai, Keele & Yamamoto 2010):\n  nie = 0 at rho = {self.rho_at_zero:.4f}"
            f"; R*2_M R*2_Y = {self.r2_star_product:.4f}; R~2_M R~2_Y = "
            f"{self.r2_tilde_product:.4f}"
        )

    def plot(self, *, ax: Any = None) -> Any:
        """The curve ``nie(rho)`` with the zero line; returns the Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3.5))
        ax.plot(self.rho, self.nie, color="C0")
        ax.axhline(0, color="grey", lw=0.8)
        ax.axvline(self.rho_at_zero, color="C3", ls="--", lw=0.8)
        ax.set_xlabel("sensitivity parameter rho")
        ax.set_ylabel("natural indirect effect")
        ax.set_title(f"Sensitivity of the effect via {self.mediator}")
        return ax


def _curve(params: tuple[float, float, float, float], rho: np.ndarray) -> np.ndarray:
    beta2, s1, s2, rt = params
    return beta2 * s1 / s2 * (rt - rho * np.sqrt((1 - rt**2) / (1 - rho**2)))


def _resid(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    return y - X @ coef


def rho_sensitivity(
    result: MediationResult, *, rho: Any = None, mediator: str | None = None
) -> RhoSensitivity:
    """Imai-Keele-Yamamoto sensitivity analysis of a single-mediator, linear analysis.

    Parameters
    ----------
    result : MediationResult
        From :func:`facmech.mediation.mediate` with a Gaussian outcome, one mediator and no
        interaction (the settings of Theorem 2 of Imai, Keele & Yamamoto 2010).
    rho : array-like, optional
        Grid (default: -0.9 to 0.9 by 0.01).
    mediator : str, optional
        Must be the single mediator (kept for forward compatibility).
    """
    mfam = str(result.mediator_family)
    if (result.outcome_family != "gaussian" or mfam != "gaussian" or result.interaction
            or len(result.mediators) != 1):
        raise EstimationError(
            "rho sensitivity analysis is implemented for one Gaussian mediator, a Gaussian outcome "
            "and no treatment-mediator interaction (Imai, Keele & Yamamoto 2010, Theorem 2); got "
            f"{len(result.mediators)} mediator(s), mediator {mfam!r}, outcome "
            f"{result.outcome_family!r}, interaction={result.interaction}"
        )
    if mediator is not None and mediator != result.mediators[0]:
        raise EstimationError(
            f"`mediator` {mediator!r} is not the analysed mediator {result.mediators[0]!r}"
        )
    data = result.data
    if data is None:
        raise EstimationError("the result carries no data for the sensitivity analysis")
    if data.exposure is not None:
        raise EstimationError(
            "rho sensitivity analysis is implemented for the constant-effect model; this result "
            "uses `effect_model=\"exposure_time\"`"
        )
    n = data.outcome.size
    X = np.column_stack([np.ones(n), data.treatment, data.covariates])
    m = data.mediators[:, 0]
    e1, e2 = _resid(X, data.outcome), _resid(X, m)
    beta2 = float(np.linalg.lstsq(X, m, rcond=None)[0][1])
    s1, s2 = float(np.std(e1)), float(np.std(e2))
    rt = float(np.corrcoef(e1, e2)[0, 1])
    Xy = np.column_stack([X, m])
    e3 = _resid(Xy, data.outcome)
    r2_m = 1 - np.var(e2) / np.var(m)
    r2_y = 1 - np.var(e3) / np.var(data.outcome)
    grid = np.round(np.arange(-0.9, 0.9001, 0.01), 10) if rho is None else np.asarray(rho, float)
    if np.any(np.abs(grid) >= 1):
        raise EstimationError("`rho` values must lie strictly between -1 and 1")
    params = (beta2, s1, s2, rt)
    out = RhoSensitivity(
        rho=grid, nie=_curve(params, grid), rho_at_zero=rt, r2_star_product=rt**2,
        r2_tilde_product=float(rt**2 * (1 - r2_m) * (1 - r2_y)), mediator=result.mediators[0],
        params=params,
    )
    return out
