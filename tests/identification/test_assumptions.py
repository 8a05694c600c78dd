"""Assumptions as data: identification records carry Assumption records (kind, nodes, given,
text) and every consumer (summaries, JSON, DoWhy's estimand, mediation results) reads them."""

from __future__ import annotations

import json

import networkx as nx
import pytest

from facmech.errors import ArgumentError
from facmech.identification import identify
from facmech.identification.assumptions import (
    Assumption,
    AssumptionKind,
    as_assumptions,
    no_unmeasured_confounding,
    to_dowhy_assumptions,
)


def test_backdoor_assumptions_typed():
    g = nx.DiGraph([("c", "x"), ("c", "y"), ("x", "y")])
    r = identify(g, "x", "y")
    kinds = [a.kind for a in r.assumptions]
    assert kinds == [AssumptionKind.NO_UNMEASURED_CONFOUNDING, AssumptionKind.COMPLETE_MAP,
                     AssumptionKind.CONSISTENCY, AssumptionKind.POSITIVITY]
    nuc, _, _, pos = r.assumptions
    assert nuc.nodes == ("x", "y") and nuc.given == ("c",)
    assert nuc.text == "no unmeasured confounding of x and y given {c}"
    assert pos.nodes == ("x",) and pos.given == ("c",)
    assert [a for a in r.assumptions if a.mentions("c")] == [nuc, pos]


def test_frontdoor_iv_null_and_natural_kinds(frontdoor_graph):
    g, latent = frontdoor_graph
    fd = identify(g, "x", "y", latent=latent)
    assert fd.assumptions[0].kind is AssumptionKind.FRONT_DOOR
    assert fd.assumptions[2].nodes == ("m", "y") and fd.assumptions[2].given == ("x",)
    iv = identify(nx.DiGraph([("z", "x"), ("x", "y"), ("u", "x"), ("u", "y")]), "x", "y",
                  latent=["u"])
    assert [a.kind for a in iv.assumptions] == [AssumptionKind.PARAMETRIC]
    assert iv.assumptions[0].nodes == ("z", "x", "y")
    null = identify(nx.DiGraph([("x", "m"), ("y", "m")]), "x", "y")
    assert AssumptionKind.NULL_EFFECT in {a.kind for a in null.assumptions}
    vvr = nx.DiGraph([("x", "l"), ("l", "m"), ("l", "y"), ("x", "m"), ("m", "y"), ("x", "y")])
    nie = identify(vvr, "x", "y", effect="nie", mediators=["l"])
    kinds = {a.kind for a in nie.assumptions}
    assert {AssumptionKind.CROSS_WORLD_INDEPENDENCE, AssumptionKind.NO_RECANTING_WITNESS} <= kinds


def test_renderings_use_the_text():
    r = identify(nx.DiGraph([("c", "x"), ("c", "y"), ("x", "y")]), "x", "y")
    assert "    - no unmeasured confounding of x and y given {c}" in r.summary()
    d = json.loads(r.to_json())
    assert d["assumptions"][0] == "no unmeasured confounding of x and y given {c}"
    ext = r.to_dict(extended=True)["assumption_records"][0]
    assert ext == {"kind": "no-unmeasured-confounding", "text": d["assumptions"][0],
                   "nodes": ["x", "y"], "given": ["c"]}


def test_dowhy_form_numbers_repeated_kinds():
    out = to_dowhy_assumptions([no_unmeasured_confounding(("x", "y")),
                                no_unmeasured_confounding(("m", "y"), given=("x",))])
    assert list(out) == ["no-unmeasured-confounding", "no-unmeasured-confounding (2)"]
    assert out["no-unmeasured-confounding (2)"] == "no unmeasured confounding of m and y given {x}"


def test_coercion_and_validation():
    a = Assumption("positivity", "every arm in every site")
    assert a.kind is AssumptionKind.POSITIVITY and str(a) == "every arm in every site"
    assert as_assumptions(["s", "s", a])[0].kind is AssumptionKind.OTHER
    assert len(as_assumptions(["s", "s", a])) == 2
    with pytest.raises(ArgumentError, match="`kind` must be one of"):
        Assumption("exchangeable", "x")
    with pytest.raises(ArgumentError, match="`text` must be a non-empty string"):
        Assumption("other", " ")
    with pytest.raises(ArgumentError, match="must be an Assumption or a string"):
        Assumption.coerce(3)
    with pytest.raises(AttributeError):
        a.text = "changed"  # frozen
