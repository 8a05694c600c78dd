"""Simulated power agrees with the closed forms within Monte Carlo error (CI-sized).

Tolerances are fixed in advance at 3 Monte Carlo standard errors of the simulated power, plus, for
the stepped wedge, nothing else: the simulated analysis uses a t reference with the within-site
degrees of freedom, the Hussey & Hughes formula a normal one (a difference below 0.015 here).
"""

import math

import pytest

from facmech.design import LinearTrial, Mediator, design_study
from facmech.power import crt_power, mediation_221_power, stepped_wedge_power

REPS = 1000


def _within(sim, analytic, reps=REPS, k=3.0):
    se = math.sqrt(analytic * (1 - analytic) / reps)
    assert abs(sim - analytic) < k * se, (sim, analytic, se)


def _row(result, estimand):
    frame = result.to_frame()
    return frame[frame["estimand"] == estimand].iloc[0]


def test_stepped_wedge_total_effect_matches_hussey_hughes():
    trial = LinearTrial(design="stepped-wedge", sites=12, steps=3, patients=10, icc=0.1,
                        effect=0.3)
    res = design_study(trial, analysis="total", reps=REPS, seed=2026, progress=False)
    row = _row(res, "total")
    # Hussey & Hughes (2007) closed form, same model: tau^2 = icc, sigma_e^2 = 1 - icc.
    hh = stepped_wedge_power(sites=12, steps=3, patients=10, effect=0.3, icc=0.1)
    _within(row["power"], hh.power)
    assert row["empirical_se"] == pytest.approx(hh.std_error, rel=0.07)  # SD of SD: ~2.2% at R=1000
    assert abs(row["bias"]) < 3 * row["bias_mc_se"]
    assert abs(row["coverage"] - 0.95) < 3 * math.sqrt(0.95 * 0.05 / REPS)


def test_parallel_total_effect_matches_design_effect_formula():
    trial = LinearTrial(design="parallel", sites=20, patients=15, icc=0.17, effect=0.5)
    res = design_study(trial, analysis="total", reps=REPS, seed=7, progress=False)
    row = _row(res, "total")
    # Design-effect power with a t(J - 2) reference, = PowerUpR power.cra2(es = .5, rho2 = .17,
    # n = 15, J = 20): the model's total outcome variance is 1 (icc between, 1 - icc within).
    _within(row["power"], crt_power(sites=20, patients=15, effect=0.5, icc=0.17).power)
    assert abs(row["coverage"] - 0.95) < 3 * math.sqrt(0.95 * 0.05 / REPS)


def test_221_indirect_effect_matches_kelcey_joint_significance():
    a, b, c, icc, sites, n = 0.6, 0.5, 0.1, 0.1, 40, 20
    trial = LinearTrial(design="parallel", sites=sites, patients=n, icc=icc, effect=c,
                        mediators=(Mediator("leadership_engagement", a=a, b=b),))
    res = design_study(trial, analysis="mediation", reps=REPS, seed=11, progress=False)
    row = _row(res, "indirect:leadership_engagement")
    # Standardize to PowerUpR's inputs (Kelcey et al. 2017): Var(M) = 1 + pq a^2,
    # Var(Y) = pq (ab + c')^2 + b^2 + 1, site-level share of Var(Y) = rho2.
    pq = 0.25
    sd_m = math.sqrt(1 + pq * a**2)
    var_y = pq * (a * b + c) ** 2 + b**2 + 1
    rho2 = (pq * (a * b + c) ** 2 + b**2 + icc) / var_y
    ref = mediation_221_power(a=a / sd_m, b=b * sd_m / math.sqrt(var_y),
                              cprime=c / math.sqrt(var_y), icc=rho2, sites=sites,
                              patients=n, mc_sims=0)
    _within(row["power"], ref.joint)
    assert abs(row["bias"]) < 3 * row["bias_mc_se"]
    assert abs(row["coverage"] - 0.95) < 3 * math.sqrt(0.95 * 0.05 / REPS)
