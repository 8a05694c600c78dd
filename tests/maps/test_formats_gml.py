"""GML writer/reader: accepted by networkx.parse_gml and by DoWhy's CausalModel(graph=...)."""

from __future__ import annotations

import logging

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from facmech import load_map
from facmech.errors import MapFormatError
from facmech.formats.gml import from_gml, to_gml


def test_networkx_parse_gml_reads_nodes_edges_and_attributes():
    m = load_map()
    g = nx.parse_gml(to_gml(m))
    assert g.is_directed()
    assert set(g.nodes) == set(m.node_ids)
    assert set(g.edges) == {(e.source, e.target) for e in m.edges}
    assert {n for n, d in g.nodes(data=True) if d["observed"] == "no"} == set(m.latent_ids)
    assert g.edges["leadership_engagement", "facilitation"]["lag"] == 1
    assert g.edges["facilitation", "acceptance"]["arrow"] == 1
    assert g.nodes["trust"]["role"] == "mechanism"


@pytest.mark.parametrize("periods", [None, 3])
def test_gml_round_trip(periods):
    m = load_map() if periods is None else load_map().unroll(periods)
    back = from_gml(to_gml(m))
    key = lambda mm: sorted(  # noqa: E731
        (e.source, e.target, e.lag, e.arrow, str(e.confidence)) for e in mm.edges
    )
    assert key(back) == key(m)
    assert [(n.id, n.label, n.role, n.observed, n.time_varying, n.period) for n in back.nodes] == [
        (n.id, n.label, n.role, n.observed, n.time_varying, n.period) for n in m.nodes
    ]
    assert back.periods == m.periods


@pytest.mark.filterwarnings("ignore:.*assumed unobserved")
def test_dowhy_causal_model_accepts_the_gml(caplog):
    from dowhy import CausalModel

    u = load_map().unroll(2)  # DoWhy needs an acyclic graph: the unrolled map
    cols = list(u.observed_ids)
    rng = np.random.default_rng(2)
    df = pd.DataFrame(rng.normal(size=(40, len(cols))), columns=cols)
    with caplog.at_level(logging.ERROR):
        cm = CausalModel(data=df, treatment="facilitation_t0", outcome="uptake", graph=to_gml(u))
    g = cm._graph._graph  # DoWhy keeps the parsed networkx graph here
    assert set(g.edges) == set(u.to_networkx().edges)
    assert set(g.nodes) == set(u.node_ids)
    # DoWhy marks nodes absent from the data as unobserved: exactly our latent nodes
    assert {n for n in g.nodes if g.nodes[n]["observed"] == "no"} == set(u.latent_ids)
    estimand = cm.identify_effect(proceed_when_unidentifiable=True)
    assert estimand is not None


def test_malformed_gml_raises_map_format_error():
    with pytest.raises(MapFormatError, match="malformed GML"):
        from_gml('graph [\n directed 1\n node [ id 0 label "a" ]\n edge [ source 0 target 9 ]\n]')
    with pytest.raises(MapFormatError, match="malformed GML"):
        from_gml("graph [\n directed 1\n node [ id 0 label \n")
    with pytest.raises(MapFormatError, match="undirected"):
        from_gml('graph [\n node [ id 0 label "a" ]\n node [ id 1 label "b" ]\n'
                 " edge [ source 0 target 1 ]\n]")
