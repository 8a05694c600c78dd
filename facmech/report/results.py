"""The estimation part of an analysis plan: which estimator, and (with data) its results.

:class:`EstimationPlan` derives the recommended analysis from the map, the path and the design:
ordered-mediator mediation (:func:`facmech.mediation.mediate`) on the measured mechanisms of the
path with site-clustered inference (period fixed effects in a stepped wedge, a small-sample
correction below 20 sites), the path-specific effect under the linear no-interaction model, and, when
the map has a feedback loop into the strategy (lagged arrows into the treatment), the g-formula
for sustained strategies (:func:`facmech.gmethods.gformula`). :func:`results_section` runs the
mediation analysis on data, with its sensitivity analysis and the tests of the map's implications.

>>> from facmech.mechanism_map import load_map
>>> p = estimation_plan(load_map(), ("facilitation", "champions", "normalization", "uptake"),
...                     design="stepped-wedge", cluster="site", time="period")
>>> p.mediators, p.confounders
(('champions', 'normalization'), ('leadership_engagement',))
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from facmech._random import SeedLike
from facmech.design.model import TrialDesign
from facmech.errors import DataError, FacmechError, NotIdentifiedError
from facmech.mechanism_map import MechanismMap
from facmech.report.document import (
    Bullets,
    Callout,
    CalloutKind,
    Code,
    Paragraph,
    Section,
    Table,
)
from facmech.report.inputs import missing_columns

__all__ = ["EstimationPlan", "estimation_plan", "results_section"]


@dataclass(frozen=True)
class EstimationPlan:
    """The recommended analysis for one path (see the module docstring)."""

    treatment: str
    outcome: str
    path: tuple[str, ...]
    mediators: tuple[str, ...]
    latent_mediators: tuple[str, ...]
    covariates: tuple[str, ...]
    confounders: tuple[str, ...]
    design: TrialDesign
    cluster: str
    time: str | None
    exposure: str | None = None
    identified: bool = True

    @property
    def assignment(self) -> str:
        """The data column of the randomized assignment."""
        return self.exposure or self.treatment

    def paragraphs(self) -> list[str]:
        """The recommendation in words."""
        meds = ", ".join(f"`{m}`" for m in self.mediators) or "(none measured)"
        out = [
            f"**Mediation with ordered mediators.** Model each measured mechanism on the path "
            f"({meds}, in causal order) on the randomized assignment `{self.assignment}`, the earlier "
            f"mechanisms and the covariates, and the outcome `{self.outcome}` on all of them "
            f"(`facmech.mediate`). Report the total, natural direct and indirect effects, the "
            f"effect via each mechanism, and the path-specific effect "
            f"`path:{'>'.join((self.assignment, *self.mediators, self.outcome))}` (identified under "
            f"the linear model without treatment-mechanism interaction).",
            f"**Inference clustered by site** (`{self.cluster}`): Monte Carlo draws from a "
            f"site-clustered covariance, with the CR2 small-sample correction and t reference below "
            f"20 sites; never treat patients of one site as independent.",
        ]
        if self.design is TrialDesign.STEPPED_WEDGE:
            out.append(
                f"**Stepped wedge.** Include period fixed effects (`{self.time}`) in every model, so "
                f"that secular trends are not confounded with the rollout.")
        if self.latent_mediators:
            out.append(
                "Mechanisms on the path the map marks as unmeasured ("
                + ", ".join(f"`{m}`" for m in self.latent_mediators)
                + ") are absorbed into the links around them: the chain estimated is the path "
                "through the measured mechanisms.")
        if self.confounders:
            conf = ", ".join(f"`{c}`" for c in self.confounders)
            out.append(
                f"**Adaptive dose (time-varying confounding).** In the map, {conf} feeds back into "
                f"the next period's `{self.treatment}`: a confounder of later dose that earlier dose "
                f"affects. For the effect of sustained dose strategies use the g-formula "
                f"(`facmech.gformula`, unit `{self.cluster}`, time `{self.time or 'period'}`, "
                f"confounders {conf}); adjusting for {conf} in a regression is biased.")
        return out

    def code(self) -> str:
        """A Python snippet running the recommended analyses."""
        lines = [
            "import facmech",
            "res = facmech.mediate(",
            f"    data, treatment={self.assignment!r}, mediators={list(self.mediators)!r},",
            f"    outcome={self.outcome!r}, covariates={list(self.covariates)!r},",
            f"    cluster={self.cluster!r}, time={self.time!r}, seed=1)",
            "print(res.summary())",
        ]
        if self.confounders:
            lines += [
                "g = facmech.gformula(",
                f"    site_periods, unit={self.cluster!r}, time={(self.time or 'period')!r}, "
                f"treatment={self.treatment!r},",
                f"    confounders={list(self.confounders)!r}, outcome={self.outcome!r},",
                "    strategies=['always', 'never'], seed=1)",
                "print(g.summary())",
            ]
        return "\n".join(lines)

    def command(self, *, map_arg: Any, sites: Sequence[int], data: Any, cluster: str | None,
                time: str | None) -> str:
        """The ``facmech plan`` command line that rebuilds the report."""
        parts = ["facmech plan", f"--treatment {self.treatment}", f"--outcome {self.outcome}",
                 f"--path {','.join(self.path)}", f"--design {self.design.value}",
                 f"--sites {','.join(map(str, sites))}"]
        if isinstance(map_arg, (str, os.PathLike)) and str(map_arg) != "facilitation":
            parts.insert(1, f"--map {map_arg}")
        if data is not None:
            parts += [f"--data {data}", f"--cluster {cluster}"]
            if time:
                parts.append(f"--time {time}")
            if self.exposure:
                parts.append(f"--exposure {self.exposure}")
        parts.append("--out report.html")
        return " \\\n    ".join(parts)

    def section(self) -> Section:
        """The "Recommended estimator" section."""
        blocks: list = [Paragraph(p) for p in self.paragraphs()]
        if not self.identified:
            blocks.insert(0, Callout(
                "The path is not identified nonparametrically from the measured nodes; the "
                "estimator below relies on the linear structural model (see Identification) "
                "or on the measurements the plan adds.", CalloutKind.WARN, "Caution."))
        blocks += [Paragraph("In Python:"), Code(self.code())]
        return Section("estimator", "Recommended estimator", tuple(blocks))


def estimation_plan(
    mmap: MechanismMap,
    path: Sequence[str],
    *,
    design: TrialDesign | str,
    cluster: str = "site",
    time: str | None = None,
    adjustment: Sequence[str] = (),
    path_id: Any = None,
    exposure: str | None = None,
) -> EstimationPlan:
    """Derive the recommended analysis of ``path`` in ``mmap`` for a trial ``design``."""
    chain = tuple(path)
    treatment, outcome = chain[0], chain[-1]
    inner = chain[1:-1]
    observed = set(mmap.observed_ids)
    covs = tuple(c for c in adjustment if c not in chain)
    if path_id is not None and getattr(path_id, "adjustment_sets", ()):
        covs = tuple(c for c in path_id.adjustment_sets[0] if c not in chain)
    confounders = tuple(
        e.source for e in mmap.edges
        if e.lag == 1 and e.target == treatment and e.source != treatment and e.source in observed
    )
    return EstimationPlan(
        treatment=treatment, outcome=outcome, path=chain,
        mediators=tuple(m for m in inner if m in observed),
        latent_mediators=tuple(m for m in inner if m not in observed),
        covariates=tuple(c for c in covs if c in observed), confounders=confounders,
        design=TrialDesign.parse(design), cluster=cluster, time=time, exposure=exposure,
        identified=True if path_id is None else bool(path_id.identifiable),
    )


def _needed(plan: EstimationPlan, cluster: str, time: str | None) -> list[tuple[str, str]]:
    need = [(plan.assignment, "randomized assignment"), (plan.outcome, "outcome")]
    need += [(m, "mechanism on the path") for m in plan.mediators]
    need += [(c, "adjustment covariate") for c in plan.covariates]
    need.append((cluster, "site (cluster)"))
    if time:
        need.append((time, "period"))
    return need


def results_section(
    data: pd.DataFrame,
    mmap: MechanismMap,
    plan: EstimationPlan,
    *,
    cluster: str,
    time: str | None,
    seed: SeedLike = None,
) -> tuple[Any, Any, Section]:
    """Run the planned mediation analysis, its sensitivity analysis and the implication tests.

    Returns ``(mediation result or None, implication tests or None, section)``. Missing columns
    raise one :class:`DataError` listing all of them.
    """
    from facmech.mediation import mediate

    missing_columns(data, _needed(plan, cluster, time))
    if not plan.mediators:
        raise DataError("the path has no measured mechanism to estimate it through; measure at "
                        "least one node of the path (see 'What to measure')")
    n_levels = data[plan.assignment].nunique(dropna=True)
    if n_levels != 2:
        raise DataError(
            f"`data` column `{plan.assignment}` has {n_levels} distinct values; the mediation "
            f"analysis needs the two-valued randomized assignment: pass `exposure=` (CLI "
            f"`--exposure`), e.g. 'exposed'")
    blocks: list = []
    result = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = mediate(
                data, treatment=plan.assignment, mediators=list(plan.mediators),
                outcome=plan.outcome, covariates=list(plan.covariates), cluster=cluster,
                time=time, graph=mmap if plan.exposure is None else None, seed=seed)
        except NotIdentifiedError as exc:
            blocks.append(Callout(str(exc), CalloutKind.WARN, "Not estimated."))
    if result is not None:
        frame = result.to_frame().reset_index()
        blocks += [
            Paragraph(f"{result.method}. {result.n_obs} observations in {result.n_clusters} sites."),
            Table.from_frame(frame, caption=f"Effects on `{plan.outcome}` ({result.scale}), "
                             f"{round(100 * (1 - result.alpha))}% intervals."),
        ]
        blocks += _sensitivity_blocks(result)
        if result.warnings:
            blocks.append(Bullets(tuple(f"Warning: {w}" for w in result.warnings)))
    tests = None
    try:
        from facmech.identification import test_implications

        tests = test_implications(mmap, data, cluster=cluster)
    except FacmechError as exc:
        blocks.append(Callout(f"The map's implications were not tested: {exc}", CalloutKind.INFO))
    if tests is not None:
        blocks += _tests_blocks(tests)
    notes = sorted({str(w.message) for w in caught})
    if notes:
        blocks.append(Bullets(tuple(f"Note: {n}" for n in notes)))
    return result, tests, Section("results", "Results on the trial data", tuple(blocks))


def _sensitivity_blocks(result: Any) -> list:
    blocks: list = []
    try:
        sens = result.sensitivity()
    except FacmechError as exc:
        return [Callout(f"Sensitivity analysis not available: {exc}", CalloutKind.INFO)]
    rho0 = getattr(sens, "rho_at_zero", None)
    text = ("**Sensitivity to mediator-outcome confounding** (Imai, Keele & Yamamoto 2010): the "
            "indirect effect as a function of the correlation rho between the mediator and "
            "outcome model errors.")
    if rho0 is not None:
        text += f" The indirect effect would be zero at rho = {rho0:.2f}."
    blocks.append(Paragraph(text))
    fig = getattr(sens, "plot", None)
    if fig is not None:
        from facmech.report.document import Figure

        blocks.append(Figure.from_matplotlib(_figure(sens.plot()), caption="Indirect effect against "
                                             "the sensitivity parameter rho."))
    try:
        ev = result.e_values()
    except FacmechError:
        ev = None
    if ev is not None:
        blocks.append(Table.from_frame(ev.reset_index() if ev.index.name else ev, digits=2,
                                       caption="E-values (VanderWeele & Ding 2017)."))
    return blocks


def _figure(obj: Any) -> Any:
    return getattr(obj, "figure", obj)


def _tests_blocks(tests: Any) -> list:
    frame = tests.to_frame() if hasattr(tests, "to_frame") else pd.DataFrame(tests)
    verdict = getattr(tests, "falsified", None)
    blocks: list = []
    if verdict is not None:
        blocks.append(Callout(
            "The data contradict at least one of the map's implications (multiplicity-adjusted)."
            if verdict else "No implication of the map is rejected (multiplicity-adjusted).",
            CalloutKind.WARN if verdict else CalloutKind.OK, "Map check."))
    blocks.append(Table.from_frame(frame, caption="Tests of the map's testable implications."))
    return blocks
