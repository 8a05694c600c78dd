"""The design study analyses each simulated trial with the engine users call (``facmech.mediate``).

Issue 12, fix (1); simulations/validity/README.md: the Zambia design study's constant-effect
random-intercept analysis biased the indirect effect by -0.035 of 0.114 (coverage 0.88), while
``mediate`` with the exposure-time model on the same data was nearly unbiased. The design study
now runs :func:`facmech.mediation.engine.mediate_arrays` (exposure-time model on stepped wedges,
site-clustered CR2 Monte Carlo inference) and its truth is the exposure-time average the model
targets (``total_eti``/``nde_eti``/``nie_eti`` of the simulator's counterfactual truth).
"""

import math

import numpy as np
import pytest

from facmech import mediate
from facmech.design import MapTrial, design_study
from facmech.design.analysis import Analysis, analyze_batch
from facmech.simulation import simulate, true_effects

REPS = 200


@pytest.fixture(scope="module")
def zambia12() -> MapTrial:
    return MapTrial("zambia", sites=12, truth_sites=1000)


def test_stepped_wedge_truth_is_the_exposure_time_average(zambia12):
    scenario = zambia12.scenario.replace(mediators=zambia12.mediators)
    t = true_effects(scenario, zambia12.design, sites=zambia12.truth_sites)
    truth = zambia12.truth()
    assert truth["total"] == pytest.approx(float(t["total_eti"]), abs=1e-12)
    assert truth["direct"] == pytest.approx(float(t["nde_eti"]), abs=1e-12)
    assert truth["indirect"] == pytest.approx(float(t["nie_eti"]), abs=1e-12)


def test_batched_analysis_equals_mediate_on_each_replicate(zambia12):
    # the same point estimates as a user's mediate() on the replicate's site-period table
    rngs = [np.random.default_rng(10 + r) for r in range(2)]
    tables = [simulate(zambia12.scenario, zambia12.design, seed=np.random.default_rng(10 + r),
                       truth=False).site_periods for r in range(2)]
    data = [zambia12.draw_data(g) for g in rngs]
    x, y, m = (np.stack([d[k] for d in data]) for k in ("x", "y", "m"))
    out = analyze_batch(zambia12, Analysis(), x, y, m, rngs)
    for r, sp in enumerate(tables):
        res = mediate(sp, treatment="exposed", mediators=list(zambia12.mediators),
                      outcome=zambia12.scenario.outcome, site="site", period="period",
                      effect_model="exposure_time", seed=1).to_frame()
        for key, name in (("total", "total"), ("direct", "nde"), ("indirect", "nie")):
            assert out[key]["estimate"][r] == pytest.approx(res.loc[name, "estimate"], abs=1e-8)


def test_zambia_design_study_unbiased_and_covers(zambia12):
    frame = design_study(zambia12, reps=REPS, seed=3, progress=False).to_frame()
    cover_tol = 3 * math.sqrt(0.95 * 0.05 / REPS)
    for _, row in frame.iterrows():
        assert abs(row["bias"]) < 3 * row["bias_mc_se"], row["estimand"]
        assert abs(row["coverage"] - 0.95) < cover_tol, row["estimand"]
