"""Result objects of the g-methods: per-strategy means, contrasts, intervals and the models used.

>>> from facmech.estimates import Estimate
>>> r = StrategyResult(method="parametric", strategies={"always": Estimate(2.0), "never": Estimate(1.0)},
...                    contrasts={"always - never": Estimate(1.0)}, models=(), n_sites=10,
...                    n_periods=3, draws=0, alpha=0.05, history=None)
>>> r.contrast.estimate
1.0
>>> float(r.to_frame().loc["always - never", "estimate"])
1.0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from facmech._deprecation import deprecated_alias
from facmech.errors import EstimationError
from facmech.estimates import Estimate, estimates_frame
from facmech.estimation.resampling import UnitBootstrap

__all__ = ["ModelInfo", "StrategyResult", "UnitBootstrap", "WeightDiagnostics"]  # UnitBootstrap: deprecated


@dataclass(frozen=True)
class ModelInfo:
    """One fitted model: what it predicts, the family, and its terms (as fitted on the data)."""

    target: str
    family: str
    terms: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.target} ~ {' + '.join(self.terms[1:]) or '1'}  [{self.family}]"


@dataclass(frozen=True)
class WeightDiagnostics:
    """Stabilized-weight diagnostics of an IPW fit.

    ``truncation_effect`` is the main contrast with truncated minus untruncated weights.
    """

    mean: float
    minimum: float
    maximum: float
    effective_sample_size: float
    n_truncated: int
    truncation_effect: float
    near_positivity_violations: int

    def to_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class StrategyResult:
    """Mean outcome under each strategy, contrasts against the reference, and how they were got.

    The reference strategy is the second one given; ``contrasts`` holds every other strategy minus
    it (``contrast`` is the first minus the second).
    """

    method: str
    strategies: Mapping[str, Estimate]
    contrasts: Mapping[str, Estimate]
    models: tuple[ModelInfo, ...]
    n_sites: int
    n_periods: int
    draws: int
    alpha: float
    history: int | None
    warnings: tuple[str, ...] = ()
    diagnostics: WeightDiagnostics | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: the identification of the joint treatment effect the strategies contrast (when given)
    identification: Any = field(default=None, repr=False, compare=False)

    @property
    def assumptions(self) -> tuple[Any, ...]:
        """The identifying assumptions (:attr:`identification`'s; empty without one)."""
        return () if self.identification is None else self.identification.assumptions

    @property
    def n_units(self) -> int:
        """Deprecated name of :attr:`n_sites` (removed in the next release)."""
        return deprecated_alias(self.n_sites, "n_units", "n_sites")

    @property
    def contrast(self) -> Estimate:
        """First strategy minus the second."""
        if not self.contrasts:
            raise EstimationError("only one strategy was estimated; there is no contrast")
        return next(iter(self.contrasts.values()))

    def to_frame(self) -> pd.DataFrame:
        """Strategies then contrasts (index ``quantity``), columns ``estimate, std_error, ci_low,
        ci_high, p_value``; contrasts are named ``"<strategy> - <reference>"``."""
        return estimates_frame({**self.strategies, **self.contrasts}, index_name="quantity")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"strategies": {name: E}, "contrast": E, "method": ..., "warnings": [...]}``."""
        out: dict[str, Any] = {
            "strategies": {k: v.to_dict() for k, v in self.strategies.items()},
            "contrast": self.contrast.to_dict() if self.contrasts else None,
            "contrasts": {k: v.to_dict() for k, v in self.contrasts.items()},
            "method": self.method,
            "warnings": list(self.warnings),
            "n_sites": self.n_sites,
            "n_units": self.n_sites,  # deprecated duplicate of n_sites, for one release
            "n_periods": self.n_periods,
            "draws": self.draws,
            "alpha": self.alpha,
            "history": self.history,
            "models": [str(m) for m in self.models],
        }
        if self.diagnostics is not None:
            out["weights"] = self.diagnostics.to_dict()
        if "outcome_at" in self.extra:
            out["outcome_at"] = self.extra["outcome_at"]
        if "by_period" in self.extra:
            out["by_period"] = {
                str(t): {q: e.to_dict() for q, e in row.items()}
                for t, row in self.extra["by_period"].items()
            }
        return out

    def summary(self) -> str:
        """A plain-text table of the estimates plus the models and any warnings."""
        level = round(100 * (1 - self.alpha))
        target = "mean over periods" if self.extra.get("outcome_at") == "mean" else "last period"
        head = (
            f"g-methods ({self.method}): {self.n_sites} sites x {self.n_periods} periods, "
            f"outcome: {target}, "
            f"history={'all' if self.history is None else self.history}, "
            f"{'bootstrap over sites, ' + str(self.draws) + ' draws' if self.draws else 'no inference'}"
        )
        lines = [head, f"{'':28s}{'estimate':>10s}{'std.err':>10s}  {level}% interval"]
        for name, e in {**self.strategies, **self.contrasts}.items():
            se = "" if e.std_error is None else f"{e.std_error:10.4f}"
            ci = "" if e.ci_low is None else f"  [{e.ci_low:.4f}, {e.ci_high:.4f}]"
            lines.append(f"{name:28s}{e.estimate:10.4f}{se:>10s}{ci}")
        if self.diagnostics is not None:
            d = self.diagnostics
            lines.append(
                f"weights: mean {d.mean:.3f}, range [{d.minimum:.3f}, {d.maximum:.3f}], "
                f"ESS {d.effective_sample_size:.1f}, truncated {d.n_truncated}, "
                f"truncation effect {d.truncation_effect:+.4f}"
            )
        lines.append("models:")
        lines.extend(f"  {m}" for m in self.models)
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return (
            f"<p><b>g-methods ({self.method})</b>, {self.n_sites} sites x {self.n_periods} periods"
            f"</p>{self.to_frame().to_html(float_format=lambda x: f'{x:.4f}')}"
        )

    def plot(self, ax=None):
        """Point-and-interval plot of the strategy means; returns the matplotlib Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 0.6 + 0.5 * len(self.strategies)))
        names = list(self.strategies)
        for i, name in enumerate(names):
            e = self.strategies[name]
            ax.plot([e.estimate], [i], "o", color="C0")
            if e.ci_low is not None:
                ax.plot([e.ci_low, e.ci_high], [i, i], "-", color="C0")
        ax.set_yticks(range(len(names)), names)
        ax.set_xlabel("mean outcome under strategy")
        ax.set_title(f"g-methods ({self.method})")
        return ax
