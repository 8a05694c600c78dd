"""The map unrolled over the data's periods and its testable claims (period_implications)."""

from __future__ import annotations

import networkx as nx
import pytest

from facmech import load_map
from facmech.errors import ArgumentError, MapError, UnknownNodeError
from facmech.identification.period_implications import (
    DESIGN_NODE,
    PeriodDesign,
    TimedNode,
    period_graph,
    period_implications,
)
from facmech.maps.unrolling import period_id

#: what the packaged Zambia-like trial varies by period (every non-context node the simulator
#: regenerates each period) and measures by staff survey
VARYING = ("leadership_engagement", "acceptance", "champions", "role_clarity", "problem_solving",
           "coherence", "capacity", "trust", "normalization", "sustainment", "uptake",
           "patient_outcomes", "facilitation")
SURVEYED = ("leadership_engagement", "acceptance", "champions", "role_clarity", "problem_solving",
            "coherence", "capacity", "trust", "normalization", "sustainment", "outer_context",
            "inner_context", "readiness")


@pytest.fixture(scope="module")
def claims():
    return period_implications(load_map(), 5, varying=VARYING, error_prone=SURVEYED,
                               design=PeriodDesign(columns=("step",)))


@pytest.fixture(scope="module")
def graph():
    return period_graph(load_map(), 5, varying=VARYING, design=PeriodDesign(columns=("step",)))


def _instance(pg, node: TimedNode, t: int) -> str | None:
    return pg.node_id(node.node, None if node.lag is None else t - node.lag)


def test_every_claim_is_a_d_separation_of_the_unrolled_map(claims, graph):
    # independent oracle: networkx's d-separation on G_T, in every period a claim pools
    assert len(claims) > 200
    g = graph.dag
    for c in claims:
        assert c.given, str(c)
        for t in c.periods:
            x, y = _instance(graph, c.x, t), _instance(graph, c.y, t)
            z = {v for v in (_instance(graph, n, t) for n in c.given) if v is not None}
            assert x is not None and y is not None
            assert not (z & graph.latent), str(c)
            assert not g.has_edge(x, y) and not g.has_edge(y, x)
            assert nx.is_d_separator(g, {x}, {y}, z), f"{c} at t={t}"


def test_root_design_joins_every_set_and_error_free_sets_are_preferred(claims, graph):
    assert all(TimedNode(DESIGN_NODE) in c.given for c in claims)
    # error_prone lists exactly the surveyed conditioning nodes
    for c in claims:
        assert set(c.error_prone) == {g for g in c.given if g.node in SURVEYED}
    by = {str(c): c for c in claims}
    # facilitation and patient outcomes: separated by uptake (a record), not by normalization
    assert "facilitation[t] _||_ patient_outcomes[t] | design, uptake[t]" in by
    # when an error-free set exists the claim uses it: brute force on one pair
    c = by["acceptance[t] _||_ patient_outcomes[t] | design, uptake[t]"]
    assert c.error_prone == () and c.periods == (0, 1, 2, 3, 4)


def test_feedback_claim_conditions_on_last_periods_leadership(claims):
    # the rolled map says outer_context _||_ facilitation; unrolled, leadership engagement of the
    # previous period (which outer context drives) sets this period's dose: the claim holds only
    # given it (issue 12: the rolled claim rejected the true map)
    out = [str(c) for c in claims if c.x.node == "outer_context" and c.y.node == "facilitation"]
    assert out == ["outer_context _||_ facilitation[t] | design, leadership_engagement[t-1]"]
    (c,) = [c for c in claims if str(c) == out[0]]
    assert c.periods == (0, 1, 2, 3, 4)  # in period 0 there is no earlier leadership: unconditional


def test_lagged_claims_and_own_lags(claims):
    lagged = [c for c in claims if c.x.lag == 1]
    assert lagged and all(c.y.lag == 0 and c.periods[0] >= 1 for c in lagged)
    own = {str(c) for c in claims if c.x.node == c.y.node}
    assert "champions[t-1] _||_ champions[t] | design, facilitation[t], " \
        "leadership_engagement[t]" in own
    # leadership engagement persists (its own lag-1 arrow): no such claim for it
    assert not any(c.x.node == c.y.node == "leadership_engagement" for c in claims)


def test_outcome_site_effect_blocks_cross_period_outcome_claims(claims, graph):
    # patient outcomes share a site effect across periods (the ICC): no claim pairs two periods of
    # the same patient-level node
    assert "site_effect(patient_outcomes)" in graph.latent
    assert not any(c.x.node == c.y.node == "patient_outcomes" for c in claims)
    assert not any(c.x.node == c.y.node == "uptake" for c in claims)


def test_without_design_an_unmeasured_schedule_drives_the_dose():
    pg = period_graph(load_map(), 3, varying=VARYING)
    assert "schedule" in pg.latent
    assert set(pg.dag.successors("schedule")) == {period_id("facilitation", k) for k in range(3)}
    imps = period_implications(load_map(), 3, varying=VARYING)
    # facilitation in two periods shares the schedule: never separable
    assert not any(c.x.node == c.y.node == "facilitation" for c in imps)


def test_adaptive_design_depends_on_stage_one_uptake():
    design = PeriodDesign(columns=("arm",), acts_on=("facilitation", "champions"),
                          depends_on=(("uptake", 1),))
    pg = period_graph(load_map(), 4, varying=VARYING, design=design)
    assert pg.dag.has_edge(period_id("uptake", 1), DESIGN_NODE)
    assert pg.dag.has_edge(DESIGN_NODE, period_id("champions", 3))
    imps = period_implications(load_map(), 4, varying=VARYING, design=design)
    for c in imps:  # a non-root design is conditioned on only where a set needs it
        for t in c.periods:
            x, y = _instance(pg, c.x, t), _instance(pg, c.y, t)
            z = {v for v in (_instance(pg, n, t) for n in c.given) if v is not None}
            assert nx.is_d_separator(pg.dag, {x}, {y}, z), f"{c} at t={t}"
    assert any(TimedNode(DESIGN_NODE) not in c.given for c in imps)


def test_one_period_is_the_rolled_map_without_lags():
    imps = period_implications(load_map(), 1, varying=VARYING)
    assert imps and all(c.periods == (0,) and c.x.lag in (0, None) for c in imps)


def test_time_invariant_nodes_follow_the_data():
    # with nothing varying by period but the map's own time-varying nodes, champions is
    # measured once (after the last period) and is a site-level node of the claims
    pg = period_graph(load_map(), 2)
    assert "champions" not in pg.periodic and pg.node_id("champions", None) == "champions"
    # an unmeasured mechanism downstream of a time-varying node varies with it
    assert "socialization" in pg.periodic


def test_bad_input():
    with pytest.raises(ArgumentError, match="periods"):
        period_graph(load_map(), 0)
    with pytest.raises(MapError, match="already unrolled"):
        period_graph(load_map().unroll(2), 2)
    with pytest.raises(UnknownNodeError, match="acts_on"):
        period_graph(load_map(), 2, design=PeriodDesign(columns=("s",), acts_on=("nobody",)))
    with pytest.raises(ArgumentError, match="depends_on"):
        PeriodDesign(columns=("s",), depends_on=(("uptake", -1),))
    with pytest.raises(ArgumentError, match="columns"):
        PeriodDesign(columns=())
    with pytest.raises(ArgumentError, match="depends_on"):
        period_graph(load_map(), 2, varying=VARYING,
                     design=PeriodDesign(columns=("s",), depends_on=(("uptake", 5),)))
