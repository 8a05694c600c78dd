"""g-methods on simulated adaptive-dose data with known truth (facmech.gmethods.simulate).

Truth for static strategies is exact: E[Y^a] = 1 + effect * sum(a) + delta * m_{T-1}(a) with
m_0 = 0, m_t = rho m_{t-1} + feedback a_{t-1} (derived from the generating equations in
``adaptive_dose_data``); ``test_truth_matches_intervened_simulation`` checks it against a direct
simulation of the intervened world.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from facmech.errors import PositivityWarning
from facmech.gmethods import Dynamic, gformula, msm
from facmech.gmethods.naive import naive_regression
from facmech.gmethods.simulate import adaptive_dose_data

KW = dict(site="site", period="period", treatment="facilitation",
          confounders=["leadership_engagement"], outcome="uptake")


def test_truth_matches_intervened_simulation():
    _, truth = adaptive_dose_data(sites=10, periods=4)
    _, on = adaptive_dose_data(sites=200_000, periods=4, seed=1,
                               dynamic=lambda l: np.ones_like(l))
    _, off = adaptive_dose_data(sites=200_000, periods=4, seed=1,
                                dynamic=lambda l: np.zeros_like(l))
    # Y has variance ~3 here, so the Monte Carlo SD of each mean is below 0.005
    assert on["mean"] == pytest.approx(truth["always"], abs=0.02)
    assert off["mean"] == pytest.approx(truth["never"], abs=0.02)


def test_parametric_equals_ice_exactly_for_linear_models_and_static_strategies():
    # Both compute the same functional: with linear conditional means, propagating the means of
    # the confounder models (parametric) and regressing back (ICE) are algebraically identical.
    df, _ = adaptive_dose_data(sites=500, periods=5, adapt=0.5, seed=21)
    par = gformula(df, **KW, method="parametric", inference=None,
                   strategies=["always", "never", "from:2", "taper:3"])
    ice = gformula(df, **KW, method="ice", inference=None,
                   strategies=["always", "never", "from:2", "taper:3"])
    assert par.extra["simulation"].startswith("exact")
    for name, e in par.strategies.items():
        assert e.estimate == pytest.approx(ice.strategies[name].estimate, abs=1e-9)


def test_three_estimators_agree_on_correctly_specified_data():
    df, truth = adaptive_dose_data(sites=4000, periods=4, adapt=0.5, seed=11)
    par = gformula(df, **KW, method="parametric", inference=None, seed=1)
    ice = gformula(df, **KW, method="ice", inference=None)
    ipw = msm(df, **KW, inference=None)
    t = truth["always - never"]  # 2.25
    # With linear models, parametric and ICE give the same static contrast up to Monte Carlo error
    assert par.contrast.estimate == pytest.approx(ice.contrast.estimate, abs=0.02)
    # each within ~3 standard errors (SE ~0.05 for the g-formula, ~0.08 for IPW at n = 4000)
    assert par.contrast.estimate == pytest.approx(t, abs=0.15)
    assert ipw.contrast.estimate == pytest.approx(t, abs=0.25)
    assert ipw.contrast.estimate == pytest.approx(par.contrast.estimate, abs=0.25)


@pytest.mark.parametrize("method", ["parametric", "ice", "ipw"])
def test_bias_and_coverage_over_replicates(method):
    reps, n = 120, 200
    truth = None
    est, cover, naive = [], [], []
    for r in range(reps):
        df, truth = adaptive_dose_data(sites=n, periods=4, adapt=0.5, seed=1000 + r)
        if method == "ipw":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", PositivityWarning)  # a few extreme unit-periods
                res = msm(df, **KW, inference=200, seed=r)
        else:
            res = gformula(df, **KW, method=method, inference=200, monte_carlo=n, seed=r)
        c = res.contrast
        est.append(c.estimate)
        cover.append(c.ci_low <= truth["always - never"] <= c.ci_high)
        if method == "ice":
            naive.append(naive_regression(df, **KW, inference=20, seed=r).estimate)
    est = np.array(est)
    bias = est.mean() - truth["always - never"]
    mc_se = est.std(ddof=1) / np.sqrt(reps)
    assert abs(bias) < 3.5 * mc_se + 0.02, (bias, mc_se)
    # nominal 95%; 120 replicates give a binomial SD of 2 points
    assert 0.88 <= np.mean(cover) <= 1.0, np.mean(cover)
    if naive:
        # adjusting for leadership engagement blocks the effect through it: strongly biased
        naive_bias = np.mean(naive) - truth["always - never"]
        assert naive_bias < -0.5, naive_bias


def test_last_period_history_is_biased_when_a_site_trait_drives_leadership():
    # U drives leadership in every period and the outcome: earlier engagement carries information
    # about U, so models that only look one period back are misspecified.
    df, truth = adaptive_dose_data(sites=20_000, periods=4, trait_sd=1.0, trait_outcome=1.0,
                                   rho=0.2, seed=5)
    t = truth["always - never"]  # 1.944
    full = gformula(df, **KW, method="parametric", inference=None, monte_carlo=20_000, seed=1)
    last = gformula(df, **KW, method="parametric", history=1, inference=None,
                    monte_carlo=20_000, seed=1)
    assert full.contrast.estimate == pytest.approx(t, abs=0.12)  # SE ~0.035
    assert last.contrast.estimate - t > 0.25


def test_dynamic_strategy_matches_intervened_simulation():
    rule = Dynamic("leadership_engagement", "<", 0.0)
    _, dyn = adaptive_dose_data(sites=400_000, periods=4, adapt=0.5, seed=3,
                                dynamic=lambda l: (l < 0).astype(float))
    df, _ = adaptive_dose_data(sites=5000, periods=4, adapt=0.5, seed=4)
    res = gformula(df, **KW, strategies=[rule, "never"], inference=None, seed=2)
    # SE of the g-formula mean at n = 5000 is about 0.03
    assert res.strategies[rule.name].estimate == pytest.approx(dyn["mean"], abs=0.1)


def test_dose_treatment_with_named_levels():
    # dose = 1 + 0.25 L + N(0, 0.5^2); strategies 2 vs 0 in each of 3 periods; truth 3.6
    df, truth = adaptive_dose_data(sites=5000, periods=3, dose=True, adapt=0.5, seed=8)
    res = gformula(df, **KW, strategies=["always:2", "never"], inference=None, seed=1)
    assert res.contrast.estimate == pytest.approx(truth["always - never"], abs=0.15)
    # normal-density weights are heavy-tailed (max ~45, ESS ~1000 of 5000): IPW SE ~0.15
    ipw = msm(df, **KW, strategies=["always:2", "never"], inference=None)
    assert ipw.contrast.estimate == pytest.approx(truth["always - never"], abs=0.45)


def test_same_seed_same_numbers():
    df, _ = adaptive_dose_data(sites=100, periods=3, seed=0)
    a = gformula(df, **KW, inference=50, seed=9).to_frame()
    b = gformula(df, **KW, inference=50, seed=9).to_frame()
    assert a.equals(b)


def test_patient_rows_nested_in_site_periods_are_averaged():
    df, _ = adaptive_dose_data(sites=300, periods=3, seed=2)
    rng = np.random.default_rng(0)
    patients = df.loc[df.index.repeat(4)].reset_index(drop=True)
    patients["patient"] = np.tile(np.arange(4), len(df))
    noise = rng.normal(size=len(patients))
    patients["uptake"] = patients["uptake"] + noise - np.repeat(
        noise.reshape(-1, 4).mean(axis=1), 4)  # patient noise with site-period mean 0
    a = gformula(df, **KW, method="ice", inference=None)
    b = gformula(patients, **KW, method="ice", patient="patient", inference=None)
    assert b.contrast.estimate == pytest.approx(a.contrast.estimate, abs=1e-10)
    assert not patients.columns.duplicated().any() and "patient" in patients  # caller's frame intact


def test_naive_regression_skips_periods_without_treatment_variation():
    import statsmodels.api as sm

    df, _ = adaptive_dose_data(sites=400, periods=3, adapt=0.5, seed=3)
    sw = df.assign(facilitation=np.where(df.period == 0, 0.0, df.facilitation))
    e = naive_regression(sw, **KW, inference=20, seed=0)
    wide = sw.pivot(index="site", columns="period")
    X = sm.add_constant(np.column_stack([wide["facilitation"][[1, 2]],
                                         wide["leadership_engagement"][[0, 1, 2]]]))
    fit = sm.OLS(wide["uptake"][2].to_numpy(), X).fit()  # statsmodels reference
    assert e.estimate == pytest.approx(fit.params[1] + fit.params[2], abs=1e-10)
