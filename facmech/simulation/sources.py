"""Switches that turn single sources of analysis bias off in a scenario.

A simulated facilitation trial differs from the textbook analysis model in several ways at once; to
find out which of them biases an analysis, :func:`switch_off` returns a copy of a
:class:`~facmech.simulation.Scenario` with one or more of them removed, so that a design study can be
re-run with each source off in turn (``simulations/validity/decompose_bias.py``). The truth is
recomputed for every switched scenario, so each row compares an analysis with its own estimand.

Sources (:class:`BiasSource`):

``measurement``
    Staff-survey measurement error of the site-level constructs: ``staff_per_site`` becomes
    :data:`MANY_STAFF` (the survey mean's error SD ``staff_sd / sqrt(staff_per_site)`` is then
    0.001 ``staff_sd``).
``feedback``
    The dose feedback (leadership engagement last period -> facilitation dose): ``feedback = 0``.
``lagged``
    Lag-1 edges between *different* nodes other than those into the strategy (in the packaged map:
    acceptance at *t* -> leadership engagement at *t + 1*): coefficient 0. Cross-period effects of
    mediators on later mediators and outcomes.
``buildup``
    Exposure-time build-up and decay of the effect: the dose taper (``dose.taper = 0``), the support
    duration (``dose.duration = None``) and every node's own lag-1 persistence (coefficient 0).
    With ``lagged`` and ``feedback`` also off, the effect of exposure no longer depends on the time
    since crossover.
``binary``
    Binary and count nodes (the packaged scenarios' ``uptake``) become continuous, with the same
    intercept and the default noise SD: every structural equation is linear.

The sixth source of the decomposition, the *effect model of the analysis* (a constant exposure effect
vs exposure-time indicators), is a choice of the analysis, not of the data.

>>> from facmech.simulation import load_scenario
>>> s = switch_off(load_scenario("zambia"), "feedback", "binary")
>>> s.feedback, dict(s.types)
(0.0, {})
>>> switch_off(load_scenario("zambia"), "lagged").coefficient(
...     "acceptance", "leadership_engagement")
0.0
>>> switch_off(load_scenario("zambia"), "weather")
Traceback (most recent call last):
...
facmech.errors.DesignError: `source` must be one of 'measurement', 'feedback', 'lagged', 'buildup', ...
"""

from __future__ import annotations

from dataclasses import replace

from facmech._choice import DesignChoice
from facmech.mechanism_map import Role
from facmech.simulation.scenario import NodeType, Scenario

__all__ = ["MANY_STAFF", "BiasSource", "switch_off"]

#: Respondents per site-period standing for "no survey measurement error".
MANY_STAFF = 1_000_000


class BiasSource(DesignChoice):
    """A source of bias that :func:`switch_off` can remove from a scenario."""

    MEASUREMENT = "measurement"
    FEEDBACK = "feedback"
    LAGGED = "lagged"
    BUILDUP = "buildup"
    BINARY = "binary"


def switch_off(scenario: Scenario, *sources: BiasSource | str) -> Scenario:
    """A copy of ``scenario`` with each of ``sources`` removed (see the module docstring).

    Parameters
    ----------
    scenario
        The scenario to modify (not changed itself).
    *sources
        :class:`BiasSource` members or their names; none returns the scenario unchanged.
    """
    chosen = {BiasSource.parse(s, argument="source") for s in sources}
    if not chosen:
        return scenario
    mmap = scenario.map
    changes: dict[str, object] = {}
    coefficients = {f"{s}->{t}[lag{lag}]": v for (s, t, lag), v in scenario.coefficients.items()}
    if BiasSource.MEASUREMENT in chosen:
        changes["staff_per_site"] = MANY_STAFF
    if BiasSource.FEEDBACK in chosen:
        changes["feedback"] = 0.0
    strategy = scenario.strategy
    for e in mmap.edges:
        if not e.lag or e.target == strategy or mmap.node(e.target).role == Role.STRATEGY:
            continue
        own = e.source == e.target
        if (own and BiasSource.BUILDUP in chosen) or (not own and BiasSource.LAGGED in chosen):
            coefficients[f"{e.source}->{e.target}[lag{e.lag}]"] = 0.0
    if BiasSource.BUILDUP in chosen:
        changes["dose"] = replace(scenario.dose, taper=0.0, duration=None)
    if BiasSource.BINARY in chosen:
        changes["types"] = {k: v for k, v in scenario.types.items() if v is NodeType.CONTINUOUS}
    return scenario.replace(coefficients=coefficients, **changes)
