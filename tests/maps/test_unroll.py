"""Unrolling over periods: acyclic, lag-0 edges in every period, lag-1 edges from t to t+1."""

from __future__ import annotations

import networkx as nx
import pytest

from facmech import CyclicMapError, Edge, MapError, MechanismMap, Node, load_map
from facmech.formats import dump_yaml


@pytest.mark.parametrize("periods", [1, 2, 4])
def test_unrolled_builtin_map_structure(periods):
    m = load_map()
    u = m.unroll(periods)
    g = u.to_networkx()
    assert nx.is_directed_acyclic_graph(g)
    assert u.periods == periods
    tv = [n.id for n in m.nodes if n.time_varying]
    assert set(tv) == {"facilitation", "leadership_engagement", "acceptance"}
    for k in range(periods):
        assert g.has_edge(f"facilitation_t{k}", f"acceptance_t{k}")  # arrow 1 in every period
        assert g.has_edge(f"leadership_engagement_t{k}", f"acceptance_t{k}")  # arrow 6
        assert g.edges[f"facilitation_t{k}", f"acceptance_t{k}"]["arrow"] == 1
        assert g.has_edge("inner_context", f"acceptance_t{k}")  # baseline context into each period
        assert g.has_edge(f"acceptance_t{k}", "socialization")  # once-measured mechanism
    for k in range(periods - 1):
        assert g.has_edge(f"leadership_engagement_t{k}", f"facilitation_t{k + 1}")
        assert g.has_edge(f"acceptance_t{k}", f"leadership_engagement_t{k + 1}")
    # no lag-1 edge leaves the last period, and nothing points into period 0 from a period
    assert not any(v.endswith("_t0") and u_.endswith(("_t1", "_t2", "_t3")) for u_, v in g.edges)
    assert g.in_degree("facilitation_t0") == 0
    # node count: 16 time-invariant + 3 time-varying per period
    assert g.number_of_nodes() == 16 + 3 * periods


def test_time_varying_confounding_appears():
    g = load_map().unroll(2).to_networkx()
    # leadership_engagement_t0 -> facilitation_t1 and facilitation_t0 -> ... -> leadership_engagement_t1
    assert nx.has_path(g, "facilitation_t0", "leadership_engagement_t1")
    assert g.has_edge("leadership_engagement_t1", "acceptance_t1")
    assert g.has_edge("leadership_engagement_t0", "facilitation_t1")


def test_unroll_bad_input():
    m = load_map()
    for bad in (0, -1, 1.5, True):
        with pytest.raises(MapError, match="`periods` must be an integer >= 1"):
            m.unroll(bad)
    with pytest.raises(MapError, match="already unrolled"):
        m.unroll(2).unroll(2)


def test_end_node_pointing_back_into_time_varying_is_rejected():
    m = MechanismMap(
        nodes=(Node("a", time_varying=True), Node("b"), Node("c", time_varying=True)),
        edges=(Edge("a", "b"), Edge("b", "c")),
    )
    with pytest.raises(CyclicMapError, match="'b' is time-invariant"):
        m.unroll(2)


def test_unroll_does_not_change_the_map():
    m = load_map()
    before = dump_yaml(m)
    m.unroll(3)
    assert dump_yaml(m) == before
