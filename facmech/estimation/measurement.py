r"""Measurement error of survey constructs aggregated to site-periods, and its correction.

Implementation mechanisms (leadership engagement, trust, normalization) are measured by surveying a
few staff per site and period; the analysis uses the site-period mean of their scale scores. That
mean is the construct plus sampling error, and a regression on it is attenuated. This module
measures the error from the survey table and gives the correction of the normal equations that
makes the regression consistent.

Reliability (Bliese 2000)
-------------------------
For one construct with respondent scale scores :math:`s_{gr}` in groups (site-periods)
:math:`g = 1..G` of sizes :math:`n_g` (:math:`N = \sum n_g`), the one-way ANOVA mean squares
:math:`\mathrm{MSB} = \sum_g n_g(\bar s_g - \bar s)^2/(G-1)` and
:math:`\mathrm{MSW} = \sum_g\sum_r (s_{gr} - \bar s_g)^2/(N-G)` give

.. math::

    \mathrm{ICC}(1) = \frac{\mathrm{MSB} - \mathrm{MSW}}{\mathrm{MSB} + (n_0 - 1)\mathrm{MSW}},
    \qquad
    \mathrm{ICC}(2) = \frac{\mathrm{MSB} - \mathrm{MSW}}{\mathrm{MSB}}
    = \frac{n_0\,\mathrm{ICC}(1)}{1 + (n_0 - 1)\mathrm{ICC}(1)},

with :math:`n_0 = (N - \sum_g n_g^2/N)/(G-1)` (the mean group size when balanced). ICC(1) is the
share of a single response's variance that is between groups; ICC(2) the reliability of a group mean
of :math:`n_0` responses, the Spearman-Brown formula :math:`\rho_n = n\rho_1/(1 + (n-1)\rho_1)`
(:func:`spearman_brown`), whose inverse gives the respondents needed for a target reliability
(:func:`respondents_needed`). Bliese, P. D. (2000). Within-group agreement, non-independence, and
reliability. In Klein & Kozlowski (eds.), *Multilevel Theory, Research, and Methods in
Organizations*, 349-381. Jossey-Bass. The reliability of site-period :math:`g`'s own mean is the
Spearman-Brown value at its :math:`n_g`.

Error variance of a site-period mean
------------------------------------
Respondents are a sample of the site-period's staff, so the mean's error variance is the
within-site-period variance over the number of respondents, :math:`\hat\sigma^2_g / n_g`; for several
constructs the error covariance is the within-site-period covariance of the scale scores over
:math:`n_g` (the same respondents answer every construct) (:func:`site_period_errors`). A
site-period with a single respondent has no within variance of its own; it takes the pooled
:math:`\mathrm{MSW}` (and is counted in the result).

Moment correction of the normal equations (Fuller 1987)
-------------------------------------------------------
Let the regressors be :math:`x_r = \xi_r + u_r`, with error :math:`u_r` (zero in the error-free
columns) whose covariance in site-period :math:`g` is :math:`\Sigma_g`; errors of different
site-periods are independent (fresh survey samples). For any weight matrix :math:`W` (least
squares, weighted, or a GLS whitening such as the random-intercept quasi-demeaning),

.. math::

    E[X'WX] = \Xi'W\Xi + \sum_g \omega_g \Sigma_g, \qquad
    \omega_g = \sum_{r, s \in g} W_{rs},

and likewise :math:`E[X'Wy] = \Xi'Wy + \sum_g \omega_g \sigma_{g,uy}` when the dependent variable
is itself an error-prone construct measured by the same respondents. The errors-in-variables
estimator :math:`\hat\beta = (X'WX - C)^{-1}(X'Wy - c)` with
:math:`C = \sum_g\omega_g\hat\Sigma_g`, :math:`c = \sum_g\omega_g\hat\sigma_{g,uy}`
(:func:`normal_equation_correction`) is consistent (Fuller, W. A. (1987). *Measurement Error
Models*. Wiley, sections 2.2 and 3.1, the moment estimator with known or estimated error
covariance). With diagonal weights :math:`\omega_g` is the total weight of the site-period's rows
(:func:`site_period_weights`); with :math:`T` site-period rows per site quasi-demeaned by
:math:`\lambda` it is :math:`1 - (2\lambda - \lambda^2)/T` for every site-period. Small samples can
make :math:`X'WX - C` indefinite; Fuller's section 2.5 modification shrinks the correction then
(not applied here: :func:`normal_equation_correction` only builds :math:`C` and :math:`c`).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> group = np.repeat(np.arange(2000), 8)
>>> true = rng.normal(size=2000)
>>> scores = true[group] + rng.normal(size=group.size)  # ICC(1) = 1 / (1 + 1) = 0.5
>>> r = group_reliability(scores, group)
>>> round(r.icc1, 2), round(r.icc2, 2), round(spearman_brown(0.5, 8), 3)
(0.5, 0.89, 0.889)
>>> respondents_needed(0.5, target=0.8)
4
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from facmech._validation import check_int
from facmech.errors import ArgumentError, DataError

__all__ = [
    "SCALE_RATIO",
    "GroupReliability",
    "SurveyMeasurement",
    "group_reliability",
    "normal_equation_correction",
    "respondents_needed",
    "site_period_errors",
    "site_period_weights",
    "spearman_brown",
    "survey_measurement",
]

#: Largest ratio of two items' standard deviations accepted within a construct: items of one scale
#: (say 1-5 Likert items) differ far less; a 0-100 item beside 1-5 items differs by ~20.
SCALE_RATIO = 3.0


@dataclass(frozen=True)
class GroupReliability:
    """One-way ANOVA reliability of one construct (see the module docstring)."""

    icc1: float
    icc2: float
    msb: float
    msw: float
    n0: float
    groups: int
    responses: int


def group_reliability(scores: np.ndarray, group: np.ndarray) -> GroupReliability:
    """ICC(1), ICC(2) and the mean squares of ``scores`` grouped by ``group`` (Bliese 2000).

    ``group`` holds integer group codes ``0..G-1``; every code must occur. ICC(1) is not truncated
    at 0 (a negative value says the groups differ less than chance).
    """
    s = np.asarray(scores, dtype=float)
    g = np.asarray(group)
    n_groups = int(g.max()) + 1 if g.size else 0
    n = np.bincount(g, minlength=n_groups).astype(float)
    if n_groups < 2 or np.any(n == 0):
        raise DataError("reliability needs at least two groups, each with a response")
    total = s.size
    if total - n_groups < 1:
        raise DataError("reliability needs a group with more than one response")
    means = np.bincount(g, weights=s, minlength=n_groups) / n
    grand = s.mean()
    msb = float((n * (means - grand) ** 2).sum() / (n_groups - 1))
    msw = float(((s - means[g]) ** 2).sum() / (total - n_groups))
    n0 = float((total - (n**2).sum() / total) / (n_groups - 1))
    icc1 = (msb - msw) / (msb + (n0 - 1) * msw) if msb + (n0 - 1) * msw > 0 else 0.0
    icc2 = (msb - msw) / msb if msb > 0 else 0.0
    return GroupReliability(icc1=float(icc1), icc2=float(icc2), msb=msb, msw=msw, n0=n0,
                            groups=n_groups, responses=total)


def spearman_brown(icc1: float | np.ndarray, n: float | np.ndarray) -> float | np.ndarray:
    """Reliability of the mean of ``n`` responses whose single-response reliability is ``icc1``.

    >>> round(spearman_brown(0.2, 10), 4)
    0.7143
    """
    icc1 = np.asarray(icc1, dtype=float)
    n = np.asarray(n, dtype=float)
    out = n * icc1 / (1.0 + (n - 1.0) * icc1)
    return float(out) if out.ndim == 0 else out


def respondents_needed(icc1: float, *, target: float = 0.8) -> int:
    """Fewest respondents per site-period whose mean reaches reliability ``target`` (inverse
    Spearman-Brown: :math:`n = \\rho(1 - \\rho_1)/(\\rho_1(1 - \\rho))`, rounded up).

    >>> respondents_needed(0.2, target=0.8)
    16
    """
    if not (isinstance(target, (int, float)) and 0 < target < 1):
        raise ArgumentError(f"`target` reliability must be in (0, 1) (got {target!r})")
    if not (isinstance(icc1, (int, float)) and 0 < icc1 < 1):
        raise ArgumentError(
            f"`icc1` must be in (0, 1) to reach a target reliability (got {icc1!r}): with no "
            "between-site-period variance no number of respondents suffices"
        )
    return max(1, math.ceil(target * (1 - icc1) / (icc1 * (1 - target)) - 1e-9))


def site_period_errors(scores: np.ndarray, group: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per group: respondents ``n`` (G,), means (G, P), within covariance (G, P, P) and the error
    covariance of the mean, within covariance over ``n`` (G, P, P).

    ``scores`` is (N, P): P constructs answered by the same N respondents. A group with one
    respondent gets the pooled within covariance.

    >>> s = np.array([[1.0, 2.0], [3.0, 2.0], [5.0, 6.0], [7.0, 8.0]])
    >>> n, m, w, e = site_period_errors(s, np.array([0, 0, 1, 1]))
    >>> n.tolist(), m.tolist(), e[0].tolist()
    ([2.0, 2.0], [[2.0, 2.0], [6.0, 7.0]], [[1.0, 0.0], [0.0, 0.0]])
    """
    s = np.asarray(scores, dtype=float)
    if s.ndim == 1:
        s = s[:, None]
    g = np.asarray(group)
    n_groups = int(g.max()) + 1
    n = np.bincount(g, minlength=n_groups).astype(float)
    sums = np.zeros((n_groups, s.shape[1]))
    np.add.at(sums, g, s)
    means = sums / n[:, None]
    dev = s - means[g]
    cross = np.zeros((n_groups, s.shape[1], s.shape[1]))
    np.add.at(cross, g, dev[:, :, None] * dev[:, None, :])
    dof = n - 1
    pooled = cross.sum(axis=0) / max(dof.sum(), 1.0)
    within = np.where((dof > 0)[:, None, None], cross / np.maximum(dof, 1)[:, None, None], pooled)
    return n, means, within, within / n[:, None, None]


def site_period_weights(row_group: np.ndarray, weights: np.ndarray | None = None,
                        *, groups: int | None = None) -> np.ndarray:
    """:math:`\\omega_g` for diagonal weights: the total weight of the rows of each site-period.

    >>> site_period_weights(np.array([0, 0, 1]), np.array([1.0, 2.0, 0.5])).tolist()
    [3.0, 0.5]
    """
    g = np.asarray(row_group)
    w = None if weights is None else np.asarray(weights, dtype=float)
    return np.bincount(g, weights=w, minlength=groups or 0).astype(float)


def normal_equation_correction(
    error_cov: np.ndarray,
    weight: np.ndarray,
    columns: Sequence[int],
    k: int,
    *,
    outcome: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The (K, K) matrix and (K,) vector subtracted from :math:`X'WX` and :math:`X'Wy` (Fuller 1987).

    Parameters
    ----------
    error_cov : array (G, P, P)
        Error covariance of the P site-period means in each of G site-periods
        (:func:`site_period_errors`).
    weight : array (G,)
        :math:`\\omega_g = \\sum_{r,s\\in g} W_{rs}`, the weight the fit gives each site-period
        (:func:`site_period_weights` for diagonal weights).
    columns : sequence of int
        For each regressor column of X that is an error-prone construct, its index ``0..P-1`` in
        ``error_cov``; ``-1`` (or any negative) for an error-free column. Length K.
    k : int
        Number of columns of X (``len(columns)``).
    outcome : int, optional
        Index in ``error_cov`` of the dependent variable when it is itself an error-prone construct
        measured by the same respondents (its error covariance with the regressors gives the
        vector); ``None`` (patient outcomes): a zero vector.

    Examples
    --------
    >>> cov = np.array([[[0.5]], [[0.25]]])
    >>> C, c = normal_equation_correction(cov, np.array([2.0, 4.0]), [-1, 0], 2)
    >>> C.tolist(), c.tolist()
    ([[0.0, 0.0], [0.0, 2.0]], [0.0, 0.0])
    """
    cov = np.asarray(error_cov, dtype=float)
    w = np.asarray(weight, dtype=float)
    k = check_int(k, argument="k")
    cols = [int(c) for c in columns]
    if len(cols) != k:
        raise ArgumentError(f"`columns` must give one entry per column of X ({k}; got {len(cols)})")
    if cov.ndim != 3 or cov.shape[1] != cov.shape[2] or cov.shape[0] != w.shape[0]:
        raise ArgumentError(
            f"`error_cov` must be (G, P, P) and `weight` (G,) (got {cov.shape} and {w.shape})"
        )
    p = cov.shape[1]
    bad = [c for c in cols if c >= p] + ([outcome] if outcome is not None and
                                         not 0 <= outcome < p else [])
    if bad:
        raise ArgumentError(f"construct index {bad[0]} out of range 0..{p - 1}")
    total = np.einsum("g,gij->ij", w, cov)
    idx = np.array([c if c >= 0 else 0 for c in cols])
    on = np.array([c >= 0 for c in cols])
    big = np.where(on[:, None] & on[None, :], total[np.ix_(idx, idx)], 0.0)
    vec = np.zeros(k) if outcome is None else np.where(on, total[idx, outcome], 0.0)
    return big, vec


@dataclass(frozen=True, eq=False)
class SurveyMeasurement:
    """What a staff-survey table says about its constructs' site-period means.

    Attributes
    ----------
    constructs : tuple of str
        The constructs, in the order of the last axes of ``error_cov``.
    reliability : DataFrame
        One row per construct: ``items``, ``icc1``, ``icc2``, ``n0`` (mean respondents),
        ``mean_reliability`` (mean of the site-periods' own Spearman-Brown values),
        ``single_respondent`` (site-periods using the pooled within variance).
    site_periods : DataFrame
        One row per surveyed site-period: keys, ``n``, and per construct ``<c>`` (mean scale
        score), ``<c>_error_var`` (within variance / n) and ``<c>_reliability``.
    error_cov : array (G, P, P)
        Error covariance of the P means in each site-period (rows of ``site_periods``).
    """

    constructs: tuple[str, ...]
    reliability: pd.DataFrame
    site_periods: pd.DataFrame
    error_cov: np.ndarray

    def respondents_needed(self, *, target: float = 0.8) -> dict[str, int]:
        """Respondents per site-period for each construct's mean to reach ``target`` reliability."""
        return {c: respondents_needed(float(r), target=target)
                for c, r in zip(self.constructs, self.reliability["icc1"], strict=True)}


def survey_measurement(
    surveys: pd.DataFrame,
    constructs: Mapping[str, Sequence[str]],
    *,
    keys: Sequence[str] = ("site", "period"),
    respondent: str = "respondent",
    patients: pd.DataFrame | None = None,
) -> SurveyMeasurement:
    """Reliability and error covariance of the site-period means of survey constructs.

    Parameters
    ----------
    surveys : DataFrame
        One row per respondent and site-period (not modified).
    constructs : mapping
        Construct -> its item columns (e.g. ``SimulatedTrial.survey_items``). A respondent's scale
        score is the mean of the construct's items; a row with every item of a construct missing
        did not survey it (a baseline construct asked once), some items missing is an error.
    keys, respondent
        Site-period keys and the respondent id column.
    patients : DataFrame, optional
        The patient (or site-period) data the means will be joined to: every surveyed site-period
        must occur in it.

    Raises
    ------
    DataError
        A missing or non-numeric column, duplicated respondents, a survey site-period absent from
        ``patients``, partly answered items, items on different scales (SD ratio above
        :data:`SCALE_RATIO`), or a construct with a single respondent in every site-period.
    """
    keys = list(keys)
    if not isinstance(surveys, pd.DataFrame) or surveys.empty:
        raise DataError("`surveys` must be a non-empty DataFrame")
    if not constructs:
        raise DataError("`constructs` must name at least one construct and its item columns")
    items = {str(c): list(v) for c, v in constructs.items()}
    needed = [*keys, respondent, *(i for v in items.values() for i in v)]
    missing = [c for c in needed if c not in surveys.columns]
    if missing:
        raise DataError(f"`surveys` has no column `{missing[0]}` (columns: "
                        f"{', '.join(map(str, surveys.columns[:12]))}...)")
    dup = surveys.duplicated([*keys, respondent])
    if dup.any():
        row = surveys.loc[dup, [*keys, respondent]].iloc[0].to_dict()
        raise DataError(f"`surveys`: {int(dup.sum())} duplicated respondent rows, e.g. {row}")
    if patients is not None:
        _check_in_patients(surveys, patients, keys)
    scores, answered = {}, {}
    for name, cols in items.items():
        if not cols:
            raise DataError(f"construct `{name}` has no item columns")
        block = surveys[cols]
        if not all(pd.api.types.is_numeric_dtype(block[c]) for c in cols):
            raise DataError(f"construct `{name}`: items must be numeric ({', '.join(cols)})")
        x = block.to_numpy(dtype=float)
        some, every = np.isnan(x).any(axis=1), np.isnan(x).all(axis=1)
        if (some & ~every).any():
            raise DataError(
                f"construct `{name}`: {int((some & ~every).sum())} rows answer some of its items "
                f"({', '.join(cols)}) but not all; impute or drop them before the analysis"
            )
        if np.isinf(x).any():
            raise DataError(f"construct `{name}`: items hold infinite values")
        _check_scales(name, cols, x[~every])
        scores[name], answered[name] = x.mean(axis=1), ~every
    return _assemble(surveys, items, scores, answered, keys)


def _check_in_patients(surveys: pd.DataFrame, patients: pd.DataFrame, keys: list[str]) -> None:
    missing = [c for c in keys if c not in patients.columns]
    if missing:
        raise DataError(f"`patients` has no column `{missing[0]}` to match the survey keys")
    have = pd.MultiIndex.from_frame(patients[keys].drop_duplicates())
    want = pd.MultiIndex.from_frame(surveys[keys].drop_duplicates())
    absent = want.difference(have)
    if len(absent):
        raise DataError(
            f"`surveys`: {len(absent)} site-periods are not in the patient data, e.g. "
            f"{dict(zip(keys, absent[0], strict=True))}; every surveyed site-period must have "
            "patients"
        )


def _check_scales(name: str, cols: list[str], x: np.ndarray) -> None:
    if x.shape[0] < 2 or len(cols) < 2:
        return
    sd = x.std(axis=0, ddof=1)
    if sd.min() <= 0 or sd.max() / sd.min() > SCALE_RATIO:
        shown = ", ".join(f"{c} (SD {v:.3g})" for c, v in zip(cols, sd, strict=True))
        raise DataError(
            f"construct `{name}`: items on different scales ({shown}); put them on one scale "
            f"(their SDs may differ at most {SCALE_RATIO:g}-fold) before averaging"
        )


def _assemble(surveys: pd.DataFrame, items: dict[str, list[str]], scores: dict[str, np.ndarray],
              answered: dict[str, np.ndarray], keys: list[str]) -> SurveyMeasurement:
    names = tuple(items)
    frame_keys = surveys[keys]
    codes, uniq = pd.MultiIndex.from_frame(frame_keys).factorize()
    sp = pd.DataFrame(list(uniq), columns=keys)
    rows = []
    error_cov = np.zeros((len(sp), len(names), len(names)))
    n_all = np.bincount(codes, minlength=len(sp)).astype(float)
    for j, name in enumerate(names):
        mask = answered[name]
        g_codes = codes[mask]
        present = np.unique(g_codes)
        remap = np.full(len(sp), -1)
        remap[present] = np.arange(present.size)
        local = remap[g_codes]
        n, means, _, err = site_period_errors(scores[name][mask], local)
        if np.all(n <= 1):
            raise DataError(
                f"construct `{name}` has a single respondent in every site-period: its "
                "within-site-period variance, hence its reliability, cannot be estimated"
            )
        rel = group_reliability(scores[name][mask], local)
        col_mean = np.full(len(sp), np.nan)
        col_mean[present] = means[:, 0]
        col_err = np.full(len(sp), np.nan)
        col_err[present] = err[:, 0, 0]
        col_rel = np.full(len(sp), np.nan)
        col_rel[present] = spearman_brown(rel.icc1, n)
        sp[name], sp[f"{name}_error_var"], sp[f"{name}_reliability"] = col_mean, col_err, col_rel
        rows.append({"construct": name, "items": len(items[name]), "icc1": rel.icc1,
                     "icc2": rel.icc2, "n0": rel.n0, "site_periods": rel.groups,
                     "mean_reliability": float(np.mean(spearman_brown(rel.icc1, n))),
                     "single_respondent": int((n <= 1).sum())})
        error_cov[:, j, j] = np.nan_to_num(col_err)
    if len(names) > 1:
        _cross_covariances(error_cov, codes, len(sp), names, scores, answered)
    sp.insert(len(keys), "n", n_all)
    return SurveyMeasurement(constructs=names, reliability=pd.DataFrame(rows).set_index(
        "construct"), site_periods=sp, error_cov=error_cov)


def _cross_covariances(error_cov: np.ndarray, codes: np.ndarray, n_sp: int, names: tuple[str, ...],
                       scores: dict[str, np.ndarray], answered: dict[str, np.ndarray]) -> None:
    r"""Fill the off-diagonal error covariances of two constructs' site-period means in place.

    The error covariance of the means of constructs ``j`` and ``k`` in a site-period is
    :math:`n_{jk}\,\sigma_{jk}/(n_j n_k)`, with :math:`\sigma_{jk}` the within-site-period
    covariance of the scale scores of the :math:`n_{jk}` respondents answering both
    (:math:`\sigma_{jk}/n` when every respondent answers both; 0 where nobody answers both). A
    site-period with a single such respondent takes the pooled within covariance.
    """
    w = np.column_stack([answered[c] for c in names]).astype(float)  # (N, P)
    s = np.column_stack([np.where(answered[c], scores[c], 0.0) for c in names])
    order = np.argsort(codes, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=n_sp))[:-1]])
    ws, ss = w[order], s[order]
    n_jk = np.add.reduceat(ws[:, :, None] * ws[:, None, :], bounds, axis=0)
    s_jk = np.add.reduceat(ss[:, :, None] * ss[:, None, :], bounds, axis=0)  # sum of products
    s_jw = np.add.reduceat(ss[:, :, None] * ws[:, None, :], bounds, axis=0)  # sum of j over both
    with np.errstate(invalid="ignore", divide="ignore"):
        cross = s_jk - s_jw * s_jw.transpose(0, 2, 1) / n_jk  # centred cross-products over both
    cross = np.nan_to_num(cross)
    dof = n_jk - 1
    pooled = cross.sum(axis=0) / np.maximum(dof.sum(axis=0), 1.0)
    within = np.where(dof > 0, cross / np.maximum(dof, 1.0), pooled[None])
    n_j = np.einsum("gjj->gj", n_jk)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = within * n_jk / (n_j[:, :, None] * n_j[:, None, :])
    cov = np.where(n_jk > 0, np.nan_to_num(cov), 0.0)
    p = len(names)
    off = ~np.eye(p, dtype=bool)
    error_cov[:, off] = cov[:, off]
