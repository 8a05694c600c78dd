"""Mediational g-formula (VanderWeele & Tchetgen Tchetgen 2017; Lin et al. 2017) on data with
exact interventional truths (facmech.gmethods.simulate.mediation_data: linear equations, so
E[Y(a, G_a')] is obtained exactly by propagating means; see its docstring)."""

from __future__ import annotations

import numpy as np
import pytest

from facmech.errors import DataError
from facmech.gmethods.mediation import mediational_gformula
from facmech.gmethods.simulate import _mediation_means, mediation_data

KW = dict(site="site", period="period", treatment="facilitation", mediator="trust",
          confounders="leadership_engagement", outcome="uptake")


def test_truth_by_propagation_matches_simulated_worlds():
    # Simulate the counterfactual worlds directly (n = 400,000) for E[Y(1, G_0)].
    rng = np.random.default_rng(0)
    n, T = 400_000, 3
    p = dict(effect=0.3, alpha=0.6, gamma=0.8, omega=0.4, psi=0.3, rho=0.5, rho_m=0.4,
             feedback=0.5, delta=0.7)

    def world(a, mediator=None):
        L = np.zeros(n)
        M = np.zeros(n)
        path = []
        for t in range(T):
            L = (p["rho"] * L + p["feedback"] * a[t - 1] + p["omega"] * M if t else 0.0) \
                + rng.standard_normal(n)
            if mediator is None:
                M = p["alpha"] * a[t] + (p["rho_m"] * M if t else 0.0) + p["psi"] * L \
                    + rng.standard_normal(n)
            else:
                M = mediator[t]
            path.append(M)
        Y = 1 + p["effect"] * sum(a) + p["gamma"] * M + p["delta"] * L + rng.standard_normal(n)
        return Y, path

    _, g0 = world(np.zeros(T))
    perm = rng.permutation(n)  # a draw from G_0 independent of the second world's noise
    y10, _ = world(np.ones(T), [m[perm] for m in g0])
    # Y has SD < 3 here: Monte Carlo SE of the mean < 0.005
    assert y10.mean() == pytest.approx(_mediation_means(np.ones(T), np.zeros(T), T, p), abs=0.02)


def test_point_estimates_and_decomposition():
    df, truth = mediation_data(sites=8000, periods=3, seed=4)
    res = mediational_gformula(df, **KW, inference=None)
    e = {k: v.estimate for k, v in res.effects.items()}
    assert e["overall"] == pytest.approx(e["direct"] + e["indirect"], abs=1e-10)
    # sampling SE at n = 8000 is about 0.04 for each effect
    for k in ("overall", "direct", "indirect"):
        assert e[k] == pytest.approx(truth[k], abs=0.15), k
    assert res.simulation.startswith("exact")


def test_bias_and_coverage_over_replicates():
    reps = 100
    est, cover = [], []
    for r in range(reps):
        df, truth = mediation_data(sites=300, periods=3, seed=500 + r)
        res = mediational_gformula(df, **KW, inference=200, seed=r)
        ind = res.effects["indirect"]
        est.append(ind.estimate)
        cover.append(ind.ci_low <= truth["indirect"] <= ind.ci_high)
    est = np.asarray(est)
    assert abs(est.mean() - truth["indirect"]) < 3.5 * est.std(ddof=1) / np.sqrt(reps) + 0.02
    assert 0.87 <= np.mean(cover) <= 1.0  # nominal 95%, binomial SD 2.2 points at 100 reps


def test_no_mediator_effect_gives_null_indirect():
    df, truth = mediation_data(sites=6000, periods=3, gamma=0.0, omega=0.0, seed=2)
    assert truth["indirect"] == 0.0
    res = mediational_gformula(df, **KW, inference=None)
    assert res.effects["indirect"].estimate == pytest.approx(0.0, abs=0.05)


def test_binary_confounder_uses_monte_carlo():
    df, _ = mediation_data(sites=400, periods=2, seed=3)
    df = df.assign(leadership_engagement=(df.leadership_engagement > 0).astype(float))
    res = mediational_gformula(df, **KW, inference=None, monte_carlo=4000, seed=1)
    assert res.simulation.startswith("Monte Carlo")
    e = {k: v.estimate for k, v in res.effects.items()}
    assert e["overall"] == pytest.approx(e["direct"] + e["indirect"], abs=1e-10)


def test_errors():
    df, _ = mediation_data(sites=50, periods=2, seed=0)
    with pytest.raises(DataError, match=r"also listed in `confounders`"):
        mediational_gformula(df, **{**KW, "confounders": ["leadership_engagement", "trust"]})
    with pytest.raises(DataError, match=r"static strategies"):
        mediational_gformula(df, **KW, treated="dynamic:leadership_engagement<0")
    with pytest.raises(DataError, match=r"same strategy"):
        mediational_gformula(df, **KW, treated="never")
