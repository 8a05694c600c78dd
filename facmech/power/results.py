"""Result records of the analytic power calculations.

Every closed form in :mod:`facmech.power` returns a frozen record: :class:`PowerResult` for a single
effect (parallel or stepped-wedge cluster trial, total effect), and :class:`MediationPowerResult`
for
indirect effects, which carries one :class:`PathPower` per regression path and one
:class:`IndirectPower` per indirect effect (Sobel, joint-significance and Monte Carlo tests).

>>> r = PowerResult(power=0.8, std_error=0.1, effect=0.28, alpha=0.05, df=18.0, method="t")
>>> r.to_dict()["power"]
0.8
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pandas as pd

__all__ = ["IndirectPower", "MediationPowerResult", "PathPower", "PowerResult"]


def _fmt(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


@dataclass(frozen=True)
class PowerResult:
    """Power of a two-sided test of one effect.

    Attributes
    ----------
    power : float
        Probability of rejecting ``H0: effect = 0`` at level ``alpha``.
    std_error : float
        Standard error of the effect estimator used in the calculation (outcome units).
    effect : float
        The effect the power refers to (outcome units, or risk difference).
    alpha : float
        Two-sided type I error rate.
    df : float or None
        Degrees of freedom of the reference t distribution; ``None`` for the normal reference.
    method : str
        Short description of the reference distribution.
    design_effect : float or None
        Variance inflation relative to individual randomization, where the method defines one.
    """

    power: float
    std_error: float
    effect: float
    alpha: float
    df: float | None
    method: str
    design_effect: float | None = None

    @property
    def ncp(self) -> float:
        """Noncentrality ``effect / std_error``."""
        return self.effect / self.std_error

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field plus ``ncp``."""
        return {
            "power": float(self.power),
            "std_error": float(self.std_error),
            "effect": float(self.effect),
            "ncp": float(self.ncp),
            "alpha": float(self.alpha),
            "df": None if self.df is None else float(self.df),
            "method": self.method,
            "design_effect": None if self.design_effect is None else float(self.design_effect),
        }

    def to_frame(self) -> pd.DataFrame:
        """One-row frame of :meth:`to_dict`."""
        return pd.DataFrame([self.to_dict()])

    def summary(self) -> str:
        """Plain-text summary."""
        df = "normal" if self.df is None else f"t, df = {self.df:g}"
        lines = [
            f"power {self.power:.4f} to detect effect {self.effect:g} (alpha {self.alpha:g}, {df})",
            f"standard error {self.std_error:.6g}, ncp {self.ncp:.4f}",
        ]
        if self.design_effect is not None:
            lines.append(f"design effect {self.design_effect:.4f}")
        lines.append(f"method: {self.method}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"


@dataclass(frozen=True)
class PathPower:
    """One regression path of a mediation model: estimate, standard error, df and t-test power."""

    estimate: float
    std_error: float
    df: float
    power: float

    def to_dict(self) -> dict[str, float]:
        """The four fields as floats."""
        return {k: float(getattr(self, k)) for k in ("estimate", "std_error", "df", "power")}


@dataclass(frozen=True)
class IndirectPower:
    """Power for one indirect effect ``x * y`` under the three tests.

    Attributes
    ----------
    estimate : float
        The indirect effect ``x * y``.
    std_error : float
        Sobel (first-order delta) standard error ``sqrt(x^2 se_y^2 + y^2 se_x^2)``.
    sobel : float
        Power of the Sobel z test.
    joint : float
        Power of the joint-significance test (product of the two path powers).
    monte_carlo : float or None
        Power of the Monte Carlo interval test; ``None`` when not computed.
    monte_carlo_se : float or None
        Its Monte Carlo standard error ``sqrt(p (1 - p) / sims)``.
    """

    estimate: float
    std_error: float
    sobel: float
    joint: float
    monte_carlo: float | None = None
    monte_carlo_se: float | None = None

    @property
    def power(self) -> float:
        """Joint-significance power (the test recommended by Kelcey et al. 2017)."""
        return self.joint

    def to_dict(self) -> dict[str, float | None]:
        """All fields; ``None`` for tests not computed."""
        out: dict[str, float | None] = {
            "estimate": float(self.estimate),
            "std_error": float(self.std_error),
            "sobel": float(self.sobel),
            "joint": float(self.joint),
        }
        out["monte_carlo"] = None if self.monte_carlo is None else float(self.monte_carlo)
        out["monte_carlo_se"] = None if self.monte_carlo_se is None else float(self.monte_carlo_se)
        return out


@dataclass(frozen=True)
class MediationPowerResult:
    """Power for the indirect effect(s) of a two-level cluster-randomized mediation design.

    Attributes
    ----------
    design : str
        ``"2-2-1"`` or ``"2-1-1"``.
    paths : Mapping[str, PathPower]
        Per-path estimate, standard error, df and power (``a``, ``b`` for 2-2-1; ``a``, ``b1``,
        ``B`` for 2-1-1).
    indirect : Mapping[str, IndirectPower]
        Per indirect effect (``ab`` for 2-2-1; ``within``, ``contextual``, ``between`` for 2-1-1).
    primary : str
        Key of ``indirect`` that :attr:`power`, :attr:`sobel`, :attr:`joint` and
        :attr:`monte_carlo` report.
    alpha : float
        Two-sided type I error rate.
    """

    design: str
    paths: Mapping[str, PathPower]
    indirect: Mapping[str, IndirectPower]
    primary: str
    alpha: float
    parameters: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "paths", MappingProxyType(dict(self.paths)))
        object.__setattr__(self, "indirect", MappingProxyType(dict(self.indirect)))
        object.__setattr__(self, "parameters", MappingProxyType(dict(self.parameters)))

    @property
    def sobel(self) -> float:
        """Sobel-test power of the primary indirect effect."""
        return self.indirect[self.primary].sobel

    @property
    def joint(self) -> float:
        """Joint-significance power of the primary indirect effect."""
        return self.indirect[self.primary].joint

    @property
    def monte_carlo(self) -> float | None:
        """Monte Carlo interval-test power of the primary indirect effect (``None`` if skipped)."""
        return self.indirect[self.primary].monte_carlo

    @property
    def power(self) -> float:
        """Joint-significance power of the primary indirect effect."""
        return self.joint

    def to_frame(self) -> pd.DataFrame:
        """One row per indirect effect; columns estimate, std_error, sobel, joint, monte_carlo."""
        frame = pd.DataFrame.from_dict(
            {k: v.to_dict() for k, v in self.indirect.items()}, orient="index"
        )
        frame.index.name = "effect"
        return frame

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: design, alpha, power, paths, indirect effects and inputs."""
        return {
            "design": self.design,
            "alpha": float(self.alpha),
            "primary": self.primary,
            "power": float(self.power),
            "paths": {k: v.to_dict() for k, v in self.paths.items()},
            "indirect": {k: v.to_dict() for k, v in self.indirect.items()},
            "parameters": {k: float(v) for k, v in self.parameters.items()},
        }

    def summary(self) -> str:
        """Plain-text table of path and indirect-effect powers."""
        lines = [f"{self.design} mediation power (alpha {self.alpha:g})", "paths:"]
        for k, p in self.paths.items():
            lines.append(
                f"  {k:<11} est {p.estimate:8.4f}  se {p.std_error:.6f}  df {p.df:g}  "
                f"power {p.power:.4f}"
            )
        lines.append("indirect effects (sobel / joint / monte carlo):")
        for k, e in self.indirect.items():
            mark = " *" if k == self.primary else ""
            lines.append(
                f"  {k:<11} est {e.estimate:8.4f}  {_fmt(e.sobel)} / {_fmt(e.joint)} / "
                f"{_fmt(e.monte_carlo)}{mark}"
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"
