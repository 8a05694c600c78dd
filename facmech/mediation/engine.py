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
((4, 8), ('total', 'nde_control', 'nde_treated'))
>>> bool(np.all(np.abs(out.estimate[:, out.names.index("nie")] - 0.4) < 0.2))
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facmech._linalg import psd_factor
from facmech._random import SeedLike, as_generator
from facmech.errors import DataError, EstimationError
from facmech.estimates import Estimate
from facmech.mediation.effects import Layout, contrasts, path_effects, potential_means
from facmech.mediation.exposure import ExposureLayout
from facmech.mediation.inference import Bootstrap, ModelPieces, MonteCarlo
from facmech.mediation.models import fit_glm, fit_ols, link_functions
from facmech.mediation.spec import Family

__all__ = ["BatchEffects", "mediate_arrays"]


@dataclass(frozen=True, eq=False)
class BatchEffects:
    """Effects for ``R`` replicates.

    ``names`` are effect names (``via:j`` and ``path:j1>j2`` use 0-based mediator indices);
    ``estimate``, ``std_error``, ``ci_low``, ``ci_high``, ``p_value`` have shape ``(R, E)``
    (the last four are ``None`` when no inference was requested); ``draws`` ``(R, B, E)`` or None;
    ``failed_draws`` (R,) counts draws dropped because a refit did not converge.
    """

    names: tuple[str, ...]
    estimate: np.ndarray
    std_error: np.ndarray | None
    ci_low: np.ndarray | None
    ci_high: np.ndarray | None
    p_value: np.ndarray | None
    draws: np.ndarray | None
    failed_draws: np.ndarray
    df: float | None

    def estimates(self, replicate: int = 0) -> dict[str, Estimate]:
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


def _fit(X, y, family, weights=None, start=None, tol=1e-10):
    if family is Family.GAUSSIAN:
        return fit_ols(X, y, weights)
    return fit_glm(X, y, family, weights, start=start, tol=tol)


def _pieces(X: np.ndarray, y: np.ndarray, coef: np.ndarray, sigma: np.ndarray, family: Family):
    if family is Family.GAUSSIAN:
        xt, et = X, y - np.matmul(X, coef[..., None])[..., 0]
        scale = sigma**2
    else:
        mu_fn, dmu_fn = link_functions(family)
        eta = np.matmul(X, coef[..., None])[..., 0]
        mu = np.clip(mu_fn(eta), 1e-10, 1 - 1e-10)
        d = np.maximum(dmu_fn(eta), 1e-300)
        sd = np.sqrt(mu * (1 - mu))
        xt = X * (d / sd)[..., None]
        et = (y - mu) / sd
        scale = np.ones(X.shape[0])
    bread = np.linalg.inv(np.matmul(xt.transpose(0, 2, 1), xt))
    return ModelPieces(xt, et, bread, scale, X)


def _effects(coefs, sigmas, rows, roww, layout, family, mfamily=Family.GAUSSIAN):
    psi = potential_means(coefs, sigmas, rows, roww, layout, family, mfamily)
    eff = contrasts(psi, layout.k, ratios=family.binary)
    if (family is Family.GAUSSIAN and mfamily is Family.GAUSSIAN and not layout.interaction
            and layout.k > 1):
        for path, val in path_effects(coefs, layout).items():
            eff["path:" + ">".join(map(str, path))] = val
    return eff


def _default_strata(A: np.ndarray, cluster: np.ndarray) -> np.ndarray:
    G = int(cluster.max()) + 1
    tot = np.bincount(cluster, weights=A, minlength=G)
    cnt = np.bincount(cluster, minlength=G)
    return np.round(tot / cnt, 6)


def mediate_arrays(
    treatment: np.ndarray,
    mediators: np.ndarray,
    outcome: np.ndarray,
    covariates: np.ndarray | None = None,
    *,
    cluster: np.ndarray | None = None,
    strata: np.ndarray | None = None,
    outcome_family: Family | str = Family.GAUSSIAN,
    mediator_family: Family | str = Family.GAUSSIAN,
    interaction: bool = False,
    inference: MonteCarlo | Bootstrap | None = None,
    alpha: float = 0.05,
    seed: SeedLike = None,
    keep_draws: bool = False,
    exposure: np.ndarray | None = None,
    exposure_window: int | None = None,
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
    cluster : ndarray of int, shape (n,), optional
        Site codes ``0..G-1`` shared by all replicates.
    strata : ndarray, shape (R, G), optional
        Bootstrap strata of the sites (default: sites with equal treated share).
    outcome_family : {"gaussian", "binomial", "probit"}
    mediator_family : {"gaussian", "binomial", "probit"}
        Binary families need exactly one (0/1) mediator.
    interaction : bool
        Add treatment-by-mediator terms to every model with mediators as regressors.
    inference : MonteCarlo | Bootstrap | None
        ``None``: plug-in estimates only.
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

    Returns
    -------
    BatchEffects
    """
    family = Family.parse(outcome_family)
    mfamily = Family.parse(mediator_family, argument="mediator_family")
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
        if not fit.converged.all():
            bad = int((~fit.converged).sum())
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
        point = eti.effects(coefs, sigmas, C, None, family, mfamily)
    else:
        point = _effects(coefs, sigmas, rows, roww, layout, family, mfamily)
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
        theta = np.concatenate([c[:, 0] for c in coefs], axis=-1)
        L = psd_factor(V)  # scale-equivariant: mediators on any scale get exact draws
        z = rng.standard_normal((R, B, theta.shape[-1]))
        dev = np.matmul(z, L.transpose(0, 2, 1))
        if df is not None:
            dev = dev * np.sqrt(df / rng.chisquare(df, size=(R, B, 1)))
        draws_theta = theta[:, None, :] + dev
        splits = np.cumsum([shape.n_coef(j) for j in range(k + 1)])[:-1]
        dcoefs = np.split(draws_theta, splits, axis=-1)
        if eti is not None:
            deff = eti.effects(dcoefs, sigmas, C, None, family, mfamily)
        else:
            deff = _effects(dcoefs, sigmas, rows, roww, layout, family, mfamily)
    elif isinstance(inference, Bootstrap):
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
        ok = np.logical_and.reduce([f.converged for f in bfits])
        failed = (~ok).sum(axis=1)
        dcoefs = [f.coef for f in bfits]
        dsig = [bfits[j].sigma for j in range(k)]
        if eti is not None:
            deff = eti.effects(dcoefs, dsig, C, wts, family, mfamily)
        elif linear:
            wn = wts / wts.sum(-1, keepdims=True)
            brows, broww = np.matmul(wn, C)[:, :, None, :], np.ones((R, B, 1))
            deff = _effects(dcoefs, dsig, brows, broww, layout, family, mfamily)
        else:
            brows, broww = C[:, None], wts / wts.sum(-1, keepdims=True)
            deff = _effects(dcoefs, dsig, brows, broww, layout, family, mfamily)
        for nm in deff:
            deff[nm] = np.where(ok, deff[nm], np.nan)
    else:
        raise DataError(
            "`inference` must be MonteCarlo(...), Bootstrap(...) or None "
            f"(got {type(inference).__name__})"
        )
    draws = np.stack([deff[nm] for nm in names], axis=-1)  # (R, B, E)
    with np.errstate(invalid="ignore"):
        se = np.nanstd(draws, axis=1, ddof=1)
        q = np.quantile if np.isfinite(draws).all() else np.nanquantile
        lo, hi = q(draws, [alpha / 2, 1 - alpha / 2], axis=1)
        nfin = np.isfinite(draws).sum(axis=1)
        tail = np.minimum((draws <= 0).sum(axis=1), (draws >= 0).sum(axis=1)) / np.maximum(nfin, 1)
    pval = np.minimum(1.0, np.maximum(2 * tail, 1.0 / np.maximum(nfin, 1)))
    if np.any(nfin < 2):
        raise EstimationError("fewer than two usable draws; cannot form intervals")
    return BatchEffects(
        names, estimate, se, lo, hi, pval, draws if keep_draws else None, failed, df
    )
