"""Scenario construction, YAML files, coefficient overrides and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from facmech.errors import CyclicMapError, DesignError, UnknownNodeError
from facmech.maps import Edge, Level, MechanismMap, Node, Role
from facmech.simulation import (
    DoseRule,
    NodeType,
    ParallelCRT,
    Scenario,
    builtin_scenarios,
    load_design,
    load_scenario,
    simulate,
)


def test_coefficient_defaults_and_overrides() -> None:
    s = Scenario()
    # acceptance has two non-context parents (facilitation, leadership engagement): 0.6 / sqrt(2)
    assert s.coefficient("facilitation", "acceptance") == pytest.approx(0.6 / np.sqrt(2))
    assert s.coefficient("facilitation", "problem_solving") == 0.6  # its only parent
    assert s.coefficient("inner_context", "acceptance") == 0.3  # context edges
    assert s.coefficient("acceptance", "leadership_engagement") == pytest.approx(0.3 / np.sqrt(2))
    assert s.coefficient("leadership_engagement", "leadership_engagement") == 0.3  # persistence
    assert s.coefficient("leadership_engagement", "facilitation") == 0.4  # feedback x 1
    s = Scenario(coefficients={6: 0.9, "#13": 0.1, "socialization->role_clarity": 0.2,
                               "leadership_engagement->facilitation": 0.5}, feedback=0.8)
    assert s.coefficient("leadership_engagement", "acceptance") == 0.9  # arrow 6
    assert s.coefficient("capacity", "trust") == 0.1  # arrow 13
    assert s.coefficient("socialization", "role_clarity") == 0.2
    assert s.coefficient("leadership_engagement", "facilitation") == pytest.approx(0.4)
    assert Scenario(feedback=0.0).coefficient("leadership_engagement", "facilitation") == 0.0


def test_yaml_file(tmp_path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: mine\ncoefficients:\n  '#1': 0.9\n  trust->normalization: 0.2\ntypes:\n"
        "  uptake: count\nicc: 0.1\ndose: {base: 2.0, taper: 0.1}\nmediators: [trust]\n"
        "design: {type: parallel, sites: 6, patients: 3, periods: 2}\n"
    )
    s = load_scenario(path)
    assert (s.name, s.icc, s.dose.base, s.mediators) == ("mine", 0.1, 2.0, ("trust",))
    assert s.coefficient("facilitation", "acceptance") == 0.9
    assert s.node_type("uptake") is NodeType.COUNT
    d = load_design(str(path))
    assert isinstance(d, ParallelCRT) and (d.sites, d.periods) == (6, 2)
    trial = simulate(str(path), seed=1, truth=False)
    assert trial.data["uptake"].dtype.kind == "i" and (trial.data["uptake"] >= 0).all()
    assert sorted(builtin_scenarios()) == ["aim", "evidencenow", "vha", "zambia"]


def test_bad_input_messages(tmp_path) -> None:
    with pytest.raises(DesignError, match=r"`icc` must be in \[0, 1\) \(got 1.0\)"):
        Scenario(icc=1.0)
    with pytest.raises(DesignError, match=r"`icc` must be in \[0, 1\) \(got -0.1\)"):
        Scenario(icc=-0.1)
    with pytest.raises(DesignError, match=r"`cac` must be in \[0, 1\]"):
        Scenario(cac=1.5)
    with pytest.raises(DesignError, match="no edge trust -> acceptance"):
        Scenario(coefficients={"trust->acceptance": 0.3})
    with pytest.raises(UnknownNodeError, match=r"unknown node 'trsut'\. Did you mean 'trust'"):
        Scenario(coefficients={"trsut->normalization": 0.3})
    with pytest.raises(DesignError, match="no arrow number 99"):
        Scenario(coefficients={99: 0.3})
    with pytest.raises(UnknownNodeError, match="`mediators`: unknown node 'normalisation'"):
        Scenario(mediators=("normalisation",))
    with pytest.raises(DesignError, match="`staff_per_site` must be an integer >= 1"):
        Scenario(staff_per_site=-2)
    with pytest.raises(
        DesignError, match=r"`types.uptake` must be one of 'continuous', 'binary', 'count' \(got 'ordinal'\)"
    ):
        Scenario(types={"uptake": "ordinal"})
    with pytest.raises(DesignError, match=r"`dose.taper` must be in \[0, 1\)"):
        DoseRule(taper=1.0)
    with pytest.raises(DesignError, match="`outcome` 'trust' must be a patient-level node"):
        Scenario(outcome="trust")
    bad = tmp_path / "bad.yaml"
    bad.write_text("feedbak: 0.3\n")
    with pytest.raises(DesignError, match=r"unknown key 'feedbak'\. Did you mean 'feedback'"):
        load_scenario(bad)
    bad.write_text("- a\n- b\n")
    with pytest.raises(DesignError, match="must hold a mapping"):
        load_scenario(bad)
    bad.write_text("name: x\n")
    with pytest.raises(DesignError, match="has no `design:` block"):
        load_design(str(bad))


def test_cyclic_unrolled_map() -> None:
    # m is time-invariant but downstream of time-varying f, and feeds f back at lag 1
    mmap = MechanismMap(
        nodes=(Node("f", role=Role.STRATEGY, time_varying=True), Node("m"),
               Node("y", role=Role.OUTCOME, level=Level.PATIENT)),
        edges=(Edge("f", "m"), Edge("m", "f", lag=1), Edge("m", "y")),
    )
    s = Scenario(map=mmap, outcome="y", mediators=("m",), patient_covariates={})
    with pytest.raises(CyclicMapError, match="cannot unroll"):
        simulate(s, ParallelCRT(sites=4, patients=2, periods=2), seed=1)
