r"""SMART analyses batched over replicates whose number of non-responders varies.

In an AIM-style SMART (:class:`facmech.simulation.SMART`) every site starts with a low-intensity
strategy; sites that do not respond by the end of stage 1 are re-randomized (balanced) to external
facilitation (EF, ``exposed = 0``) or EF + internal facilitation (EF+IF, ``exposed = 1``). The
number of non-responders differs between simulated trials, so each replicate's sites are padded to
the trial's size and weighted: weight 1 for a non-responder, 0 for a responder. Every fit is one
stacked weighted least-squares solve over ``(R, I, p)`` arrays, with per-replicate residual degrees
of freedom :math:`n_r - p` (:math:`n_r` non-responders of replicate :math:`r`).

Estimands (the truth of :func:`facmech.simulation.true_effects` for a SMART design averages over
the stage-2 site-periods of non-responders, the design's estimand mask):

``total``
    EF+IF vs EF among non-responders: ANCOVA of each non-responder's stage-2 mean outcome on its arm
    and its stage-1 mean outcome (a pre-randomization covariate; it only adds precision), Wald
    :math:`t_{n_r-3}` interval. Truth: ``truth["total"]``.
``direct``, ``indirect:<m>``
    Product of coefficients among non-responders: :math:`a_k` from the stage-2 mean of mediator
    :math:`k` on the arm and its stage-1 mean; :math:`b_k` and :math:`c'` from the stage-2 outcome on
    the arm, all stage-2 mediator means and the stage-1 outcome; Monte Carlo interval with t draws
    as in :mod:`facmech.design.analysis`. Truth: ``truth["nde"]``, ``truth["nie"]`` (one mediator).
``regimes``
    The two embedded adaptive interventions, "low intensity, then EF if no response" vs "low
    intensity, then EF+IF if no response", on the mean stage-2 outcome of all sites (Nahum-Shani et
    al. 2012, Psychol Methods 17:457). Responders' outcomes are the same under both regimes, so the
    contrast is :math:`P(NR)` times the EF+IF vs EF effect among non-responders; it is estimated by
    the plug-in :math:`\hat p_{NR}\,(\bar Y_{EF+IF} - \bar Y_{EF})` (stage-2 site means of
    non-responders), with the delta-method SE over :math:`\hat p_{NR}` and the two arm means and
    a normal interval.
    Truth: the same contrast on the simulator's truth population
    (:meth:`facmech.design.MapTrial.truth`, key ``regimes``).

>>> rng = np.random.default_rng(1)
>>> nr = np.ones((50, 20), dtype=bool); x = np.tile(np.arange(20) % 2, (50, 1)).astype(float)
>>> y2 = 0.4 * x + rng.normal(size=(50, 20)); y1 = rng.normal(size=(50, 20))
>>> fit = weighted_fit(y2, np.stack([x, y1], axis=2), nr)
>>> fit.coef.shape, fit.df.shape, bool(abs(fit.coef[:, 0].mean() - 0.4) < 0.1)
((50, 2), (50,), True)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from facmech.design.estimators import Coefficients, indirect_estimates
from facmech.errors import EstimationError
from facmech.estimation.estimate import wald_intervals
from facmech.estimation.fit import wls
from facmech.estimation.intervals import product_draws
from facmech.estimation.resampling import replicate_t_draws

__all__ = ["regime_contrast", "smart_batch", "weighted_fit"]


def weighted_fit(y: np.ndarray, covariates: np.ndarray, keep: np.ndarray) -> Coefficients:
    """Least squares of ``y`` on an intercept and ``covariates`` over the sites with ``keep``.

    Parameters
    ----------
    y : array (R, I)
    covariates : array (R, I, q)
    keep : bool array (R, I)
        The sites of each replicate in the fit (the others are padding, weight 0).

    Returns
    -------
    Coefficients
        Per replicate: coefficients and SEs ``(R, q)`` (intercept excluded), df ``(R,)``.
    """
    w = keep.astype(float)
    n_r, n_i, q = covariates.shape
    z = np.concatenate([np.ones((n_r, n_i, 1)), covariates], axis=2)
    df = w.sum(axis=1) - (q + 1)
    if (df < 1).any():
        worst = int(w.sum(axis=1).min())
        raise EstimationError(
            f"a simulated SMART has only {worst} non-responding sites, too few for a model with "
            f"{q + 1} coefficients; increase `sites` or lower the response `threshold`"
        )
    fit = wls(z, y, w[:, None]).require("a SMART model (e.g. one arm has no site in a replicate)")
    inv = np.linalg.inv(fit.gram[:, 0])
    var = fit.scale[:, 0, None] * np.diagonal(inv, axis1=1, axis2=2)
    return Coefficients(coef=fit.coef[:, 0, 1:], std_error=np.sqrt(var[:, 1:]), df=df)


def regime_contrast(y2: np.ndarray, x: np.ndarray, nonresp: np.ndarray, alpha: float
                    ) -> dict[str, np.ndarray]:
    """Embedded-regime contrast (EF+IF vs EF for non-responders) on all sites, per replicate.

    ``p (mean_1 - mean_0)`` over non-responders, with the delta-method variance
    ``(mean_1 - mean_0)^2 p(1-p)/I + p^2 (s_1^2/n_1 + s_0^2/n_0)`` and a normal interval.
    """
    n_i = nonresp.shape[1]
    arms = [nonresp & (x > 0.5), nonresp & (x <= 0.5)]
    counts = [a.sum(axis=1) for a in arms]
    if any((c < 2).any() for c in counts):
        raise EstimationError(
            "a simulated SMART has fewer than 2 non-responding sites in an arm; increase `sites`"
        )
    means = [np.where(a, y2, 0.0).sum(axis=1) / c for a, c in zip(arms, counts, strict=True)]
    var = [np.where(a, (y2 - m[:, None]) ** 2, 0.0).sum(axis=1) / (c - 1)
           for a, m, c in zip(arms, means, counts, strict=True)]
    p = nonresp.mean(axis=1)
    diff = means[0] - means[1]
    est = p * diff
    se = np.sqrt(diff**2 * p * (1 - p) / n_i + p**2 * (var[0] / counts[0] + var[1] / counts[1]))
    return wald_intervals(est, se, alpha=alpha).columns()


def smart_batch(
    *,
    x: np.ndarray,
    y: np.ndarray,
    m: np.ndarray,
    responder: np.ndarray,
    stage1: int,
    mediators: Sequence[str],
    parts: Sequence[str],
    alpha: float,
    mc_draws: int,
    rngs: Sequence[np.random.Generator],
) -> dict[str, dict[str, np.ndarray]]:
    """Run the SMART estimands (see the module docstring) on ``R`` replicates at once.

    Parameters
    ----------
    x, y : arrays (R, I, T)
        Exposure (EF+IF in stage 2) and outcome site-period means.
    m : array (R, K, I, T)
        Measured mediators.
    responder : bool array (R, I)
        Stage-1 responders (their sites are padding in the non-responder models).
    stage1 : int
        Number of stage-1 periods.
    parts : sequence of {"total", "mediation", "regimes"}
    """
    nonresp = ~np.asarray(responder, dtype=bool)
    arm = x[:, :, stage1:].mean(axis=2)  # constant over stage 2
    y1, y2 = y[:, :, :stage1].mean(axis=2), y[:, :, stage1:].mean(axis=2)
    out: dict[str, dict[str, np.ndarray]] = {}
    if "total" in parts:
        fit = weighted_fit(y2, np.stack([arm, y1], axis=2), nonresp)
        out["total"] = wald_intervals(fit.coef[:, 0], fit.std_error[:, 0], df=fit.df,
                                      alpha=alpha).columns()
    if "mediation" in parts:
        k = m.shape[1]
        m1, m2 = m[..., :stage1].mean(axis=3), m[..., stage1:].mean(axis=3)  # (R, K, I)
        outcome = weighted_fit(
            y2, np.concatenate([arm[..., None], np.moveaxis(m2, 1, 2), y1[..., None]], axis=2),
            nonresp,
        )
        out["direct"] = wald_intervals(outcome.coef[:, 0], outcome.std_error[:, 0],
                                       df=outcome.df, alpha=alpha).columns()
        a_fits = [weighted_fit(m2[:, j], np.stack([arm, m1[:, j]], axis=2), nonresp)
                  for j in range(k)]
        # per replicate and mediator: the exposure path's then the outcome path's t draws
        df = np.stack([np.stack([f.df for f in a_fits], axis=1),
                       np.broadcast_to(outcome.df[:, None], (len(rngs), k))], axis=2)  # (R, K, 2)
        z = replicate_t_draws(rngs, df, mc_draws)  # (R, K, 2, D)
        paths = (np.stack([f.coef[:, 0] for f in a_fits], axis=1),
                 np.stack([f.std_error[:, 0] for f in a_fits], axis=1),
                 outcome.coef[:, 1:1 + k], outcome.std_error[:, 1:1 + k])
        prods = product_draws(*paths, z[:, :, 0], z[:, :, 1])  # (R, K, D)
        out.update(indirect_estimates(mediators, paths, prods, alpha))
    if "regimes" in parts:
        out["regimes"] = regime_contrast(y2, arm, nonresp, alpha)
    return out
