"""Synthetic multisite facilitation trials from a mechanism map, with known true effects.

>>> from facmech.simulation import simulate, load_scenario, SteppedWedge
>>> trial = simulate(load_scenario("zambia"), SteppedWedge(sites=6, steps=3, patients=4), seed=7,
...                  truth=False)
>>> sorted(trial.data["period"].unique().tolist())
[0, 1, 2, 3]
"""

from facmech.simulation.analytic import AnalyticTruth, analytic_effects, is_linear
from facmech.simulation.designs import (
    SMART,
    Design,
    DesignKind,
    Observational,
    ParallelCRT,
    SteppedWedge,
    load_design,
    make_design,
    resolve_design,
)
from facmech.simulation.scenario import (
    DoseRule,
    NodeType,
    Scenario,
    builtin_scenarios,
    load_scenario,
)
from facmech.simulation.trial import SimulatedTrial, simulate
from facmech.simulation.truth import Truth, default_paths, true_effects

__all__ = [
    "SMART",
    "AnalyticTruth",
    "Design",
    "DesignKind",
    "DoseRule",
    "NodeType",
    "Observational",
    "ParallelCRT",
    "Scenario",
    "SimulatedTrial",
    "SteppedWedge",
    "Truth",
    "analytic_effects",
    "builtin_scenarios",
    "default_paths",
    "is_linear",
    "load_design",
    "load_scenario",
    "make_design",
    "resolve_design",
    "simulate",
    "true_effects",
]
