"""Shared fixtures: canonical small graphs and an independent brute-force adjustment criterion."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest


def random_dag(rng: np.random.Generator, n: int, p: float) -> nx.DiGraph:
    """A random DAG on v0..v{n-1}: each forward pair gets an edge with probability p."""
    g = nx.DiGraph()
    names = [f"v{i}" for i in range(n)]
    g.add_nodes_from(names)
    for i, j in itertools.combinations(range(n), 2):
        if rng.random() < p:
            g.add_edge(names[i], names[j])
    return g


def _blocked(g: nx.DiGraph, path: tuple[str, ...], z: set[str]) -> bool:
    for i in range(1, len(path) - 1):
        a, v, b = path[i - 1], path[i], path[i + 1]
        collider = g.has_edge(a, v) and g.has_edge(b, v)
        if collider:
            if v not in z and not (nx.descendants(g, v) & z):
                return True
        elif v in z:
            return True
    return False


def brute_valid_adjustment(g: nx.DiGraph, x: str, y: str, z: set[str]) -> bool:
    """Adjustment criterion by explicit path enumeration (Shpitser, VanderWeele & Robins 2010)."""
    causal = [tuple(p) for p in nx.all_simple_paths(g, x, y)]
    on_causal = {v for p in causal for v in p[1:]}
    forb = set(on_causal)
    for v in on_causal:
        forb |= nx.descendants(g, v)
    if z & (forb | {x}):
        return False
    und = g.to_undirected()
    causal_set = set(causal)
    for p in nx.all_simple_paths(und, x, y):
        p = tuple(p)
        if p in causal_set:
            continue
        if not _blocked(g, p, z):
            return False
    return True


def brute_minimal_sets(g: nx.DiGraph, x: str, y: str, observed: set[str]) -> list[frozenset]:
    cands = sorted(observed - {x, y})
    valid = [
        frozenset(s)
        for k in range(len(cands) + 1)
        for s in itertools.combinations(cands, k)
        if brute_valid_adjustment(g, x, y, set(s))
    ]
    minimal = [s for s in valid if not any(t < s for t in valid)]
    return sorted(minimal, key=lambda s: (len(s), sorted(s)))


@pytest.fixture
def frontdoor_graph() -> tuple[nx.DiGraph, set[str]]:
    """Pearl (1995): x -> m -> y with a latent u confounding x and y."""
    return nx.DiGraph([("u", "x"), ("u", "y"), ("x", "m"), ("m", "y")]), {"u"}


@pytest.fixture
def napkin_graph() -> tuple[nx.DiGraph, set[str]]:
    """The napkin (Pearl & Mackenzie 2018): w -> z -> x -> y, w <-> x (u1), w <-> y (u2)."""
    g = nx.DiGraph(
        [("w", "z"), ("z", "x"), ("x", "y"), ("u1", "w"), ("u1", "x"), ("u2", "w"), ("u2", "y")]
    )
    return g, {"u1", "u2"}
