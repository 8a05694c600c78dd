"""The ID algorithm: textbook verdicts and exact numerical checks against mutilated SCMs."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest

from facmech.graphs import latent_projection
from facmech.identification.id_algorithm import identify_interventional

from .conftest import random_dag
from .scm import BinarySCM, Evaluator, observed_table, true_interventional


def _check_numeric(g: nx.DiGraph, latent: set[str], x: str, y: str, seed: int) -> None:
    res = identify_interventional(latent_projection(g, latent), {y}, {x})
    assert res.identified
    scm = BinarySCM(g, np.random.default_rng(seed))
    table, names = observed_table(scm, latent)
    ev = Evaluator(scm, table, names)
    # free variables besides x and y (as z in the napkin) may take any value: the formula must not
    # depend on them
    extra = sorted(res.expression.free() - {x, y})
    for xv in (0, 1):
        truth = true_interventional(scm, y, {x: xv})
        for vals in itertools.product((0, 1), repeat=len(extra)):
            assign = {x: xv, y: 1, **dict(zip(extra, vals, strict=True))}
            assert ev.eval(res.expression, assign) == pytest.approx(truth, abs=1e-12)


def test_napkin_identified_and_exact(napkin_graph):
    # Pearl & Mackenzie (2018) napkin: identified by ID only (no back-door or front-door set).
    g, latent = napkin_graph
    _check_numeric(g, latent, "x", "y", seed=1)


def test_frontdoor_exact(frontdoor_graph):
    # Pearl (1995): P(y|do(x)) = sum_m P(m|x) sum_x' P(y|x',m) P(x').
    g, latent = frontdoor_graph
    _check_numeric(g, latent, "x", "y", seed=2)


@pytest.mark.parametrize(
    "edges, latent",
    [
        ([("x", "y"), ("u", "x"), ("u", "y")], {"u"}),  # bow arc
        ([("x", "z"), ("z", "y"), ("u", "x"), ("u", "z")], {"u"}),  # bow on x -> z (Tian 2002)
        ([("z", "x"), ("x", "y"), ("u", "x"), ("u", "y")], {"u"}),  # IV: not point-identified
    ],
)
def test_textbook_not_identified(edges, latent):
    res = identify_interventional(latent_projection(nx.DiGraph(edges), latent), {"y"}, {"x"})
    assert not res.identified
    assert res.hedge is not None


@pytest.mark.parametrize("seed", range(25))
def test_random_latent_graphs_exact_when_identified(seed):
    rng = np.random.default_rng(100 + seed)
    g = random_dag(rng, 6, p=0.45)
    nodes = list(g.nodes)
    for k in range(2):  # two latent confounders of random pairs
        a, b = rng.choice(nodes, size=2, replace=False)
        g.add_edge(f"u{k}", a)
        g.add_edge(f"u{k}", b)
    x, y = nodes[int(rng.integers(0, 3))], nodes[int(rng.integers(3, 6))]
    res = identify_interventional(latent_projection(g, {"u0", "u1"}), {y}, {x})
    if res.identified:
        _check_numeric(g, {"u0", "u1"}, x, y, seed)


def test_builtin_map_id_formula_exact():
    # coherence -> uptake on the built-in map (socialization, peer_experience latent): no
    # adjustment set, identified by ID; checked exactly on a random binary SCM over the 17
    # ancestors of uptake (2**17 joint cells)
    from facmech.formats import load_map
    from facmech.graphs import ancestors_of
    from facmech.identification._query import prepare_graph

    q = prepare_graph(load_map())
    g = q.graph.subgraph(ancestors_of(q.graph, ["uptake"])).copy()
    latent = set(q.latent) & set(g)
    _check_numeric(g, latent, "coherence", "uptake", seed=11)
