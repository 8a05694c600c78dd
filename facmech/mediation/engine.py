"""The batched mediation core: many data sets, many draws, one pass of array arithmetic.

:func:`mediate_arrays` takes numeric arrays for ``R`` replicates of one trial layout (e.g. ``R``
simulated trials of a design study) and returns plug-in effects with standard errors, intervals and
p-values for every replicate. :func:`facmech.mediation.mediate` calls it with ``R = 1``.

>>> import numpy as np
>>> rng = np.random.default_rng(3)
>>> R, n = 4, 400
>>> A = rng.integers(0, 2, size=(R, n)).astype(float)
>>> M = (0.5 * A + rng.normal(size=(R, n)))[..., None]
>>> Y = 0.3 * A + 0.8 * M[..., 0] + rng.normal(size=(R, n))
>>> out = mediate_arrays(A, M, Y, inference=MonteCarlo(draws=200), seed=1)
>>> out.estimate.shape, out.names[:3]
((4, 8), (EffectKey('total'), EffectKey('nde_control'), EffectKey('nde_treated')))
>>> bool(np.all(np.abs(out.estimate[:, out.names.index("nie")] - 0.4) < 0.2))
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facmech._deprecation import renamed
from facmech._inference import parse_inference
from facmech._random import SeedLike, as_generator
from facmech.errors import ArgumentError, DataError, EstimationError
from facmech.estimates import Estimate
from facmech.estimation.covariance import ModelPieces
from facmech.estimation.estimate import draw_intervals
from facmech.estimation.fit import BatchFit, Link, irls, wls
from facmech.estimation.resampling import coefficient_draws
from facmech.mediation.effects import Layout, contrasts, path_effects, potential_means
from facmech.mediation.exposure import ExposureLayout
from facmech.mediation.inference import Bootstrap, MonteCarlo
from facmech.mediation.keys import EffectKey, Naming
from facmech.mediation.spec import Family

__all__ = ["BatchEffects", "mediate_arrays"]


@dataclass(frozen=True, eq=False)
class BatchEffects:
    """Effects for ``R`` replicates.

    ``names`` are :class:`~facmech.mediation.keys.EffectKey` records (mediators named as the
    call's ``naming`` says: by default their 0-based positions, ``via:0``, ``path:0>1``);
    ``estimate``, ``std_error``, ``ci_low``, ``ci_high``, ``p_value`` have shape ``(R, E)``
    (the last four are ``None`` when no inference was requested); ``draws`` ``(R, B, E)`` or None;
    ``failed_draws`` (R,) counts draws dropped because a refit did not converge.
    """

    names: tuple[EffectKey, ...]
    estimate: np.ndarray
    std_error: np.ndarray | None
    ci_low: np.ndarray | None
    ci_high: np.ndarray | None
    p_value: np.ndarray | None
    draws: np.ndarray | None
    failed_draws: np.ndarray
    df: float | None

    def estimates(self, replicate: int = 0) -> dict[EffectKey, Estimate]:
        """The effects of one replicate as :class:`facmech.estimates.Estimate` records."""
        out = {}
        for i, name in enumerate(self.names):
            if self.std_error is None:
                out[name] = Estimate(float(self.estimate[replicate, i]))
            else:
                out[name] = Estimate(
                    float(self.estimate[replicate, i]),
                    float(self.std_error[replicate, i]),
                    float(self.ci_low[replicate, i]),
                    float(self.ci_high[replicate, i]),
                    float(self.p_value[replicate, i]),
                )
        return out


def _as3(x: np.ndarray | None, R: int, n: int, name: str) -> np.ndarray:
    if x is None:
        return np.zeros((R, n, 0))
    x = np.asarray(x, dtype=float)
    if x.ndim == 2 and x.shape == (R, n):
        x = x[..., None]
    elif x.ndim == 2 and x.shape[0] == n:
        x = np.broadcast_to(x, (R, *x.shape))
    if x.ndim != 3 or x.shape[:2] != (R, n):
        raise DataError(f"`{name}` must have shape (R, n, q) = ({R}, {n}, q) (got {x.shape})")
    return x


def _link(family: Family) -> Link:
    return Link.PROBIT if family is Family.PROBIT else Link.LOGIT


def _fit(X, y, family, weights=None, start=None, tol=1e-10) -> BatchFit:
    if family is Family.GAUSSIAN:
        return wls(X, y, weights)
    return irls(X, y, _link(family), weights, start=start, tol=tol)


def _pieces(X: np.ndarray, y: np.ndarray, coef: np.ndarray, sigma: np.ndarray, family: Family):
    if family is Family.GAUSSIAN:
        return ModelPieces.least_squares(X, y, coef, sigma)
    return ModelPieces.binary(X, y, coef, _link(family))


def _effects(coefs, sigmas, rows, roww, layout, family, mfamily=Family.GAUSSIAN, naming=None):
    naming = Naming.positional(layout.k) if naming is None else naming
    psi = potential_means(coefs, sigmas, rows, roww, layout, family, mfamily)
    eff = contrasts(psi, layout.k, ratios=family.binary, naming=naming)
    if (family is Family.GAUSSIAN and mfamily is Family.GAUSSIAN and not layout.interaction
            and layout.k > 1):
        for path, val in path_effects(coefs, layout).items():
            eff[naming.path(path)] = val
    return eff


def _default_strata(A: np.ndarray, cluster: np.ndarray) -> np.ndarray:
    G = int(cluster.max()) + 1
    tot = np.bincount(cluster, weights=A, minlength=G)
    cnt = np.bincount(cluster, minlength=G)
    return np.round(tot / cnt, 6)


@renamed(cluster="site")
def mediate_arrays(
    treatment: np.ndarray,
    mediators: np.ndarray,
    outcome: np.ndarray,
    covariates: np.ndarray | None = None,
    *,
    site: np.ndarray | None = None,
    strata: np.ndarray | None = None,
    outcome_family: Family | str = Family.GAUSSIAN,
    mediator_family: Family | str = Family.GAUSSIAN,
    interaction: bool = False,
    inference: MonteCarlo | Bootstrap | int | None = None,
    alpha: float = 0.05,
    seed: SeedLike = None,
    keep_draws: bool = False,
    exposure: np.ndarray | None = None,
    exposure_window: int | None = None,
    naming: Naming | None = None,
) -> BatchEffects:
    """Mediation effects for ``R`` replicates of numeric data in one vectorized pass.

    Parameters
    ----------
    treatment : ndarray, shape (R, n) or (n,)
        0/1 treatment.
    mediators : ndarray, shape (R, n, k) or (R, n)
        Gaussian mediators in causal order.
    outcome : ndarray, shape (R, n)
        Outcome (0/1 for binary families).
    covariates : ndarray, shape (R, n, q), optional
        Numeric covariates (dummies, period fixed effects), without the intercept column.
    site : ndarray of int, shape (n,), optional
        Site codes ``0..G-1`` shared by all replicates (formerly ``cluster``).
    strata : ndarray, shape (R, G), optional
        Bootstrap strata of the sites (default: sites with equal treated share).
    outcome_family : {"gaussian", "binomial", "probit"}
    mediator_family : {"gaussian", "binomial", "probit"}
        Binary families need exactly one (0/1) mediator.
    interaction : bool
        Add treatment-by-mediator terms to every model with mediators as regressors.
    inference : MonteCarlo | Bootstrap | int | None
        ``None``: plug-in estimates only; an integer: that many Monte Carlo draws.
    alpha : float
    seed : int, Generator or None
    keep_draws : bool
        Keep the ``(R, B, E)`` draws in the result.
    exposure : ndarray of int, shape (R, n) or (n,), optional
        Exposure time of every row (periods since crossover, 1 in the crossover period, 0 when
        untreated): every model gets one indicator per exposure time instead of the treatment
        column (exposure-time indicator model, Kenny et al. 2022; see
        :mod:`facmech.mediation.exposure`). The standard names (``total``, ``nde``, ...) are then
        averages over exposure times ``1..exposure_window`` and ``total@e``, ``nde@e``, ``nie@e``
        the effects at each exposure time ``e``.
    exposure_window : int, optional
        Longest exposure time in the average (default: the longest observed).
    naming : Naming, optional
        Mediator names (and the treatment and outcome, the ends of path effects) in the effect
        keys; default: the mediators' positions (``via:0``, ``path:0>1``).

    Returns
    -------
    BatchEffects
    """
    family = Family.parse(outcome_family)
    mfamily = Family.parse(mediator_family, argument="mediator_family")
    inference = parse_inference(inference, schemes=(MonteCarlo, Bootstrap), default=MonteCarlo)
    cluster = site
    A = np.asarray(treatment, dtype=float)
    Y = np.asarray(outcome, dtype=float)
    if Y.ndim == 1:
        Y = Y[None]
    R, n = Y.shape
    A = np.broadcast_to(A, (R, n)) if A.ndim == 1 else A
    M = _as3(mediators, R, n, "mediators")
    k = M.shape[-1]
    if k == 0:
        raise DataError("`mediators` must name at least one mediator")
    if mfamily.binary and k != 1:
        raise DataError(
            f"`mediator_family={mfamily.value!r}` (a binary mediator) needs exactly one mediator "
            f"(got {k}); model several mediators as Gaussian"
        )
    Cov = _as3(covariates, R, n, "covariates")
    C = np.concatenate([np.ones((R, n, 1)), Cov], axis=-1)
    layout = Layout(p=C.shape[-1], k=k, interaction=bool(interaction))
    naming = Naming.positional(k) if naming is None else naming
    if len(naming.mediators) != k:
        raise DataError(f"`naming` names {len(naming.mediators)} mediators for {k} mediator columns")
    eti = None
    if exposure is not None:
        ex = np.asarray(exposure)
        eti = ExposureLayout(np.broadcast_to(ex, (R, n)) if ex.ndim == 1 else ex, A, layout,
                             exposure_window)
    elif exposure_window is not None:
        raise DataError("`exposure_window` needs `exposure` (exposure times)")
    shape = eti if eti is not None else layout
    designs = [shape.design(C, A, M, j) for j in range(k + 1)]
    targets = [M[..., j] for j in range(k)] + [Y]
    fams = [mfamily] * k + [family]
    names_order = [f"mediator {j + 1}" for j in range(k)] + ["outcome"]
    for X, what in zip(designs, names_order, strict=True):
        if np.linalg.matrix_rank(X[0]) < X.shape[-1]:
            raise EstimationError(
                f"the {what} model's design matrix is rank deficient ({X.shape[-1]} columns, rank "
                f"{np.linalg.matrix_rank(X[0])}): covariates are collinear with the treatment, "
                "mediators or period effects"
            )
    fits = [_fit(X, y, f) for X, y, f in zip(designs, targets, fams, strict=True)]
    for fit, what in zip(fits, names_order, strict=True):
        if not fit.ok.all():
            bad = int((~fit.ok).sum())
            raise EstimationError(
                f"the {what} model did not converge in {bad} of {R} data set(s) "
                "(separation or a constant column?)"
            )
    coefs = [f.coef for f in fits]
    sigmas = [fits[j].sigma for j in range(k)]
    linear = family is Family.GAUSSIAN and mfamily is Family.GAUSSIAN
    if linear:
        rows, roww = C.mean(axis=1)[:, None, None, :], np.ones((R, 1, 1))
    else:
        rows, roww = C[:, None], np.full((R, 1, n), 1.0 / n)
    if eti is not None:
        point = eti.effects(coefs, sigmas, C, None, family, mfamily, naming)
    else:
        point = _effects(coefs, sigmas, rows, roww, layout, family, mfamily, naming)
    names = tuple(point)
    estimate = np.stack([point[nm][:, 0] for nm in names], axis=-1)
    if inference is None:
        return BatchEffects(names, estimate, None, None, None, None, None, np.zeros(R, int), None)

    rng = as_generator(seed)
    df = None
    failed = np.zeros(R, dtype=int)
    if isinstance(inference, MonteCarlo):
        B = inference.draws
        pieces = [
            _pieces(X, y, f.coef[:, 0], f.sigma[:, 0], fam)
            for X, y, f, fam in zip(designs, targets, fits, fams, strict=True)
        ]
        cov = inference.resolved_covariance(cluster is not None)
        V, df = cov.covariance(pieces, None if cluster is None else np.asarray(cluster))
        if isinstance(df, np.ndarray):
            raise ArgumentError(
                "`Clustered(df='bell-mccaffrey')` gives one df per coefficient; the Monte Carlo "
                "draws of the effects need one: use the default `df='between-within'`"
            )
        theta = np.concatenate([c[:, 0] for c in coefs], axis=-1)
        draws_theta = coefficient_draws(theta, V, B, rng, df=df)  # (R, B, P)
        splits = np.cumsum([shape.n_coef(j) for j in range(k + 1)])[:-1]
        dcoefs = np.split(draws_theta, splits, axis=-1)
        if eti is not None:
            deff = eti.effects(dcoefs, sigmas, C, None, family, mfamily, naming)
        else:
            deff = _effects(dcoefs, sigmas, rows, roww, layout, family, mfamily, naming)
    else:  # Bootstrap
        B = inference.draws
        if cluster is None:
            cl = np.arange(n)
            st = A.copy()  # rows: stratify by arm
        else:
            cl = np.asarray(cluster)
            st = (
                np.asarray(strata)
                if strata is not None
                else np.stack([_default_strata(A[r], cl) for r in range(R)])
            )
        wts = np.stack([inference.weights(rng, cl, st[r]) for r in range(R)])  # (R, B, n)
        bfits = [
            # warm start at the full-sample fit; a 1e-6 step criterion leaves coefficient errors
            # of order 1e-9, far below bootstrap variability
            _fit(X, y, f, wts, start=fit.coef, tol=1e-6)
            for X, y, f, fit in zip(designs, targets, fams, fits, strict=True)
        ]
        ok = np.logical_and.reduce([f.ok for f in bfits])
        failed = (~ok).sum(axis=1)
        dcoefs = [f.coef for f in bfits]
        dsig = [bfits[j].sigma for j in range(k)]
        if eti is not None:
            deff = eti.effects(dcoefs, dsig, C, wts, family, mfamily, naming)
        elif linear:
            wn = wts / wts.sum(-1, keepdims=True)
            brows, broww = np.matmul(wn, C)[:, :, None, :], np.ones((R, B, 1))
            deff = _effects(dcoefs, dsig, brows, broww, layout, family, mfamily, naming)
        else:
            brows, broww = C[:, None], wts / wts.sum(-1, keepdims=True)
            deff = _effects(dcoefs, dsig, brows, broww, layout, family, mfamily, naming)
        for nm in deff:
            deff[nm] = np.where(ok, deff[nm], np.nan)
    draws = np.stack([deff[nm] for nm in names], axis=-1)  # (R, B, E)
    iv = draw_intervals(estimate, draws, alpha=alpha, axis=1)
    return BatchEffects(
        names, estimate, iv.std_error, iv.ci_low, iv.ci_high, iv.p_value,
        draws if keep_draws else None, failed, df,
    )
