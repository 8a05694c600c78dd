r"""Batched regression fits: many weighted least-squares or IRLS fits in one pass of array arithmetic.

This is facmech's single implementation of a regression fit for resampling and replicates
(mediation, g-methods, design studies and implication tests all call it); statsmodels fits the
models users see, and ``tests/estimation/test_fit.py`` checks that this module reproduces
statsmodels OLS, WLS and GLM fits to 1e-8. It exists because statsmodels fits one model at a time:
a bootstrap of 2000 draws on 50 replicate trials is 100 000 fits, here a handful of matrix
products.

Shapes. A fit is indexed by a replicate ``r`` (a data set: a simulated trial, or a response) and a
draw ``b`` (a set of row weights: bootstrap counts). The design is shared by all replicates,
``X`` of shape ``(n, K)``, or one per replicate, ``(R, n, K)``; the response is ``(n,)``, ``(R, n)``
or one per fit ``(R, B, n)``; weights are ``None`` (one unweighted fit per replicate), ``(B, n)``
(the same draws for every replicate) or ``(R, B, n)``. Results have shape ``(R, B, ...)``. The
weighted normal equations

.. math:: \hat\beta_{rb} = (X_r^\top W_{rb} X_r)^{-1} X_r^\top W_{rb} y_{rb}

are formed without a loop over draws: with :math:`P_r` the ``n x K^2`` matrix of row outer products
:math:`x_i x_i^\top`, all the Gram matrices of replicate ``r`` are the one product :math:`W_r P_r`
(``B x n`` times ``n x K^2``). With one draw (``B = 1``) the Gram matrix is formed directly,
:math:`(X_r \circ w_r)^\top X_r`, which needs no ``n x K^2`` array. A design shared by all
replicates whose Gram matrices are shared too (weights ``(B, n)``) is factorised once for all the
responses.

Binary and fractional responses (``0 <= y <= 1``; logit or probit link) are fitted by Fisher
scoring (iteratively reweighted least squares) on the same products, all fits at once:

.. math::

    \beta \leftarrow (X^\top W V X)^{-1} X^\top W V z, \qquad
    V = \frac{\mu'(\eta)^2}{\mu(1-\mu)}, \qquad z = \eta + \frac{y - \mu}{\mu'(\eta)},

which for the logit link is Newton-Raphson; a fractional response gives the quasi-binomial
(Papke & Wooldridge 1996) estimate.

Singular systems. A weighted Gram matrix that is exactly singular (a column all zero in a bootstrap
draw) gets the minimum-norm (pseudo-inverse) solution and is flagged ``singular``; a fit whose IRLS
iterations do not settle or whose coefficients diverge (separation) is flagged not ``converged``.
The fit never raises for either: the caller decides, with :meth:`BatchFit.require`, whether it is
an :class:`~facmech.errors.EstimationError` naming the model, or a draw to drop (``BatchFit.ok``).

>>> rng = np.random.default_rng(0)
>>> X = np.column_stack([np.ones(50), rng.normal(size=50)])
>>> y = 1 + 2 * X[:, 1] + rng.normal(scale=0.1, size=50)
>>> fit = wls(X, y)
>>> fit.coef.shape, np.round(fit.coef[0, 0], 1)
((1, 1, 2), array([1., 2.]))
>>> counts = rng.multinomial(50, np.full(50, 1 / 50), size=200)  # 200 bootstrap draws
>>> wls(X, y, counts).coef.shape
(1, 200, 2)
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from facmech._choice import Choice
from facmech.errors import ArgumentError, EstimationError

__all__ = [
    "BatchFit",
    "Link",
    "design_keep",
    "irls",
    "single_thread_blas",
    "solve_normal",
    "with_single_thread_blas",
    "wls",
]

#: Fitted probabilities are kept in [_EPS, 1 - _EPS] (as statsmodels' Binomial family clips them).
_EPS = 1e-10
#: A coefficient this large in absolute value counts as diverging (separation).
_DIVERGED = 50.0


class Link(Choice):
    """Link of a binary or fractional response: ``logit`` (alias ``binomial``) or ``probit``."""

    LOGIT = "logit"
    PROBIT = "probit"

    @classmethod
    def aliases(cls) -> dict[str, str]:
        return {"binomial": "logit", "logistic": "logit"}

    def mean(self, eta: np.ndarray) -> np.ndarray:
        """Inverse link :math:`\\mu(\\eta)`."""
        return special.expit(eta) if self is Link.LOGIT else special.ndtr(eta)

    def derivative(self, eta: np.ndarray) -> np.ndarray:
        """:math:`d\\mu/d\\eta`."""
        if self is Link.LOGIT:
            p = special.expit(eta)
            return p * (1 - p)
        return np.exp(-0.5 * eta * eta) / np.sqrt(2 * np.pi)

    def linear(self, mu: np.ndarray) -> np.ndarray:
        """The link itself, :math:`\\eta(\\mu)`."""
        return special.logit(mu) if self is Link.LOGIT else special.ndtri(mu)


@dataclass(frozen=True, eq=False)
class BatchFit:
    """Coefficients of ``R x B`` fits of one model (replicates x draws).

    Attributes
    ----------
    coef : ndarray, shape (R, B, K)
    sigma : ndarray, shape (R, B)
        Residual SD :math:`\\sqrt{\\sum_i w_i e_i^2 / (\\sum_i w_i - K)}` (least squares), ones
        (IRLS: the binomial scale is fixed).
    converged : ndarray of bool, shape (R, B)
        False for an IRLS fit that did not settle or diverged, or without residual degrees of
        freedom (least squares: ``sum(w) <= K``).
    singular : ndarray of bool, shape (R, B)
        The Gram matrix was singular (the coefficients are the minimum-norm solution).
    df : ndarray, shape (R, B)
        Residual degrees of freedom :math:`\\sum_i w_i - K`.
    gram : ndarray, shape (R, B, K, K)
        The weighted Gram matrix :math:`X^\\top W X` (least squares) or the Fisher information
        :math:`X^\\top W V X` at the last iterate (IRLS: within the convergence tolerance of the
        estimate, as statsmodels' GLM covariance).
    """

    coef: np.ndarray
    sigma: np.ndarray
    converged: np.ndarray
    singular: np.ndarray
    df: np.ndarray
    gram: np.ndarray

    @property
    def ok(self) -> np.ndarray:
        """Fits that converged with a non-singular Gram matrix, shape (R, B)."""
        return self.converged & ~self.singular

    @property
    def scale(self) -> np.ndarray:
        """Residual variance ``sigma ** 2``, shape (R, B)."""
        return self.sigma**2

    def require(self, model: str, *, allow_singular: bool = False) -> BatchFit:
        """Return ``self`` if every fit is usable; otherwise raise an error naming ``model``.

        Usable means :attr:`ok`, or only :attr:`converged` with ``allow_singular`` (a bootstrap
        draw in which a rare column is absent keeps its minimum-norm coefficients).

        >>> X = np.column_stack([np.ones(4), np.zeros(4)])
        >>> wls(X, np.arange(4.0)).require("the outcome model")
        Traceback (most recent call last):
        ...
        facmech.errors.EstimationError: the outcome model could not be fitted in 1 of 1 fit(s) ...
        """
        good = self.converged if allow_singular else self.ok
        if not good.all():
            bad, total = int((~good).sum()), good.size
            raise EstimationError(
                f"{model} could not be fitted in {bad} of {total} fit(s) (a singular design: "
                "collinear or constant columns; or, for a binary model, separation: a covariate "
                "pattern predicts the outcome perfectly)"
            )
        return self


def single_thread_blas() -> contextlib.AbstractContextManager[Any]:
    """Context limiting BLAS to one thread (threadpoolctl, if installed).

    The batched products here are many small matrices; multi-threaded BLAS on them spends its time
    synchronising (measured 70x slower than one thread on a loaded 2-core machine).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def with_single_thread_blas(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator: run ``fn`` under :func:`single_thread_blas` (signature and docs preserved)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with single_thread_blas():
            return fn(*args, **kwargs)

    return wrapper


def solve_normal(gram: np.ndarray, rhs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve stacked normal equations ``gram[...] beta[...] = rhs[...]``.

    ``gram`` has shape ``(..., K, K)`` and ``rhs`` ``(..., K)`` (broadcast against each other; a
    ``gram`` of leading shape ``(1, B)`` against ``rhs`` of ``(R, B)`` is factorised once for the
    ``R`` right-hand sides). Returns ``beta`` and ``ok`` (False where ``gram`` is singular; there
    ``beta`` is the minimum-norm pseudo-inverse solution).

    >>> beta, ok = solve_normal(np.array([[[2.0, 0.0], [0.0, 0.0]]]), np.array([[4.0, 0.0]]))
    >>> beta.tolist(), ok.tolist()
    ([[2.0, 0.0]], [False])
    """
    shape = np.broadcast_shapes(gram.shape[:-2], rhs.shape[:-1])
    k = gram.shape[-1]
    if gram.ndim >= 3 and gram.shape[0] == 1 and shape[0] > 1 and len(shape) >= 2:
        # one Gram matrix per draw, many responses: one factorisation, R right-hand sides
        g = np.broadcast_to(gram[0], (*shape[1:], k, k))
        r = np.moveaxis(np.broadcast_to(rhs, (*shape, k)), 0, -1)  # (..., K, R)
        beta, ok = _solve(g, r)
        return np.moveaxis(beta, -1, 0), np.broadcast_to(ok, shape[1:])[None].repeat(shape[0], 0)
    g = np.broadcast_to(gram, (*shape, k, k))
    beta, ok = _solve(g, np.broadcast_to(rhs, (*shape, k))[..., None])
    return beta[..., 0], ok


def _solve(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a (..., K, K) x = b (..., K, m)``, per matrix; singular ones by the pseudo-inverse."""
    ok = np.ones(a.shape[:-2], dtype=bool)
    try:
        return np.linalg.solve(a, b), ok
    except np.linalg.LinAlgError:
        pass
    flat_a = a.reshape(-1, *a.shape[-2:])
    flat_b = b.reshape(-1, *b.shape[-2:])
    out = np.empty(flat_b.shape)
    flat_ok = ok.reshape(-1)
    for i in range(flat_a.shape[0]):
        try:
            out[i] = np.linalg.solve(flat_a[i], flat_b[i])
        except np.linalg.LinAlgError:
            out[i] = np.linalg.pinv(flat_a[i]) @ flat_b[i]
            flat_ok[i] = False
    return out.reshape(b.shape), ok


def _outer(X: np.ndarray) -> np.ndarray:
    """Row outer products, ``(..., n, K) -> (..., n, K*K)``."""
    k = X.shape[-1]
    return (X[..., :, None] * X[..., None, :]).reshape(*X.shape[:-1], k * k)


def _gram(X: np.ndarray, w: np.ndarray, P: np.ndarray | None = None) -> np.ndarray:
    """``X' W X`` for weights ``w`` (Rw, B, n): shape (Rw or R, B, K, K)."""
    k = X.shape[-1]
    rw, b, n = w.shape
    if X.ndim == 2:
        if rw * b == 1:
            return ((X * w[0, 0, :, None]).T @ X)[None, None]
        P = _outer(X) if P is None else P
        return (w.reshape(rw * b, n) @ P).reshape(rw, b, k, k)
    if b == 1:  # one fit per replicate: no n x K^2 array
        xw = X * w[:, 0, :, None]
        return np.matmul(xw.transpose(0, 2, 1), X)[:, None]
    P = _outer(X) if P is None else P
    return np.matmul(w, P).reshape(-1, b, k, k)


def _xty(X: np.ndarray, wy: np.ndarray) -> np.ndarray:
    """``X' (w * y)`` for ``wy`` (R, B, n): shape (R, B, K)."""
    if X.ndim == 2:
        r, b, n = wy.shape
        return (wy.reshape(r * b, n) @ X).reshape(r, b, -1)
    return np.matmul(wy, X)


def _linear_predictor(X: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """``X beta`` for every fit: (R, B, n)."""
    if X.ndim == 2:
        r, b, k = beta.shape
        return (beta.reshape(r * b, k) @ X.T).reshape(r, b, -1)
    return np.matmul(beta, X.transpose(0, 2, 1))


def _inputs(
    X: np.ndarray, y: np.ndarray, weights: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Validate shapes; return X (n, K) or (R, n, K), y (R, 1 or B, n), w (1 or R, B, n), R."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim not in (2, 3):
        raise ArgumentError(f"`X` must have shape (n, K) or (R, n, K) (got {X.shape})")
    n = X.shape[-2]
    if y.ndim not in (1, 2, 3) or y.shape[-1] != n:
        raise ArgumentError(
            f"`y` must have shape (n,), (R, n) or (R, B, n) with n = {n} (got {y.shape})"
        )
    if weights is None:
        w = np.ones((1, 1, n))
    else:
        w = np.asarray(weights, dtype=float)
        if w.ndim == 2:
            w = w[None]
        if w.ndim != 3 or w.shape[-1] != n:
            raise ArgumentError(
                f"`weights` must have shape (B, n) or (R, B, n) with n = {n} (got "
                f"{np.shape(weights)})"
            )
    y3 = y.reshape(1, 1, n) if y.ndim == 1 else (y[:, None] if y.ndim == 2 else y)
    if weights is None and y3.shape[1] > 1:  # one response per draw, unweighted
        w = np.ones((1, y3.shape[1], n))
    sizes = {s for s in (X.shape[0] if X.ndim == 3 else 1, y3.shape[0], w.shape[0]) if s != 1}
    if len(sizes) > 1:
        raise ArgumentError(
            f"`X`, `y` and `weights` disagree on the number of replicates R (got {sorted(sizes)})"
        )
    if y3.shape[1] not in (1, w.shape[1]):
        raise ArgumentError(
            f"`y` has {y3.shape[1]} draws but `weights` has {w.shape[1]} (shape (R, B, n))"
        )
    R = sizes.pop() if sizes else 1
    return X, y3, w, R


def wls(X: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> BatchFit:
    """Weighted least squares for every replicate ``r`` and weight vector ``b``.

    Parameters
    ----------
    X : ndarray, shape (n, K) or (R, n, K)
    y : ndarray, shape (n,), (R, n) or (R, B, n)
    weights : ndarray, shape (B, n) or (R, B, n), optional
        Non-negative row weights (frequency weights: bootstrap counts); ``None`` means one
        unweighted fit per replicate (``B = 1``).

    Returns
    -------
    BatchFit
        Of shape ``(R, B)``.

    Examples
    --------
    >>> X = np.column_stack([np.ones(4), [0.0, 1.0, 2.0, 3.0]])
    >>> fit = wls(X, np.array([1.0, 3.0, 5.0, 7.0]))
    >>> np.round(fit.coef[0, 0], 6).tolist(), float(np.round(fit.sigma[0, 0], 6))
    ([1.0, 2.0], 0.0)
    """
    X, y3, w, R = _inputs(X, y, weights)
    B, K = w.shape[1], X.shape[-1]
    gram = _gram(X, w)
    if y3.shape[1] == 1 and B > 1:
        # one response for all draws: products over the draws, no (R, B, n) temporary
        y1 = y3[:, 0]
        xty = np.matmul(w, X * y1[..., None])
        yy = np.matmul(w, (y1 * y1)[..., None])[..., 0]
    else:
        wy = w * y3
        xty = _xty(X, wy)
        yy = np.einsum("rbn,rbn->rb", wy, np.broadcast_to(y3, wy.shape))
    coef, ok = solve_normal(gram, xty)
    # weighted residual sum of squares from the normal equations (no (R, B, n) residual array)
    quad = np.einsum("rbk,rbkl,rbl->rb", coef, np.broadcast_to(gram, (R, B, K, K)), coef)
    rss = yy - 2 * np.einsum("rbk,rbk->rb", coef, xty) + quad
    dof = np.broadcast_to(w.sum(-1) - K, (R, B))
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma = np.sqrt(np.maximum(rss, 0.0) / np.where(dof > 0, dof, np.nan))
    return BatchFit(coef, sigma, np.isfinite(sigma), ~ok, dof, np.broadcast_to(gram, (R, B, K, K)))


def irls(
    X: np.ndarray,
    y: np.ndarray,
    link: Link | str = Link.LOGIT,
    weights: np.ndarray | None = None,
    *,
    start: np.ndarray | None = None,
    max_iter: int = 50,
    tol: float = 1e-10,
) -> BatchFit:
    """Binary or fractional regression (logit or probit) by batched Fisher scoring.

    Iterates :math:`\\beta \\leftarrow (X^\\top W V X)^{-1} X^\\top W V z` (see the module
    docstring) for all fits at once until every fit's largest coefficient change is below
    ``tol * (1 + max |beta|)``.

    Parameters
    ----------
    X, y, weights
        As in :func:`wls`; ``y`` in ``[0, 1]`` (0/1, or a fraction: quasi-binomial).
    link : {"logit", "probit"}
    start : ndarray, shape (R, B, K), (R, 1, K) or (K,), optional
        Starting coefficients (a warm start from the full-sample fit speeds up bootstraps).
        Default: the intercept (if column 0 of ``X`` is constant) at the link of the weighted mean
        response, the other coefficients 0.
    max_iter : int
    tol : float

    Returns
    -------
    BatchFit
        ``sigma`` is one; ``converged`` is False for fits that did not settle in ``max_iter``
        iterations or whose coefficients diverge (:math:`|\\beta_k| \\ge 50`); ``singular``
        flags a singular information matrix at the last iteration.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> X = np.column_stack([np.ones(2000), rng.normal(size=2000)])
    >>> y = (rng.random(2000) < 1 / (1 + np.exp(-(0.5 + X[:, 1])))).astype(float)
    >>> np.round(irls(X, y, "logit").coef[0, 0], 1)
    array([0.5, 1. ])
    """
    lk = Link.parse(link, argument="link")
    X, y3, w, R = _inputs(X, y, weights)
    B, K = w.shape[1], X.shape[-1]
    if start is None:
        beta = np.zeros((R, B, K))
        first = X[..., :, 0]
        if np.all(first == first.reshape(-1)[0]) and first.reshape(-1)[0] != 0:
            wy = (w * y3).sum(-1) / np.maximum(w.sum(-1), 1e-300)
            beta[..., 0] = lk.linear(np.clip(wy, 1e-6, 1 - 1e-6)) / first.reshape(-1)[0]
    else:
        beta = np.broadcast_to(np.asarray(start, dtype=float), (R, B, K)).copy()
    P = _outer(X) if (B > 1 or (X.ndim == 2 and R * B > 1)) else None
    converged = np.zeros((R, B), dtype=bool)
    ok = np.ones((R, B), dtype=bool)
    gram = np.zeros((R, B, K, K))
    for _ in range(max_iter):
        eta = _linear_predictor(X, beta)
        mu = np.clip(lk.mean(eta), _EPS, 1 - _EPS)
        d = np.maximum(lk.derivative(eta), _EPS)
        v = d * d
        v /= mu * (1 - mu)
        v *= w
        # working response z = eta + (y - mu) / d; v * z = v * eta + v * (y - mu) / d
        vz = v * eta
        vz += v * (y3 - mu) / d
        gram = _gram(X, v, P)
        new, ok = solve_normal(gram, _xty(X, vz))
        step = np.max(np.abs(new - beta), axis=-1)
        beta = new
        converged = step < tol * (1 + np.max(np.abs(beta), axis=-1))
        if converged.all():
            break
    with np.errstate(invalid="ignore"):
        converged &= np.isfinite(beta).all(-1) & (np.max(np.abs(beta), axis=-1) < _DIVERGED)
    dof = np.broadcast_to(w.sum(-1) - K, (R, B))
    return BatchFit(beta, np.ones((R, B)), converged & (dof > 0), ~ok, dof,
                    np.broadcast_to(gram, (R, B, K, K)))


def design_keep(X: np.ndarray, *, tol: float = 1e-9) -> np.ndarray:
    """Indices of columns to keep: drop constant non-intercept and linearly dependent columns.

    Column 0 is the intercept. A greedy pass keeps a column only if it raises the rank (the
    smallest singular value of the column-scaled design stays above ``tol`` times the largest
    times :math:`\\sqrt n`).

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
