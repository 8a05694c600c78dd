"""identify(effect="mediation"): the ordered-mediator decomposition facmech.mediate estimates.

Graphs: VanderWeele, Vansteelandt & Robins (2014, Epidemiology 25:300, Fig. 1) for the
exposure-induced mediator-outcome confounder; an unlisted confounder of two mediators that the
treatment affects (Avin, Shpitser & Pearl 2005: a recanting witness between the via-classes); and
the same without arrows from the treatment into the later mediators, where the decomposition *is*
identified, checked by simulation against the linear-SEM truth.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from facmech.identification import Effect, identify
from facmech.identification._query import QueryError
from facmech.identification.assumptions import AssumptionKind

VVR = [("a", "l"), ("l", "m"), ("l", "y"), ("a", "m"), ("m", "y"), ("a", "y")]


def test_vvr_witness_and_listing_it_as_first_mediator():
    g = nx.DiGraph(VVR)
    r = identify(g, "a", "y", effect="mediation", mediators=["m"])
    assert not r.identifiable and r.witness == "l" and "recanting witness" in r.reason
    assert any(alt.identifiable for alt in r.alternatives)  # the interventional analogue
    ok = identify(g, "a", "y", effect="mediation", mediators=["l", "m"])
    assert ok.identifiable and ok.effect is Effect.MEDIATION and ok.strategy.value == "mediation"
    assert ok.adjustment_sets == ((),)
    assert ok.estimand == ("psi(a_Y; a_1, a_2) = sum_{l, m} E(y | a_Y, l, m) P(l | a_1) "
                           "P(m | a_2, l)")
    with pytest.raises(QueryError, match=r"out of causal order.*\['l', 'm'\]"):
        identify(g, "a", "y", effect="mediation", mediators=["m", "l"])


def _confounded_mediators(into_later: bool) -> nx.DiGraph:
    edges = [("a", "m1"), ("m1", "w"), ("w", "m2"), ("w", "m3"), ("m1", "m2"), ("m2", "m3"),
             ("m1", "y"), ("m2", "y"), ("m3", "y"), ("a", "y")]
    if into_later:
        edges += [("a", "m2"), ("a", "m3")]
    return nx.DiGraph(edges)


def test_unlisted_confounder_of_two_mediators_recants():
    g = _confounded_mediators(into_later=True)
    meds = ["m1", "m2", "m3"]
    # the natural effects through the set are identified (w only reaches listed mediators) ...
    assert identify(g, "a", "y", effect="nie", mediators=meds).identifiable
    # ... but w, affected by a through m1, splits the via-m2 and via-m3 classes
    r = identify(g, "a", "y", effect="mediation", mediators=meds)
    assert not r.identifiable and r.witness == "w"
    assert "'w' is affected by 'a'" in r.reason and "['m2', 'm3']" in r.reason
    assert r.alternatives[0].identifiable  # the natural effects through the set
    # listing w makes the decomposition identified
    assert identify(g, "a", "y", effect="mediation", mediators=["m1", "w", "m2", "m3"]).identifiable


def test_no_arrow_into_later_mediators_is_identified_and_estimated():
    """Without a -> m2, a -> m3 the classes via m2 and via m3 are empty: identified (the former
    mediation check refused this graph), and mediate's via effects match the linear-SEM truth."""
    from facmech.mediation import mediate

    g = _confounded_mediators(into_later=False)
    meds = ["m1", "m2", "m3"]
    r = identify(g, "a", "y", effect="mediation", mediators=meds)
    assert r.identifiable and r.adjustment_sets[0] == ()
    rng = np.random.default_rng(3)
    n = 20000
    a = rng.integers(0, 2, n).astype(float)
    m1 = 0.8 * a + rng.normal(size=n)
    w = 0.7 * m1 + rng.normal(size=n)
    m2 = 0.5 * m1 + 0.6 * w + rng.normal(size=n)
    m3 = 0.4 * m2 + 0.5 * w + rng.normal(size=n)
    y = 0.3 * a + 0.2 * m1 + 0.5 * m2 + 0.6 * m3 + rng.normal(size=n)
    df = pd.DataFrame({"a": a, "m1": m1, "m2": m2, "m3": m3, "y": y})  # w is not in the data
    res = mediate(df, treatment="a", mediators=meds, outcome="y", inference=None, graph=g)
    # truth: every path leaves a through m1 or directly (total effect of m1 on y times 0.8)
    m1_on_y = 0.2 + 0.5 * 0.5 + 0.5 * 0.4 * 0.6 + 0.7 * (0.6 * 0.5 + 0.6 * 0.4 * 0.6 + 0.5 * 0.6)
    assert res["via:m1"].estimate == pytest.approx(0.8 * m1_on_y, abs=0.04)
    # via m2 and via m3 are zero in truth: within 4 standard errors of the product (coefficient
    # of a in the mediator's regression times the mediator's effect on y through later ones)
    out = smf.ols("y ~ a + m1 + m2 + m3", data=df).fit().params
    f2 = smf.ols("m2 ~ a + m1", data=df).fit()
    f3 = smf.ols("m3 ~ a + m1 + m2", data=df).fit()
    on_y = {"m2": out["m2"] + f3.params["m2"] * out["m3"], "m3": out["m3"]}
    for m, fit in (("m2", f2), ("m3", f3)):
        assert res[f"via:{m}"].estimate == pytest.approx(fit.params["a"] * on_y[m], abs=1e-8)
        assert abs(res[f"via:{m}"].estimate) < 4 * abs(on_y[m]) * fit.bse["a"]
    assert res["nde"].estimate == pytest.approx(0.3, abs=0.04)


def test_long_open_path_named_in_full():
    # a back-door path of 12 nodes between the mediator and the outcome (the former check searched
    # paths up to 8 edges and printed "(long)")
    chain = [f"c{i}" for i in range(10)]
    # m <- c0 <- c1 <- c2 <- c3 <- c4 -> c5 -> ... -> c9 -> y: open given nothing
    g = nx.DiGraph([("a", "m"), ("m", "y"), ("a", "y"), ("c0", "m"), ("c9", "y")]
                   + [(chain[i + 1], chain[i]) for i in range(4)]
                   + [(chain[i], chain[i + 1]) for i in range(4, 9)])
    r = identify(g, "a", "y", effect="mediation", mediators=["m"], covariates=[])
    assert not r.identifiable
    assert "open path m <- c0 <- c1 <- c2 <- c3 <- c4 -> c5 -> c6 -> c7 -> c8 -> c9 -> y" in r.reason
    assert r.blocking_path == ("m", *chain, "y")
    # adjusting for any node of the chain blocks it; without covariates the engine picks one
    chosen = identify(g, "a", "y", effect="mediation", mediators=["m"])
    assert chosen.identifiable and len(chosen.adjustment_sets[0]) >= 1


def test_covariate_sets_baseline_parents_first():
    g = nx.DiGraph([("c", "m"), ("c", "y"), ("d", "y"), ("a", "m"), ("m", "y"), ("a", "y")])
    r = identify(g, "a", "y", effect="mediation", mediators=["m"])
    assert r.adjustment_sets == (("c", "d"), ("c",))
    checked = identify(g, "a", "y", effect="mediation", mediators=["m"], covariates=["c"])
    assert checked.adjustment_sets == (("c",),)
    bad = identify(g, "a", "y", effect="mediation", mediators=["m"], covariates=["d"])
    assert not bad.identifiable and "open path m <- c -> y" in bad.reason
    assert bad.blocking_path == ("m", "c", "y")


def test_assumptions_are_for_the_covariates_used():
    g = nx.DiGraph([("c", "m"), ("c", "y"), ("a", "m"), ("m", "y"), ("a", "y")])
    r = identify(g, "a", "y", effect="mediation", mediators=["m"], covariates=["c"])
    kinds = [a.kind for a in r.assumptions]
    assert kinds.count(AssumptionKind.NO_UNMEASURED_CONFOUNDING) == 3
    mo = [a for a in r.assumptions if a.nodes == ("m", "y")]
    assert len(mo) == 1 and mo[0].given == ("a", "c")
    assert mo[0].text == "no unmeasured m-y confounding given {a, c}"
    assert {AssumptionKind.NO_RECANTING_WITNESS, AssumptionKind.CROSS_WORLD_INDEPENDENCE,
            AssumptionKind.POSITIVITY, AssumptionKind.CONSISTENCY} <= set(kinds)


def test_refusals_and_other_failures():
    g = nx.DiGraph([("c", "a"), ("a", "m"), ("m", "y"), ("a", "d"), ("d", "y")])
    post = identify(g, "a", "y", effect="mediation", mediators=["m"], covariates=["c", "d"])
    assert not post.identifiable and "descendants of treatment 'a'" in post.reason
    latent = identify(g, "a", "y", effect="mediation", mediators=["m"], covariates=["c"],
                      latent=["c"])
    assert not latent.identifiable and "not measured" in latent.reason
    with pytest.raises(QueryError, match="`covariates` are given but `effect` is 'nie'"):
        identify(g, "a", "y", effect="nie", mediators=["m"], covariates=["c"])
    with pytest.raises(QueryError, match="needs at least one mediator"):
        identify(g, "a", "y", effect="mediation")
