r"""A small vectorized adaptive-dose data generator with known truths, for tests and examples.

Per site :math:`i` and period :math:`t = 0..T-1` (leadership engagement :math:`L`, facilitation
:math:`A`, an unmeasured site trait :math:`U \sim N(0, \tau^2)`):

.. math::

    L_0 = U + e_0, \quad L_t = \rho L_{t-1} + \phi A_{t-1} + U + e_t, \quad
    A_t \sim \text{Bernoulli}(\text{expit}(\kappa L_t)) \text{ (or a dose } 1 + \kappa L_t/2 + N(0, .5^2)),

    Y = 1 + \beta \textstyle\sum_t A_t + \delta L_{T-1} + \lambda U + \varepsilon.

Leadership engagement drives facilitation (``adapt``), earlier facilitation drives later engagement
(``feedback``): the treatment-confounder feedback that g-methods handle and regression does not.
With linear means, :math:`E[Y^{\bar a}] = 1 + \beta \sum a_t + \delta m_{T-1}(\bar a)` where
:math:`m_0 = 0,\ m_t = \rho m_{t-1} + \phi a_{t-1}` (exact truth for static strategies).

>>> df, truth = adaptive_dose_data(sites=5, periods=3, seed=0)
>>> df.shape, round(truth["always - never"], 6)
((15, 5), 1.8)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from facmech._deprecation import renamed
from facmech._random import SeedLike, as_generator

__all__ = ["adaptive_dose_data", "mediation_data", "static_truth"]


def static_truth(
    sequence, *, effect: float, feedback: float, rho: float, delta: float
) -> float:
    """Exact :math:`E[Y^{\\bar a}]` of :func:`adaptive_dose_data` for a static sequence."""
    m = 0.0
    for t in range(1, len(sequence)):
        m = rho * m + feedback * sequence[t - 1]
    return 1.0 + effect * float(np.sum(sequence)) + delta * m


@renamed(n_units="sites", n_periods="periods")
def adaptive_dose_data(
    sites: int = 200,
    periods: int = 4,
    *,
    effect: float = 0.3,
    feedback: float = 0.6,
    rho: float = 0.5,
    adapt: float = 1.0,
    delta: float = 1.0,
    trait_sd: float = 0.0,
    trait_outcome: float = 0.0,
    dose: bool = False,
    dose_levels: tuple[float, float] = (2.0, 0.0),
    dynamic: Callable[[np.ndarray], np.ndarray] | None = None,
    seed: SeedLike = None,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Long data (columns site, period, facilitation, leadership_engagement, uptake) and truths.

    ``truth`` holds ``always``, ``never`` and ``always - never`` (for a dose: the two
    ``dose_levels``). Passing ``dynamic`` (a function of current engagement returning the
    treatment) instead simulates the intervened world; use it with a large ``sites`` for the
    truth of a dynamic strategy (the mean uptake is then ``truth["mean"]``).
    """
    rng = as_generator(seed)
    n, T = int(sites), int(periods)
    U = trait_sd * rng.standard_normal(n)
    L = np.empty((n, T))
    A = np.empty((n, T))
    for t in range(T):
        prev = 0.0 if t == 0 else rho * L[:, t - 1] + feedback * A[:, t - 1]
        L[:, t] = prev + U + rng.standard_normal(n)
        if dynamic is not None:
            A[:, t] = dynamic(L[:, t])
        elif dose:
            A[:, t] = 1.0 + 0.5 * adapt * L[:, t] + 0.5 * rng.standard_normal(n)
        else:
            A[:, t] = (rng.random(n) < 1.0 / (1.0 + np.exp(-adapt * L[:, t]))).astype(float)
    Y = 1.0 + effect * A.sum(axis=1) + delta * L[:, -1] + trait_outcome * U
    Y = Y + rng.standard_normal(n)
    frame = pd.DataFrame({
        "site": np.repeat(np.arange(n), T),
        "period": np.tile(np.arange(T), n),
        "facilitation": A.ravel(),
        "leadership_engagement": L.ravel(),
        "uptake": np.repeat(Y, T),
    })
    hi, lo = (dose_levels if dose else (1.0, 0.0))
    kw = dict(effect=effect, feedback=feedback, rho=rho, delta=delta)
    truth = {
        "always": static_truth([hi] * T, **kw),
        "never": static_truth([lo] * T, **kw),
    }
    truth["always - never"] = truth["always"] - truth["never"]
    if dynamic is not None:
        truth["mean"] = float(Y.mean())
    return frame, truth


def _mediation_means(a, a_med, T, p) -> float:
    """Noise-free propagation = exact E[Y(a, G_a')] for the linear mediation generator."""
    m_prime = np.zeros(T)
    Lp = Mp = 0.0
    for t in range(T):  # mediator history under a'
        Lp = (p["rho"] * Lp + p["feedback"] * a_med[t - 1] + p["omega"] * Mp) if t else 0.0
        Mp = p["alpha"] * a_med[t] + p["rho_m"] * (Mp if t else 0.0) + p["psi"] * Lp
        m_prime[t] = Mp
    L = 0.0
    for t in range(T):  # the rest under a, mediator replaced by the draw from G_a'
        L = (p["rho"] * L + p["feedback"] * a[t - 1] + p["omega"] * m_prime[t - 1]) if t else 0.0
    return 1.0 + p["effect"] * float(np.sum(a)) + p["gamma"] * m_prime[-1] + p["delta"] * L


@renamed(n_units="sites", n_periods="periods")
def mediation_data(
    sites: int = 500,
    periods: int = 3,
    *,
    effect: float = 0.3,
    alpha: float = 0.6,
    gamma: float = 0.8,
    omega: float = 0.4,
    psi: float = 0.3,
    rho: float = 0.5,
    rho_m: float = 0.4,
    feedback: float = 0.5,
    adapt: float = 0.5,
    delta: float = 0.7,
    seed: SeedLike = None,
) -> tuple[pd.DataFrame, dict[str, float]]:
    r"""Long data with a time-varying mediator ``trust`` and exact interventional truths.

    .. math::

        L_t = \rho L_{t-1} + \phi A_{t-1} + \omega M_{t-1} + e, \quad
        A_t \sim \text{Bernoulli}(\text{expit}(\kappa L_t)), \quad
        M_t = \alpha A_t + \rho_m M_{t-1} + \psi L_t + e,

        Y = 1 + \beta \textstyle\sum_t A_t + \gamma M_{T-1} + \delta L_{T-1} + e.

    The mediator feeds the next period's confounder (``omega``): exposure-induced confounding of
    later mediator-outcome relations. ``truth`` holds ``overall``, ``direct`` and ``indirect``
    (always vs never), computed exactly by propagating means (all equations are linear).

    >>> df, truth = mediation_data(sites=4, periods=2, seed=0)
    >>> round(truth["overall"], 6) == round(truth["direct"] + truth["indirect"], 6)
    True
    """
    rng = as_generator(seed)
    n, T = int(sites), int(periods)
    L = np.zeros((n, T))
    A = np.zeros((n, T))
    M = np.zeros((n, T))
    for t in range(T):
        prev = rho * L[:, t - 1] + feedback * A[:, t - 1] + omega * M[:, t - 1] if t else 0.0
        L[:, t] = prev + rng.standard_normal(n)
        A[:, t] = (rng.random(n) < 1.0 / (1.0 + np.exp(-adapt * L[:, t]))).astype(float)
        M[:, t] = (alpha * A[:, t] + (rho_m * M[:, t - 1] if t else 0.0) + psi * L[:, t]
                   + rng.standard_normal(n))
    Y = 1.0 + effect * A.sum(axis=1) + gamma * M[:, -1] + delta * L[:, -1] + rng.standard_normal(n)
    frame = pd.DataFrame({
        "site": np.repeat(np.arange(n), T),
        "period": np.tile(np.arange(T), n),
        "leadership_engagement": L.ravel(),
        "facilitation": A.ravel(),
        "trust": M.ravel(),
        "uptake": np.repeat(Y, T),
    })
    p = dict(effect=effect, alpha=alpha, gamma=gamma, omega=omega, psi=psi, rho=rho,
             rho_m=rho_m, feedback=feedback, delta=delta)
    one, zero = np.ones(T), np.zeros(T)
    psi11 = _mediation_means(one, one, T, p)
    psi10 = _mediation_means(one, zero, T, p)
    psi00 = _mediation_means(zero, zero, T, p)
    truth = {"overall": float(psi11 - psi00), "direct": float(psi10 - psi00),
             "indirect": float(psi11 - psi10)}
    return frame, truth
