r"""The Monte Carlo interval of a product-of-coefficients indirect effect, batched.

For mediator :math:`k` with exposure path :math:`\hat a_k` and outcome path :math:`\hat b_k`
(standard errors :math:`s_{a_k}`, :math:`s_{b_k}`), the Monte Carlo method (MacKinnon, Lockwood &
Williams 2004; Preacher & Selig 2012) draws each path independently,
:math:`a^*_k = \hat a_k + s_{a_k} z_{a_k}` and :math:`b^*_k = \hat b_k + s_{b_k} z_{b_k}`, and takes
the percentile interval of :math:`\sum_k a^*_k b^*_k` as the interval of the joint indirect effect
:math:`\sum_k \hat a_k \hat b_k` (one mediator: :math:`K = 1`). The draws :math:`z` are standard
normal, or standard :math:`t` with each path's degrees of freedom (which with few sites makes the
test agree with the joint significance test instead of being anti-conservative); they come from
:mod:`facmech.estimation.resampling`. The standard error reported is the first-order delta method
(Sobel 1982), :math:`\sqrt{\sum_k \hat a_k^2 s_{b_k}^2 + \hat b_k^2 s_{a_k}^2}`, ignoring covariances
between paths.

Design studies (:mod:`facmech.design.analysis`, :mod:`facmech.design.smart`) and indirect-effect
power (:func:`facmech.power.monte_carlo_indirect_power`) use it; mediation proper draws all
coefficients jointly (:func:`facmech.estimation.resampling.coefficient_draws`).

>>> z = np.random.default_rng(0).standard_normal((2, 1, 100_000))
>>> out = indirect_interval(0.5, 0.1, 0.4, 0.1, product_draws(0.5, 0.1, 0.4, 0.1, z[0], z[1]))
>>> round(float(out.estimate), 2), round(float(out.std_error), 4), bool(out.reject)
(0.2, 0.0640, True)
"""

from __future__ import annotations

import numpy as np

from facmech.estimation.estimate import Intervals, percentile_interval

__all__ = ["indirect_interval", "product_draws"]


def product_draws(
    a: np.ndarray | float,
    se_a: np.ndarray | float,
    b: np.ndarray | float,
    se_b: np.ndarray | float,
    z_a: np.ndarray,
    z_b: np.ndarray,
) -> np.ndarray:
    r"""Monte Carlo draws :math:`(\hat a + s_a z_a)(\hat b + s_b z_b)` of the path products.

    Parameters
    ----------
    a, se_a, b, se_b : arrays (..., K)
        Path coefficients and standard errors (``K`` mediators; any leading batch shape).
    z_a, z_b : arrays (..., K, D)
        Standard draws (normal or t) for each path.

    Returns
    -------
    array (..., K, D)

    Examples
    --------
    >>> product_draws(np.array([1.0]), np.array([0.5]), np.array([2.0]), np.array([1.0]),
    ...               np.array([[0.0, 2.0]]), np.array([[1.0, -1.0]])).tolist()
    [[3.0, 2.0]]
    """
    def path(coef, se, z):
        coef, se = np.asarray(coef, dtype=float), np.asarray(se, dtype=float)
        return coef[..., None] + se[..., None] * z

    return path(a, se_a, z_a) * path(b, se_b, z_b)


def indirect_interval(
    a: np.ndarray | float,
    se_a: np.ndarray | float,
    b: np.ndarray | float,
    se_b: np.ndarray | float,
    draws: np.ndarray,
    *,
    alpha: float = 0.05,
    joint: bool = True,
) -> Intervals:
    r"""Joint indirect effect :math:`\sum_k \hat a_k \hat b_k` with its Monte Carlo interval
    (``joint=False``: each mediator's :math:`\hat a_k \hat b_k` with its own).

    With ordered mediators (``a_k`` the exposure's total effect on mediator ``k``, ``b_k`` its
    coefficient in the outcome model with all mediators) the sum is, in a linear model, the effect
    along every path through at least one mediator (the joint natural indirect effect).

    Parameters
    ----------
    a, se_a, b, se_b : arrays (..., K)
        Path coefficients and standard errors.
    draws : array (..., K, D)
        Monte Carlo draws of each product (:func:`product_draws`), summed over ``K``.
    alpha : float
        Two-sided level.
    joint : bool
        Sum over the mediators (default), or one interval per mediator.

    Returns
    -------
    Intervals
        Shape ``(...)`` (``(..., K)`` when not ``joint``): ``estimate``, ``std_error`` (delta
        method) and the percentile interval (no p-value); ``reject`` whether it excludes 0.

    Examples
    --------
    >>> one = np.ones((1, 2))
    >>> out = indirect_interval(0.5 * one, 0.1 * one, 0.4 * one, 0.1 * one,
    ...                         np.full((1, 2, 10), 0.2), alpha=0.05)
    >>> float(out.estimate[0]), float(out.ci_low[0])
    (0.4, 0.4)
    """
    a, se_a = np.asarray(a, dtype=float), np.asarray(se_a, dtype=float)
    b, se_b = np.asarray(b, dtype=float), np.asarray(se_b, dtype=float)
    d = np.asarray(draws, dtype=float)
    if not joint:
        lo, hi = percentile_interval(d, alpha=alpha)
        return Intervals(a * b, np.sqrt(a**2 * se_b**2 + b**2 * se_a**2), lo, hi)
    if a.ndim == 0:
        a, se_a, b, se_b = a[None], se_a[None], b[None], se_b[None]
    estimate = (a * b).sum(axis=-1)
    delta = np.sqrt((a**2 * se_b**2 + b**2 * se_a**2).sum(axis=-1))
    lo, hi = percentile_interval(d.sum(axis=-2), alpha=alpha)
    return Intervals(estimate, delta, lo, hi)
