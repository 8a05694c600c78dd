"""Batched model fits: all bootstrap replicates at once.

A bootstrap over units is a set of frequency weights ``W`` of shape ``(B, n)`` (multinomial counts);
the point estimate is the row of ones. Weighted least squares for every replicate is one batched
normal-equation solve, ``beta_b = (X' W_b X)^{-1} X' W_b y_b``; logistic regression is batched
Newton-Raphson (IRLS) on the same weights. Nothing loops over replicates in Python.

>>> import numpy as np
>>> X = np.column_stack([np.ones(4), [0.0, 1.0, 2.0, 3.0]])
>>> beta, sigma = wls(X, np.array([1.0, 3.0, 5.0, 7.0]), np.ones((1, 4)))
>>> np.round(beta, 6).tolist(), float(np.round(sigma[0], 6))
([[1.0, 2.0]], 0.0)
"""

from __future__ import annotations

import contextlib
import functools

import numpy as np

from facmech.errors import EstimationError

__all__ = [
    "design_keep",
    "logistic",
    "single_thread_blas",
    "solve_batched",
    "with_single_thread_blas",
    "wls",
]


def single_thread_blas():
    """Context limiting BLAS to one thread (threadpoolctl, if installed).

    The batched products here are many small matrices; multi-threaded BLAS on them spends its time
    synchronising (measured 70x slower than one thread on a loaded 2-core machine).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def with_single_thread_blas(fn):
    """Decorator: run ``fn`` under :func:`single_thread_blas` (signature and docs preserved)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with single_thread_blas():
            return fn(*args, **kwargs)

    return wrapper


def solve_batched(xtx: np.ndarray, xty: np.ndarray) -> np.ndarray:
    """Solve ``xtx[b] beta[b] = xty[b]``; singular replicates fall back to the pseudo-inverse."""
    try:
        return np.linalg.solve(xtx, xty[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return np.einsum("bpq,bq->bp", np.linalg.pinv(xtx), xty)


def _xtwx(X: np.ndarray, W: np.ndarray) -> np.ndarray:
    if X.ndim == 2:
        # one BLAS product: W (B, n) @ [x_i x_i'] (n, p*p)
        n, p = X.shape
        outer = (X[:, :, None] * X[:, None, :]).reshape(n, p * p)
        return (W @ outer).reshape(W.shape[0], p, p)
    return np.einsum("bn,bnp,bnq->bpq", W, X, X, optimize=True)


def _xtwy(X: np.ndarray, W: np.ndarray, y: np.ndarray) -> np.ndarray:
    yb = np.broadcast_to(y, W.shape)
    if X.ndim == 2:
        return (W * yb) @ X
    return np.einsum("bn,bnp,bn->bp", W, X, yb, optimize=True)


def _predict(X: np.ndarray, beta: np.ndarray) -> np.ndarray:
    if X.ndim == 2:
        return beta @ X.T
    return np.einsum("bnp,bp->bn", X, beta)


def wls(X: np.ndarray, y: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least squares for each replicate.

    Parameters
    ----------
    X : array (n, p) or (B, n, p)
    y : array (n,) or (B, n)
    W : array (B, n) of non-negative weights

    Returns
    -------
    beta : array (B, p)
    sigma : array (B,)
        Residual SD with the weighted residual sum of squares over ``sum(W) - p``.
    """
    beta = solve_batched(_xtwx(X, W), _xtwy(X, W, y))
    resid = np.broadcast_to(y, W.shape) - _predict(X, beta)
    dof = np.maximum(W.sum(axis=1) - X.shape[-1], 1.0)
    sigma = np.sqrt(np.einsum("bn,bn->b", W, resid**2) / dof)
    return beta, sigma


def logistic(
    X: np.ndarray, y: np.ndarray, W: np.ndarray, *, max_iter: int = 50, tol: float = 1e-10
) -> np.ndarray:
    """Weighted logistic regression (y in [0, 1]; fractional y gives quasi-binomial) per replicate.

    Returns ``beta`` of shape (B, p). Raises :class:`EstimationError` if Newton's method does not
    converge (usually perfect separation).
    """
    B, p = W.shape[0], X.shape[-1]
    beta = np.zeros((B, p))
    yb = np.broadcast_to(y, W.shape)
    ybar = np.clip((W * yb).sum(axis=1) / W.sum(axis=1), 1e-6, 1 - 1e-6)
    beta[:, 0] = np.log(ybar / (1 - ybar))  # first column is the intercept
    for _ in range(max_iter):
        eta = _predict(X, beta)
        mu = 1.0 / (1.0 + np.exp(-eta))
        w = W * np.clip(mu * (1 - mu), 1e-12, None)
        grad = _xtwy(X, W, yb - mu)
        step = solve_batched(_xtwx(X, w) + 1e-12 * np.eye(p), grad)
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            break
        if not np.all(np.isfinite(beta)) or np.max(np.abs(beta)) > 50:
            break
    if not np.all(np.isfinite(beta)) or np.max(np.abs(beta)) > 50:
        raise EstimationError(
            "a logistic model did not converge (coefficients diverge): some covariate history "
            "perfectly predicts the binary variable (separation); simplify `history` or the data"
        )
    return beta


def design_keep(X: np.ndarray, *, tol: float = 1e-9) -> np.ndarray:
    """Indices of columns to keep: drop constant non-intercept and linearly dependent columns.

    Column 0 is the intercept. A greedy pass keeps a column only if it raises the rank.

    >>> X = np.column_stack([np.ones(3), [1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [5.0, 5.0, 5.0]])
    >>> design_keep(X).tolist()
    [0, 1]
    """
    keep = [0]
    scale = np.sqrt((X**2).mean(axis=0)) + 1e-300
    Z = X / scale
    for j in range(1, X.shape[1]):
        cand = Z[:, [*keep, j]]
        s = np.linalg.svd(cand, compute_uv=False)
        if s[-1] > tol * s[0] * np.sqrt(X.shape[0]):
            keep.append(j)
    return np.asarray(keep, dtype=int)
