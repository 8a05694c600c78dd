"""measurement_plan: minimum cost against exhaustive search, impossibility, bad input."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest

from facmech.errors import UnknownNodeError
from facmech.identification import identify
from facmech.identification._query import QueryError
from facmech.identification.measurement import Query, measurement_plan

from .conftest import random_dag


def _exhaustive_min_cost(g, query, latent, costs):
    best = None
    lat = sorted(latent)
    for k in range(len(lat) + 1):
        for s in itertools.combinations(lat, k):
            obs = (set(g.nodes) - set(latent)) | set(s)
            r = identify(g, query.treatment, query.outcome, effect=query.effect,
                         mediators=list(query.mediators) or None, observed=obs)
            if r.identifiable:
                c = sum(costs[v] for v in s)
                if best is None or c < best - 1e-12:
                    best = c
    return best


@pytest.mark.parametrize("seed", range(12))
def test_min_cost_matches_exhaustive(seed):
    rng = np.random.default_rng(900 + seed)
    g = random_dag(rng, 7, p=0.4)
    nodes = list(g.nodes)
    x, y = nodes[1], nodes[6]
    if not nx.has_path(g, x, y):
        g.add_edge(x, y)
    latent = {v for v in nodes if v not in (x, y) and rng.random() < 0.5}
    costs = {v: float(rng.integers(1, 5)) for v in nodes}
    q = Query(x, y)
    plan = measurement_plan(g, q, latent=latent, cost=costs)
    truth = _exhaustive_min_cost(g, q, latent, costs)
    if truth is None:
        assert not plan.possible
    else:
        assert plan.possible and plan.cost == pytest.approx(truth)
        obs = (set(nodes) - latent) | set(plan.measure)
        assert identify(g, x, y, observed=obs).identifiable


def test_impossible_when_witness_is_structural():
    # VanderWeele et al. (2014): l is measured already; the natural effect fails whatever we measure
    g = nx.DiGraph([("x", "l"), ("l", "m"), ("l", "y"), ("x", "m"), ("m", "y"), ("u", "l")])
    plan = measurement_plan(g, Query("x", "y", effect="nie", mediators=("m",)), latent=["u"])
    assert not plan.possible and "recanting witness" in plan.reason
    assert "impossible" in str(plan)


def test_latent_treatment_is_forced_into_plan():
    g = nx.DiGraph([("c", "x"), ("c", "y"), ("x", "y")])
    plan = measurement_plan(g, Query("x", "y"), latent=["x", "c"], cost={"x": 2, "c": 3})
    assert plan.measure == ("c", "x") and plan.cost == 5


def test_bad_inputs():
    g = nx.DiGraph([("c", "x"), ("c", "y"), ("x", "y")])
    with pytest.raises(UnknownNodeError):
        measurement_plan(g, Query("x", "y"), cost={"cc": 1})
    with pytest.raises(QueryError, match="positive"):
        measurement_plan(g, Query("x", "y"), latent=["c"], cost={"c": 0})
    with pytest.raises(QueryError, match="Query"):
        measurement_plan(g, ("x", "y"))


DEMO = ("facilitation", "leadership_engagement", "acceptance", "socialization", "coherence",
        "capacity", "trust", "normalization", "uptake")


def test_impossible_plan_carries_the_linear_answer_and_instruments():
    # issue 13: `measure` said "impossible" where the report offered the linear model and
    # instruments; the plan now carries both (one source of truth)
    import facmech

    m = facmech.load_map()
    plan = measurement_plan(m, Query("facilitation", "uptake", effect="path", path=DEMO))
    assert not plan.possible
    assert plan.linear_measure == ("socialization", "peer_experience") == plan.recommended
    tools = dict(plan.instruments)
    assert tools["socialization"] == ("NoMAD cognitive participation", "facilitator field notes")
    assert tools["peer_experience"] == ("network participation logs",
                                        "NoMAD cognitive participation")
    advice = plan.advice()
    assert advice[0].startswith("path-specific effect along facilitation -> leadership_engagement")
    assert "leadership_engagement is a recanting witness" in advice[0]
    assert any(s.startswith("Under a linear structural model without interactions") and
               "once socialization (Socialization of the facilitator's role), peer_experience "
               "(Peer experiences) are measured" in s for s in advice)
    assert any(s.startswith("Identified instead: ") for s in advice)
    assert "To measure socialization (Socialization of the facilitator's role): NoMAD cognitive " \
           "participation; facilitator field notes." in advice
    d = plan.to_dict()
    assert d["recommended"] == ["socialization", "peer_experience"]
    assert d["advice"] == list(advice)


def test_cli_report_and_demo_print_the_same_advice(capsys, tmp_path):
    import facmech
    from facmech.cli import main
    from facmech.report import plan as make_plan

    m = facmech.load_map()
    advice = measurement_plan(m, Query("facilitation", "uptake", effect="path", path=DEMO)).advice()
    assert main(["measure", "--path", ",".join(DEMO)]) == 0
    out = capsys.readouterr().out
    for sentence in advice:
        assert sentence in out
    rep = make_plan(m, path=DEMO, sites=(12,))
    # the report shows the same sentences, naming nodes by label (ids replaced in one pass)
    from facmech.report.document import Bullets, Callout
    from facmech.report.labels import NodeNames, sentence_case

    names = NodeNames(m)
    plain = [names.prose(t) for t in measurement_plan(
        m, Query("facilitation", "uptake", effect="path", path=DEMO)).advice(named=False)]
    section = next(s for s in rep.sections if s.id == "measurement")
    callout = next(b for b in section.blocks if isinstance(b, Callout))
    bullets = next(b for b in section.blocks if isinstance(b, Bullets))
    assert callout.text == sentence_case(plain[0])
    assert list(bullets.items) == plain[1:]
    assert "To measure socialization of the facilitator's role: NoMAD cognitive participation; " \
           "facilitator field notes." in bullets.items
    # the schedule asks for exactly the recommended nodes
    sched = rep.schedule.set_index("node")
    assert set(sched.index[sched["status"] == "latent: add a measure"]) == {"socialization",
                                                                             "peer_experience"}
