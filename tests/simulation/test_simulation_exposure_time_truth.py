"""Exposure-time truth of the simulator: ``total_eti``, ``nde_eti``, ``nie_eti``, ``by_exposure_time``
(the estimands of the exposure-time indicator model, Kenny, Voldal, Xia & Heagerty 2022)."""

from __future__ import annotations

import numpy as np
import pytest

from facmech.simulation import (
    DoseRule,
    ParallelCRT,
    SteppedWedge,
    load_scenario,
    true_effects,
)
from facmech.simulation.truth import exposure_time_matrix


@pytest.fixture(scope="module")
def zambia_truth():
    return true_effects(load_scenario("zambia"), SteppedWedge(sites=24, steps=4, patients=10),
                        sites=1000, paths=())


def test_exposure_time_matrix():
    ex = exposure_time_matrix(np.array([[0, 0, 1, 1], [1, 1, 1, 1], [0, 0, 0, 0]]))
    assert ex.tolist() == [[0, 0, 1, 2], [1, 2, 3, 4], [0, 0, 0, 0]]
    assert exposure_time_matrix(np.array([[0, 1, 0, 1]])) is None  # not a rollout


def test_identities(zambia_truth):
    t = zambia_truth
    by = t["by_exposure_time"]
    # 4 steps crossing over at periods 1..4 of 5: exposure times 1..4, each reached by 4, 3, 2, 1
    # steps of 250 sites
    assert by["site_periods"] == [1000, 750, 500, 250]
    for name in ("total", "nde", "nie"):
        assert t[f"{name}_eti"] == pytest.approx(np.mean(by[name]), abs=1e-12)
        assert t["mc_se"][f"{name}_eti"] > 0
    for e in range(4):
        assert by["total"][e] == pytest.approx(by["nde"][e] + by["nie"][e], abs=1e-12)
    # total_exposed (all exposed site-periods) is the site-period-weighted average of by exposure
    n = np.asarray(by["site_periods"])
    assert t["total_exposed"] == pytest.approx(np.dot(n, by["total"]) / n.sum(), abs=1e-12)
    # the zambia effect builds up with time on treatment (lagged leadership engagement, feedback)
    assert by["total"][0] < by["total"][1] < by["total"][3]
    assert {"total_eti", "nde_eti", "nie_eti"} <= set(t.to_frame().index)
    assert "total_eti" in t.to_dict()["definitions"]


def test_matches_closed_form_in_linear_scenario_without_feedback():
    # Reference: facmech.simulation.analytic (closed form (I - B)^{-1} c, independent of the
    # simulation engine). Without feedback into the dose the effect of a linear scenario depends
    # only on the time since crossover, so the effect at exposure time e equals the closed-form
    # effect e - 1 periods after a period-0 start (analytic by_period_total[e - 1]).
    sc = load_scenario("zambia").replace(
        types={}, feedback=0.0, dose=DoseRule(base=1.5, taper=0.25, sd=0.2, floor=None))
    t = true_effects(sc, SteppedWedge(sites=24, steps=4, patients=10), sites=2000, paths=())
    closed = t["analytic"]["by_period_total"]
    for e, (sim, se) in enumerate(zip(t["by_exposure_time"]["total"],
                                      t["mc_se"]["by_exposure_time"]["total"], strict=True)):
        assert abs(sim - closed[e]) < 4 * se, (e + 1, sim, closed[e], se)
    assert t["total_eti"] == pytest.approx(np.mean(closed[:4]), abs=4 * t["mc_se"]["total_eti"])


def test_parallel_trial_exposure_time_is_period():
    # every treated site starts in period 0: exposure time e is period e - 1 of the treated sites
    t = true_effects(load_scenario("zambia"), ParallelCRT(sites=20, patients=5, periods=3),
                     sites=400, paths=())
    assert t["by_exposure_time"]["site_periods"] == [200, 200, 200]
    assert t["total_eti"] == pytest.approx(t["total_exposed"], abs=1e-12)
