"""check_adjustment / `facmech identify --check-adjustment` (issue 13): the verdict equals the
brute-force adjustment criterion (Shpitser, VanderWeele & Robins 2010, by path enumeration) and
the reason names what breaks it, on textbook graphs (confounder, mediator, M-bias, a descendant
of a mediator) and dagitty maps with [adjusted] defaults."""

from __future__ import annotations

import itertools
import json

import networkx as nx
import numpy as np
import pytest

import facmech
from facmech.cli import main
from facmech.identification import check_adjustment

from .conftest import _blocked, brute_valid_adjustment, random_dag


def test_confounder_left_out_names_the_open_back_door_path():
    g = nx.DiGraph([("c", "x"), ("c", "y"), ("x", "y")])
    r = check_adjustment(g, "x", "y", [])
    assert not r and r.open_path == ("x", "c", "y")
    assert r.reason == "the back-door path x <- c -> y stays open"
    assert r.valid_sets == (("c",),)
    ok = check_adjustment(g, "x", "y", ["c"])
    assert ok and ok.estimand == "sum_{c} P(y | x, c) P(c)"


def test_mediator_and_its_descendant_name_the_causal_path():
    g = nx.DiGraph([("x", "m"), ("m", "y"), ("m", "d")])
    r = check_adjustment(g, "x", "y", ["m"])
    assert not r and r.causal_path == ("x", "m", "y")
    assert r.reason.startswith("m lies on the causal path x -> m -> y")
    r = check_adjustment(g, "x", "y", ["d"])
    assert not r and r.causal_path == ("x", "m", "y")
    assert r.reason.startswith("d is a descendant of m, which lies on the causal path x -> m -> y")


def test_m_bias_collider_opened():
    g = nx.DiGraph([("a", "x"), ("a", "m"), ("b", "m"), ("b", "y"), ("x", "y")])
    r = check_adjustment(g, "x", "y", ["m"])
    assert not r and r.open_path == ("x", "a", "m", "b", "y")
    assert "x <- a -> m <- b -> y" in r.reason and "opens the collider m" in r.reason
    assert check_adjustment(g, "x", "y", ["m", "a"]).valid


def test_latent_member_and_treatment_member():
    g = nx.DiGraph([("u", "x"), ("u", "y"), ("x", "y")])
    r = check_adjustment(g, "x", "y", ["u"], latent=["u"])
    assert not r and r.unmeasured == ("u",) and "not measured" in r.reason
    assert r.valid_sets == ()
    assert "contains the treatment x" in check_adjustment(g, "x", "y", ["x"]).reason
    r = check_adjustment(g, "x", "y", [], latent=["u"])
    assert "through unmeasured {u}" in r.reason


@pytest.mark.parametrize("seed", range(40))
def test_verdict_equals_brute_force_criterion(seed):
    rng = np.random.default_rng(300 + seed)
    g = random_dag(rng, int(rng.integers(4, 8)), p=0.4)
    nodes = list(g.nodes)
    i, j = sorted(rng.choice(len(nodes), size=2, replace=False))
    x, y = nodes[i], nodes[j]
    for _ in range(5):
        z = {v for v in nodes if v not in (x, y) and rng.random() < 0.35}
        r = check_adjustment(g, x, y, z)
        assert r.valid == brute_valid_adjustment(g, x, y, z)
        if not r.valid:
            assert r.reason and (r.open_path or r.causal_path)
            if r.open_path:  # really open given z, and not a causal path
                p = r.open_path
                assert p[0] == x and p[-1] == y and not _blocked(g, p, z)
                assert not all(g.has_edge(a, b) for a, b in itertools.pairwise(p))


def test_builtin_map_api():
    m = facmech.load_map()
    r = facmech.check_adjustment(m, "facilitation", "uptake", ["leadership_engagement"])
    assert not r and r.causal_path[:2] == ("facilitation", "leadership_engagement")
    r = facmech.check_adjustment(m, "leadership_engagement", "uptake", [])
    assert not r and r.open_path[:2] == ("leadership_engagement", "facilitation")
    assert facmech.check_adjustment(m, "leadership_engagement", "uptake", ["facilitation"])


DAG = ("dag { X [exposure]; Y [outcome]; C [adjusted]; U [latent]; C -> X; C -> Y; X -> M; "
       "M -> Y; U -> X; U -> C }")


def test_cli_uses_the_maps_adjusted_default(tmp_path, capsys):
    f = tmp_path / "m.dagitty"
    f.write_text(DAG)
    assert main(["identify", "--map", str(f), "--check-adjustment"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("{C} is a valid adjustment set for the effect of X on Y")
    assert main(["identify", "--map", str(f), "--check-adjustment", "none", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["valid"] is False and d["open_path"] == ["X", "C", "Y"]
    assert d["valid_sets"] == [["C"]]
    assert main(["identify", "--map", str(f), "--check-adjustment", "C,M"]) == 0
    out = capsys.readouterr().out
    assert "NOT a valid" in out and "M lies on the causal path X -> M -> Y" in out


def test_cli_refuses_other_effects(capsys):
    code = main(["identify", "--treatment", "facilitation", "--outcome", "uptake",
                 "--effect", "nde", "--mediator", "champions", "--check-adjustment", "none"])
    assert code == 2
    assert "--check-adjustment" in capsys.readouterr().err
