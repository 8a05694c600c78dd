"""Power curves of the plan, against closed forms written out independently here.

References: Hussey & Hughes (2007), Contemp Clin Trials 28:182-191 (stepped-wedge variance);
Donner & Klar (2000) / Killip, Mahfoud & Pearce (2004) design effect 1 + (m - 1) ICC with a t test on
J - 2 df; Kelcey, Dong, Spybrook et al. (2017) 2-2-1 indirect-effect variances as in PowerUpR
``power.med221`` (see /work/shared/reference/validation-references.md).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from facmech.errors import DesignError
from facmech.report.power_curve import PowerAssumptions, plot_power_curve, power_curve


def _power(effect, se, df, alpha=0.05):
    lam = effect / se
    if df is None:
        z = stats.norm.ppf(1 - alpha / 2)
        return stats.norm.cdf(abs(lam) - z) + stats.norm.cdf(-abs(lam) - z)
    c = stats.t.ppf(1 - alpha / 2, df)
    return stats.nct.sf(c, df, lam) + stats.nct.cdf(-c, df, lam)


def _hussey_hughes_power(sites, steps, m, effect, icc, alpha=0.05):
    # Hussey & Hughes (2007), eq. for Var(theta_hat); sites split evenly over the steps, T = steps + 1
    T = steps + 1
    X = np.zeros((sites, T))
    for i in range(sites):
        step = i * steps // sites + 1  # 1..steps, balanced
        X[i, step:] = 1
    sigma2, tau2 = (1 - icc) / m, icc
    U, W, V = X.sum(), (X.sum(axis=0) ** 2).sum(), (X.sum(axis=1) ** 2).sum()
    var = sites * sigma2 * (sigma2 + T * tau2) / (
        (sites * U - W) * sigma2 + (U**2 + sites * T * U - T * W - sites * V) * tau2)
    return _power(effect, math.sqrt(var), None, alpha)


def test_stepped_wedge_total_matches_hussey_hughes():
    a = PowerAssumptions()
    c = power_curve(sites=(12, 24, 36), design="stepped-wedge", assumptions=a, seed=1)
    tot = c.frame[c.frame["estimand"] == "total"].set_index("sites")["power"]
    for s in (12, 24, 36):
        ref = _hussey_hughes_power(s, a.steps, a.patients, a.total_effect, a.icc)
        assert tot[s] == pytest.approx(ref, abs=1e-10)


def test_parallel_total_matches_design_effect_t_test():
    a = PowerAssumptions(first_link=0.5, rest_of_path=0.3, other_routes=0.2, icc=0.2, patients=15)
    c = power_curve(sites=(10, 20, 40), design="parallel", assumptions=a)
    tot = c.frame[c.frame["estimand"] == "total"].set_index("sites")["power"]
    for j in (10, 20, 40):
        de = 1 + (a.patients - 1) * a.icc  # Killip et al. (2004)
        se = math.sqrt(4 * de / (j * a.patients))
        assert tot[j] == pytest.approx(_power(a.total_effect, se, j - 2), abs=1e-10)


def test_parallel_path_matches_kelcey_221_joint_significance():
    a = PowerAssumptions(first_link=0.6, rest_of_path=0.25, other_routes=0.15, icc=0.15, patients=20)
    c = power_curve(sites=(12, 24, 48), design="parallel", assumptions=a)
    path = c.frame[c.frame["estimand"] == "path"].set_index("sites")["power"]
    aa, b, cp, rho, n, pq = a.first_link, a.rest_of_path, a.other_routes, a.icc, a.patients, 0.25
    for j in (12, 24, 48):
        # Kelcey et al. (2017) / PowerUpR power.med221 with r22 = r21 = r2m2 = 0, p = 0.5
        resid_m = 1 - pq * aa**2
        var_a = resid_m / (pq * j)
        var_b = (rho * (1 - (pq * (aa * b + cp) ** 2 / rho + (b**2 / rho) * resid_m))
                 + (1 - rho) / n) / (j * resid_m)
        joint = _power(aa, math.sqrt(var_a), j - 4) * _power(b, math.sqrt(var_b), j - 4)
        assert path[j] == pytest.approx(joint, abs=1e-10)


def test_stepped_wedge_path_is_a_seeded_monte_carlo_study():
    a = PowerAssumptions(reps=40)
    c1 = power_curve(sites=(8, 24), design="stepped-wedge", assumptions=a, seed=3)
    c2 = power_curve(sites=(8, 24), design="stepped-wedge", assumptions=a, seed=3)
    assert c1.frame.equals(c2.frame)
    path = c1.frame[c1.frame["estimand"] == "path"].set_index("sites")["power"]
    assert 0 <= path[8] <= path[24] <= 1
    assert set(c1.frame["method"].str.split(":").str[0]) == {"path", "total"}


def test_sites_for_and_plot():
    c = power_curve(sites=(12, 24, 48, 96), design="parallel")
    assert c.sites_for("total") == 96 and c.sites_for("path", target=0.99) is None
    fig = plot_power_curve(c)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "total effect (0.3 SD)", "hypothesized path (0.15 SD)"]
    assert list(ax.get_xticks()) == [12, 24, 48, 96]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sites": (13,), "design": "parallel"}, "even and at least 6"),
        ({"sites": (3,), "design": "stepped-wedge"}, "at least max"),
        ({"sites": (), "design": "parallel"}, "empty"),
        ({"sites": (12,), "design": "smart"}, "`design` must be one of"),
        ({"sites": (12,), "assumptions": "big"}, "PowerAssumptions"),
    ],
)
def test_bad_curve_input(kwargs, message):
    with pytest.raises(DesignError, match=message):
        power_curve(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"icc": 0.0}, "`icc` must be in"), ({"icc": 1.0}, "`icc` must be in"),
     ({"reps": 5}, "at least 10"), ({"patients": 0}, "positive integer"),
     ({"alpha": 0.7}, "`alpha`"), ({"first_link": float("nan")}, "`first_link`")],
)
def test_bad_assumptions(kwargs, message):
    with pytest.raises(DesignError, match=message):
        PowerAssumptions(**kwargs)


def test_infeasible_site_level_effect_is_a_clear_error():
    # a site-level mechanism cannot explain more outcome variance than lies between sites
    with pytest.raises(DesignError, match="not positive"):
        power_curve(sites=(12,), design="parallel",
                    assumptions=PowerAssumptions(rest_of_path=0.5, icc=0.05))
