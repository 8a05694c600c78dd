"""Batched ICE g-formula of design studies (facmech.gmethods.ice): equality with
facmech.gmethods.gformula(method="ice"), the sandwich against statsmodels' HC0, the jackknife
against a refit loop, and bias/coverage against the simulator's sustained-strategy truth."""

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from facmech.design import MapTrial, design_study
from facmech.design.analysis import Analysis
from facmech.errors import DesignError, EstimationError
from facmech.gmethods import gformula
from facmech.gmethods.data import prepare
from facmech.gmethods.ice import ice_contrast, ice_means
from facmech.gmethods.strategies import parse_strategies

KW = dict(site="site", period="period", treatment="facilitation",
          confounders=["leadership_engagement"], outcome="patient_outcomes", timing="after",
          outcome_at="mean", method="ice", inference=None)


def _draws(trial, seeds):
    draws = [trial.draw_data(np.random.default_rng(s)) for s in seeds]
    return {k: np.stack([d[k] for d in draws]) for k in draws[0]}


def _frame(data, r):
    n, t = data["dose"].shape[1:]
    return pd.DataFrame({
        "site": np.repeat(np.arange(n), t), "period": np.tile(np.arange(t), n),
        "facilitation": data["dose"][r].ravel(),
        "leadership_engagement": data["confounders"][r, :, :, 0].ravel(),
        "patient_outcomes": data["y"][r].ravel(),
    })


@pytest.mark.parametrize(
    ("trial", "strategy"),
    [(MapTrial("zambia", sites=16, steps=4, patients=10), "from:1:1.5"),
     (MapTrial("zambia", design="parallel", sites=20, periods=3, patients=10), "always:1.5")],
)
def test_point_estimate_equals_gformula_ice(trial, strategy):
    # reference: facmech.gmethods.gformula(method="ice") fitted to each replicate alone
    data = _draws(trial, range(5))
    treat, control = trial.sustained_strategy()
    fit = ice_contrast(data["dose"], data["confounders"], data["y"], treat=treat, control=control)
    for r in range(5):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = gformula(_frame(data, r), **KW, strategies=[strategy, "never"])
        assert fit.estimate[r] == pytest.approx(ref.contrast.estimate, abs=1e-8)
        assert fit.treat_mean[r] == pytest.approx(ref.strategies[strategy].estimate, abs=1e-8)
    # a replicate's numbers do not depend on the other replicates of its batch
    one = ice_contrast(data["dose"][2:3], data["confounders"][2:3], data["y"][2:3], treat=treat,
                       control=control)
    assert one.estimate[0] == fit.estimate[2] and one.std_error[0] == fit.std_error[2]


def test_sandwich_is_hc0_in_one_period():
    # With one period ICE is the regression of Y on (1, A): the contrast is 1.5 * beta_A and its
    # influence-function variance is statsmodels' HC0 variance times n / (n - 1).
    rng = np.random.default_rng(7)
    n = 30
    a = rng.gamma(2.0, 0.5, size=(1, n, 1))
    ell = rng.normal(size=(1, n, 1, 1))
    y = 0.4 * a + rng.normal(size=a.shape) * (1 + a)
    fit = ice_contrast(a, ell, y, treat=[1.5], control=[0.0], std_error="sandwich")
    ols = sm.OLS(y[0, :, 0], sm.add_constant(a[0, :, 0])).fit(cov_type="HC0")
    assert fit.estimate[0] == pytest.approx(1.5 * ols.params[1], abs=1e-10)
    assert fit.std_error[0] == pytest.approx(1.5 * ols.bse[1] * np.sqrt(n / (n - 1)), rel=1e-10)


@pytest.mark.parametrize("one_dosed_site", [False, True])
def test_jackknife_equals_refit_loop(one_dosed_site):
    # reference: gformula(method="ice") refitted with each site left out. With a single site dosed
    # in period 1, leaving it out makes that period's dose constant: gformula then refuses the
    # strategy (positivity), so the reference is its ICE engine itself (facmech.gmethods.ice.
    # ice_means, which drops the constant column by design_keep), without the support check.
    trial = MapTrial("zambia", sites=12, steps=4, patients=10)
    data = _draws(trial, [11])
    if one_dosed_site:
        dosed = np.flatnonzero(data["dose"][0, :, 1] > 0)[0]
        data["dose"][0, :, 1] = np.where(np.arange(12) == dosed, data["dose"][0, dosed, 1], 0.0)
    treat, control = trial.sustained_strategy()
    fit = ice_contrast(data["dose"], data["confounders"], data["y"], treat=treat, control=control,
                       std_error="jackknife")
    frame = _frame(data, 0)
    loo = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(12):
            sub = frame[frame["site"] != i]
            if one_dosed_site:
                d = prepare(sub, site="site", period="period", treatment="facilitation",
                            confounders=["leadership_engagement"], outcome="patient_outcomes",
                            every_period_outcome=True)
                means = ice_means(d, parse_strategies(["from:1:1.5", "never"]), np.ones((1, d.n)),
                                  history=None, timing="after", outcome_periods=range(d.T))
                loo.append(float(means[0, 0].mean() - means[0, 1].mean()))
                continue
            loo.append(gformula(sub, **KW, strategies=["from:1:1.5", "never"]).contrast.estimate)
    loo = np.array(loo)
    ref = np.sqrt(11 / 12 * ((loo - loo.mean()) ** 2).sum())
    assert fit.std_error[0] == pytest.approx(ref, rel=1e-8)


def test_sustained_bias_and_coverage_vs_simulator_truth():
    # Truth: facmech.simulation.true_effects(...)["sustained_from_period_1"]["contrast"] (dose 1.5
    # from period 1 vs never, mean over site-periods). Default jackknife SE; at 48 sites its
    # coverage is nominal (0.955 over 1000 replicates in simulations/design/results/gformula.md,
    # where the sandwich gives 0.908).
    res = design_study(MapTrial("zambia", sites=48, steps=4, patients=20), analysis="gformula",
                       reps=200, seed=5, progress=False)
    row = res.to_frame().set_index("estimand").loc["sustained"]
    assert row["truth"] == pytest.approx(0.1053, abs=2e-4)  # simulations/gmethods study D
    assert abs(row["bias"]) < 3 * row["bias_mc_se"]
    assert abs(row["coverage"] - 0.95) < 3 * np.sqrt(0.95 * 0.05 / 200)
    assert row["model_se"] == pytest.approx(row["empirical_se"], rel=0.15)


def test_parallel_design_targets_sustained_truth():
    trial = MapTrial("zambia", design="parallel", sites=20, periods=3, patients=10)
    res = design_study(trial, analysis=["total", "gformula"], reps=10, seed=1, progress=False)
    from facmech.simulation import true_effects

    ref = true_effects(trial.scenario, trial.design, sites=2000)["sustained"]["contrast"]
    frame = res.to_frame().set_index("estimand")
    assert frame.loc["sustained", "truth"] == pytest.approx(ref, abs=1e-12)
    assert res.analysis["gformula_se"] == "jackknife"


def test_bad_input():
    with pytest.raises(DesignError, match="`gformula_se` must be 'sandwich' or 'jackknife'"):
        Analysis(parts=("gformula",), gformula_se="bootstrap")
    with pytest.raises(DesignError, match="the `gformula` analysis needs a map scenario"):
        design_study(MapTrial("aim"), analysis="gformula", reps=10, progress=False)
    with pytest.raises(EstimationError, match="one dose per period"):
        ice_contrast(np.zeros((1, 5, 2)), np.zeros((1, 5, 2, 1)), np.zeros((1, 5, 2)),
                     treat=[1.0], control=[0.0])
