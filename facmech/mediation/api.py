"""``mediate``: mediation analysis of (multisite) trial data in one call.

Validates the data, checks identification in the mechanism map (or in the DAG the call implies),
fits the mediator and outcome models, evaluates the mediation formula in closed form and runs
clustered inference, all through the batched core :func:`facmech.mediation.engine.mediate_arrays`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from facmech._deprecation import renamed
from facmech._inference import parse_inference
from facmech._random import SeedLike
from facmech._validation import check_alpha
from facmech.errors import (
    ArgumentError,
    DataError,
    EstimationError,
    FewClustersWarning,
)
from facmech.estimates import Estimate
from facmech.mediation.data import FEW_SITES, prepare
from facmech.mediation.engine import mediate_arrays
from facmech.mediation.graph import (
    IMPLIED,
    IN_MAP,
    as_digraph,
    consume_identification,
    implied_graph,
    mediation_identification,
    require_identified,
)
from facmech.mediation.inference import Bootstrap, MonteCarlo
from facmech.mediation.keys import EffectKey, EffectKind, Naming
from facmech.mediation.model_input import batch_effects, model_set, resolve
from facmech.mediation.results import MediationResult
from facmech.mediation.spec import EffectModel, Family, TreatmentLevel

__all__ = ["mediate"]

_DEFAULT = MonteCarlo()


def _treatment_level(level: object, graph: object, treatment: str, site: str | None):
    if level is not None:
        return TreatmentLevel.parse(level)
    if graph is not None:
        G = as_digraph(graph)
        if treatment in G and "level" in G.nodes[treatment]:
            text = str(G.nodes[treatment]["level"]).split(".")[-1].lower()
            return TreatmentLevel.SITE if text == "site" else TreatmentLevel.PATIENT
    return TreatmentLevel.SITE if site is not None else TreatmentLevel.PATIENT


@renamed(cluster="site", time="period")
def mediate(
    data: pd.DataFrame | None = None,
    *,
    treatment: str | None = None,
    mediators: str | Sequence[str] | None = None,
    outcome: str | None = None,
    covariates: Sequence[str] | None = None,
    site: str | None = None,
    period: str | None = None,
    outcome_family: Family | str = "gaussian",
    mediator_family: Family | str = "gaussian",
    interaction: bool = False,
    inference: MonteCarlo | Bootstrap | int | None = _DEFAULT,
    graph: Any = None,
    alpha: float = 0.05,
    seed: SeedLike = None,
    control: object = None,
    treated: object = None,
    missing: str = "raise",
    treatment_level: TreatmentLevel | str | None = None,
    effect_model: EffectModel | str | None = None,
    exposure_time: str | None = None,
    exposure_window: int | None = None,
    mediator_formula: str | Mapping[str, str] | None = None,
    outcome_formula: str | None = None,
    models: Sequence[Any] | None = None,
    random_intercept: bool = False,
    identification: Any = None,
    columns: Mapping[str, str] | None = None,
) -> MediationResult:
    """Natural direct and indirect effects, ordered-mediator decomposition and path effects.

    Mediators (listed in causal order) are linear-Gaussian models on the treatment, earlier
    mediators and covariates; the outcome is a linear, logistic or probit model on the treatment,
    all mediators and covariates (plus treatment-by-mediator terms with ``interaction=True``).
    Effects are contrasts of the nested mean
    :math:`\\psi(a_Y; a_1..a_k) = E[Y(a_Y, M_1(a_1), M_2(a_2, M_1(a_1)), ...)]` evaluated in closed
    form (see :mod:`facmech.mediation.effects`); the point estimate is the plug-in value at the
    fitted coefficients and the interval comes from ``inference``.

    Parameters
    ----------
    data : DataFrame
        One row per patient (or per site-period for site-level outcomes). Not modified.
    treatment : str
        Two-valued treatment column (0/1, or choose values with ``control=`` and ``treated=``).
    mediators : str or sequence of str
        Mediator column(s) in causal order.
    outcome : str
        Outcome column (0/1 for binary families).
    covariates : sequence of str, optional
        Pre-treatment covariates; string/categorical columns are expanded into dummies. Default:
        with a ``graph`` or an ``identification``, the covariate set the identification finds
        (the first of its ``adjustment_sets`` the data have); else none.
    site : str, optional
        Site column: inference then resamples or clusters by site (never treats patients of one
        site as independent). At least 4 sites; below 20 a small-sample correction is the default.
        (Formerly ``cluster``, still accepted for one release with a ``FutureWarning``.)
    period : str, optional
        Period column of a stepped-wedge trial: period fixed effects in every model; treatment
        checked constant within site-period. (Formerly ``time``.)
    outcome_family : {"gaussian", "binomial" (logit), "probit"}
    mediator_family : {"gaussian", "binomial" (logit), "probit"}
        Binary (0/1) mediators are supported for a single mediator (exact two-term mediation
        formula); several mediators must be Gaussian.
    interaction : bool
        Treatment-by-mediator terms (then the control and treated versions differ and no
        path-specific effects are reported).
    inference : MonteCarlo, Bootstrap, int or None
        Default ``MonteCarlo(draws=1000)`` with site-clustered CR2 covariance and :math:`t`
        draws on :math:`G - p_b` degrees of freedom (:math:`p_b` site-level parameters, e.g.
        :math:`G - 2` in a parallel trial) when ``site`` is given, HC3 otherwise. An integer is
        the number of Monte Carlo draws; ``None`` gives point estimates only (see
        :mod:`facmech._inference`).
    graph : MechanismMap or networkx.DiGraph, optional
        Mechanism map in which identification is computed
        (``identify(graph, ..., effect="mediation")``); without it, the DAG implied by the call.
    identification : Identification, optional
        A record from ``facmech.identify(..., effect="mediation", mediators=[...])`` (or an
        ``nde``/``nie`` record) to consume instead of a ``graph``: its treatment, mediators,
        outcome and covariate set are used (any given must agree) and its assumptions are the
        result's. Either way the record is ``result.identification``.
    alpha : float
        1 - confidence level.
    seed : int, Generator or None
    control, treated : optional
        Treatment values to compare when the column has other codes.
    missing : {"raise", "drop"}
        Rows with missing values in used columns raise an error unless ``"drop"``.
    treatment_level : {"site", "patient"}, optional
        Default: the map's level of the treatment node, else ``site`` when ``site`` (the column) is given.
    effect_model : {"constant", "exposure_time"}, optional
        How effects may change with time on treatment in a stepped wedge (needs ``period``).
        ``constant`` (default without ``exposure_time``): one treatment coefficient per model
        (Hussey & Hughes 2007), biased when effects build up or fade after crossover.
        ``exposure_time`` (alias ``eti``; default when ``exposure_time`` is given): one indicator
        per exposure time in every model (Kenny, Voldal, Xia & Heagerty 2022); ``total``,
        ``nde``, ``nie``, ... are then equally weighted averages of the effects at exposure times
        ``1..exposure_window`` (the time-averaged treatment effect) and ``total@e``, ``nde@e``,
        ``nie@e`` the effects at exposure time ``e``, each versus never treated, over the
        site-periods observed at that exposure time. See :mod:`facmech.mediation.exposure`.
    exposure_time : str, optional
        Column of exposure times (0 untreated, 1 in the crossover period, 2 in the next, ...);
        by default derived from the treatment and ``period`` columns (calendar periods since each
        site's first treated period, plus one).
    exposure_window : int, optional
        Longest exposure time in the averaged effects (default: the longest observed).
    columns : mapping of node to column, optional
        With a ``graph`` whose node ids are not the data's column names: which column holds which
        node (``{"facilitation": "arm"}``; CLI ``--column facilitation=arm``). The analysis runs
        on a renamed copy; arguments may name the node or its column; results use node ids.

    Returns
    -------
    MediationResult

    Raises
    ------
    DataError, NotIdentifiedError, EstimationError

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> site = np.repeat(np.arange(20), 30)
    >>> a = (site % 2).astype(float)
    >>> m = 0.6 * a + rng.normal(size=600) + rng.normal(size=20)[site]
    >>> y = 0.2 * a + 0.5 * m + rng.normal(size=600) + rng.normal(size=20)[site]
    >>> df = pd.DataFrame({"site": site, "facilitation": a, "engagement": m, "uptake": y})
    >>> res = mediate(df, treatment="facilitation", mediators="engagement", outcome="uptake",
    ...               site="site", seed=1)
    >>> round(res["nie"].estimate, 2), res.n_sites
    (0.37, 20)
    """
    family = Family.parse(outcome_family)
    mfamily = Family.parse(mediator_family, argument="mediator_family")
    alpha = check_alpha(alpha)
    inference = parse_inference(inference, schemes=(MonteCarlo, Bootstrap), default=MonteCarlo)
    if columns is not None:  # map nodes held by differently named columns (issue 13)
        from facmech._columns import with_columns

        data, n = with_columns(columns, data, treatment=treatment, outcome=outcome,
                               site=site, period=period, exposure_time=exposure_time,
                               meds=mediators, covs=covariates)
        treatment, outcome, site, period = n["treatment"], n["outcome"], n["site"], n["period"]
        exposure_time, mediators, covariates = n["exposure_time"], n["meds"], n["covs"]
    ident, treatment, meds, outcome, chosen = consume_identification(
        identification, graph=graph, treatment=treatment, mediators=mediators, outcome=outcome,
        covariates=covariates, columns=getattr(data, "columns", ()))
    if treatment is None or not meds:
        missing = "treatment" if treatment is None else "mediators"
        raise ArgumentError(f"`{missing}` is required (or pass `identification=`)")
    covs = list(chosen or ())
    cov_obj = getattr(inference, "covariance", None)
    by = getattr(inference, "by", None) or getattr(cov_obj, "by", None)
    if by is not None:
        if site is not None and by != site:
            raise DataError(f"`inference` clusters by {by!r} but `site` is {site!r}")
        site = by
    source = resolve(
        data, treatment=treatment, mediators=meds, outcome=outcome, covariates=covs,
        cluster=site, time=period, exposure_time=exposure_time,
        mediator_formula=mediator_formula, outcome_formula=outcome_formula, models=models,
        random_intercept=random_intercept,
    )
    data, outcome, site = source.data, source.outcome, source.cluster
    if source.families is not None:
        family = source.families[outcome]
        mfamily = source.families[meds[0]]
    if source.interaction is not None:
        if interaction and not source.interaction and outcome_formula is not None:
            raise ArgumentError(
                "`interaction=True` but `outcome_formula` has no treatment-by-mediator term; "
                "write it in the formula ('y ~ a * m')"
            )
        interaction = bool(interaction or source.interaction)
    level = _treatment_level(treatment_level, graph, treatment, site)
    if effect_model is None:
        emodel = EffectModel.CONSTANT if exposure_time is None else EffectModel.EXPOSURE_TIME
    else:
        emodel = EffectModel.parse(effect_model)
    if exposure_window is not None and emodel is not EffectModel.EXPOSURE_TIME:
        raise ArgumentError(
            f"`exposure_window` ({exposure_window!r}) is only used with "
            "`effect_model=\"exposure_time\"`"
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        prepared = prepare(
            data, treatment=treatment, mediators=meds, outcome=outcome,
            covariates=list(source.covariates),
            site=site, period=period, outcome_family=family, mediator_family=mfamily,
            treatment_level=level, control=control, treated=treated, missing=missing,
            effect_model=emodel, exposure_time=exposure_time,
        )
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    notes = list(prepared.warnings)
    notes += [str(w.message) for w in caught if str(w.message) not in notes]
    if isinstance(inference, Bootstrap) and prepared.n_clusters is not None \
            and prepared.n_clusters < FEW_SITES:
        msg = (f"the site bootstrap under-covers with few sites (95% intervals covered about 86% "
               f"at 9 sites in simulations/mediation); with {prepared.n_clusters} sites prefer the "
               "default MonteCarlo inference (CR2 covariance, t draws)")
        warnings.warn(msg, FewClustersWarning, stacklevel=2)
        notes.append(msg)

    if ident is None and graph is not None:
        ident = mediation_identification(graph, treatment=treatment, mediators=meds,
                                         outcome=outcome, covariates=covs)
    if ident is not None:
        assumptions = (IN_MAP, *require_identified(ident))
    else:
        ident = mediation_identification(
            implied_graph(treatment, meds, outcome, covs), treatment=treatment,
            mediators=meds, outcome=outcome, covariates=covs)
        assumptions = (IMPLIED, *require_identified(ident))
    model_set_ = model_set(
        source, prepared, treatment=treatment, mediators=meds, covariates=source.covariates,
        time=period, outcome_family=family, mediator_family=mfamily, interaction=interaction,
        control=control, treated=treated, inference=inference,
    )
    if source.custom:
        batch = batch_effects(model_set_, prepared, inference=inference, alpha=alpha, seed=seed,
                              exposure_window=exposure_window)
    else:
        batch = mediate_arrays(
            prepared.treatment, prepared.mediators[None], prepared.outcome[None],
            prepared.covariates[None], site=prepared.cluster,
            naming=Naming(tuple(meds), treatment, outcome),
            strata=None if prepared.strata is None else prepared.strata[None],
            outcome_family=family, mediator_family=mfamily, interaction=interaction,
            inference=inference, alpha=alpha, seed=seed,
            exposure=None if prepared.exposure is None else prepared.exposure[None],
            exposure_window=exposure_window,
        )
    if prepared.exposure is not None:
        E = int(prepared.exposure.max())
        window = E if exposure_window is None else int(exposure_window)
        assumptions += (
            f"exposure-time effects (Kenny et al. 2022): every model has one indicator per "
            f"exposure time 1..{E} (periods since crossover, crossover period = 1) with period "
            f"fixed effects; total@e, nde@e, nie@e contrast exposure time e with never treated "
            f"over the site-periods observed at e; total, nde, nie, ... are their equally "
            f"weighted averages over exposure times 1..{window} (time-averaged effects); "
            "assumes effects depend on time since crossover, not on calendar period",
        )
    elif period is not None:
        assumptions += (
            "constant treatment effect (Hussey & Hughes model): one treatment coefficient per "
            "model; if effects change with time since crossover, use "
            "effect_model=\"exposure_time\"",
        )
    if batch.failed_draws[0]:
        notes.append(
            f"{int(batch.failed_draws[0])} bootstrap draws did not converge and were dropped"
        )
    effects: dict[EffectKey, Estimate] = {}
    ratios: dict[EffectKey, Estimate] = {}
    estimates = batch.estimates(0)
    for i, name in enumerate(batch.names):
        if not math.isfinite(batch.estimate[0, i]):
            if name.kind is EffectKind.PROP_MEDIATED:
                notes.append("proportion mediated not reported: the total effect is zero")
                continue
            raise EstimationError(f"the {name} estimate is not finite")
        est = estimates[name]
        if est.std_error is not None and not all(
            math.isfinite(v) for v in (est.std_error, est.ci_low, est.ci_high)
        ):
            if name.kind is EffectKind.PROP_MEDIATED:
                notes.append(
                    "proportion mediated not reported: the total effect is zero in some "
                    "resampled data sets, where nie / total is undefined (its standard error and "
                    "interval would be NaN); report nie and total instead"
                )
                continue
            notes.append(f"the standard error or interval of {name} is not finite")
        if name.ratio:
            ratios[name.difference_scale()] = est
            continue
        effects[name] = est
    if len(meds) > 1:
        assumptions += (
            "via:<mediator> effects: through that mediator and later ones, not through earlier "
            "ones; identified without further assumptions (they sum to nie)",
        )
        if any(k.kind is EffectKind.PATH for k in effects):
            assumptions += (
                "path:<...> effects: products of coefficients, valid only under linear models "
                "without treatment-mediator interaction (additional assumption)",
            )
        else:
            notes.append(
                "path-specific effects need a Gaussian outcome without interaction; not reported"
            )
    mname = "OLS" if mfamily is Family.GAUSSIAN else f"{mfamily.value} GLM"
    oname = "OLS" if family is Family.GAUSSIAN else f"{family.value} GLM"
    if source.mixed:
        mname = oname = f"MixedLM (REML, random intercept for {site})"
    method = (
        f"mediators: {mname}; outcome: {oname}"
        + (" with treatment-mediator interaction" if interaction else "")
        + (f"; period fixed effects ({period})" if period else "")
        + ("; exposure-time indicators" if prepared.exposure is not None else "")
        + ("; statsmodels formulas" if source.formulas is not None else "")
        + "; "
        + ("plug-in only (no inference)" if inference is None
           else model_set_.describe_inference(inference, prepared.n_clusters, batch.df))
    )
    return MediationResult(
        effects=effects, risk_ratios=ratios, treatment=treatment, mediators=tuple(meds),
        outcome=outcome,
        covariates=tuple(covs), outcome_family=family.value, interaction=bool(interaction),
        alpha=float(alpha), n_obs=len(prepared.frame), n_sites=prepared.n_clusters,
        method=method,
        scale="mean difference" if family is Family.GAUSSIAN else "risk difference",
        assumptions=tuple(assumptions), warnings=tuple(notes), site=site, period=period,
        models=model_set_, mediator_family=mfamily, treatment_level=level,
        effect_model=emodel, inference=inference, data=prepared,
        identification=ident,
    )
