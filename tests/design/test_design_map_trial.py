"""Design studies on the simulator's map-based vignette scenarios (facmech.simulation)."""

import numpy as np
import pandas as pd
import pytest

from facmech.design import MapTrial, Processes, design_study
from facmech.errors import DesignError


def test_map_trial_draw_matches_simulate():
    from facmech.simulation import SteppedWedge, simulate

    t = MapTrial("zambia", sites=8, steps=4, patients=5)
    x, y, m = t.draw(np.random.default_rng(3))
    sim = simulate("zambia", SteppedWedge(sites=8, steps=4, patients=5),
                   seed=np.random.default_rng(3), truth=False)
    sp = sim.site_periods.sort_values(["site", "period"])
    # default mediators: the identified ordered pair (leadership_engagement, champions)
    assert x.shape == y.shape == (8, 5) and m.shape == (2, 8, 5)
    np.testing.assert_array_equal(y.ravel(), sp["patient_outcomes"].to_numpy())
    np.testing.assert_array_equal(m[0].ravel(), sp["leadership_engagement"].to_numpy())
    np.testing.assert_array_equal(m[1].ravel(), sp["champions"].to_numpy())
    assert set(np.unique(x)) == {0.0, 1.0}


def test_zambia_study_serial_equals_processes():
    grid = {"sites": [8, 12], "confounding": [0.0, 0.6]}
    kw = dict(grid=grid, reps=12, seed=4, progress=False)
    a = design_study(MapTrial("zambia", patients=5, truth_sites=200), **kw)
    b = design_study(MapTrial("zambia", patients=5, truth_sites=200), backend=Processes(workers=2),
                     **kw)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame(), check_exact=True)
    frame = a.to_frame()
    # two ordered mediators: the joint indirect effect (truth: the simulator's nie through the pair)
    assert set(frame["estimand"]) == {"total", "direct", "indirect"}
    assert frame["truth"].notna().all()


def test_map_trial_bad_input():
    from facmech.simulation import Observational

    with pytest.raises(DesignError, match="support parallel, stepped-wedge and smart designs"):
        MapTrial("zambia", design=Observational(sites=10, patients=5))
    with pytest.raises(DesignError, match=r"mediator `uptake` is not an observed site-level node"):
        MapTrial("zambia", mediators=("uptake",))
    with pytest.raises(DesignError, match=r"unknown grid parameter `a` for a map scenario"):
        design_study("zambia", grid={"a": [0.1]}, reps=10, progress=False)
    with pytest.raises(DesignError, match=r"`icc` must be in \[0, 1\)"):
        design_study("zambia", grid={"icc": [1.5]}, reps=10, progress=False)


def test_map_trial_consumes_the_identification():
    from facmech import identify
    from facmech.identification.assumptions import AssumptionKind
    from facmech.simulation import load_scenario

    sc = load_scenario("zambia")
    t = MapTrial("zambia", sites=8, steps=4, patients=5)
    # computed from the map for the default ordered pair: the joint nie is identified
    assert t.identification.identifiable and t.identification.effect.value == "nie"
    assert t.identification.mediators == ("leadership_engagement", "champions")
    assert AssumptionKind.CROSS_WORLD_INDEPENDENCE in {a.kind for a in t.assumptions}
    # a given record supplies the mediators
    one = identify(sc.map, sc.strategy, sc.outcome, effect="nie", mediators=["leadership_engagement"])
    t1 = MapTrial("zambia", sites=8, steps=4, patients=5, identification=one)
    assert t1.mediators == ("leadership_engagement",)
    assert t1.indirect_estimands == ("indirect:leadership_engagement",)
    res = design_study(t1.with_parameters({"sites": 8}), reps=10, seed=1, progress=False,
                       analysis="mediation")
    assert res.assumptions == one.assumptions
    assert res.to_dict()["assumptions"] == [a.text for a in one.assumptions]
    # a non-identified set is carried with its verdict (the study then measures the bias)
    bad = MapTrial("zambia", sites=8, steps=4, patients=5, mediators=("champions",))
    assert not bad.identification.identifiable
    assert bad.identification.witness == "leadership_engagement"
    with pytest.raises(DesignError, match="differ from the identification's"):
        MapTrial("zambia", mediators=("champions",), identification=one)
    with pytest.raises(DesignError, match="must be an nie, nde or mediation record"):
        MapTrial("zambia", identification=identify(sc.map, sc.strategy, sc.outcome))
