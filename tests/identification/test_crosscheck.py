"""identify(..., cross_check="dowhy"): DoWhy's verdict beside facmech's, and why they differ.

The differences are the ones documented (with who is right) in test_crosscheck_dowhy_pgmpy.py; here
each is checked to be *named* by the cross-check, and every agreement on the graph corpus to be
reported as one.
"""

from __future__ import annotations

import json

import networkx as nx
import pytest

from facmech.cli import main
from facmech.errors import ArgumentError
from facmech.identification import Identification, identify
from facmech.identification.crosscheck import cross_check

from .test_crosscheck_dowhy_pgmpy import CORPUS

pytest.importorskip("dowhy")


def test_backdoor_and_frontdoor_agree(frontdoor_graph):
    g = nx.DiGraph([("c", "x"), ("c", "y"), ("x", "y")])
    (c,) = identify(g, "x", "y", cross_check="dowhy").cross_checks
    assert c.library == "dowhy" and c.identifiable is True and c.agrees and c.reason is None
    assert c.estimands[0] == "backdoor {c}"
    fd, latent = frontdoor_graph
    (c,) = identify(fd, "x", "y", latent=latent, cross_check="dowhy").cross_checks
    assert c.agrees and c.estimands == ("frontdoor {m}",)


def test_napkin_dowhy_misses_the_id_algorithm(napkin_graph):
    g, latent = napkin_graph
    r = identify(g, "x", "y", latent=latent, cross_check="dowhy")
    (c,) = r.cross_checks
    assert r.identifiable and not c.agrees
    assert "complete ID algorithm" in c.reason and "facmech is right" in c.reason
    # DoWhy's only estimand there is an instrument it cannot use: u1 is unmeasured
    assert "u1" in c.reason and "not measured" in c.reason


def test_instrument_verdicts_differ_by_assumption():
    g = nx.DiGraph([("z", "x"), ("x", "y"), ("u", "x"), ("u", "y")])
    r = identify(g, "x", "y", latent=["u"], cross_check="dowhy")
    (c,) = r.cross_checks
    assert not r.identifiable and c.identifiable and not c.agrees
    assert c.estimands == ("iv {z}",)
    assert "extra parametric assumptions" in c.reason and "instrument z" in c.reason


def test_recanting_witness_named():
    # VanderWeele, Vansteelandt & Robins (2014) without baseline c; DoWhy picks l or m
    g = nx.DiGraph([("x", "l"), ("x", "m"), ("x", "y"), ("l", "m"), ("l", "y"), ("m", "y")])
    r = identify(g, "x", "y", effect="nde", mediators=["m"], cross_check="dowhy")
    (c,) = r.cross_checks
    assert c.identifiable and not c.agrees
    if c.estimands == ("mediation via {m}",):
        assert "recanting witness" in c.reason and "l is affected by x" in c.reason
    else:  # DoWhy answered about l instead
        assert c.estimands == ("mediation via {l}",)
        assert "chooses the mediator itself" in c.reason
        assert "via {l} facmech finds: identified (mediation)" in c.reason


def test_recanting_district_named():
    g = nx.DiGraph([("x", "m"), ("m", "y"), ("u", "m"), ("u", "y"), ("x", "y")])
    (c,) = identify(g, "x", "y", effect="nie", mediators=["m"], latent=["u"],
                    cross_check="dowhy").cross_checks
    assert not c.agrees and "recanting district {m, y}" in c.reason


def test_natural_effects_agree_without_witness():
    g = nx.DiGraph([("c", "x"), ("c", "m"), ("c", "y"), ("x", "m"), ("m", "y"), ("x", "y")])
    (c,) = identify(g, "x", "y", effect="nie", mediators=["m"], cross_check="dowhy").cross_checks
    assert c.agrees and c.identifiable and c.estimands == ("mediation via {m}",)


def test_no_comparable_query():
    g = nx.DiGraph([("x", "m"), ("m", "y"), ("x", "y")])
    (c,) = identify(g, "x", "y", effect="path", path=["x", "m", "y"],
                    cross_check="dowhy").cross_checks
    assert c.identifiable is None and "path-specific" in c.reason
    assert "not compared" in identify(g, "x", "y", effect="cde", mediators=["m"],
                                      cross_check="dowhy").summary()


@pytest.mark.parametrize("name, g, latent", CORPUS, ids=[c[0] for c in CORPUS])
def test_corpus_every_difference_explained(name, g, latent):
    r = identify(g, "x", "y", latent=latent, cross_check="dowhy")
    (c,) = r.cross_checks
    assert c.agrees or c.reason
    if r.strategy is not None and r.strategy.value == "backdoor":
        assert c.identifiable and any(e.startswith(("backdoor", "general")) for e in c.estimands)


def test_shown_in_summary_and_json():
    g = nx.DiGraph([("c", "x"), ("c", "y"), ("x", "y")])
    plain = identify(g, "x", "y")
    r = plain.cross_check("dowhy")
    assert r.cross_checks and not plain.cross_checks  # a new record; the old one is unchanged
    assert r == plain  # the verdict itself is the same
    assert "cross-check, dowhy" in r.summary() and "agrees" in r.summary()
    d = r.to_dict()
    assert d["cross_check"]["dowhy"]["agrees"] is True
    assert "cross_check" not in plain.to_dict()


def test_bad_library_and_bare_record():
    g = nx.DiGraph([("x", "y")])
    with pytest.raises(ArgumentError, match="`cross_check` must be one of 'dowhy'"):
        identify(g, "x", "y", cross_check="pgmpy")
    bare = Identification(effect="total", treatment="x", outcome="y", identifiable=True)
    with pytest.raises(ArgumentError, match="carries no graph"):
        cross_check(bare)


def test_cli_cross_check(capsys, tmp_path):
    f = tmp_path / "m.dagitty"
    f.write_text("dag { x -> m -> y  u -> m  u -> y  x -> y  u [latent] }")
    code = main(["identify", "--map", str(f), "--treatment", "x", "--outcome", "y",
                 "--effect", "nie", "--mediator", "m", "--cross-check", "dowhy"])
    out = capsys.readouterr().out
    assert code == 0 and "cross-check, dowhy" in out and "DIFFERS" in out
    assert "recanting district" in out
    code = main(["identify", "--treatment", "facilitation", "--outcome", "uptake",
                 "--cross-check", "dowhy", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert code == 0 and d["cross_check"]["dowhy"]["agrees"] is True
    assert d["cross_check"]["dowhy"]["estimands"][0] == "backdoor {}"
    code = main(["identify", "--treatment", "facilitation", "--outcome", "uptake",
                 "--cross-check", "dowhy", "--variants"])
    assert code == 2 and "`--cross-check`" in capsys.readouterr().err
