"""Validation of a mediation call's data and conversion to numeric arrays.

Everything is checked once, here, with :class:`facmech.errors.DataError` messages naming the
argument or column, the value found and what is allowed. The caller's frame is never modified:
rows are selected into a new frame and all encoding happens on copies.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from facmech._validation import (
    require_columns,
    require_finite,
    require_frame,
    require_nonconstant,
    require_numbers,
    require_scale,
    show_value,
    unique_columns,
)
from facmech.errors import ArgumentError, DataError, FewClustersWarning
from facmech.mediation.exposure import exposure_times
from facmech.mediation.spec import EffectModel, Family, TreatmentLevel

__all__ = ["MediationData", "prepare"]

MIN_SITES = 4
FEW_SITES = 20


@dataclass(frozen=True, eq=False)
class MediationData:
    """Numeric arrays of one analysis (after dropping rows with ``missing="drop"``).

    ``covariates`` holds expanded covariate dummies and period fixed effects (no intercept);
    ``covariate_names`` their column names; ``cluster`` site codes ``0..G-1`` or None; ``strata``
    one bootstrap stratum per site (its treatment sequence); ``frame`` the analysed rows (a copy);
    ``exposure`` the exposure time of every row under the exposure-time effect model, else None.
    """

    treatment: np.ndarray
    mediators: np.ndarray
    outcome: np.ndarray
    covariates: np.ndarray
    covariate_names: tuple[str, ...]
    cluster: np.ndarray | None
    strata: np.ndarray | None
    n_clusters: int | None
    time_codes: np.ndarray | None
    frame: pd.DataFrame
    dropped: int
    warnings: tuple[str, ...]
    exposure: np.ndarray | None = None


def _binary_treatment(col: pd.Series, name: str, control: object, treated: object) -> np.ndarray:
    values = pd.unique(col)
    if control is not None or treated is not None:
        if control is None or treated is None:
            raise DataError("give both `control=` and `treated=` values, or neither")
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            return _continuous_treatment(col, control, treated)
        for v, what in ((control, "control"), (treated, "treated")):
            if not (col == v).any():
                raise DataError(
                    f"`{what}` value {v!r} does not occur in treatment column {name!r} "
                    f"(values: {sorted(map(str, values))[:10]})"
                )
        keep = col.isin([control, treated])
        if not keep.all():
            raise DataError(
                f"treatment column {name!r} has {int((~keep).sum())} rows with values other than "
                f"control={control!r} and treated={treated!r}; subset the data first"
            )
        return (col == treated).to_numpy(dtype=float)
    if len(values) != 2:
        raise DataError(
            f"treatment column {name!r} must take exactly two values (found {len(values)}: "
            f"{sorted(map(str, values))[:10]}); pass `control=` and `treated=` to choose two"
        )
    try:
        lo, hi = sorted(values)
    except TypeError:
        lo, hi = sorted(values, key=str)
    if set(values) != {0, 1} and set(values) != {False, True}:
        # Two values but not 0/1: the larger (sorted) one is taken as treated; say so explicitly.
        warnings.warn(
            f"treatment column {name!r} has values {lo!r} and {hi!r}; {hi!r} is taken as treated "
            "(pass `control=`/`treated=` to choose)",
            stacklevel=4,
        )
    return (col == hi).to_numpy(dtype=float)


def _continuous_treatment(col: pd.Series, control: object, treated: object) -> np.ndarray:
    """A numeric treatment (e.g. a dose) compared at two values, as R mediation's
    ``control.value``/``treat.value``: coded :math:`(A - a_0)/(a_1 - a_0)`, the same linear
    models reparametrized, so the effects at codes 0 and 1 are those at ``control`` and
    ``treated``."""
    for v, what in ((control, "control"), (treated, "treated")):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
            raise ArgumentError(
                f"`{what}` must be a finite number for the numeric treatment column "
                f"{col.name!r} (got {v!r})"
            )
    if float(control) == float(treated):
        raise ArgumentError(
            f"`control` and `treated` must differ (both {control!r})"
        )
    return (col.to_numpy(dtype=float) - float(control)) / (float(treated) - float(control))


def _expand(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    blocks, names = [], []
    for c in columns:
        s = frame[c]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            blocks.append(s.to_numpy(dtype=float)[:, None])
            names.append(str(c))
        else:
            d = pd.get_dummies(s.astype("category"), prefix=str(c), prefix_sep="=", drop_first=True)
            blocks.append(d.to_numpy(dtype=float))
            names.extend(map(str, d.columns))
    if not blocks:
        return np.zeros((len(frame), 0)), []
    return np.concatenate(blocks, axis=1), names


def prepare(
    data: object,
    *,
    treatment: str,
    mediators: Sequence[str],
    outcome: str,
    covariates: Sequence[str],
    site: str | None,
    period: str | None,
    outcome_family: Family,
    mediator_family: Family,
    treatment_level: TreatmentLevel,
    control: object,
    treated: object,
    missing: str,
    effect_model: EffectModel = EffectModel.CONSTANT,
    exposure_time: str | None = None,
) -> MediationData:
    """Validate the data of a :func:`facmech.mediation.mediate` call and build its arrays."""
    frame = require_frame(data)
    if isinstance(mediators, str):
        mediators = [mediators]
    if isinstance(covariates, str):
        covariates = [covariates]
    mediators, covariates = list(mediators), list(covariates)
    if not mediators:
        raise DataError("`mediators` must name at least one column")
    roles = {"treatment": [treatment], "outcome": [outcome], "mediators": mediators}
    seen: dict[str, str] = {}
    for role, cols in [*roles.items(), ("covariates", covariates)]:
        for c in cols:
            if c in seen:
                raise DataError(f"column {c!r} is given both as `{seen[c]}` and as `{role}`")
            seen[c] = role
    for extra, role in ((site, "site"), (period, "period"), (exposure_time, "exposure_time")):
        if extra is not None and extra in seen:
            raise DataError(f"column {extra!r} is given both as `{seen[extra]}` and as `{role}`")
        if extra is not None:
            seen[extra] = role
    if effect_model is EffectModel.EXPOSURE_TIME:
        if period is None or site is None:
            raise DataError(
                "`effect_model=\"exposure_time\"` needs `period` (the period column) and `site` "
                "(the site column) of a stepped-wedge trial (got "
                f"period={period!r}, site={site!r})"
            )
        if treatment_level is not TreatmentLevel.SITE:
            raise DataError(
                "`effect_model=\"exposure_time\"` needs a site-level treatment (a site's time "
                f"since crossover); got `treatment_level={treatment_level.value!r}`"
            )
    elif exposure_time is not None:
        raise DataError(
            f"`exposure_time` column {exposure_time!r} is only used with "
            "`effect_model=\"exposure_time\"`"
        )
    if mediator_family.binary and len(mediators) != 1:
        raise DataError(
            f"`mediator_family={mediator_family.value!r}` (a binary mediator) needs exactly one "
            f"mediator (got {len(mediators)}); model several mediators as Gaussian"
        )
    used = [treatment, *mediators, outcome, *covariates]
    used += [c for c in (site, period, exposure_time) if c is not None]
    require_columns(frame, used)
    unique_columns(frame, used)
    if missing not in {"raise", "drop"}:
        raise DataError(f"`missing` must be 'raise' or 'drop' (got {missing!r})")
    na = frame[used].isna()
    dropped = int(na.any(axis=1).sum())
    notes: list[str] = []
    if dropped:
        if missing == "raise":
            counts = na.sum()
            detail = ", ".join(f"{c!r}: {int(k)}" for c, k in counts[counts > 0].items())
            raise DataError(
                f"`data` has missing values ({detail}; {dropped} rows affected); pass "
                "`missing=\"drop\"` to analyse complete rows only"
            )
        notes.append(f"dropped {dropped} of {len(frame)} rows with missing values")
    sub = frame.loc[~na.any(axis=1), used].copy()
    if len(sub) == 0:
        raise DataError("no complete rows remain after dropping missing values")
    _check_values(sub, treatment=treatment, mediators=mediators, outcome=outcome,
                  covariates=covariates, exposure_time=exposure_time)
    for c in [*mediators, outcome]:
        if not (pd.api.types.is_numeric_dtype(sub[c]) or pd.api.types.is_bool_dtype(sub[c])):
            raise DataError(
                f"column {c!r} must be numeric (found dtype {sub[c].dtype}); "
                "mediators and the outcome are modelled as numbers"
            )
    require_nonconstant(sub, mediators, role="mediator")
    require_nonconstant(sub, [outcome], role="outcome")
    if mediator_family.binary:
        mv = sub[mediators[0]].to_numpy(dtype=float)
        bad_m = ~np.isin(mv, (0.0, 1.0))
        if bad_m.any():
            raise DataError(
                f"mediator column {mediators[0]!r} must be 0/1 for `mediator_family="
                f"{mediator_family.value!r}` (found {int(bad_m.sum())} other values, e.g. "
                f"{sorted(set(np.unique(mv[bad_m]).tolist()))[:5]})"
            )
    y = sub[outcome].to_numpy(dtype=float)
    if outcome_family.binary:
        bad = ~np.isin(y, (0.0, 1.0))
        if bad.any():
            odd = sorted(set(np.unique(y[bad]).tolist()))[:5]
            raise DataError(
                f"outcome column {outcome!r} must be 0/1 for `outcome_family="
                f"{outcome_family.value!r}` (found {int(bad.sum())} other values, e.g. {odd})"
            )
    a = _binary_treatment(sub[treatment], treatment, control, treated)
    M = sub[mediators].to_numpy(dtype=float)

    codes = strata = None
    G = None
    if site is not None:
        codes, uniques = pd.factorize(sub[site], sort=True)
        G = len(uniques)
        if G < MIN_SITES:
            raise DataError(
                f"site column {site!r} has {G} sites; at least {MIN_SITES} are needed for "
                "site-level inference"
            )
        if G < FEW_SITES:
            msg = (
                f"only {G} sites in {site!r}: large-sample cluster-robust inference is "
                "unreliable; keep the default small-sample correction (CR2 with t draws)"
            )
            warnings.warn(msg, FewClustersWarning, stacklevel=3)
            notes.append(msg)
        keys = [codes] if period is None else [codes, pd.factorize(sub[period], sort=True)[0]]
        unit = pd.Series(a).groupby(keys)
        if treatment_level is TreatmentLevel.SITE:
            varies = unit.nunique() > 1
            if varies.any():
                where = "site" if period is None else "site-period"
                raise DataError(
                    f"treatment {treatment!r} varies within {int(varies.sum())} {where}(s) but is "
                    f"declared site-level; pass `treatment_level=\"patient\"` (CLI: "
                    "`--treatment-level patient`) if patients were randomized individually"
                )
        # stratum of each site: its treatment sequence (arm; step of a stepped wedge); one
        # stratum for a continuous treatment (a dose: each site would be its own stratum)
        if not np.isin(a, (0.0, 1.0)).all():
            strata = np.zeros(G, dtype=int)
        elif period is None:
            seq = pd.Series(a).groupby(codes).mean().round(6)
            strata = pd.factorize(seq.astype(str))[0]
        else:
            t = pd.factorize(sub[period], sort=True)[0]
            tab = pd.Series(a).groupby([codes, t]).mean().round(6).unstack(fill_value=-1)
            strata = pd.factorize(tab.astype(str).agg("|".join, axis=1))[0]
    elif period is not None:
        raise DataError("`period` (stepped-wedge periods) requires `site` (the site column)")
    cov_cols = list(covariates)
    X, names = _expand(sub, cov_cols)
    if period is not None:
        td = pd.get_dummies(sub[period].astype("category"), prefix=str(period), prefix_sep="=",
                            drop_first=True)
        X = np.concatenate([X, td.to_numpy(dtype=float)], axis=1)
        names += list(map(str, td.columns))
    n_par = 2 + len(mediators) + X.shape[1]  # the outcome model: intercept, treatment, ...
    if len(sub) <= n_par:
        widths = {c: sum(nm.startswith(f"{c}=") for nm in names) for c in cov_cols}
        wide = max(widths, key=widths.get, default=None)
        why = (f"; covariate `{wide}` is categorical with {widths[wide] + 1} categories"
               if wide is not None and widths[wide] > 1 else "")
        raise DataError(
            f"`data` has {len(sub)} complete rows, too few for the outcome model's {n_par} "
            f"parameters (intercept, treatment, {len(mediators)} mediator(s) and {X.shape[1]} "
            f"covariate or period column(s){why}); at least {n_par + 1} rows are needed"
        )
    exposure = None
    if effect_model is EffectModel.EXPOSURE_TIME:
        tcodes = pd.factorize(sub[period], sort=True)[0]
        derived = exposure_times(a, np.asarray(codes), tcodes)
        if exposure_time is None:
            exposure = derived
        else:
            exposure = _exposure_column(sub[exposure_time], exposure_time, a)
    return MediationData(
        treatment=a,
        mediators=M,
        outcome=y,
        covariates=X,
        covariate_names=tuple(names),
        cluster=None if codes is None else np.asarray(codes, dtype=int),
        strata=None if strata is None else np.asarray(strata),
        n_clusters=G,
        time_codes=None if period is None else pd.factorize(sub[period], sort=True)[0],
        frame=sub,
        dropped=dropped,
        warnings=tuple(notes),
        exposure=exposure,
    )


# Regressors (mediators, covariates) within this factor of the intercept's scale keep the models'
# precision (checked to 1e-12 in tests/mediation/test_data_values.py); outcomes may range wider,
# up to where their squares would overflow or underflow.
REGRESSOR_SCALE = 1e10
OUTCOME_SCALE = 1e150


def _check_values(
    sub: pd.DataFrame,
    *,
    treatment: str,
    mediators: Sequence[str],
    outcome: str,
    covariates: Sequence[str],
    exposure_time: str | None,
) -> None:
    """Refuse values the models cannot use, naming the column, the values and their rows: text
    among numbers, dates, complex numbers, inf, scales the fits cannot resolve, constant
    covariates (collinear with the intercept)."""
    for c in [*mediators, outcome]:
        require_numbers(sub, c, role="mediator" if c != outcome else "outcome", categories=False)
    for c in covariates:
        require_numbers(sub, c, role="covariate", categories=True)
    require_finite(sub, [treatment], role="treatment")
    require_finite(sub, mediators, role="mediator")
    require_finite(sub, [outcome], role="outcome")
    require_finite(sub, covariates, role="covariate")
    if exposure_time is not None:
        require_finite(sub, [exposure_time], role="`exposure_time`")
    for c in mediators:
        require_scale(sub, c, role="mediator", limit=REGRESSOR_SCALE)
    for c in covariates:
        require_scale(sub, c, role="covariate", limit=REGRESSOR_SCALE)
    require_scale(sub, outcome, role="outcome", limit=OUTCOME_SCALE)
    for c in covariates:
        if sub[c].nunique(dropna=True) < 2:
            raise DataError(
                f"covariate column `{c}` is constant (value {show_value(sub[c].iloc[0])}): it duplicates "
                "the models' intercept; drop it"
            )


def _exposure_column(col: pd.Series, name: str, a: np.ndarray) -> np.ndarray:
    """Validate a user-given exposure-time column: integers, 0 exactly when untreated."""
    if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        raise DataError(
            f"`exposure_time` column {name!r} must hold integer exposure times (found dtype "
            f"{col.dtype})"
        )
    v = col.to_numpy(dtype=float)
    bad = (v != np.round(v)) | (v < 0)
    if bad.any():
        raise DataError(
            f"`exposure_time` column {name!r} must hold integers >= 0 (found {int(bad.sum())} "
            f"other values, e.g. {sorted(set(v[bad].tolist()))[:5]})"
        )
    wrong = (v > 0) != (a > 0)
    if wrong.any():
        raise DataError(
            f"`exposure_time` column {name!r} must be 0 exactly in untreated rows and >= 1 in "
            f"treated rows ({int(wrong.sum())} rows disagree with the treatment)"
        )
    return v.astype(int)
