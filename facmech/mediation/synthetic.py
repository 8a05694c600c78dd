"""Synthetic multisite trials with known mediation effects, vectorized over replicates.

A small linear-Gaussian data-generating process used to check bias and interval coverage of
:func:`facmech.mediation.mediate_arrays` (the full simulator lives in :mod:`facmech.simulation`).
Per patient ``i`` in site ``g`` (and period ``t`` for a stepped wedge):

.. math::
   M_1 &= \\alpha_1 A + 0.3 X + u_{1g} + \\varepsilon_1, \\\\
   M_2 &= \\alpha_2 A + \\delta M_1 + 0.2 X + u_{2g} + \\varepsilon_2 \\quad (k = 2), \\\\
   Y &= c A + b_1 M_1 + b_2 M_2 + 0.4 X + \\beta_t + v_g + \\varepsilon_Y,

with site effects :math:`u, v \\sim N(0, \\tau^2)` and unit-variance errors. True effects:
``nde = c``, ``nie = a1 b1 + a1 delta b2 + a2 b2``, ``via`` and ``path`` effects are the
corresponding products. With ``outcome_family="probit"`` the outcome is
:math:`1\\{Y - 0.4 > 0\\}`; integrating out :math:`v_g` and the unit error, the patient-level model
is exactly probit with coefficients scaled by :math:`1/\\sqrt{1 + \\tau^2}`, and the true effects
(risk differences) are the mediation formula at those coefficients, averaged over a large fixed
covariate sample.

>>> trials = synthetic_trials(replicates=2, sites=8, patients=5, seed=1)
>>> trials.outcome.shape, trials.truth["nie"]
((2, 40), 0.3)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facmech._random import SeedLike, as_generator
from facmech.errors import DesignError

__all__ = ["SyntheticTrials", "synthetic_trials"]

_THRESHOLD = 0.4


def _probit_truth(k, a, b, delta, c, tau, periods) -> dict[str, float]:
    """Risk-difference effects of the probit DGP by the closed-form mediation formula."""
    from facmech.mediation.effects import Layout, contrasts, potential_means
    from facmech.mediation.spec import Family

    rng = np.random.default_rng(12345)
    n = 200_000
    T = int(periods.max()) + 1
    per = rng.integers(0, T, n)
    rows = [np.ones(n), rng.standard_normal(n)]
    rows += [(per == t).astype(float) for t in range(1, T)]
    C = np.stack(rows, axis=-1)
    p = C.shape[1]
    layout = Layout(p=p, k=k, interaction=False)

    def vec(*vals):
        return np.asarray(vals, dtype=float)[None, None]

    zeros_t = [0.0] * (T - 1)
    coefs = [vec(0.0, 0.3, *zeros_t, a[0])]
    if k == 2:
        coefs.append(vec(0.0, 0.2, *zeros_t, a[1], delta))
    # P(Y = 1 | A, M, X, t) = Phi((eta - threshold) / sqrt(1 + tau^2)): v_g + unit error
    period_coefs = [0.2 * t for t in range(1, T)]
    coefs.append(vec(-_THRESHOLD, 0.4, *period_coefs, c, *b[:k]) / np.sqrt(1 + tau**2))
    sig = [np.full((1, 1), np.sqrt(1 + tau**2))] * k
    psi = potential_means(coefs, sig, C[None, None], np.full((1, 1, n), 1 / n), layout,
                          Family.PROBIT)
    eff = contrasts(psi, k)
    return {name: float(eff[name][0, 0]) for name in ("total", "nde", "nie")}


@dataclass(frozen=True, eq=False)
class SyntheticTrials:
    """Arrays for ``R`` replicates: ``treatment`` (R, n), ``mediators`` (R, n, k), ``outcome``
    (R, n), ``covariates`` (R, n, q) (patient covariate and period dummies), ``cluster`` (n,),
    ``truth`` (effect name -> value, 0-based mediator indices in ``via:``/``path:`` names)."""

    treatment: np.ndarray
    mediators: np.ndarray
    outcome: np.ndarray
    covariates: np.ndarray
    cluster: np.ndarray
    truth: dict[str, float]


def synthetic_trials(
    *,
    replicates: int,
    sites: int,
    patients: int,
    design: str = "parallel",
    steps: int = 4,
    mediators: int = 1,
    a: tuple[float, float] = (0.5, 0.4),
    b: tuple[float, float] = (0.6, 0.5),
    delta: float = 0.5,
    c: float = 0.3,
    tau: float = 0.5,
    outcome_family: str = "gaussian",
    seed: SeedLike = None,
) -> SyntheticTrials:
    """Simulate ``replicates`` trials of one design.

    Parameters
    ----------
    replicates, sites, patients : int
        ``patients`` per site (per site-period for a stepped wedge).
    design : {"parallel", "stepped_wedge"}
        Parallel: ``sites // 2`` sites (randomly chosen per replicate) treated. Stepped wedge:
        sites in
        ``steps`` equal sequences crossing over at periods 1..steps, ``steps + 1`` periods.
    mediators : {1, 2}
    a, b, delta, c : float
        Path coefficients (see module docstring).
    tau : float
        SD of the site random effects in each mediator and the outcome.
    outcome_family : {"gaussian", "probit"}
    seed : int, Generator or None
    """
    rng = as_generator(seed)
    if mediators not in (1, 2):
        raise DesignError(f"`mediators` must be 1 or 2 (got {mediators})")
    if design not in ("parallel", "stepped_wedge"):
        raise DesignError(f"`design` must be 'parallel' or 'stepped_wedge' (got {design!r})")
    R, G = replicates, sites
    if design == "parallel":
        if G < 4:
            raise DesignError(f"`sites` must be at least 4 (got {G})")
        cluster = np.repeat(np.arange(G), patients)
        arm = np.argsort(rng.random((R, G)), axis=1) < G // 2
        A = arm[:, cluster].astype(float)
        periods = np.zeros(cluster.size, dtype=int)
    else:
        if G % steps:
            raise DesignError(f"`sites` ({G}) must be a multiple of `steps` ({steps})")
        T = steps + 1
        cluster = np.repeat(np.arange(G), T * patients)
        periods = np.tile(np.repeat(np.arange(T), patients), G)
        order = np.argsort(rng.random((R, G)), axis=1)
        step_of_site = np.empty((R, G), dtype=int)
        np.put_along_axis(step_of_site, order, np.repeat(np.arange(1, steps + 1), G // steps)[None]
                          .repeat(R, 0), axis=1)
        A = (periods[None, :] >= step_of_site[:, cluster]).astype(float)
    n = cluster.size
    X = rng.standard_normal((R, n))
    u1 = rng.normal(0, tau, (R, G))[:, cluster]
    M1 = a[0] * A + 0.3 * X + u1 + rng.standard_normal((R, n))
    Ms = [M1]
    if mediators == 2:
        u2 = rng.normal(0, tau, (R, G))[:, cluster]
        Ms.append(a[1] * A + delta * M1 + 0.2 * X + u2 + rng.standard_normal((R, n)))
    v = rng.normal(0, tau, (R, G))[:, cluster]
    period_effect = 0.2 * periods
    Y = c * A + b[0] * M1 + 0.4 * X + period_effect + v + rng.standard_normal((R, n))
    if mediators == 2:
        Y = Y + b[1] * Ms[1]
    if outcome_family not in ("gaussian", "probit"):
        raise DesignError(
            f"`outcome_family` must be 'gaussian' or 'probit' (got {outcome_family!r})"
        )
    if outcome_family == "probit":
        Y = (Y - _THRESHOLD > 0).astype(float)
    cov = [X[..., None]]
    if design == "stepped_wedge":
        dummies = (periods[:, None] == np.arange(1, periods.max() + 1)[None]).astype(float)
        cov.append(np.broadcast_to(dummies, (R, n, dummies.shape[1])))
    truth = {"nde": c}
    if mediators == 1:
        truth["nie"] = a[0] * b[0]
    else:
        truth.update({
            "path:0": a[0] * b[0], "path:0>1": a[0] * delta * b[1], "path:1": a[1] * b[1],
        })
        truth["via:0"] = truth["path:0"] + truth["path:0>1"]
        truth["via:1"] = truth["path:1"]
        truth["nie"] = truth["via:0"] + truth["via:1"]
    truth["total"] = truth["nde"] + truth["nie"]
    if outcome_family == "probit":
        truth = _probit_truth(mediators, a, b, delta, c, tau, periods)
    return SyntheticTrials(A, np.stack(Ms, axis=-1), Y, np.concatenate(cov, axis=-1), cluster,
                           truth)
