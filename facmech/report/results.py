"""The estimation part of an analysis plan: which estimator, and (with data) its results.

:class:`EstimationPlan` derives the recommended analysis from the map, the path and the design:
ordered-mediator mediation (:func:`facmech.mediation.mediate`) on the measured mechanisms of the
path with site-clustered inference (period fixed effects in a stepped wedge, a small-sample
correction below 20 sites), the path-specific effect under the linear no-interaction model, and, when
the map has a feedback loop into the strategy (lagged arrows into the treatment), the g-formula
for sustained strategies (:func:`facmech.gmethods.gformula`). :func:`results_section` runs the
mediation analysis on data, with its sensitivity analysis and the tests of the map's implications.

>>> from facmech.formats import load_map
>>> p = estimation_plan(load_map(), ("facilitation", "champions", "normalization", "uptake"),
...                     design="stepped-wedge", site="site", period="period")
>>> p.chain, p.confounders
(('champions', 'normalization'), ('leadership_engagement',))
>>> p.mediators[:3]
('leadership_engagement', 'acceptance', 'champions')
>>> p.covariates
('outer_context', 'inner_context', 'readiness')
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import networkx as nx
import pandas as pd

from facmech._deprecation import deprecated_alias, renamed
from facmech._random import SeedLike
from facmech.design.model import TrialDesign
from facmech.errors import DataError, FacmechError, NotIdentifiedError
from facmech.identification.sequential import baseline_parents
from facmech.maps import MechanismMap, Role
from facmech.mediation.keys import EffectKey, EffectKind
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

if TYPE_CHECKING:  # pragma: no cover
    from facmech.identification import Identification

__all__ = ["EstimationPlan", "estimation_plan", "results_section"]


@dataclass(frozen=True)
class EstimationPlan:
    """The recommended analysis for one path (see the module docstring).

    ``mediators`` are all measured mechanisms between the treatment and the outcome, in the map's
    causal order (so that each link's coefficient is its structural coefficient under the linear
    model); ``chain`` is the hypothesized path's part of them; ``latent_mediators`` the path's
    mechanisms nobody measures; ``covariates`` the measured baseline context that confounds
    mechanisms and outcome; ``confounders`` the time-varying confounders of the dose.
    """

    treatment: str
    outcome: str
    path: tuple[str, ...]
    mediators: tuple[str, ...]
    chain: tuple[str, ...]
    latent_mediators: tuple[str, ...]
    covariates: tuple[str, ...]
    confounders: tuple[str, ...]
    design: TrialDesign
    site: str
    period: str | None
    exposure: str | None = None
    identified: bool = True
    added: tuple[str, ...] = ()
    #: ``identify(..., effect="mediation")`` of the planned analysis (covariates, assumptions)
    mediation_identification: Identification | None = field(default=None, compare=False)

    @property
    def cluster(self) -> str:
        """Deprecated name of :attr:`site` (removed in the next release)."""
        return deprecated_alias(self.site, "cluster", "site")

    @property
    def time(self) -> str | None:
        """Deprecated name of :attr:`period` (removed in the next release)."""
        return deprecated_alias(self.period, "time", "period")

    @property
    def assignment(self) -> str:
        """The data column of the randomized assignment."""
        return self.exposure or self.treatment

    @property
    def chain_key(self) -> EffectKey:
        """The key of the hypothesized chain's effect in :class:`MediationResult` effects."""
        return EffectKey.path(self.chain, ends=(self.assignment, self.outcome))

    def available(self, columns: Sequence[str]) -> EstimationPlan:
        """The plan restricted to data: nodes the plan adds but the data lack are dropped."""
        cols = set(columns)
        drop = {m for m in self.added if m not in cols}
        if not drop:
            return self
        return replace(
            self,
            mediators=tuple(m for m in self.mediators if m not in drop),
            covariates=tuple(c for c in self.covariates if c not in drop),
            chain=tuple(m for m in self.chain if m not in drop),
            latent_mediators=tuple(m for m in self.path[1:-1] if m in drop or
                                   m in self.latent_mediators),
            added=tuple(m for m in self.added if m not in drop),
        )

    def paragraphs(self) -> list[str]:
        """The recommendation in words."""
        meds = ", ".join(f"`{m}`" for m in self.mediators) or "(none measured)"
        out = [
            f"**Mediation with ordered mediators.** Model every measured mechanism between the "
            f"strategy and the outcome ({meds}, in the map's causal order) on the randomized "
            f"assignment `{self.assignment}`, the earlier mechanisms and the baseline covariates, "
            f"and the outcome `{self.outcome}` on all of them (`facmech.mediate`). Under the linear "
            f"model without treatment-mechanism interaction each link's coefficient is then its "
            f"structural coefficient, and the hypothesized path is the product along "
            f"`{self.chain_key}`. Report it with the total, natural direct and indirect effects and "
            f"the effect via each mechanism.",
            f"**Inference clustered by site** (`{self.site}`): Monte Carlo draws from a "
            f"site-clustered covariance, with the CR2 small-sample correction and t reference below "
            f"20 sites; never treat patients of one site as independent.",
        ]
        if self.covariates:
            out.append("**Baseline covariates:** " + ", ".join(f"`{c}`" for c in self.covariates)
                       + " (measured context that affects mechanisms and outcome).")
        if self.design is TrialDesign.STEPPED_WEDGE:
            out.append(
                f"**Stepped wedge.** Include period fixed effects (`{self.period}`) in every model, so "
                f"that secular trends are not confounded with the rollout, and exposure-time "
                f"indicators (`effect_model=\"exposure_time\"`, Kenny et al. 2022): facilitation's "
                f"effects build up with time since a site crossed over, and a single exposure "
                f"coefficient would then be biased for the time-averaged effect.")
        if self.added:
            out.append("The analysis includes the nodes the plan adds to the measurements ("
                       + ", ".join(f"`{m}`" for m in self.added) + ").")
        if self.latent_mediators:
            out.append(
                "Mechanisms on the path that nobody measures ("
                + ", ".join(f"`{m}`" for m in self.latent_mediators)
                + ") cannot be separated: the link across them carries every route through them.")
        if self.confounders:
            conf = ", ".join(f"`{c}`" for c in self.confounders)
            out.append(
                f"**Adaptive dose (time-varying confounding).** In the map, {conf} feeds back into "
                f"the next period's `{self.treatment}`: a confounder of later dose that earlier dose "
                f"affects. For the effect of sustained dose strategies use the g-formula "
                f"(`facmech.gformula`, site `{self.site}`, period `{self.period or 'period'}`, "
                f"confounders {conf}); adjusting for {conf} in a regression is biased.")
        return out

    def code(self) -> str:
        """A Python snippet running the recommended analyses."""
        lines = [
            "import facmech",
            "res = facmech.mediate(",
            f"    data, treatment={self.assignment!r}, mediators={list(self.mediators)!r},",
            f"    outcome={self.outcome!r}, covariates={list(self.covariates)!r},",
            f"    site={self.site!r}, period={self.period!r},"
            + (' effect_model="exposure_time",' if self.design is TrialDesign.STEPPED_WEDGE
               and self.period else "")
            + " seed=1)",
            "print(res.summary())",
        ]
        if self.confounders:
            start = "from:1:" if self.design is TrialDesign.STEPPED_WEDGE else "always:"
            lines += [
                "dose = 1.5  # the sustained dose to evaluate (e.g. facilitator hours per period)",
                "g = facmech.gformula(",
                f"    site_periods, site={self.site!r}, period={(self.period or 'period')!r}, "
                f"treatment={self.treatment!r},",
                f"    confounders={list(self.confounders)!r}, outcome={self.outcome!r},",
                f"    strategies=[f'{start}{{dose}}', 'never'], seed=1)",
                "print(g.summary())",
            ]
        return "\n".join(lines)

    def command(self, *, map_arg: Any, sites: Sequence[int], data: Any, site: str | None,
                period: str | None) -> str:
        """The ``facmech plan`` command line that rebuilds the report."""
        parts = ["facmech plan", f"--treatment {self.treatment}", f"--outcome {self.outcome}",
                 f"--path {','.join(self.path)}", f"--design {self.design.value}",
                 f"--sites {','.join(map(str, sites))}"]
        if isinstance(map_arg, (str, os.PathLike)) and str(map_arg) != "facilitation":
            parts.insert(1, f"--map {map_arg}")
        if data is not None:
            parts += [f"--data {data}", f"--site {site}"]
            if period:
                parts.append(f"--period {period}")
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


@renamed(cluster="site", time="period")
def estimation_plan(
    mmap: MechanismMap,
    path: Sequence[str],
    *,
    design: TrialDesign | str,
    site: str = "site",
    period: str | None = None,
    adjustment: Sequence[str] = (),
    path_id: Any = None,
    exposure: str | None = None,
    to_measure: Sequence[str] = (),
) -> EstimationPlan:
    """Derive the recommended analysis of ``path`` in ``mmap`` for a trial ``design``.

    ``to_measure`` are unmeasured nodes the plan says to measure; they are analysed as measured.
    The covariates are the identification's: ``identify(mmap, treatment, outcome,
    effect="mediation", mediators=...)`` with the planned measurements
    (:mod:`facmech.identification.sequential`) gives the covariate sets licensing the mediation
    formula, the first being the measured parents of the mechanisms and the outcome that the
    strategy does not affect when they are valid (``adjustment``, the total effect's set, is
    added when that keeps the set valid). When the decomposition is not identified the plan
    keeps those baseline parents, and ``mediation_identification`` says why.
    """
    chain = tuple(path)
    treatment, outcome = chain[0], chain[-1]
    graph = mmap.to_networkx()
    added = tuple(n for n in mmap.topological_order() if n in set(to_measure))
    measured = set(mmap.observed_ids) | set(added)
    between = nx.descendants(graph, treatment) & nx.ancestors(graph, outcome)
    mediators = tuple(n for n in mmap.topological_order()
                      if n in between and n in measured and mmap.node(n).role is not Role.CONTEXT)
    ident = _identification(mmap, treatment, outcome, mediators, measured, adjustment)
    if ident is not None and ident.identifiable:
        chosen = set(ident.adjustment_sets[0])
    else:  # not identified: the baseline parents, as the identification would have tried first
        chosen = set(baseline_parents(graph, treatment, mediators, outcome, observed=measured))
    covs = [c for c in mmap.topological_order() if c in chosen]
    confounders = tuple(
        e.source for e in mmap.edges
        if e.lag == 1 and e.target == treatment and e.source != treatment and e.source in measured
    )
    return EstimationPlan(
        treatment=treatment, outcome=outcome, path=chain, mediators=mediators,
        chain=tuple(m for m in chain[1:-1] if m in mediators),
        latent_mediators=tuple(m for m in chain[1:-1] if m not in measured),
        covariates=tuple(c for c in covs if c not in chain and c in measured),
        confounders=confounders, design=TrialDesign.parse(design), site=site, period=period,
        exposure=exposure, identified=True if path_id is None else bool(path_id.identifiable),
        added=tuple(m for m in added if m in mediators or m in covs),
        mediation_identification=ident,
    )


def _identification(mmap: MechanismMap, treatment: str, outcome: str, mediators: Sequence[str],
                    measured: set[str], adjustment: Sequence[str]) -> Identification | None:
    """The identification of the planned mediation analysis (``None`` without mediators)."""
    from facmech.identification import identify

    if not mediators:
        return None
    ident = identify(mmap, treatment, outcome, effect="mediation", mediators=list(mediators),
                     observed=sorted(measured))
    extra = [a for a in adjustment if ident.identifiable and a not in ident.adjustment_sets[0]]
    if extra:
        wider = identify(mmap, treatment, outcome, effect="mediation", mediators=list(mediators),
                         observed=sorted(measured),
                         covariates=[*ident.adjustment_sets[0], *extra])
        if wider.identifiable:
            return wider
    return ident


def _needed(plan: EstimationPlan, site: str, period: str | None) -> list[tuple[str, str]]:
    need = [(plan.assignment, "randomized assignment"), (plan.outcome, "outcome")]
    need += [(m, "mechanism on the path" if m in plan.path else "mechanism between strategy "
              "and outcome") for m in plan.mediators]
    need += [(c, "adjustment covariate") for c in plan.covariates]
    need.append((site, "site"))
    if period:
        need.append((period, "period"))
    return need


@renamed(cluster="site", time="period")
def results_section(
    data: pd.DataFrame,
    mmap: MechanismMap,
    plan: EstimationPlan,
    *,
    site: str,
    period: str | None,
    seed: SeedLike = None,
) -> tuple[Any, Any, Section]:
    """Run the planned mediation analysis, its sensitivity analysis and the implication tests.

    Returns ``(mediation result or None, implication tests or None, section)``. Missing columns
    raise one :class:`DataError` listing all of them.
    """
    plan = plan.available(data.columns)
    missing_columns(data, _needed(plan, site, period))
    if not plan.chain:
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
        result, tests = _analyses(data, mmap, plan, blocks, site=site, period=period, seed=seed)
    notes = sorted({str(w.message) for w in caught})
    if notes:
        blocks.append(Bullets(tuple(f"Note: {n}" for n in notes)))
    return result, tests, Section("results", "Results on the trial data", tuple(blocks))


def _analyses(data: pd.DataFrame, mmap: MechanismMap, plan: EstimationPlan, blocks: list, *,
              site: str, period: str | None, seed: SeedLike) -> tuple[Any, Any]:
    from facmech.mediation import mediate

    result = None
    try:
        result = mediate(
            data, treatment=plan.assignment, mediators=list(plan.mediators),
            outcome=plan.outcome, covariates=list(plan.covariates), site=site,
            period=period, graph=mmap if plan.exposure is None else None, seed=seed,
            effect_model=_effect_model(plan, period))
    except NotIdentifiedError as exc:
        blocks.append(Callout(str(exc), CalloutKind.WARN, "Not estimated."))
    if result is not None:
        frame = result.to_frame()
        chain = plan.chain_key
        keep = [str(k) for k in result.effects if (k.kind is not EffectKind.PATH or k == chain)
                and (result.interaction or k.arm is None)]
        others = len(frame) - len(keep)
        binary = set(data[plan.outcome].dropna().unique()) <= {0, 1}
        text = (f"{result.method}. {result.n_obs} observations in {result.n_sites} sites. "
                f"Mechanisms in causal order: {', '.join(f'`{m}`' for m in plan.mediators)}; "
                f"`via:M` is the effect through M and not through earlier mechanisms; `{chain}` is "
                f"the hypothesized chain (product of its link coefficients; linear model without "
                f"interaction).")
        if plan.latent_mediators:
            text += (" Nobody measured " + ", ".join(f"`{m}`" for m in plan.latent_mediators)
                     + ": the link across it carries every route through it.")
        if binary:
            text += (f" `{plan.outcome}` is 0/1: linear probability models, so effects are risk "
                     f"differences.")
        blocks += [
            Paragraph(text),
            Table.from_frame(frame.loc[keep].reset_index(), caption=f"Effects on `{plan.outcome}` "
                             f"({result.scale}), {round(100 * (1 - result.alpha))}% intervals."),
        ]
        if others:
            blocks.append(Paragraph(f"{others} further effects (every other chain through the "
                                    f"mechanisms; control and treated versions, equal without "
                                    f"interaction) are in the result object "
                                    f"(`report.estimates`)."))
        blocks += _sensitivity_blocks(result, data, plan, site=site, period=period, seed=seed,
                                      mmap=mmap)
        if result.warnings:
            blocks.append(Bullets(tuple(f"Warning: {w}" for w in result.warnings)))
    tests = None
    try:
        from facmech.identification.implications import test_implications

        if period:  # the map unrolled over the data's periods, the exposure as the design
            design = plan.exposure if plan.exposure in data.columns else None
            tests = test_implications(mmap, data, site=site, period=period, design=design)
        else:
            means = data.groupby([site], sort=True).mean(numeric_only=True).reset_index()
            tests = test_implications(mmap, means)
    except FacmechError as exc:
        blocks.append(Callout(f"The map's implications were not tested: {exc}", CalloutKind.INFO))
    if tests is not None:
        blocks += _tests_blocks(tests)
    return result, tests


def _sensitivity_blocks(result: Any, data: pd.DataFrame, plan: EstimationPlan, *, site: str,
                        period: str | None, seed: SeedLike, mmap: MechanismMap | None = None) -> list:
    """Imai-Keele-Yamamoto rho sensitivity (one mediator: the last mechanism before the outcome,
    earlier mechanisms collapsed into it) and E-values of the main analysis.

    The rho analysis needs a model with that one mediator and a constant exposure effect, so its
    estimand is the indirect effect through the last mechanism *by every route* under that model;
    the text gives it that name, its value under the main analysis' effect model as well, and
    tells it apart from the table's ``via:`` row (the part of the effect reaching the mechanism
    other than through earlier ones), which issue 13 found printed as the same "indirect effect
    through normalization" (-0.027 in the text, -0.063 in the table).
    """
    from facmech.mediation import mediate

    last = plan.chain[-1]
    single = result
    main_model = _effect_model(plan, period)
    kw = dict(treatment=plan.assignment, mediators=[last], outcome=plan.outcome,
              covariates=list(plan.covariates), site=site, period=period, seed=seed)
    if len(plan.mediators) > 1 or main_model != "constant":
        single = mediate(data, **kw)
    blocks: list = []
    try:
        sens = single.sensitivity()
    except FacmechError as exc:
        blocks.append(Callout(f"Sensitivity analysis not available: {exc}", CalloutKind.INFO))
    else:
        e = single.effects["nie"]
        every = mmap is not None and _every_route_through(mmap, plan.treatment, plan.outcome, last)
        where = (f"every route from `{plan.treatment}` to `{plan.outcome}` in the map passes "
                 f"through it" if every else f"the last mechanism of the path before "
                 f"`{plan.outcome}`")
        text = (f"**Sensitivity to mediator-outcome confounding** (Imai, Keele & Yamamoto 2010) of "
                f"the indirect effect through `{last}` by every route ({where}): a model with "
                f"`{last}` as the only mediator, earlier mechanisms collapsed into it, and a "
                f"constant exposure effect, as the rho analysis requires. It estimates this effect "
                f"at {e.estimate:.3f}")
        if main_model != "constant":
            try:
                alt = mediate(data, **kw, effect_model=main_model).effects["nie"].estimate
                text += f" ({alt:.3f} under the {main_model.replace('_', '-')} model of the table)"
            except FacmechError:
                pass
        via = result.effects.get(f"via:{last}")
        if via is not None:
            text += (f". It is not the table's `via:{last}` row ({via.estimate:.3f}), which counts "
                     f"only the part of the effect that reaches `{last}` other than through earlier "
                     f"mechanisms")
        text += (f". The estimate would be zero at rho = {sens.rho_at_zero:.2f}, the correlation "
                 f"between the errors of the `{last}` and `{plan.outcome}` models: an unmeasured "
                 f"common cause of `{last}` and `{plan.outcome}` that strong would explain it away.")
        blocks.append(Paragraph(text))
        from facmech.report.document import Figure

        blocks.append(Figure.from_matplotlib(
            _figure(sens.plot()), caption=f"Indirect effect through {last} by every route "
            f"(single-mediator, constant-effect model) against rho.", alt="sensitivity curve"))
    try:
        ev = result.e_values()
    except FacmechError:
        return blocks
    blocks.append(Table.from_frame(ev.reset_index() if ev.index.name else ev, digits=2,
                                   caption="E-values of the total, direct and indirect effects "
                                   "(VanderWeele & Ding 2017): the risk ratio an unmeasured "
                                   "confounder would need with both treatment and outcome."))
    return blocks


def _effect_model(plan: EstimationPlan, time: str | None) -> str:
    """The main analysis' effect model: exposure-time indicators in a stepped wedge."""
    return "exposure_time" if plan.design is TrialDesign.STEPPED_WEDGE and time else "constant"


def _every_route_through(mmap: MechanismMap, x: str, y: str, node: str) -> bool:
    """Whether every directed path from ``x`` to ``y`` of the map passes ``node``."""
    from facmech.graphs import count_directed_paths

    g = mmap.to_networkx()
    if x not in g or y not in g or node not in g:
        return False
    return count_directed_paths(g, x, y, avoid=[node]) == 0


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
    blocks = [
        Callout(verdict, CalloutKind.WARN if tests.falsified else CalloutKind.OK, "Map check."),
        Table.from_frame(shown[cols], caption=f"Tests of the map's implications on site-period "
                         f"means, cluster-robust by site: the rejected ones and the {show} "
                         f"smallest p-values."),
    ]
    untestable = getattr(tests, "untestable", None)
    if untestable is not None and len(untestable):
        blocks.append(Paragraph(
            f"{len(untestable)} further implications cannot be tested with these measurements: "
            "every set of measured nodes that separates their pair holds survey means, whose "
            "measurement error leaves the paths through them open. With the staff-survey table "
            "(`test_implications(..., surveys=staff)`, CLI `facmech implications --surveys`) they "
            "are tested on the measurement-corrected covariance."))
    return blocks
