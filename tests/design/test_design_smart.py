"""SMART design studies (facmech.design.smart): padded non-responder fits against statsmodels,
the AIM vignette's bias and coverage against the simulator's truth, backends and bad input."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from facmech.design import MapTrial, Processes, design_study
from facmech.design.analysis import Analysis, analyze_batch
from facmech.design.smart import regime_contrast, weighted_fit
from facmech.errors import DesignError, EstimationError
from facmech.simulation import SMART, simulate


def _draws(trial, seeds):
    draws = [trial.draw_data(np.random.default_rng(s)) for s in seeds]
    return {k: np.stack([d[k] for d in draws]) for k in draws[0]}


def test_weighted_fit_equals_ols_on_each_replicates_non_responders():
    # reference: statsmodels OLS on the kept sites only, replicate by replicate (their number varies)
    rng = np.random.default_rng(2)
    n_r, n_i = 6, 30
    keep = rng.random((n_r, n_i)) < rng.uniform(0.4, 0.9, size=(n_r, 1))
    cov = rng.normal(size=(n_r, n_i, 2))
    y = 0.3 * cov[..., 0] - 0.2 * cov[..., 1] + rng.normal(size=(n_r, n_i))
    fit = weighted_fit(y, cov, keep)
    for r in range(n_r):
        k = keep[r]
        frame = pd.DataFrame({"y": y[r, k], "a": cov[r, k, 0], "b": cov[r, k, 1]})
        ols = smf.ols("y ~ a + b", frame).fit()
        np.testing.assert_allclose(fit.coef[r], ols.params[["a", "b"]], rtol=1e-10)
        np.testing.assert_allclose(fit.std_error[r], ols.bse[["a", "b"]], rtol=1e-10)
        assert fit.df[r] == ols.df_resid


def test_aim_replicate_equals_ancova_on_site_means():
    # reference: statsmodels OLS of the stage-2 mean outcome on arm and stage-1 mean, among the
    # non-responders of the simulated AIM trial (facmech.simulation SMART columns)
    trial = MapTrial("aim")
    data = _draws(trial, [3, 4])
    rngs = [np.random.default_rng(0), np.random.default_rng(1)]
    out = analyze_batch(trial, Analysis(parts=("total", "mediation", "regimes")), data["x"],
                        data["y"], data["m"], rngs, extra=data)
    sim = simulate("aim", trial.design, seed=np.random.default_rng(4), truth=False)
    sp = sim.site_periods
    st = sp.assign(stage2=sp["stage"] == 2)
    meds = ["leadership_engagement", "champions"]  # the scenario's default (identified) pair
    site = st.groupby(["site", "stage2"])[["patient_outcomes", *meds]].mean().unstack()
    site.columns = [f"{v}_{'s2' if s else 's1'}" for v, s in site.columns]
    info = sp[sp["stage"] == 2].groupby("site").agg(arm=("exposed", "mean"),
                                                    responder=("responder", "first"))
    site = site.join(info)
    nr = site[site["responder"] == 0]
    total = smf.ols("patient_outcomes_s2 ~ arm + patient_outcomes_s1", nr).fit()
    assert out["total"]["estimate"][1] == pytest.approx(total.params["arm"], abs=1e-10)
    assert out["total"]["std_error"][1] == pytest.approx(total.bse["arm"], rel=1e-10)
    b = smf.ols("patient_outcomes_s2 ~ arm + leadership_engagement_s2 + champions_s2"
                " + patient_outcomes_s1", nr).fit()
    joint = 0.0
    for med in meds:
        a = smf.ols(f"{med}_s2 ~ arm + {med}_s1", nr).fit()
        prod = a.params["arm"] * b.params[f"{med}_s2"]
        assert out[f"indirect:{med}"]["estimate"][1] == pytest.approx(prod, abs=1e-10)
        joint += prod
    assert out["indirect"]["estimate"][1] == pytest.approx(joint, abs=1e-10)
    assert out["direct"]["estimate"][1] == pytest.approx(b.params["arm"], abs=1e-10)
    p_nr = len(nr) / len(site)
    diff = nr.groupby("arm")["patient_outcomes_s2"].mean()
    assert out["regimes"]["estimate"][1] == pytest.approx(p_nr * (diff[1.0] - diff[0.0]),
                                                          abs=1e-10)
    # batching: replicate 1 alone gives the same numbers (its own generator for the MC interval)
    alone = analyze_batch(trial, Analysis(parts=("total", "mediation", "regimes")),
                          data["x"][1:], data["y"][1:], data["m"][1:],
                          [np.random.default_rng(1)],
                          extra={k: v[1:] for k, v in data.items()})
    for name, cols in alone.items():
        for k, v in cols.items():
            assert v[0] == out[name][k][1], (name, k)


def test_aim_bias_and_coverage_vs_simulator_truth():
    # Truth: facmech.simulation.true_effects(aim)["total"] (EF+IF vs EF over non-responders' stage-2
    # site-periods) and the embedded-regime contrast over all sites' stage-2 site-periods.
    # Randomized comparisons: unbiased within Monte Carlo error, nominal coverage.
    res = design_study(MapTrial("aim"), analysis=["total", "mediation", "regimes"], reps=200,
                       seed=11, progress=False)
    frame = res.to_frame().set_index("estimand")
    band = 3 * np.sqrt(0.95 * 0.05 / 200)
    for name in ("total", "regimes", "direct"):
        row = frame.loc[name]
        assert abs(row["bias"]) < 3 * row["bias_mc_se"], name
        assert abs(row["coverage"] - 0.95) < band, name
        assert row["model_se"] == pytest.approx(row["empirical_se"], rel=0.15), name
    # the regime contrast is P(non-response) times the non-responder contrast (responders' outcomes
    # are the same under both regimes); AIM-like: about 70% non-responders
    share = frame.loc["regimes", "truth"] / frame.loc["total", "truth"]
    assert 0.5 < share < 0.9
    assert frame.loc["indirect", "coverage"] >= 0.95 - band


def test_smart_serial_equals_processes_and_grid_of_designs():
    kw = dict(grid={"sites": [30, 40]}, analysis=["total", "regimes"], reps=12, seed=4,
              progress=False)
    a = design_study(MapTrial("aim", truth_sites=300), **kw)
    b = design_study(MapTrial("aim", truth_sites=300), backend=Processes(workers=2), **kw)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame(), check_exact=True)
    # "smart" as a grid design keeps the scenario file's SMART block (threshold 0.5 on uptake)
    t = MapTrial("aim", design="parallel").with_parameters({"design": "smart", "sites": 40})
    assert isinstance(t.design, SMART) and t.design.threshold == 0.5 and t.design.sites == 40


def test_bad_input():
    with pytest.raises(EstimationError, match="only 3 non-responding sites, too few"):
        weighted_fit(np.zeros((1, 10)), np.zeros((1, 10, 2)), np.arange(10)[None] < 3)
    with pytest.raises(EstimationError, match="fewer than 2 non-responding sites in an arm"):
        regime_contrast(np.zeros((1, 6)), np.array([[1, 0, 0, 0, 0, 0.0]]),
                        np.ones((1, 6), dtype=bool), 0.05)
    with pytest.raises(DesignError, match="the `regimes` analysis compares the embedded regimes"):
        design_study(MapTrial("zambia", sites=8, patients=5), analysis="regimes", reps=10,
                     progress=False)
