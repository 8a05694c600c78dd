"""Batched regression fits: many least-squares or IRLS fits at once.

Every function works on a stack of ``R`` data sets (replicates) sharing one shape, each fitted under
``B`` sets of row weights (bootstrap draws). With design ``X`` of shape ``(R, n, K)`` and weights
``w``
of shape ``(R, B, n)`` the weighted normal equations

.. math:: \\hat\\beta_{rb} = (X_r^\\top W_{rb} X_r)^{-1} X_r^\\top W_{rb} y_r

are formed with two matrix products over the outer products :math:`x_i x_i^\\top` (no per-draw
loop),
and generalized linear models (logit, probit) are fitted by Fisher scoring on the same products.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = np.concatenate([np.ones((1, 50, 1)), rng.normal(size=(1, 50, 1))], axis=2)
>>> y = 1 + 2 * X[..., 1] + rng.normal(scale=0.1, size=(1, 50))
>>> fit = fit_ols(X, y)
>>> np.round(fit.coef[0, 0], 1)
array([1., 2.])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from facmech.errors import EstimationError
from facmech.mediation.spec import Family

__all__ = ["BatchFit", "fit_glm", "fit_ols", "link_functions"]

_EPS = 1e-10


@dataclass(frozen=True, eq=False)
class BatchFit:
    """Coefficients of ``R x B`` fits of one model.

    Attributes
    ----------
    coef : ndarray, shape (R, B, K)
    sigma : ndarray, shape (R, B)
        Degrees-of-freedom corrected residual SD (Gaussian family) or ones (binary families).
    converged : ndarray of bool, shape (R, B)
    """

    coef: np.ndarray
    sigma: np.ndarray
    converged: np.ndarray


def _outer(X: np.ndarray) -> np.ndarray:
    R, n, K = X.shape
    return (X[..., :, None] * X[..., None, :]).reshape(R, n, K * K)


def _solve(A: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve batched symmetric systems; singular ones give NaN and ``ok=False``."""
    ok = np.ones(A.shape[:-2], dtype=bool)
    try:
        return np.linalg.solve(A, b[..., None])[..., 0], ok
    except np.linalg.LinAlgError:
        out = np.full(b.shape, np.nan)
        flat_a = A.reshape(-1, *A.shape[-2:])
        flat_b = b.reshape(-1, b.shape[-1])
        flat_o = out.reshape(-1, b.shape[-1])
        flat_ok = ok.reshape(-1)
        for i in range(flat_a.shape[0]):
            try:
                flat_o[i] = np.linalg.solve(flat_a[i], flat_b[i])
            except np.linalg.LinAlgError:
                flat_ok[i] = False
        return out, ok


def fit_ols(X: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> BatchFit:
    """Weighted least squares for every replicate ``r`` and weight vector ``b``.

    Parameters
    ----------
    X : ndarray, shape (R, n, K)
    y : ndarray, shape (R, n)
    weights : ndarray, shape (R, B, n), optional
        Row weights (bootstrap counts); ``None`` means one unweighted fit per replicate (B = 1).

    Returns
    -------
    BatchFit
        ``sigma`` is :math:`\\sqrt{\\sum_i w_i e_i^2 / (\\sum_i w_i - K)}`.
    """
    R, n, K = X.shape
    if weights is None:
        weights = np.ones((R, 1, n))
    if weights.shape[1] == 1:  # one fit per replicate: X'WX directly, no outer products
        xw = X * weights[:, 0, :, None]
        xtx = np.matmul(xw.transpose(0, 2, 1), X)[:, None]
        xty = np.matmul(xw.transpose(0, 2, 1), y[..., None])[:, None, :, 0]
    else:
        P = _outer(X)
        xtx = np.matmul(weights, P).reshape(R, -1, K, K)
        xty = np.matmul(weights, X * y[..., None])
    coef, ok = _solve(xtx, xty)
    yy = np.matmul(weights, (y * y)[..., None])[..., 0]
    rss = yy - 2 * np.einsum("rbk,rbk->rb", coef, xty) + np.einsum(
        "rbk,rbkl,rbl->rb", coef, xtx, coef
    )
    dof = weights.sum(-1) - K
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma = np.sqrt(np.maximum(rss, 0.0) / dof)
    ok &= np.isfinite(sigma) & (dof > 0)
    return BatchFit(coef, sigma, ok)


def link_functions(family: Family):
    """Inverse link ``mu(eta)`` and its derivative ``dmu(eta)`` of a binary family."""
    if family is Family.PROBIT:
        return special.ndtr, lambda eta: np.exp(-0.5 * eta * eta) / np.sqrt(2 * np.pi)
    if family is Family.BINOMIAL:
        def dmu(eta: np.ndarray) -> np.ndarray:
            p = special.expit(eta)
            return p * (1 - p)

        return special.expit, dmu
    raise EstimationError(f"no link for family {family.value!r}")


def fit_glm(
    X: np.ndarray,
    y: np.ndarray,
    family: Family,
    weights: np.ndarray | None = None,
    *,
    start: np.ndarray | None = None,
    max_iter: int = 50,
    tol: float = 1e-10,
) -> BatchFit:
    """Binary regression (logit or probit) by batched Fisher scoring.

    Iterates :math:`\\beta \\leftarrow (X^\\top W V X)^{-1} X^\\top W V z` with working weights
    :math:`V = \\mu'^2 / \\{\\mu(1-\\mu)\\}` and working response :math:`z = \\eta + (y-\\mu)/\\mu'`
    for all fits at once, until every fit's largest coefficient change is below ``tol``.

    Parameters
    ----------
    X, y, weights
        As in :func:`fit_ols`.
    family : Family
        ``BINOMIAL`` (logit) or ``PROBIT``.
    start : ndarray, shape (R, B, K) or (R, 1, K), optional
        Starting coefficients (warm start from the full-sample fit speeds up bootstraps).
    """
    R, n, K = X.shape
    if weights is None:
        weights = np.ones((R, 1, n))
    B = weights.shape[1]
    mu_fn, dmu_fn = link_functions(family)
    P = _outer(X)
    beta = np.zeros((R, B, K)) if start is None else np.broadcast_to(start, (R, B, K)).copy()
    Xt = X.transpose(0, 2, 1)  # (R, K, n): eta = beta @ X^T is one GEMM per replicate
    yb = y[:, None, :]
    converged = np.zeros((R, B), dtype=bool)
    for _ in range(max_iter):
        eta = np.matmul(beta, Xt)
        mu = np.clip(mu_fn(eta), _EPS, 1 - _EPS, out=None)
        d = np.maximum(dmu_fn(eta), _EPS)
        resid = yb - mu
        v = d * d
        v /= mu * (1 - mu)
        v *= weights
        # working response z = eta + (y - mu) / d; v * z = v * eta + v * (y - mu) / d
        vz = v * eta
        vz += v * resid / d
        xtx = np.matmul(v, P).reshape(R, B, K, K)
        xtz = np.matmul(vz, X)
        new, ok = _solve(xtx, xtz)
        step = np.max(np.abs(new - beta), axis=-1)
        beta = np.where(ok[..., None], new, beta)
        converged = ok & (step < tol * (1 + np.max(np.abs(beta), axis=-1)))
        if converged.all():
            break
    converged &= np.isfinite(beta).all(-1) & (np.max(np.abs(beta), axis=-1) < 50)
    return BatchFit(beta, np.ones((R, B)), converged)
