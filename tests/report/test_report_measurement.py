"""The measurement schedule: every needed node, its instrument from the map, its timing."""

from __future__ import annotations

from facmech.formats import load_map
from facmech.report.measurement import measurement_schedule

PATH = ("facilitation", "leadership_engagement", "acceptance", "socialization", "coherence",
        "capacity", "trust", "normalization", "uptake")


def test_schedule_rows_and_reasons():
    m = load_map()
    s = measurement_schedule(m, path=PATH, adjustment=("inner_context",),
                             to_measure=("socialization", "peer_experience"), periodic=True)
    assert list(s["node"]) == [*PATH, "inner_context", "peer_experience"]
    by = s.set_index("node")
    assert by.loc["facilitation", "why"] == "treatment (strategy dose)"
    assert by.loc["uptake", "why"] == "outcome"
    assert by.loc["socialization", "why"] == "mechanism on the path; needed for identification"
    assert by.loc["socialization", "status"] == "latent: add a measure"
    assert by.loc["peer_experience", "why"] == "needed for identification"
    assert by.loc["inner_context", "why"] == "adjustment covariate (confounder)"
    assert by.loc["trust", "status"] == "measured"
    # instruments come from the map's nodes (Kilbourne et al. 2023 / facilitation-map.md list)
    assert "Implementation Leadership Scale" in by.loc["leadership_engagement", "instruments"]
    assert "NoMAD" in by.loc["normalization", "instruments"]
    # timing: context at baseline, time-varying nodes every period before the dose decision
    assert by.loc["inner_context", "when"].startswith("baseline")
    assert by.loc["leadership_engagement", "when"].startswith("every period, before")
    assert by.loc["coherence", "when"].startswith("every period (staff survey")


def test_schedule_without_periodic_measurement_uses_the_stage():
    s = measurement_schedule(load_map(), path=("facilitation", "champions", "normalization", "uptake"))
    by = s.set_index("node")
    assert by.loc["normalization", "when"].startswith("late implementation")
    assert by.loc["uptake", "when"].startswith("end of the implementation period")
    assert by.loc["champions", "status"] == "measured"
