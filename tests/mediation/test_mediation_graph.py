"""Identification checks of mediate(graph=...) on canonical graphs and the built-in map."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from facmech.errors import DataError, NotIdentifiedError, UnknownNodeError
from facmech.mediation import mediate
from facmech.mediation.graph import check_identification, implied_graph


def test_confounded_mediator_outcome_needs_adjustment():
    G = nx.DiGraph([("A", "M"), ("M", "Y"), ("A", "Y"), ("C", "M"), ("C", "Y")])
    check_identification(G, treatment="A", mediators=["M"], outcome="Y", covariates=["C"])
    with pytest.raises(NotIdentifiedError, match="open path M <- C -> Y"):
        check_identification(G, treatment="A", mediators=["M"], outcome="Y")


def test_latent_mediator_outcome_confounder_refused():
    G = nx.DiGraph([("A", "M"), ("M", "Y"), ("A", "Y"), ("U", "M"), ("U", "Y")])
    G.nodes["U"]["latent"] = True
    with pytest.raises(NotIdentifiedError) as info:
        check_identification(G, treatment="A", mediators=["M"], outcome="Y")
    assert info.value.identification is not None


def test_exposure_induced_confounder_is_recanting_witness():
    # VanderWeele, Vansteelandt & Robins (2014), Epidemiology 25:300, Figure 1
    G = nx.DiGraph([("A", "L"), ("L", "M"), ("L", "Y"), ("A", "M"), ("M", "Y"), ("A", "Y")])
    with pytest.raises(NotIdentifiedError, match="recanting witness"):
        check_identification(G, treatment="A", mediators=["M"], outcome="Y")
    # listing L as the first mediator makes the sequential decomposition identified
    check_identification(G, treatment="A", mediators=["L", "M"], outcome="Y")


def test_post_treatment_covariate_refused():
    G = nx.DiGraph([("A", "M"), ("M", "Y"), ("A", "Y"), ("A", "D"), ("D", "Y")])
    with pytest.raises(NotIdentifiedError, match="descendants of treatment"):
        check_identification(G, treatment="A", mediators=["M"], outcome="Y", covariates=["D"])


def test_mediators_out_of_causal_order():
    G = nx.DiGraph([("A", "M1"), ("M1", "M2"), ("M2", "Y"), ("A", "Y")])
    with pytest.raises(DataError, match=r"out of causal order.*\['M1', 'M2'\]"):
        check_identification(G, treatment="A", mediators=["M2", "M1"], outcome="Y")


def test_unknown_node_suggests_closest():
    G = nx.DiGraph([("A", "engagement"), ("engagement", "Y"), ("A", "Y")])
    with pytest.raises(UnknownNodeError, match="Did you mean 'engagement'"):
        check_identification(G, treatment="A", mediators=["engagment"], outcome="Y")


def test_implied_graph_always_identified():
    G = implied_graph("A", ["M1", "M2"], "Y", ["C"])
    out = check_identification(G, treatment="A", mediators=["M1", "M2"], outcome="Y",
                               covariates=["C"])
    assert any("cross-world" in a.text for a in out)


@pytest.mark.filterwarnings("ignore::facmech.errors.FewClustersWarning")
def test_mediate_with_builtin_map():
    from facmech.formats import load_map

    fmap = load_map("facilitation")
    rng = np.random.default_rng(8)
    site = np.repeat(np.arange(16), 20)
    fac = (site % 2).astype(float)
    outer = rng.normal(size=16)[site]
    inner = rng.normal(size=16)[site]
    lead = 0.5 * fac + 0.3 * inner + rng.normal(size=site.size)
    acc = 0.4 * fac + 0.5 * lead + rng.normal(size=site.size)
    upt = 0.2 * fac + 0.3 * lead + 0.4 * acc + 0.2 * outer + rng.normal(size=site.size)
    df = pd.DataFrame({"site": site, "facilitation": fac, "leadership_engagement": lead,
                       "acceptance": acc, "uptake": upt, "outer_context": outer,
                       "inner_context": inner})
    res = mediate(df, treatment="facilitation", mediators=["leadership_engagement", "acceptance"],
                  outcome="uptake", covariates=["outer_context", "inner_context"],
                  site="site", graph=fmap, seed=1, inference=None)
    assert res.assumptions[0].text.startswith(
        "identification checked in the supplied mechanism map")
    assert "via:leadership_engagement" in res.effects
    assert "path:facilitation>leadership_engagement>acceptance>uptake" in res.effects
    with pytest.raises(DataError, match="out of causal order"):
        mediate(df, treatment="facilitation", mediators=["acceptance", "leadership_engagement"],
                outcome="uptake", covariates=["outer_context", "inner_context"],
                site="site", graph=fmap, inference=None)


@pytest.fixture(scope="module")
def confounded():
    rng = np.random.default_rng(4)
    n = 800
    c = rng.normal(size=n)
    a = rng.integers(0, 2, n).astype(float)
    m = 0.5 * a + 0.6 * c + rng.normal(size=n)
    y = 0.2 * a + 0.4 * m + 0.5 * c + rng.normal(size=n)
    G = nx.DiGraph([("A", "M"), ("M", "Y"), ("A", "Y"), ("C", "M"), ("C", "Y")])
    return G, pd.DataFrame({"A": a, "M": m, "Y": y, "C": c})


def test_mediate_takes_the_covariates_from_the_identification(confounded):
    from facmech.identification import identify
    from facmech.identification.assumptions import AssumptionKind

    G, df = confounded
    explicit = mediate(df, treatment="A", mediators="M", outcome="Y", covariates=["C"],
                       graph=G, inference=None)
    chosen = mediate(df, treatment="A", mediators="M", outcome="Y", graph=G, inference=None)
    assert chosen.covariates == ("C",)
    assert chosen["nie"].estimate == pytest.approx(explicit["nie"].estimate, abs=1e-12)
    assert chosen.identification.adjustment_sets[0] == ("C",)
    ident = identify(G, "A", "Y", effect="mediation", mediators=["M"])
    consumed = mediate(df, identification=ident, inference=None)
    assert consumed.treatment == "A" and consumed.mediators == ("M",) and consumed.outcome == "Y"
    assert consumed["nde"].estimate == pytest.approx(explicit["nde"].estimate, abs=1e-12)
    assert consumed.assumptions[1:-1] == ident.assumptions  # the record's, as data
    assert consumed.assumptions[0].kind is AssumptionKind.CORRECT_DIAGRAM
    assert consumed.assumptions[-1].kind is AssumptionKind.MODEL
    nde = identify(G, "A", "Y", effect="nde", mediators=["M"])  # re-identified as the decomposition
    assert mediate(df, identification=nde, inference=None)["nie"].estimate == pytest.approx(
        explicit["nie"].estimate, abs=1e-12)
    # no map: the implied DAG's identification, with the call's covariates
    plain = mediate(df, treatment="A", mediators="M", outcome="Y", covariates=["C"],
                    inference=None)
    assert plain.identification.adjustment_sets == (("C",),)
    assert plain.assumptions[0].text.startswith("no map given")


def test_mediate_identification_refusals(confounded):
    from facmech.errors import ArgumentError
    from facmech.identification import identify

    G, df = confounded
    ident = identify(G, "A", "Y", effect="mediation", mediators=["M"])
    with pytest.raises(ArgumentError, match="`treatment` is 'C' but the identification is for 'A'"):
        mediate(df, treatment="C", identification=ident)
    with pytest.raises(ArgumentError, match="not both"):
        mediate(df, identification=ident, graph=G)
    with pytest.raises(ArgumentError, match="'total' query"):
        mediate(df, identification=identify(G, "A", "Y"))
    with pytest.raises(ArgumentError, match="`treatment` is required"):
        mediate(df, mediators="M", outcome="Y")
    with pytest.raises(NotIdentifiedError, match="open path M <- C -> Y") as info:
        mediate(df, identification=ident, covariates=[], inference=None)
    assert info.value.identification.effect.value == "mediation"


def test_long_confounding_path_is_named():
    chain = [f"c{i}" for i in range(10)]
    G = nx.DiGraph([("A", "M"), ("M", "Y"), ("A", "Y"), ("c0", "M"), ("c9", "Y")]
                   + [(chain[i + 1], chain[i]) for i in range(4)]
                   + [(chain[i], chain[i + 1]) for i in range(4, 9)])
    with pytest.raises(NotIdentifiedError, match=r"open path M <- c0 <- c1 .* c8 -> c9 -> Y"):
        check_identification(G, treatment="A", mediators=["M"], outcome="Y")
