"""switch_off: each source of bias removed, nothing else changed."""

from __future__ import annotations

import pytest

from facmech.errors import DesignError
from facmech.simulation import (
    MANY_STAFF,
    BiasSource,
    NodeType,
    SteppedWedge,
    analytic_effects,
    is_linear,
    load_scenario,
    switch_off,
    true_effects,
)


@pytest.fixture(scope="module")
def zambia():
    return load_scenario("zambia")


def test_each_switch(zambia) -> None:
    assert switch_off(zambia, "measurement").staff_per_site == MANY_STAFF
    assert switch_off(zambia, BiasSource.FEEDBACK).feedback == 0.0
    lag = switch_off(zambia, "lagged")
    assert lag.coefficient("acceptance", "leadership_engagement") == 0.0
    assert lag.coefficient("leadership_engagement", "leadership_engagement") == 0.3  # persistence
    assert lag.coefficient("leadership_engagement", "facilitation") == 0.6  # the feedback stays
    up = switch_off(zambia, "buildup")
    assert up.coefficient("leadership_engagement", "leadership_engagement") == 0.0
    assert up.coefficient("acceptance", "leadership_engagement") == pytest.approx(0.3 / 2**0.5)
    assert (up.dose.taper, up.dose.duration, up.dose.base) == (0.0, None, 1.5)
    binary = switch_off(zambia, "binary")
    assert binary.node_type("uptake") is NodeType.CONTINUOUS
    assert binary.intercepts["uptake"] == -0.5
    # the other settings are untouched
    assert binary.coefficient("normalization", "uptake") == 0.9
    assert zambia.node_type("uptake") is NodeType.BINARY and zambia.feedback == 0.6


def test_all_off_is_linear_and_constant_in_exposure_time(zambia) -> None:
    """With every data source off and no dose floor the model is linear (closed-form truth), and the
    effect no longer depends on the time since crossover."""
    off = switch_off(zambia, *BiasSource).replace(dose={"base": 1.5, "sd": 0.2, "floor": None})
    design = SteppedWedge(sites=24, steps=4, patients=10)
    assert is_linear(off, design)[0]
    exact = analytic_effects(off, design, mediators=off.mediators, paths=()).to_dict()
    by_period = exact["by_period_total"]
    assert max(by_period) - min(by_period) < 1e-12
    t = true_effects(off, design, sites=400, analytic=False)
    assert t["total"] == pytest.approx(exact["total"], abs=5 * t["mc_se"]["total"] + 1e-9)
    # same mean, different site-periods averaged (the dose noise makes per-site-period contrasts vary)
    se = t["mc_se"]["total_eti"]
    assert t["total_eti"] == pytest.approx(exact["total"], abs=4 * se)


def test_unknown_source(zambia) -> None:
    with pytest.raises(DesignError, match="`source` must be one of"):
        switch_off(zambia, "noise")
    assert switch_off(zambia) is zambia
