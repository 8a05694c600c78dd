"""The built-in map of Kilbourne et al. (2023) as data.

Reference: shared/reference/facilitation-map.md (our reconstruction of Fig. 2, with the paper's text);
arrow endpoints per the "Reconstructed numbered arrows" table there.
"""

from __future__ import annotations

import networkx as nx
import pytest

from facmech import Role, load_map

REQUIRED_IDS = {
    "facilitation", "leadership_engagement", "acceptance", "socialization", "champions",
    "role_clarity", "peer_experience", "problem_solving", "coherence", "capacity", "trust",
    "normalization", "uptake", "sustainment", "patient_outcomes", "outer_context", "inner_context",
    "facilitator_skills", "readiness",
}

# facilitation-map.md, "Reconstructed numbered arrows" table: number -> (from, to, confidence).
ARROWS = {
    1: ("facilitation", "acceptance", "M-H"),
    2: ("facilitation", "leadership_engagement", "M-H"),
    3: ("facilitation", "champions", "M-H"),
    4: ("peer_experience", "coherence", "M"),
    5: ("socialization", "coherence", "M"),
    6: ("leadership_engagement", "acceptance", "L-M"),
    7: ("acceptance", "socialization", "M"),
    8: ("leadership_engagement", "champions", "M-H"),
    9: ("champions", "role_clarity", "L-M"),
    10: ("facilitation", "problem_solving", "M-H"),
    11: ("problem_solving", "capacity", "M"),
    12: ("champions", "normalization", "M"),
    13: ("capacity", "trust", "M-H"),
    14: ("trust", "normalization", "L"),
    15: ("socialization", "trust", "L"),
}

# Vignettes citing each arrow ("Arrow #N, Fig. 2" in the paper's text); #14 is never cited.
CITED_BY = {
    1: {"VHA", "EvidenceNOW", "Zambia"}, 2: {"AIM"}, 3: {"Zambia"}, 4: {"VHA", "EvidenceNOW", "Zambia"},
    5: {"AIM", "EvidenceNOW", "Zambia"}, 6: {"VHA", "Zambia"}, 7: {"AIM", "EvidenceNOW"}, 8: {"VHA"},
    9: {"AIM"}, 10: {"VHA", "AIM", "EvidenceNOW", "Zambia"}, 11: {"VHA", "AIM", "EvidenceNOW", "Zambia"},
    12: {"VHA", "AIM"}, 13: {"AIM", "EvidenceNOW"}, 14: set(), 15: {"Zambia"},
}


@pytest.fixture(scope="module")
def fmap():
    return load_map()


def test_node_ids_are_the_contract(fmap):
    assert set(fmap.node_ids) == REQUIRED_IDS


@pytest.mark.parametrize("number", sorted(ARROWS))
def test_numbered_arrow(fmap, number):
    src, dst, conf = ARROWS[number]
    edge = fmap.arrow(number)
    assert (edge.source, edge.target, str(edge.confidence), edge.lag) == (src, dst, conf, 0)
    assert {ev.vignette for ev in edge.evidence} == CITED_BY[number]
    for ev in edge.evidence:
        assert f"#{number}" in ev.quote or "Fig. 2" in ev.quote or len(ev.quote) > 20


def test_each_arrow_number_exactly_once(fmap):
    numbers = [e.arrow for e in fmap.edges if e.arrow is not None]
    assert sorted(numbers) == list(range(1, 16))


def test_feedback_loop_is_lagged_and_period_is_acyclic(fmap):
    lagged = {(e.source, e.target) for e in fmap.edges if e.lag == 1}
    assert ("leadership_engagement", "facilitation") in lagged
    assert ("acceptance", "leadership_engagement") in lagged
    assert nx.is_directed_acyclic_graph(fmap.to_networkx())
    full = fmap.to_networkx(include_lagged=True)
    cycles = [set(c) for c in nx.simple_cycles(full) if len(c) > 1]
    assert {"facilitation", "acceptance", "leadership_engagement"} in cycles


def test_implied_unnumbered_edges(fmap):
    # facilitation-map.md: "Further edges implied by the text, unnumbered".
    implied = [
        ("role_clarity", "coherence"), ("coherence", "capacity"), ("normalization", "uptake"),
        ("uptake", "patient_outcomes"), ("uptake", "sustainment"), ("inner_context", "acceptance"),
        ("inner_context", "capacity"), ("readiness", "acceptance"), ("facilitator_skills", "acceptance"),
        ("outer_context", "leadership_engagement"),
    ]
    g = fmap.to_networkx()
    for u, v in implied:
        assert g.has_edge(u, v) and g.edges[u, v]["arrow"] is None, (u, v)


def test_roles_and_provenance(fmap):
    roles = fmap.nodes_by_role()
    assert [n.id for n in roles[Role.STRATEGY]] == ["facilitation"]
    assert {n.id for n in roles[Role.OUTCOME]} == {"uptake", "sustainment", "patient_outcomes"}
    assert {n.id for n in roles[Role.CONTEXT]} == {
        "outer_context", "inner_context", "facilitator_skills", "readiness"
    }
    assert all(e.provenance.value in ("stated", "reconstructed") for e in fmap.edges)
    assert all(n.measures for n in fmap.nodes)


def test_every_mechanism_lies_between_strategy_and_outcome(fmap):
    g = fmap.to_networkx()
    for n in fmap.nodes:
        if n.role in (Role.MECHANISM, Role.COMPONENT):
            assert nx.has_path(g, n.id, "uptake"), n.id


def test_summary_lists_the_arrows(fmap):
    text = fmap.summary()
    assert "#13  capacity -> trust" in text
    assert "19 nodes" in text


def test_instrument_names_with_commas_stay_whole(fmap):
    # facilitation-map.md, "Instruments": ORIC (change commitment, change efficacy) is one instrument.
    assert fmap.node("readiness").measures == ("ORIC (change commitment, change efficacy)",)
    assert all(m.count("(") == m.count(")") for n in fmap.nodes for m in n.measures)
