"""MechanismMap construction, validation (every bad input of issue 2), copies and conversions."""

from __future__ import annotations

import pytest

from facmech import (
    Confidence,
    CyclicMapError,
    Edge,
    MapError,
    MapFormatError,
    MechanismMap,
    Node,
    Role,
    UnknownNodeError,
    load_map,
)
from facmech.formats import dump_yaml
from facmech.formats.yaml_format import load_yaml


def _map(edges, nodes=("a", "b", "c")):
    return MechanismMap(nodes=tuple(Node(n) for n in nodes), edges=tuple(edges))


def test_cycle_within_period_names_its_nodes():
    with pytest.raises(CyclicMapError) as err:
        _map([Edge("a", "b"), Edge("b", "c"), Edge("c", "a")])
    assert set(err.value.cycle) == {"a", "b", "c"}
    assert "a -> b -> c -> a" in str(err.value) or "b -> c -> a -> b" in str(err.value) or (
        "c -> a -> b -> c" in str(err.value)
    )


def test_lagged_feedback_is_not_a_cycle():
    m = _map([Edge("a", "b"), Edge("b", "a", lag=1), Edge("a", "a", lag=1)])
    assert m.to_networkx().number_of_edges() == 1
    assert m.to_networkx(include_lagged=True).number_of_edges() == 3


def test_self_loop_within_period_rejected():
    with pytest.raises(CyclicMapError, match="cannot cause itself"):
        _map([Edge("a", "a")])


def test_unknown_node_suggests_closest():
    with pytest.raises(UnknownNodeError, match="Did you mean 'trust'"):
        MechanismMap(nodes=(Node("trust"), Node("capacity")), edges=(Edge("capacity", "trsut"),))


def test_duplicate_ids_and_arrows():
    with pytest.raises(MapError, match="duplicate node id 'a'"):
        _map([], nodes=("a", "a"))
    with pytest.raises(MapError, match="arrow number 3 is used twice"):
        _map([Edge("a", "b", arrow=3), Edge("b", "c", arrow=3)])
    with pytest.raises(MapError, match="duplicate edge a -> b"):
        _map([Edge("a", "b"), Edge("a", "b")])


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("nodes: [{id: a, role: catalyst}]",
         r"role` must be one of 'context', 'strategy'.* \(got 'catalyst'\)"),
        ("nodes: [{id: a, level: region}]",
         r"level` must be one of 'site', 'staff', 'patient' \(got 'region'\)"),
        ('nodes: [{id: "a\\n"}]', "control character"),
        ("nodes: [{id: a, colour: red}]", r"unknown field\(s\) \['colour'\]"),
        ("nodes: [{id: a}, {id: b}]\nedges: [{source: a, target: b, lag: 2}]", "`lag` must be 0 or 1"),
        ("nodes: [{id: a}, {id: b}]\nedges: [{source: a, target: b, confidence: X}]", "confidence"),
        ("nodes: []", "non-empty `nodes`"),
        ("- a\n- b", "must be a mapping"),
    ],
)
def test_bad_yaml_maps(text, match):
    with pytest.raises(MapError, match=match):
        load_yaml(text)


def test_malformed_yaml_reports_line():
    with pytest.raises(MapFormatError) as err:
        load_yaml("title: x\nnodes:\n  - {id: a\n  - {id: b}\n")
    assert err.value.line is not None and err.value.line >= 3
    assert "line" in str(err.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(MapError, match="no map file"):
        load_map(tmp_path / "nope.yaml")
    with pytest.raises(MapError, match="is a directory"):
        load_map(tmp_path)


def test_confidence_parsing_and_thresholds():
    assert str(Confidence.parse("h-m")) == "M-H"  # order normalised
    assert Confidence.parse("L").meets("M") is False
    assert Confidence.parse("L-M").meets("M") is True
    assert Confidence.parse("L-M").meets("M", strict=True) is False


def test_copies_are_new_and_validated():
    m = load_map()
    latent = m.with_latent(["trust"])
    assert m.node("trust").observed and not latent.node("trust").observed
    assert latent.with_observed(["trust"]).node("trust").observed
    only = m.with_only_observed(["facilitation", "uptake"])
    assert set(only.observed_ids) == {"facilitation", "uptake"}
    with pytest.raises(UnknownNodeError, match=r"`observed`: unknown node 'upake'\. Did you mean 'uptake'"):
        m.with_only_observed(["upake"])
    dropped = m.without_edges([("capacity", "trust")])
    assert not dropped.to_networkx().has_edge("capacity", "trust")
    assert m.to_networkx().has_edge("capacity", "trust")


def test_yaml_round_trip_preserves_everything():
    m = load_map()
    again = load_yaml(dump_yaml(m))
    assert again == m


def test_networkx_round_trip_and_pgmpy():
    m = load_map()
    g = m.to_networkx()
    back = MechanismMap.from_networkx(g)
    assert set(back.node_ids) == set(m.node_ids)
    assert {(e.source, e.target) for e in back.edges} == set(g.edges)
    assert set(back.latent_ids) == set(m.latent_ids)
    dag = m.to_pgmpy()
    assert set(dag.edges()) == set(g.edges)
    assert set(dag.latents) == set(m.latent_ids)


def test_node_lookup_and_parents():
    m = load_map()
    assert m.node("facilitation").role is Role.STRATEGY
    assert set(m.parents("facilitation")) == {"leadership_engagement"}
    assert m.parents("facilitation", lag=0) == ()
    assert "trust" in m.children("capacity")
    with pytest.raises(UnknownNodeError, match="Did you mean 'normalization'"):
        m.node("normalisation")
    with pytest.raises(MapError, match="no arrow number 16"):
        m.arrow(16)


def test_strings_are_converted_at_the_boundary():
    node = Node("a", role="strategy", level="patient", provenance="stated", measures="logs")
    assert node.role is Role.STRATEGY and node.measures == ("logs",)
    assert node.to_dict()["level"] == "patient"
    edge = Edge("a", "b", confidence="M-H", provenance="stated")
    assert str(edge.confidence) == "M-H"
    with pytest.raises(MapError, match=r"role` must be one of .* \(got 'boss'\)"):
        Node("a", role="boss")


def test_direction_uncertain_is_structured():
    m = load_map()
    flagged = [(e.source, e.target) for e in m.edges if e.direction_uncertain]
    assert flagged == [("capacity", "trust")]  # facilitation-map.md: arrow 13, "L-M direction"
    assert load_yaml(dump_yaml(m)).arrow(13).direction_uncertain
