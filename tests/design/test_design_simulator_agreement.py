"""The map-based simulator (facmech.simulation) + batched analysis vs Hussey & Hughes (2007).

A two-node map (facilitation -> patient outcome), constant dose 1, no site-by-period variation
(cac = 1), no covariates and no trend is exactly the Hussey & Hughes model: the simulated power of the
stepped-wedge analysis must match the closed form within 3 Monte Carlo SEs (fixed in advance).
"""

import math

import networkx as nx
import pytest

from facmech.design import Analysis, MapTrial, design_study
from facmech.maps import MechanismMap
from facmech.power import stepped_wedge_power

REPS = 1000


def test_simulator_stepped_wedge_matches_hussey_hughes():
    from facmech.simulation import Scenario, SteppedWedge

    g = nx.DiGraph()
    g.add_node("facilitation", role="strategy", level="site")
    g.add_node("patient_outcomes", role="outcome", level="patient")
    g.add_edge("facilitation", "patient_outcomes")
    scenario = Scenario(
        map=MechanismMap.from_networkx(g), mediators=(), icc=0.1, cac=1.0, patient_covariates={},
        dose={"base": 1.0, "taper": 0.0, "sd": 0.0, "floor": None},
        coefficients={"facilitation->patient_outcomes": 0.3}, trend=0.0,
    )
    trial = MapTrial(scenario, SteppedWedge(sites=12, steps=3, patients=10), mediators=(),
                     truth_sites=200)
    # the Hussey & Hughes closed form is the power of the random-intercept analysis (the default,
    # mediate's exposure-time model, estimates the same constant effect with less power)
    analysis = Analysis(parts=("total",), model="random_intercept")
    row = design_study(trial, analysis=analysis, reps=REPS, seed=3, progress=False).to_frame()
    row = row.iloc[0]
    assert row["truth"] == pytest.approx(0.3, abs=1e-9)
    hh = stepped_wedge_power(sites=12, steps=3, patients=10, effect=0.3, icc=0.1)
    se = math.sqrt(hh.power * (1 - hh.power) / REPS)
    assert abs(row["power"] - hh.power) < 3 * se
    assert abs(row["coverage"] - 0.95) < 3 * math.sqrt(0.95 * 0.05 / REPS)
