"""path_report, measurement and variants on the built-in facilitation map and on dagitty maps."""

from __future__ import annotations

import networkx as nx
import pytest

from facmech.formats import from_dagitty, load_map
from facmech.identification import Strategy, identify
from facmech.identification._query import QueryError
from facmech.identification.measurement import Query, measurement_plan
from facmech.identification.report import path_report
from facmech.identification.variants import identify_across_variants
from facmech.maps import Confidence, Edge, MechanismMap, Node

DEMO = ("facilitation", "leadership_engagement", "acceptance", "socialization", "coherence",
        "capacity", "trust", "normalization", "uptake")


@pytest.fixture(scope="module")
def fmap() -> MechanismMap:
    return load_map()


def test_total_effect_randomized_facilitation(fmap):
    # facilitation has no lag-0 parents in the single-period map: no adjustment needed
    r = identify(fmap, "facilitation", "uptake")
    assert r.identifiable and r.strategy is Strategy.BACKDOOR and r.adjustment_sets == ((),)


def test_demo_path_report_says_what_to_measure(fmap):
    r = identify(fmap, "facilitation", "uptake", effect="path", path=DEMO)
    assert not r.identifiable
    # socialization and peer_experience are latent: the step acceptance -> coherence is ambiguous
    assert "{socialization, peer_experience}" in r.reason
    # and even measured, leadership_engagement recants (it also feeds champions -> normalization)
    assert r.witness == "leadership_engagement"
    names = [a.name for a in r.alternatives]
    assert any("bundle through witness leadership_engagement" in n for n in names)
    assert all(a.identifiable for a in r.alternatives)
    plan = measurement_plan(fmap, Query("facilitation", "uptake", effect="path", path=DEMO))
    assert not plan.possible and "recanting witness" in plan.reason


def test_path_report_builtin_and_unrolled(fmap):
    rep = path_report(fmap, "facilitation", "uptake")
    assert len(rep.paths) == 13  # 13 directed paths in the single-period map
    ok = [r.path for r in rep.paths if r.identifiable]
    assert ok == [("facilitation", "problem_solving", "capacity", "trust", "normalization",
                   "uptake")]
    assert rep.to_frame().shape[0] == 1 + 13 + len(rep.mediators)
    unrolled = path_report(fmap.unroll(2), "facilitation_t0", "uptake")
    assert len(unrolled.paths) > 13
    assert unrolled.total.identifiable


def test_measurement_plan_latent_leadership(fmap):
    # hide leadership engagement and outer context: the effect of leadership on uptake needs
    # outer_context measured (leadership is the treatment, forced in)
    m = fmap.with_latent(["leadership_engagement", "outer_context"])
    plan = measurement_plan(m, Query("leadership_engagement", "uptake"))
    assert plan.possible
    assert set(plan.measure) >= {"leadership_engagement"}
    obs = set(m.observed_ids) | set(plan.measure)
    assert identify(fmap, "leadership_engagement", "uptake", observed=obs).identifiable


def test_user_map_in_dagitty_syntax():
    m = from_dagitty("dag { u [latent] x -> m -> y u -> x u -> y }")
    r = identify(m, "x", "y")
    assert r.identifiable and r.strategy is Strategy.FRONTDOOR


def test_variants_robust_and_fragile(fmap):
    rep = identify_across_variants(fmap, "facilitation", "uptake", min_confidence="M")
    assert rep.robust and rep.identified_in == rep.n_variants
    # a map whose identification hinges on a low-confidence confounding arrow
    nodes = (Node("x"), Node("y"), Node("u", observed=False))
    hi, lo = Confidence.parse("H"), Confidence.parse("L")
    edges = (Edge("x", "y", confidence=hi), Edge("u", "x", confidence=hi),
             Edge("u", "y", confidence=lo))
    small = MechanismMap(nodes=nodes, edges=edges)
    rep2 = identify_across_variants(small, "x", "y", min_confidence="M")
    assert rep2.n_variants == 2 and rep2.identified_in == 1 and not rep2.robust
    assert "NOT robust" in rep2.summary()


def test_variants_reverse_uncertain_direction(fmap):
    # capacity -> trust has an uncertain direction in the built-in map (reconstruction notes)
    rep = identify_across_variants(fmap, "capacity", "normalization", min_confidence="L")
    assert set(rep.to_frame()["reversed"]) == {"", "capacity->trust"}


def test_path_report_bad_input():
    g = nx.DiGraph([("x", "y")])
    with pytest.raises(QueryError):
        path_report(g, "x", "x")
    full = nx.DiGraph([(f"v{i}", f"v{j}") for i in range(8) for j in range(i + 1, 8)])
    with pytest.raises(QueryError, match="max_paths"):  # 2**6 = 64 paths from v0 to v7
        path_report(full, "v0", "v7", max_paths=10)
