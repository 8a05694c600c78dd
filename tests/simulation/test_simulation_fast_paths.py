"""The design-study fast paths of the simulator (issue 15): a compiled model is reused for every
replicate of a scenario, and the site-period arrays equal simulate()'s site-period table."""

from __future__ import annotations

import numpy as np
import pytest

from facmech.simulation import SMART, Observational, ParallelCRT, SteppedWedge, load_scenario, simulate
from facmech.simulation.engine import Model
from facmech.simulation.trial import simulate_site_periods

DESIGNS = {
    "parallel": ("zambia", ParallelCRT(sites=6, periods=3, patients=4)),
    "stepped-wedge": ("zambia", SteppedWedge(sites=8, steps=4, patients=3)),
    "smart": ("aim", SMART(sites=12, patients=3)),
    "observational": ("vha", Observational(sites=6, periods=2, patients=3)),
}


@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_site_period_arrays_equal_the_site_period_table(name):
    scenario, design = DESIGNS[name]
    sc = load_scenario(scenario)
    arrays = simulate_site_periods(sc, design, seed=11)
    table = simulate(sc, design, seed=11, truth=False).site_periods
    assert list(arrays) == list(table.columns)
    for col in table.columns:
        assert arrays[col].shape == (design.sites, design.periods)
        np.testing.assert_array_equal(arrays[col].ravel(), table[col].to_numpy(), err_msg=col)


def test_compiled_model_is_reused_per_scenario_object():
    sc = load_scenario("zambia")
    a, b = Model.compile(sc, 4), Model.compile(sc, 4)
    assert a is b and Model.compile(sc, 5) is not a and Model.compile(sc, 5).periods == 5
    other = sc.replace(noise_sd={**sc.noise_sd})  # an equal but distinct scenario: its own model
    assert Model.compile(other, 4) is not a and Model.compile(other, 4).nodes == a.nodes
