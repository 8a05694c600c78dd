"""Minimal adjustment sets against textbook graphs and a brute-force adjustment criterion."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from facmech.identification.adjustment import is_adjustment_set, minimal_adjustment_sets

from .conftest import brute_minimal_sets, brute_valid_adjustment, random_dag


def test_mbias_empty_set_and_collider():
    # Greenland, Pearl & Robins (1999) M-bias: {} valid, {m} opens a -> m <- b; dagitty gives {}.
    g = nx.DiGraph([("a", "x"), ("a", "m"), ("b", "m"), ("b", "y"), ("x", "y")])
    assert minimal_adjustment_sets(g, {"x"}, {"y"}) == [frozenset()]
    assert not is_adjustment_set(g, {"x"}, {"y"}, {"m"})
    assert is_adjustment_set(g, {"x"}, {"y"}, {"m", "b"})


def test_confounder_triangle_textbook():
    # Pearl (2009), Fig. 3.4-style: z1 -> z3 <- z2, z1 -> x, z2 -> y, z3 -> x, z3 -> y, x -> w -> y
    # dagitty adjustmentSets(type="minimal") gives {z1, z3} and {z2, z3}.
    g = nx.DiGraph(
        [("z1", "z3"), ("z2", "z3"), ("z1", "x"), ("z2", "y"), ("z3", "x"), ("z3", "y"),
         ("x", "w"), ("w", "y")]
    )
    assert minimal_adjustment_sets(g, {"x"}, {"y"}) == [
        frozenset({"z1", "z3"}), frozenset({"z2", "z3"})
    ]


def test_latent_confounder_leaves_no_set():
    g = nx.DiGraph([("u", "x"), ("u", "y"), ("x", "y")])
    assert minimal_adjustment_sets(g, {"x"}, {"y"}, observed={"x", "y"}) == []


@pytest.mark.parametrize("seed", range(60))
def test_random_graphs_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 9))
    g = random_dag(rng, n, p=0.4)
    nodes = list(g.nodes)
    i, j = sorted(rng.choice(n, size=2, replace=False))
    x, y = nodes[i], nodes[j]
    latent = {v for v in nodes if v not in (x, y) and rng.random() < 0.25}
    observed = set(nodes) - latent
    ours = minimal_adjustment_sets(g, {x}, {y}, observed=observed)
    assert ours == brute_minimal_sets(g, x, y, observed)
    for z in ours:
        assert brute_valid_adjustment(g, x, y, set(z))


@pytest.mark.parametrize("seed", range(30))
def test_is_adjustment_set_matches_brute_force_for_every_subset(seed):
    # every subset of the other nodes, the empty set included (the no-copy fast path: no common
    # ancestor of x and y in the proper back-door graph)
    import itertools

    rng = np.random.default_rng(100 + seed)
    g = random_dag(rng, int(rng.integers(4, 7)), p=0.45)
    nodes = list(g.nodes)
    i, j = sorted(rng.choice(len(nodes), size=2, replace=False))
    x, y = nodes[i], nodes[j]
    rest = [v for v in nodes if v not in (x, y)]
    for k in range(len(rest) + 1):
        for z in itertools.combinations(rest, k):
            assert is_adjustment_set(g, {x}, {y}, set(z)) == brute_valid_adjustment(g, x, y, set(z))


@pytest.mark.parametrize("seed", range(30))
def test_is_adjustment_set_for_sets_matches_the_copied_backdoor_graph(seed):
    # several treatments (as the mediation formula asks): the criterion on an explicit copy of
    # the proper back-door graph, as computed before the graph stopped being copied
    from facmech.graphs import d_separated
    from facmech.identification.adjustment import forbidden_nodes, proper_backdoor_graph

    rng = np.random.default_rng(200 + seed)
    g = random_dag(rng, 8, p=0.35)
    nodes = list(g.nodes)
    for _ in range(10):
        pick = list(rng.choice(len(nodes), size=4, replace=False))
        xs, ys = {nodes[pick[0]], nodes[pick[1]]}, {nodes[pick[2]]}
        z = {v for v in nodes if v not in xs | ys and rng.random() < 0.3}
        for zz in (z, set()):
            ref = not (zz & forbidden_nodes(g, xs, ys)) and d_separated(
                proper_backdoor_graph(g, xs, ys), xs, ys, zz)
            assert is_adjustment_set(g, xs, ys, zz) == ref
