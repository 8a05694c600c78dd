"""Synthetic multisite facilitation trials from a mechanism map, with known true effects.

A :class:`Scenario` (structural coefficients per edge or arrow number, node types, ICC, trend, staff
surveys, the adaptive :class:`DoseRule` with its feedback strength) and a design
(:class:`ParallelCRT`, :class:`SteppedWedge`, :class:`SMART`, :class:`Observational`) go into
:func:`simulate`, which returns a :class:`SimulatedTrial`: long patient-period data, site-period data,
and the :class:`Truth` (total, natural direct/indirect, path-specific and sustained-strategy effects)
computed by counterfactual simulation with shared noise, with the closed form alongside in the linear
case (:func:`analytic_effects`). Four vignette scenarios of Kilbourne et al. (2023) are packaged:
``vha``, ``aim``, ``evidencenow``, ``zambia``.

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
from facmech.simulation.sources import MANY_STAFF, BiasSource, switch_off
from facmech.simulation.trial import SimulatedTrial, simulate
from facmech.simulation.truth import Truth, default_paths, true_effects

__all__ = [
    "MANY_STAFF",
    "SMART",
    "AnalyticTruth",
    "BiasSource",
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
    "switch_off",
    "true_effects",
]
