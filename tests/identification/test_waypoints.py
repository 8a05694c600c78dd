"""Waypoint paths: the set of directed paths through named nodes, identified as a set.

Reference: Avin, Shpitser & Pearl (2005, IJCAI), Thm 2 -- in a DAG without latent variables the
effect along a set ``g`` of paths is identified iff there is no recanting witness ``w``: a path
``p1`` from ``x`` to ``w`` and continuations ``p2``, ``p3`` to ``y`` with ``p1 p2`` in ``g`` and
``p1 p3`` not. The brute-force check below enumerates the paths and applies that definition
literally; facmech decides the same question without enumerating paths.
"""

from __future__ import annotations

import itertools
import json
import random

import networkx as nx
import pytest

import facmech
from facmech.cli import main
from facmech.identification import QueryError, identify
from facmech.identification.waypoints import count_waypoint_paths, waypoint_paths

MAP = facmech.load_map()


def _through(p, wps):
    it = iter(p)
    return all(w in it for w in wps)  # visits the waypoints in order


def _avin_identified(g, x, y, in_g):
    paths = [tuple(p) for p in nx.all_simple_paths(g, x, y)]
    ing = [p for p in paths if in_g(p)]
    out = [p for p in paths if not in_g(p)]
    for p in ing:
        for q in out:
            if len(p) > 2 and len(q) > 2 and p[:2] == q[:2]:
                return False  # common prefix x -> w, then they part: w recants
    return True


def test_builtin_waypoint_path_covers_its_five_paths_and_is_not_identified():
    wps = ["leadership_engagement", "trust", "normalization"]
    r = identify(MAP, path=wps)
    g = MAP.to_networkx()
    expected = sorted(tuple(p) for p in nx.all_simple_paths(g, wps[0], wps[-1]) if "trust" in p)
    assert len(expected) == 5
    assert r.waypoints and r.path_count == 5 and sorted(r.paths) == expected
    assert (r.treatment, r.outcome, r.effect.value) == ("leadership_engagement", "normalization",
                                                        "path")
    # champions: child of leadership engagement on g (-> role_clarity -> ... -> trust) and off g
    # (champions -> normalization directly)
    assert g.has_edge("champions", "normalization")
    assert not r.identifiable and r.witness == "champions"
    assert "5 directed paths" in r.summary() and r.summary().count("    leadership_engagement ->") == 5


def test_treatment_and_outcome_added_to_waypoints():
    r = identify(MAP, "facilitation", "uptake", path=["trust"])
    assert r.path == ("facilitation", "trust", "uptake")
    assert r.path_count == count_waypoint_paths(MAP.to_networkx(), r.path) == 11
    assert r.witness == "leadership_engagement" and not r.identifiable


def test_adjacent_path_keeps_its_meaning():
    path = ["facilitation", "problem_solving", "capacity", "trust", "normalization", "uptake"]
    r = identify(MAP, path=path)
    assert not r.waypoints and r.path == tuple(path) and r.identifiable
    assert r.summary().startswith(f"path-specific effect along {' -> '.join(path)}: identified")


@pytest.mark.parametrize("seed", range(40))
def test_random_dags_agree_with_the_recanting_witness_definition(seed):
    rng = random.Random(seed)
    n = 7
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    for i in range(n):
        for j in range(i + 1, n):
            if rng.random() < 0.45:
                g.add_edge(i, j)
    g = nx.relabel_nodes(g, {i: f"v{i}" for i in range(n)})
    g.add_edges_from([("v0", "v1"), ("v1", "v3"), ("v3", "v5"), ("v5", "v6")])
    inner = [v for v in nx.descendants(g, "v0") & nx.ancestors(g, "v6")]
    checked = 0
    for w in sorted(inner):
        for w2 in sorted(inner):
            wps = [w] if w == w2 else [w, w2]
            if len(wps) == 2 and w2 not in nx.descendants(g, w):
                continue
            seq = ["v0", *wps, "v6"]
            r = identify(g, path=seq)
            adjacent = all(g.has_edge(a, b) for a, b in itertools.pairwise(seq))
            in_g = (lambda p, s=tuple(seq): p == s) if adjacent else (
                lambda p, w=wps: _through(p, w))
            assert r.waypoints is not adjacent
            assert r.identifiable == _avin_identified(g, "v0", "v6", in_g), seq
            if r.waypoints:
                assert r.path_count == sum(_through(p, wps) for p in nx.all_simple_paths(
                    g, "v0", "v6"))
            checked += 1
    assert checked > 0


def test_unmeasured_waypoint():
    # the projected arrow x -> y stands for x -> w -> y and x -> y: paths through w are not
    # separable from the direct path (the natural indirect effect through a latent mediator)
    g = nx.DiGraph([("x", "w"), ("w", "y"), ("x", "y"), ("x", "a"), ("a", "y")])
    r = identify(g, path=["x", "w", "y"], latent=["w"])
    assert not r.identifiable and r.witness == "w"
    assert "measuring {w} makes it identified" in r.reason
    # every route folded into a -> y passes w: the set is the projection's paths using a -> y
    g2 = nx.DiGraph([("x", "a"), ("a", "w"), ("w", "y"), ("x", "y")])
    r2 = identify(g2, path=["x", "w", "y"], latent=["w"])
    assert r2.identifiable and r2.path_count == 1
    assert r2.identifiable == identify(g2, path=["x", "a", "w", "y"]).identifiable


def test_no_path_through_the_waypoints_is_an_error():
    with pytest.raises(QueryError, match="no directed path from trust to champions"):
        identify(MAP, path=["facilitation", "trust", "champions", "uptake"])


def test_paging_through_the_paths():
    wps = ["facilitation", "trust", "uptake"]
    allp = waypoint_paths(MAP, wps, limit=None)
    assert len(allp) == 11 and waypoint_paths(MAP, wps, start=10, limit=5) == allp[10:]


def test_cli_waypoints(capsys):
    code = main(["identify", "--path", "leadership_engagement,trust,normalization", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert code == 0 and d["path_count"] == 5 and len(d["paths"]) == 5
    assert d["treatment"] == "leadership_engagement" and d["witness"] == "champions"
    assert main(["identify", "--outcome", "uptake"]) == 2
    assert "required: --treatment" in capsys.readouterr().err
