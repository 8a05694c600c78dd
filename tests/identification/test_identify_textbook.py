"""identify() on textbook graphs with known verdicts (sources in each test)."""

from __future__ import annotations

import json

import networkx as nx
import pytest

from facmech.errors import FacmechError, UnknownNodeError
from facmech.identification import Effect, QueryError, Strategy, identify


def test_backdoor_confounder():
    # Pearl (2009) Sec. 3.3.1: adjust for the common cause; P(y|do(x)) = sum_c P(y|x,c)P(c)
    g = nx.DiGraph([("c", "x"), ("c", "y"), ("x", "y")])
    r = identify(g, "x", "y")
    assert r.identifiable and r.strategy is Strategy.BACKDOOR
    assert r.adjustment_sets == (("c",),)
    assert r.estimand == "sum_{c} P(y | x, c) P(c)"


def test_mbias_empty_set():
    # Greenland, Pearl & Robins (1999): the empty set is the only minimal set; m is a collider
    g = nx.DiGraph([("a", "x"), ("a", "m"), ("b", "m"), ("b", "y"), ("x", "y")])
    r = identify(g, "x", "y")
    assert r.adjustment_sets == ((),)
    assert r.estimand == "P(y | x)"


def test_frontdoor(frontdoor_graph):
    # Pearl (1995) front-door: no adjustment set, m satisfies the front-door criterion
    g, latent = frontdoor_graph
    r = identify(g, "x", "y", latent=latent)
    assert r.identifiable and r.strategy is Strategy.FRONTDOOR
    assert r.adjustment_sets == ()
    assert r.frontdoor_sets == (("m",),)


def test_bow_arc_not_identified():
    # Pearl (2009) Fig. 3.9(a) bow arc: not identified; the open path is x <- u -> y
    g = nx.DiGraph([("u", "x"), ("u", "y"), ("x", "y")])
    r = identify(g, "x", "y", latent=["u"])
    assert not r.identifiable and r.strategy is None
    assert r.blocking_path == ("x", "u", "y")
    assert "x <- u -> y" in r.reason


def test_instrument_flagged_not_identified():
    # Nonparametric IV (Balke & Pearl 1997): not point-identified, instrument z flagged
    g = nx.DiGraph([("z", "x"), ("x", "y"), ("u", "x"), ("u", "y")])
    r = identify(g, "x", "y", latent=["u"])
    assert not r.identifiable and r.strategy is Strategy.IV
    assert r.instruments == (("z", ()),)
    assert "parametric" in r.assumptions[0].text


def test_conditional_instrument():
    # Brito & Pearl (2002): z is an instrument only given w (w -> z, w -> y)
    g = nx.DiGraph([("w", "z"), ("w", "y"), ("z", "x"), ("x", "y"), ("u", "x"), ("u", "y")])
    r = identify(g, "x", "y", latent=["u"])
    assert ("z", ("w",)) in r.instruments


def test_napkin_needs_id(napkin_graph):
    # Pearl & Mackenzie (2018) napkin: identified, but by neither back-door nor front-door
    g, latent = napkin_graph
    r = identify(g, "x", "y", latent=latent)
    assert r.identifiable and r.strategy is Strategy.ID
    assert r.estimand.startswith("P(y | do(x)) = ")


def vvr2014() -> nx.DiGraph:
    # VanderWeele, Vansteelandt & Robins (2014) Fig. 1: l is an exposure-induced mediator-outcome
    # confounder
    return nx.DiGraph(
        [("c", "x"), ("c", "m"), ("c", "y"), ("c", "l"), ("x", "l"), ("x", "m"), ("x", "y"),
         ("l", "m"), ("l", "y"), ("m", "y")]
    )


@pytest.mark.parametrize("effect", ["nde", "nie"])
def test_vvr2014_natural_fail_interventional_identified(effect):
    r = identify(vvr2014(), "x", "y", effect=effect, mediators=["m"])
    assert not r.identifiable
    assert r.witness == "l"
    assert r.strategy is Strategy.INTERVENTIONAL
    assert r.alternatives[0].identifiable
    assert "IIE" in r.estimand


def test_vvr2014_cde_and_joint_mediators():
    g = vvr2014()
    cde = identify(g, "x", "y", effect="cde", mediators=["m"])
    assert cde.identifiable and cde.effect is Effect.CDE
    # l is affected by x, so no single adjustment set exists for do(x, m): the ID algorithm gives
    # the g-formula sum_{c,l} P(y|x,m,l,c) P(l|x,c) P(c) (Robins 1986)
    assert cde.adjustment_sets == () and cde.strategy is Strategy.ID
    assert cde.estimand.endswith("= sum_{c, l} P(c) P(l | c, x) P(y | c, x, l, m)")
    # the joint indirect effect through {l, m} is identified: no witness remains
    both = identify(g, "x", "y", effect="nie", mediators=["l", "m"])
    assert both.identifiable and both.strategy is Strategy.MEDIATION
    assert both.adjustment_sets == (("c",),)


def test_mediation_formula_with_baseline_confounder():
    # VanderWeele (2015) ch. 2: NDE identified by the mediation formula given c
    g = nx.DiGraph([("c", "x"), ("c", "m"), ("c", "y"), ("x", "m"), ("m", "y"), ("x", "y")])
    r = identify(g, "x", "y", effect="nde", mediators="m")
    assert r.identifiable and r.strategy is Strategy.MEDIATION
    assert r.adjustment_sets == (("c",),)
    assert r.estimand == (
        "NDE = sum_{c, m} [E(y | x, m, c) - E(y | x', m, c)] P(m | x', c) P(c)"
    )


def test_mediator_outcome_latent_confounding_is_recanting_district():
    # Shpitser & Tchetgen Tchetgen (2016): m <-> y makes {m, y} a recanting district
    g = nx.DiGraph([("x", "m"), ("m", "y"), ("x", "y"), ("u", "m"), ("u", "y")])
    r = identify(g, "x", "y", effect="nie", mediators=["m"], latent=["u"])
    assert not r.identifiable
    assert r.witness == "recanting district {m, y}"
    # the controlled direct effect is not identified either (m -> y confounded)
    assert not identify(g, "x", "y", effect="cde", mediators=["m"], latent=["u"]).identifiable


def test_frontdoor_mediation_identified_with_latent_xy_confounding():
    # front-door graph: the indirect effect through m equals the total effect and is identified
    # (Shpitser & Tchetgen Tchetgen 2016, no recanting district and P(Y*(x)) identified)
    g = nx.DiGraph([("u", "x"), ("u", "y"), ("x", "m"), ("m", "y")])
    r = identify(g, "x", "y", effect="nie", mediators=["m"], latent=["u"])
    assert r.identifiable and r.strategy is Strategy.PATH_SPECIFIC


def test_path_specific_recanting_witness_avin2005():
    # Avin, Shpitser & Pearl (2005) Fig. 2 style: x -> w -> y and w -> z -> y; the effect along
    # x -> w -> z -> y has recanting witness w; along x -> z -> y (w not on it) it is identified
    g = nx.DiGraph([("x", "w"), ("w", "y"), ("w", "z"), ("z", "y"), ("x", "z"), ("x", "y")])
    bad = identify(g, "x", "y", effect="path", path=["x", "w", "z", "y"])
    assert not bad.identifiable and bad.witness == "w"
    assert bad.alternatives[0].identifiable  # the bundle through w
    assert bad.alternatives[-1].identifiable  # linear SEM: all coefficients single-door
    ok = identify(g, "x", "y", effect="path", path=["x", "z", "y"])
    assert ok.identifiable and ok.strategy is Strategy.PATH_SPECIFIC


def test_path_as_edge_set():
    g = nx.DiGraph([("x", "m"), ("m", "y"), ("x", "y")])
    r = identify(g, "x", "y", effect="path", path=[("x", "m"), ("m", "y")])
    assert r.identifiable


def test_json_shape_exact():
    r = identify(vvr2014(), "x", "y", effect="nde", mediators=["m"])
    d = json.loads(r.to_json())
    assert set(d) == {"identifiable", "effect", "treatment", "outcome", "strategy",
                      "adjustment_sets", "estimand", "assumptions", "reason", "witness"}
    assert d["strategy"] == "interventional" and d["witness"] == "l" and d["effect"] == "nde"
    assert "alternatives" in r.to_dict(extended=True)
    assert "witness: l" in str(r) and "<pre>" in r._repr_html_()


def test_bad_inputs():
    g = nx.DiGraph([("x", "m"), ("m", "y"), ("x", "y"), ("c", "x")])
    with pytest.raises(QueryError, match="same node"):
        identify(g, "x", "x")
    with pytest.raises(UnknownNodeError, match="Did you mean 'x'"):
        identify(g, "xx", "y")
    with pytest.raises(QueryError, match="no arrow m -> x"):
        identify(g, "x", "y", effect="path", path=["x", "m", "x", "y"])
    # the treatment is added when the path omits it (issue 13: paths as researchers write them)
    assert identify(g, "x", "y", effect="path", path=["m", "y"]).path == ("x", "m", "y")
    with pytest.raises(QueryError, match="lies on no directed path"):
        identify(g, "x", "y", effect="nde", mediators=["c"])
    with pytest.raises(UnknownNodeError, match="`observed`"):
        identify(g, "x", "y", observed=["x", "y", "zz"])
    with pytest.raises(UnknownNodeError, match="`latent`"):
        identify(g, "x", "y", latent=["q"])
    with pytest.raises(FacmechError, match="`effect` must be one of"):
        identify(g, "x", "y", effect="direct")
    with pytest.raises(QueryError, match="latent"):
        identify(g, "x", "y", latent=["x"])
    with pytest.raises(QueryError, match="needs at least one mediator"):
        identify(g, "x", "y", effect="nde")
    with pytest.raises(QueryError, match="use effect='path'"):
        identify(g, "x", "y", effect="total", path=["x", "y"])
    assert identify(g, "x", "y", path=["x", "y"]).effect.value == "path"  # the default with a path
    with pytest.raises(QueryError, match="mediators go with"):
        identify(g, "x", "y", mediators=["m"])
    with pytest.raises(FacmechError, match="directed cycle"):
        identify(nx.DiGraph([("x", "y"), ("y", "x")]), "x", "y")


def test_latent_mediator_blocks_cde_and_natural_effects():
    g = nx.DiGraph([("x", "m"), ("m", "y"), ("x", "y")])
    for eff in ("cde", "nde", "nie"):
        r = identify(g, "x", "y", effect=eff, mediators=["m"], latent=["m"])
        assert not r.identifiable and "not measured" in r.reason
    r = identify(g, "x", "y", effect="path", path=["x", "m", "y"], latent=["m"])
    assert not r.identifiable and "measuring {m} makes it identified" in r.reason
