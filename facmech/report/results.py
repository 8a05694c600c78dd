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
            start = "from:1:" if self.design is TrialDesign.STEPPED_WEDGE else "always:"
            lines += [
                "dose = 1.5  # the sustained dose to evaluate (e.g. facilitator hours per period)",
                "g = facmech.gformula(",
                f"    site_periods, unit={self.cluster!r}, time={(self.time or 'period')!r}, "
                f"treatment={self.treatment!r},",
                f"    confounders={list(self.confounders)!r}, outcome={self.outcome!r},",
                f"    strategies=[f'{start}{{dose}}', 'never'], seed=1)",
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
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result, tests = _analyses(data, mmap, plan, blocks, cluster=cluster, time=time, seed=seed)
    notes = sorted({str(w.message) for w in caught})
    if notes:
        blocks.append(Bullets(tuple(f"Note: {n}" for n in notes)))
    return result, tests, Section("results", "Results on the trial data", tuple(blocks))


def _analyses(data: pd.DataFrame, mmap: MechanismMap, plan: EstimationPlan, blocks: list, *,
              cluster: str, time: str | None, seed: SeedLike) -> tuple[Any, Any]:
    from facmech.mediation import mediate

    result = None
    try:
        result = mediate(
            data, treatment=plan.assignment, mediators=list(plan.mediators),
            outcome=plan.outcome, covariates=list(plan.covariates), cluster=cluster,
            time=time, graph=mmap if plan.exposure is None else None, seed=seed)
    except NotIdentifiedError as exc:
        blocks.append(Callout(str(exc), CalloutKind.WARN, "Not estimated."))
    if result is not None:
        frame = result.to_frame()
        chain = "path:" + ">".join((plan.assignment, *plan.mediators, plan.outcome))
        keep = [k for k in frame.index if not k.startswith("path:") or k == chain]
        others = len(frame) - len(keep)
        binary = set(data[plan.outcome].dropna().unique()) <= {0, 1}
        text = (f"{result.method}. {result.n_obs} observations in {result.n_clusters} sites. "
                f"Mechanisms in causal order: {', '.join(f'`{m}`' for m in plan.mediators)}; "
                f"`via:M` is the effect through M and not through earlier mechanisms; `{chain}` is "
                f"the hypothesized chain through the measured mechanisms (linear model without "
                f"interaction).")
        if plan.latent_mediators:
            text += (" Each link between consecutive measured mechanisms also carries the routes "
                     "through unmeasured nodes (" + ", ".join(f"`{m}`" for m in plan.latent_mediators)
                     + ").")
        if binary:
            text += (f" `{plan.outcome}` is 0/1: linear probability models, so effects are risk "
                     f"differences.")
        blocks += [
            Paragraph(text),
            Table.from_frame(frame.loc[keep].reset_index(), caption=f"Effects on `{plan.outcome}` "
                             f"({result.scale}), {round(100 * (1 - result.alpha))}% intervals."),
        ]
        if others:
            blocks.append(Paragraph(f"{others} other path-specific effects (every sub-chain of the "
                                    f"mechanisms) are in the result object (`report.estimates`)."))
        blocks += _sensitivity_blocks(result, data, plan, cluster=cluster, time=time, seed=seed)
        if result.warnings:
            blocks.append(Bullets(tuple(f"Warning: {w}" for w in result.warnings)))
    tests = None
    try:
        from facmech.identification.implications import test_implications

        units = [cluster, time] if time else [cluster]
        means = data.groupby(units, sort=True).mean(numeric_only=True).reset_index()
        tests = test_implications(mmap, means, cluster=cluster if time else None)
    except FacmechError as exc:
        blocks.append(Callout(f"The map's implications were not tested: {exc}", CalloutKind.INFO))
    if tests is not None:
        blocks += _tests_blocks(tests)
    return result, tests


def _sensitivity_blocks(result: Any, data: pd.DataFrame, plan: EstimationPlan, *, cluster: str,
                        time: str | None, seed: SeedLike) -> list:
    """Imai-Keele-Yamamoto rho sensitivity (one mediator: the last mechanism before the outcome,
    earlier mechanisms collapsed into it) and E-values of the main analysis."""
    from facmech.mediation import mediate

    last = plan.mediators[-1]
    single = result
    if len(plan.mediators) > 1:
        single = mediate(data, treatment=plan.assignment, mediators=[last], outcome=plan.outcome,
                         covariates=list(plan.covariates), cluster=cluster, time=time, seed=seed)
    blocks: list = []
    try:
        sens = single.sensitivity()
    except FacmechError as exc:
        blocks.append(Callout(f"Sensitivity analysis not available: {exc}", CalloutKind.INFO))
    else:
        e = single.effects["nie"]
        blocks.append(Paragraph(
            f"**Sensitivity to mediator-outcome confounding** (Imai, Keele & Yamamoto 2010): the "
            f"indirect effect through `{last}` (the last mechanism before `{plan.outcome}`; earlier "
            f"mechanisms act through it), estimated at {e.estimate:.3f}, as a function of the "
            f"correlation rho between the errors of the `{last}` and `{plan.outcome}` models. It "
            f"would be zero at rho = {sens.rho_at_zero:.2f}: an unmeasured common cause of "
            f"`{last}` and `{plan.outcome}` that strong would explain it away."))
        from facmech.report.document import Figure

        blocks.append(Figure.from_matplotlib(
            _figure(sens.plot()), caption=f"Indirect effect through {last} against rho.",
            alt="sensitivity curve"))
    try:
        ev = result.e_values()
    except FacmechError:
        return blocks
    blocks.append(Table.from_frame(ev.reset_index() if ev.index.name else ev, digits=2,
                                   caption="E-values of the total, direct and indirect effects "
                                   "(VanderWeele & Ding 2017): the risk ratio an unmeasured "
                                   "confounder would need with both treatment and outcome."))
    return blocks


def _figure(obj: Any) -> Any:
    return getattr(obj, "figure", obj)


def _tests_blocks(tests: Any, *, show: int = 10) -> list:
    frame = tests.to_frame()
    rejected = frame[frame["rejected"]]
    smallest = frame.nsmallest(show, "p_value")
    shown = pd.concat([rejected, smallest]).drop_duplicates(subset="implication")
    cols = [c for c in ("implication", "estimate", "std_error", "p_value", "p_adjusted", "rejected")
            if c in shown.columns]
    verdict = (f"The data contradict {len(rejected)} of the map's {len(frame)} implications "
               f"(Holm-adjusted, alpha {tests.alpha:g}): the map as drawn is falsified."
               if tests.falsified else
               f"None of the map's {len(frame)} implications is rejected (Holm-adjusted, alpha "
               f"{tests.alpha:g}).")
    return [
        Callout(verdict, CalloutKind.WARN if tests.falsified else CalloutKind.OK, "Map check."),
        Table.from_frame(shown[cols], caption=f"Tests of the map's implications on site-period "
                         f"means, cluster-robust by site: the rejected ones and the {show} "
                         f"smallest p-values."),
    ]
