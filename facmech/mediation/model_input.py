"""The models of a ``mediate`` call: built by facmech, given as formulas, or given fitted.

``mediate`` accepts, as statsmodels' ``Mediation`` and R's ``mediate`` do, either column roles
(facmech builds the formulas), patsy formulas for some or all models (``mediator_formula=``,
``outcome_formula=``) or fitted statsmodels models (``models=[m_fit, y_fit]``, fitted with the
formula API so their formula and data are known). :func:`resolve` checks these at the boundary and
returns what :func:`facmech.mediation.data.prepare` validates; :func:`model_set` then builds the
:class:`~facmech.mediation.statsmodels_models.ModelSet` from the prepared data, and
:func:`batch_effects` runs the analysis on it when the models are the user's or mixed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from facmech._random import SeedLike
from facmech.errors import ArgumentError, DataError, closest
from facmech.estimates import Estimate
from facmech.mediation.formulas import (
    categorical_columns,
    check_model,
    default_formulas,
    parse_formula,
)
from facmech.mediation.inference import Bootstrap, Classical, MonteCarlo
from facmech.mediation.spec import Family
from facmech.mediation.statsmodels_models import ModelSet, roles

__all__ = ["ModelInput", "batch_effects", "model_set", "resolve"]


@dataclass(frozen=True, eq=False)
class ModelInput:
    """The resolved model sources of a call (see :func:`resolve`)."""

    data: pd.DataFrame
    outcome: str
    covariates: tuple[str, ...]
    cluster: str | None
    formulas: Mapping[str, str] | None
    fitted: Mapping[str, Any] = field(default_factory=dict)
    families: Mapping[str, Family] | None = None
    mixed: bool = False
    interaction: bool | None = None

    @property
    def custom(self) -> bool:
        """Whether the analysis runs on statsmodels fits (formulas, fitted or mixed models)."""
        return self.formulas is not None or self.mixed


def _family_of(res: Any, what: str) -> tuple[Family, bool]:
    model = getattr(res, "model", None)
    kind = type(model).__name__
    if kind == "OLS":
        return Family.GAUSSIAN, False
    if kind == "MixedLM":
        return Family.GAUSSIAN, True
    if kind == "GLM":
        fam, link = type(model.family).__name__, type(model.family.link).__name__
        if fam == "Binomial" and link in {"Logit", "Probit"}:
            return (Family.BINOMIAL if link == "Logit" else Family.PROBIT), False
        raise ArgumentError(
            f"`models`: {what} is a {fam} GLM with {link} link; facmech handles binomial GLMs "
            "with logit or probit link"
        )
    raise ArgumentError(
        f"`models`: {what} must be a fitted statsmodels OLS, GLM (binomial logit/probit) or "
        f"MixedLM results object (got {type(res).__name__})"
    )


def _from_fitted(models: object, mediators: Sequence[str], outcome: str | None,
                 cluster: str | None) -> dict[str, Any]:
    if isinstance(models, str | bytes | Mapping) or not isinstance(models, Sequence):
        raise ArgumentError(
            f"`models` must be a list of fitted statsmodels models, mediator models then the "
            f"outcome model (got {type(models).__name__})"
        )
    if len(models) != len(mediators) + 1:
        raise ArgumentError(
            f"`models` must hold one model per mediator ({len(mediators)}) and one outcome model "
            f"(got {len(models)})"
        )
    fitted, fams, mixed = {}, {}, set()
    for i, res in enumerate(models):
        fam, mx = _family_of(res, f"model {i}")
        formula = getattr(res.model, "formula", None)
        if formula is None or getattr(res.model.data, "frame", None) is None:
            raise ArgumentError(
                f"`models`: model {i} was not fitted from a formula; fit it with "
                "statsmodels.formula.api (ols, glm, mixedlm) so its formula and data are known"
            )
        name = str(res.model.endog_names)
        if name in fitted:
            raise ArgumentError(f"`models`: two models of {name!r}")
        fitted[name], fams[name] = res, fam
        mixed.add(mx)
    if len(mixed) > 1:
        raise ArgumentError(
            "`models`: either every model is a MixedLM (random intercepts) or none is"
        )
    outs = [n for n in fitted if n not in mediators]
    if len(outs) != 1 or any(m not in fitted for m in mediators):
        raise ArgumentError(
            f"`models` model {list(fitted)}; expected one model per mediator {list(mediators)} "
            "and one outcome model"
        )
    if outcome is not None and outs[0] != outcome:
        raise ArgumentError(f"`outcome` is {outcome!r} but the outcome model models {outs[0]!r}")
    frames = [r.model.data.frame for r in fitted.values()]
    if len({len(f) for f in frames}) != 1:
        raise DataError("`models` were fitted on data frames with different numbers of rows")
    frame = frames[-1]
    if mixed == {True} and cluster is None:
        groups = np.asarray(fitted[outs[0]].model.groups)
        same = [c for c in frame.columns if len(frame[c]) == len(groups)
                and np.array_equal(frame[c].to_numpy(), groups)]
        if not same:
            raise ArgumentError(
                "`models` are MixedLM fits whose groups are not a column of their data; pass "
                "`site=` (the site column)"
            )
        cluster = str(same[0])
    return {"fitted": fitted, "families": fams, "mixed": mixed == {True}, "frame": frame,
            "outcome": outs[0], "cluster": cluster}


def resolve(
    data: object,
    *,
    treatment: str,
    mediators: Sequence[str],
    outcome: str | None,
    covariates: Sequence[str],
    cluster: str | None,
    time: str | None,
    exposure_time: str | None,
    mediator_formula: object = None,
    outcome_formula: object = None,
    models: object = None,
    random_intercept: object = False,
) -> ModelInput:
    """Check the model arguments of a ``mediate`` call and return what ``prepare`` validates."""
    if not isinstance(random_intercept, bool | np.bool_):
        raise ArgumentError(f"`random_intercept` must be True or False (got {random_intercept!r})")
    meds = list(mediators)
    fitted: dict[str, Any] = {}
    families = None
    mixed = bool(random_intercept)
    if models is not None:
        if mediator_formula is not None or outcome_formula is not None:
            raise ArgumentError("give `models` or formulas (`mediator_formula`, "
                                "`outcome_formula`), not both")
        if data is not None:
            raise ArgumentError("`data` must be None with `models`: the fitted models carry "
                                "their data")
        got = _from_fitted(models, meds, outcome, cluster)
        fitted, families, data = got["fitted"], got["families"], got["frame"]
        outcome, cluster, mixed = got["outcome"], got["cluster"], got["mixed"] or mixed
        formulas: dict[str, str] | None = {n: r.model.formula for n, r in fitted.items()}
        treat_col = data[treatment] if treatment in data else None
        if treat_col is not None and not pd.api.types.is_numeric_dtype(treat_col):
            raise DataError(
                f"`models`: treatment column {treatment!r} must be numeric in the models' data "
                f"(found dtype {treat_col.dtype}) so that it enters as one term"
            )
    else:
        formulas = None
        if data is None:
            raise ArgumentError("`data` is required (or pass fitted `models=`)")
        if mediator_formula is not None or outcome_formula is not None:
            formulas = {}
            if isinstance(mediator_formula, str):
                if len(meds) != 1:
                    raise ArgumentError(
                        "`mediator_formula` must be a dict {mediator: formula} with several "
                        f"mediators (got one formula for {meds})"
                    )
                mediator_formula = {meds[0]: mediator_formula}
            if mediator_formula is not None:
                if not isinstance(mediator_formula, Mapping):
                    raise ArgumentError(
                        "`mediator_formula` must be a formula string or a dict {mediator: "
                        f"formula}} (got {type(mediator_formula).__name__})"
                    )
                for key, f in mediator_formula.items():
                    if key not in meds:
                        raise ArgumentError(
                            f"`mediator_formula` has a formula for {key!r}, which is not one of "
                            f"`mediators` {meds}." + closest(str(key), meds)
                        )
                    formulas[key] = f
            if outcome_formula is not None:
                if not isinstance(outcome_formula, str) or "~" not in outcome_formula:
                    raise ArgumentError(
                        f"`outcome_formula` must be a formula string like 'y ~ a + m' (got "
                        f"{outcome_formula!r})"
                    )
                lhs = outcome_formula.split("~", 1)[0].strip()
                if outcome is None:
                    outcome = lhs
                formulas[outcome] = outcome_formula
    if outcome is None:
        raise ArgumentError("`outcome` is required (or give `outcome_formula` or `models`)")
    frame = data if isinstance(data, pd.DataFrame) else None
    extra: list[str] = []
    interaction = None
    if formulas is not None and frame is not None:
        cols = [str(c) for c in frame.columns]
        terms = {}
        for name, f in formulas.items():
            arg = "outcome_formula" if name == outcome else "mediator_formula"
            terms[name] = parse_formula(f, argument="models" if models is not None else arg,
                                        columns=cols)
        if outcome in meds:
            raise DataError(f"`outcome` {outcome!r} is also one of `mediators`")
        interaction = _check_roles(terms, treatment, meds, outcome,
                                   "models" if models is not None else None)
        skip = {treatment, *meds, outcome, cluster, time, exposure_time}
        for t in terms.values():
            extra += sorted(v for v in t.variables if v not in skip and v not in extra)
    covs = list(covariates) + [c for c in extra if c not in covariates]
    if mixed and cluster is None:
        raise ArgumentError("`random_intercept=True` needs `site` (the site column)")
    return ModelInput(data, outcome, tuple(covs), cluster, formulas, fitted, families, mixed,
                      interaction)


def _check_roles(terms, treatment, meds, outcome, argument) -> bool:
    """:func:`check_model` on every model that has a formula; whether any has an interaction."""
    inter = False
    for name, t in terms.items():
        if name == outcome:
            inter |= check_model(t, argument=argument or "outcome_formula", name=name,
                                 treatment=treatment, earlier=meds, later=[], required=meds)
        else:
            j = meds.index(name)
            inter |= check_model(t, argument=argument or "mediator_formula", name=name,
                                 treatment=treatment, earlier=meds[:j], later=meds[j:])
    return inter


def model_set(
    source: ModelInput,
    prepared: Any,
    *,
    treatment: str,
    mediators: Sequence[str],
    covariates: Sequence[str],
    time: str | None,
    outcome_family: Family,
    mediator_family: Family,
    interaction: bool,
    control: object,
    treated: object,
    inference: object,
) -> ModelSet:
    """The :class:`ModelSet` of an analysis on its prepared (validated) rows."""
    if source.mixed and (outcome_family.binary or mediator_family.binary):
        raise ArgumentError(
            "`random_intercept=True` fits linear mixed models (statsmodels MixedLM): "
            "`outcome_family` and `mediator_family` must be 'gaussian' (got "
            f"{outcome_family.value!r}, {mediator_family.value!r})"
        )
    if prepared.exposure is not None and not np.isin(prepared.treatment, (0.0, 1.0)).all():
        raise DataError(
            "`effect_model=\"exposure_time\"` needs a two-valued treatment (a site is treated "
            "from its crossover on); a continuous dose with `control=`/`treated=` values is not "
            "an exposure-time rollout"
        )
    frame = prepared.frame.copy()
    col = frame[treatment]
    continuous = control is not None and pd.api.types.is_numeric_dtype(col) \
        and not pd.api.types.is_bool_dtype(col)
    if source.fitted:
        vals = np.unique(col.to_numpy(dtype=float))
        lo, hi = (float(control), float(treated)) if control is not None else (vals[0], vals[-1])
    elif continuous:
        lo, hi = float(control), float(treated)
    else:
        frame[treatment] = prepared.treatment
        lo, hi = 0.0, 1.0
    exposure = None
    if prepared.exposure is not None:
        exposure = "exposure_time"
        while exposure in frame.columns and exposure != treatment:
            exposure += "_"
        frame[exposure] = prepared.exposure
    families = {m: mediator_family for m in mediators}
    families[source.outcome] = outcome_family
    if source.families is not None:
        families = dict(source.families)
    cat = categorical_columns(frame, list(covariates))
    formulas = default_formulas(
        treatment=treatment, mediators=list(mediators), outcome=source.outcome,
        covariates=list(covariates), categorical=cat, time=time, interaction=interaction,
        exposure=exposure,
    )
    if source.formulas is not None:
        formulas.update(source.formulas)
    if source.mixed:
        cov = None
        if isinstance(inference, MonteCarlo) and inference.covariance is not None \
                and not isinstance(inference.covariance, Classical):
            raise ArgumentError(
                "`inference`: with `random_intercept=True` the intervals use the mixed models' "
                "covariance; pass MonteCarlo() or MonteCarlo(covariance=Classical())"
            )
    elif isinstance(inference, MonteCarlo):
        cov = inference.resolved_covariance(prepared.cluster is not None)
    else:
        cov = MonteCarlo().resolved_covariance(prepared.cluster is not None)
    groups = None
    if source.mixed:
        groups = prepared.frame[source.cluster].to_numpy()
    return ModelSet(
        formulas=formulas, families=families,
        roles=roles(treatment, mediators, source.outcome, control=lo, treated=hi,
                    exposure=exposure),
        frame=frame, groups=groups, cluster=prepared.cluster, mixed=source.mixed,
        covariance=cov, _cache=dict(source.fitted),
    )


def batch_effects(models: ModelSet, prepared: Any, *, inference: object, alpha: float,
                  seed: SeedLike, exposure_window: int | None):
    """Effects of an analysis on its statsmodels fits, as the batched core returns them."""
    from facmech.mediation.engine import BatchEffects

    if isinstance(inference, Bootstrap):
        raise ArgumentError(
            "`inference=Bootstrap(...)` is not available with formulas, fitted models or random "
            "intercepts (every draw would refit each statsmodels model); use MonteCarlo()"
        )
    draws = inference.draws if isinstance(inference, MonteCarlo) else 2
    point, deff, df = models.effect_draws(
        draws=draws, seed=seed, exposure=prepared.exposure, treatment=prepared.treatment,
        window=exposure_window,
    )
    names = tuple(point)
    est = np.array([[point[n] for n in names]])
    if inference is None:
        return BatchEffects(names, est, None, None, None, None, None, np.zeros(1, int), None)
    nan = (np.nan,) * 4
    rows = [_interval(Estimate.from_draws(point[n], deff[n], alpha=alpha))
            if np.isfinite(point[n]) else nan for n in names]
    cols = [np.array([[r[i] for r in rows]], dtype=float) for i in range(4)]
    return BatchEffects(names, est, *cols, None, np.zeros(1, int), df)


def _interval(e: Estimate) -> tuple[float, float, float, float]:
    return e.std_error, e.ci_low, e.ci_high, e.p_value  # type: ignore[return-value]
