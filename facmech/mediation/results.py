"""The result of a mediation analysis: a frozen record of effects, assumptions and provenance."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pandas as pd

from facmech._deprecation import deprecated_alias
from facmech.estimates import Estimate, estimates_frame
from facmech.identification.assumptions import Assumption, AssumptionKind, as_assumptions
from facmech.mediation.keys import EffectKey
from facmech.mediation.spec import EffectModel, Family, TreatmentLevel

if TYPE_CHECKING:  # pragma: no cover
    from facmech.identification import Identification
    from facmech.mediation.data import MediationData

__all__ = ["MediationResult"]

@dataclass(frozen=True, eq=False)
class MediationResult:
    """Effects of one mediation analysis with their inference and the assumptions used.

    Attributes
    ----------
    effects : Mapping[EffectKey, Estimate]
        ``total``, ``nde``, ``nie`` (averages over control and treated versions), ``nde_control``,
        ``nde_treated``, ``nie_control``, ``nie_treated``, ``prop_mediated``; with several mediators
        ``via:<mediator>`` (through that mediator, not through earlier ones; they sum to ``nie``)
        and, for linear models without interaction, ``path:<A>><M...>><Y>`` path-specific effects.
        Keys are :class:`~facmech.mediation.keys.EffectKey` records (kind, mediators, arm,
        exposure time) that are also these names: look effects up by name
        (``res["via:trust"]``) or by key.
    risk_ratios : Mapping[EffectKey, Estimate]
        Binary outcomes: ``total``, ``nde`` (mediators at control), ``nie`` (outcome at treated) on
        the risk-ratio scale (``total = nde * nie``); empty for Gaussian outcomes.
    scale : str
        ``"mean difference"`` or ``"risk difference"``.
    method : str
        Models and inference used.
    assumptions : tuple of Assumption
        What the estimates rest on, as data (:mod:`facmech.identification.assumptions`): the
        identifying assumptions of :attr:`identification`, then the statistical-model ones
        (strings given here become assumptions of kind ``model``).
    warnings : tuple of str
    n_sites : int or None
        Number of sites (None without a ``site`` column); ``site``, ``period`` the columns used.
    mediator_family : Family
    treatment_level : TreatmentLevel
    effect_model : EffectModel
        The settings the analysis ran with.
    inference : MonteCarlo, Bootstrap or None
        The inference scheme used.
    data : MediationData or None
        The validated numeric arrays of the analysed rows (read by the sensitivity analyses and
        refuters; a copy, never the caller's frame).
    identification : Identification or None
        The identification record the analysis consumed (``effect="mediation"``: its covariate
        set, mediators and assumptions), in the supplied map or in the DAG the call implies.
    """

    effects: Mapping[EffectKey, Estimate]
    risk_ratios: Mapping[EffectKey, Estimate]
    treatment: str
    mediators: tuple[str, ...]
    outcome: str
    covariates: tuple[str, ...]
    outcome_family: str
    interaction: bool
    alpha: float
    n_obs: int
    n_sites: int | None
    method: str
    scale: str
    assumptions: tuple[Assumption, ...]
    warnings: tuple[str, ...] = ()
    site: str | None = None
    period: str | None = None
    models: Mapping[str, Any] = field(default_factory=dict, repr=False)
    mediator_family: Family = Family.GAUSSIAN
    treatment_level: TreatmentLevel = TreatmentLevel.PATIENT
    effect_model: EffectModel = EffectModel.CONSTANT
    inference: Any = field(default=None, repr=False)
    data: MediationData | None = field(default=None, repr=False)
    identification: Identification | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "effects", MappingProxyType(dict(self.effects)))
        object.__setattr__(self, "risk_ratios", MappingProxyType(dict(self.risk_ratios)))
        object.__setattr__(self, "assumptions",
                           as_assumptions(self.assumptions, kind=AssumptionKind.MODEL))

    @property
    def n_clusters(self) -> int | None:
        """Deprecated name of :attr:`n_sites` (removed in the next release)."""
        return deprecated_alias(self.n_sites, "n_clusters", "n_sites")

    @property
    def cluster(self) -> str | None:
        """Deprecated name of :attr:`site` (removed in the next release)."""
        return deprecated_alias(self.site, "cluster", "site")

    @property
    def time(self) -> str | None:
        """Deprecated name of :attr:`period` (removed in the next release)."""
        return deprecated_alias(self.period, "time", "period")

    def __getitem__(self, name: str | EffectKey) -> Estimate:
        return self.effects[name]

    def cov_params(self) -> pd.DataFrame:
        """Joint covariance of the coefficients of every model in :attr:`models`, a DataFrame
        labelled by (model, term); see
        :meth:`facmech.mediation.statsmodels_models.ModelSet.cov_params`."""
        return self.models.cov_params()  # type: ignore[attr-defined]

    def test_interaction(self, *, draws: int = 1000, seed: Any = None) -> Estimate:
        """Test of ACME(treated) - ACME(control) (``nie_treated - nie_control``) when the outcome
        model has a treatment-by-mediator interaction, as R ``mediation::test.TMint``: Monte
        Carlo interval and p-value from :meth:`cov_params` draws."""
        from facmech._validation import check_int

        draws = check_int(draws, argument="draws", minimum=2)
        return self.models.test_interaction(  # type: ignore[attr-defined]
            draws=draws, alpha=self.alpha, seed=seed
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per effect, indexed by its name; columns ``estimate, std_error, ci_low,
        ci_high, p_value``."""
        return estimates_frame({str(k): v for k, v in self.effects.items()})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``effects`` (name -> five fields), ``n_obs``, ``n_sites``,
        ``method``, ``assumptions``, ``warnings`` (the CLI's ``--json`` shape)."""
        return {
            "effects": {str(k): v.to_dict() for k, v in self.effects.items()},
            "n_obs": int(self.n_obs),
            "n_sites": None if self.n_sites is None else int(self.n_sites),
            # deprecated duplicate of n_sites, kept in the JSON for one release
            "n_clusters": None if self.n_sites is None else int(self.n_sites),
            "method": self.method,
            "assumptions": [a.text for a in self.assumptions],
            "warnings": list(self.warnings),
        }

    def summary(self) -> str:
        """A plain-text table of the effects with the method and assumptions."""
        frame = self.to_frame()
        level = round(100 * (1 - self.alpha))
        lines = [
            f"Mediation of {self.treatment} -> {self.outcome} via {', '.join(self.mediators)}",
            f"{self.n_obs} observations"
            + (f" in {self.n_sites} sites" if self.n_sites is not None else "")
            + f"; outcome {self.outcome_family}; effects on the {self.scale} scale",
            f"method: {self.method}",
            "",
            f"{'effect':<34}{'estimate':>10}{'std.err':>10}{f'{level}% CI':>22}{'p':>8}",
        ]
        for name, row in frame.iterrows():
            ci = (
                f"[{row.ci_low:.4f}, {row.ci_high:.4f}]" if pd.notna(row.ci_low)
                else "(no inference)"
            )
            se = f"{row.std_error:.4f}" if pd.notna(row.std_error) else ""
            p = f"{row.p_value:.3g}" if pd.notna(row.p_value) else ""
            lines.append(f"{name:<34}{row.estimate:>10.4f}{se:>10}{ci:>22}{p:>8}")
        lines += ["", "assumptions:"] + [f"  - {a.text}" for a in self.assumptions]
        if self.warnings:
            lines += ["warnings:"] + [f"  - {w}" for w in self.warnings]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        table = self.to_frame().to_html(float_format=lambda v: f"{v:.4f}", na_rep="")
        items = "".join(f"<li>{html.escape(a.text)}</li>" for a in self.assumptions)
        warn = "".join(f"<li>{html.escape(w)}</li>" for w in self.warnings)
        head = html.escape(
            f"Mediation of {self.treatment} -> {self.outcome} via {', '.join(self.mediators)}"
        )
        return (
            f"<div><strong>{head}</strong><p>{html.escape(self.method)}; {self.n_obs} "
            f"observations; {html.escape(self.scale)}</p>{table}"
            f"<p>Assumptions:</p><ul>{items}</ul>"
            + (f"<p>Warnings:</p><ul>{warn}</ul>" if warn else "")
            + "</div>"
        )

    def plot(self, *, ax: Any = None, include: tuple[str, ...] | None = None) -> Any:
        """Effect-decomposition figure: the total effect, its direct part and each indirect part
        (``via:`` effects with several mediators) as points with intervals. Returns the Axes."""
        from facmech.mediation.plotting import plot_decomposition

        return plot_decomposition(self, ax=ax, include=include)

    def sensitivity(self, *, rho: Any = None, mediator: str | None = None) -> Any:
        """Imai-Keele-Yamamoto sensitivity of the indirect effect to mediator-outcome confounding;
        see :func:`facmech.mediation.sensitivity.rho_sensitivity`."""
        from facmech.mediation.sensitivity import rho_sensitivity

        return rho_sensitivity(self, rho=rho, mediator=mediator)

    def e_values(self) -> pd.DataFrame:
        """E-values (VanderWeele & Ding 2017) for the total and indirect effects; see
        :func:`facmech.mediation.sensitivity.e_values`."""
        from facmech.mediation.sensitivity import e_values

        return e_values(self)

    def refute(self, *, methods: tuple[str, ...] | None = None, simulations: int = 20,
               seed: Any = None) -> Any:
        """DoWhy refuters (placebo treatment, random common cause, data subset); see
        :func:`facmech.mediation.refute.refute`."""
        from facmech.mediation.refute import refute

        return refute(self, methods=methods, simulations=simulations, seed=seed)
