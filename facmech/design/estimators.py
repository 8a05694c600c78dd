r"""Batched estimators: one linear-algebra pass fits the same model to every replicate at once.

The workhorse is :func:`random_intercept_fit`, feasible GLS for site-period means with fixed period
effects and a random site intercept (the Hussey & Hughes 2007 analysis model), vectorized over a
leading replicate axis. For replicate :math:`r` with outcome :math:`y_{ij}` (site :math:`i`, period
:math:`j`) and covariates :math:`z_{ij}`:

1. *Within* (two-way demeaned) least squares estimates the residual variance :math:`\sigma^2`.
2. Least squares of the site means on the site-mean covariates estimates
   :math:`\tau^2 = \max(0, s^2_B - \sigma^2/T)`.
3. Quasi-demeaning :math:`y_{ij} - \lambda \bar y_{i\cdot}`,
   :math:`\lambda = 1 - \sqrt{\sigma^2/(\sigma^2 + T\tau^2)}` (Fuller & Battese 1973) turns GLS into
   least squares; :math:`\operatorname{Var}(\hat\beta) = \sigma^2 (Z^{*\prime} Z^*)^{-1}`.

With one period (:math:`T = 1`) this is least squares on site means. Coefficients of covariates that
vary within sites get the within residual degrees of freedom, :math:`IT - I - T + 1 - q_w`; those
constant within sites (the exposure of a parallel trial) get the between-site
:math:`I - 1 - q`.

Every batched operation acts on each replicate separately (stacked ``solve``/``matmul``), so a
replicate's numbers do not depend on which other replicates share its batch.

>>> rng = np.random.default_rng(0)
>>> x = np.repeat((np.arange(20) < 10)[:, None], 1, axis=1).astype(float)
>>> y = 0.5 * x + rng.normal(size=(300, 20, 1))
>>> fit = random_intercept_fit(y, x[None, :, :, None] * np.ones((300, 1, 1, 1)))
>>> fit.coef.shape, bool(abs(fit.coef[:, 0].mean() - 0.5) < 0.05), fit.df.tolist()
((300, 1), True, [18.0])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from facmech.errors import EstimationError
from facmech.estimation.fit import wls
from facmech.estimation.intervals import indirect_interval

__all__ = ["Coefficients", "indirect_estimates", "random_intercept_fit"]

_TOL = 1e-10


@dataclass(frozen=True)
class Coefficients:
    """Per-replicate coefficients ``(R, q)`` and standard errors ``(R, q)``, with degrees of
    freedom per coefficient ``(q,)`` (:func:`random_intercept_fit`) or per replicate ``(R,)``
    (:func:`facmech.design.smart.weighted_fit`)."""

    coef: np.ndarray
    std_error: np.ndarray
    df: np.ndarray


def _ols(z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least squares of every replicate (:func:`facmech.estimation.fit.wls`): z (R, n, p), y (R, n)
    -> coef (R, p), rss (R,), (Z'Z)^-1 (R, p, p)."""
    fit = wls(z, y).require("a design-study regression (collinear covariates in a replicate)")
    return fit.coef[:, 0], (fit.scale * fit.df)[:, 0], np.linalg.inv(fit.gram[:, 0])


def random_intercept_fit(y: np.ndarray, covariates: np.ndarray) -> Coefficients:
    """Feasible-GLS random-intercept fit with period fixed effects, batched over replicates.

    Parameters
    ----------
    y : array (R, I, T)
        Site-period outcome means of ``R`` replicates, ``I`` sites, ``T`` periods.
    covariates : array (R, I, T, q)
        Covariates (exposure, mediators); period effects are added internally.

    Returns
    -------
    Coefficients
        Coefficients and standard errors of the ``q`` covariates, and their degrees of freedom.
    """
    y = np.asarray(y, dtype=float)
    c = np.asarray(covariates, dtype=float)
    n_r, n_i, n_t = y.shape
    q = c.shape[-1]
    df_between = n_i - 1 - q
    if df_between < 1:
        raise EstimationError(f"too few sites ({n_i}) for {q} covariates and an intercept")
    y_site = y.mean(axis=2)  # (R, I)
    c_site = c.mean(axis=2)  # (R, I, q)
    if n_t > 1:
        yw = y - y_site[:, :, None] - y.mean(axis=1, keepdims=True) + y.mean(axis=(1, 2))[
            :, None, None
        ]
        cw = (
            c
            - c_site[:, :, None, :]
            - c.mean(axis=1, keepdims=True)
            + c.mean(axis=(1, 2))[:, None, None, :]
        )
        scale = np.abs(c).max(axis=(0, 1, 2)) + 1.0
        varies = np.abs(cw).max(axis=(0, 1, 2)) > _TOL * scale
        q_w = int(varies.sum())
        df_within = n_i * n_t - n_i - n_t + 1 - q_w
        if df_within < 1:
            raise EstimationError("too few site-periods to estimate the within-site variance")
        if q_w:
            _, rss_w, _ = _ols(cw[..., varies].reshape(n_r, n_i * n_t, q_w), yw.reshape(n_r, -1))
        else:
            rss_w = np.einsum("rn,rn->r", yw.reshape(n_r, -1), yw.reshape(n_r, -1))
        sigma2 = rss_w / df_within
        zb = np.concatenate([np.ones((n_r, n_i, 1)), c_site], axis=2)
        _, rss_b, _ = _ols(zb, y_site)
        tau2 = np.maximum(0.0, rss_b / df_between - sigma2 / n_t)
        lam = 1.0 - np.sqrt(sigma2 / (sigma2 + n_t * tau2))
    else:
        varies = np.zeros(q, dtype=bool)
        df_within = 0
        lam = np.zeros(n_r)
        sigma2 = None
    dummies = np.broadcast_to(np.eye(n_t), (n_r, n_i, n_t, n_t))
    z = np.concatenate([dummies, c], axis=3)  # (R, I, T, T + q)
    z_star = z - lam[:, None, None, None] * z.mean(axis=2, keepdims=True)
    y_star = y - lam[:, None, None] * y_site[:, :, None]
    p = n_t + q
    coef, rss, inv = _ols(z_star.reshape(n_r, n_i * n_t, p), y_star.reshape(n_r, -1))
    if sigma2 is None:
        sigma2 = rss / (n_i - p)
    var = sigma2[:, None] * np.diagonal(inv, axis1=1, axis2=2)[:, n_t:]
    df = np.where(varies, float(df_within), float(df_between))
    return Coefficients(coef=coef[:, n_t:], std_error=np.sqrt(var), df=df)


def indirect_estimates(
    mediators: Sequence[str], paths: tuple[np.ndarray, ...], prods: np.ndarray, alpha: float
) -> dict[str, dict[str, np.ndarray]]:
    """The indirect-effect estimands of a design study from product-of-coefficients draws.

    ``indirect:<m>`` per mediator and, with several, the joint ``indirect`` (sum of the products):
    Monte Carlo intervals (:func:`facmech.estimation.intervals.indirect_interval`) of the draws
    ``prods`` (R, K, D) of the paths ``(a, se_a, b, se_b)``, each (R, K).

    >>> one = np.ones((1, 2))
    >>> out = indirect_estimates(["m1", "m2"], (0.5 * one, 0.1 * one, 0.4 * one, 0.1 * one),
    ...                          np.full((1, 2, 10), 0.2), 0.05)
    >>> sorted(out), float(out["indirect"]["estimate"][0]), float(out["indirect:m1"]["ci_low"][0])
    (['indirect', 'indirect:m1', 'indirect:m2'], 0.4, 0.2)
    """
    each = indirect_interval(*paths, prods, alpha=alpha, joint=False).columns()
    out = {f"indirect:{med}": {key: col[:, j] for key, col in each.items()}
           for j, med in enumerate(mediators)}
    if len(mediators) > 1:
        out["indirect"] = indirect_interval(*paths, prods, alpha=alpha).columns()
    return out
