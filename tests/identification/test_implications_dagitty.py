"""Implied conditional independencies against dagitty, and the regression tests on data."""

from __future__ import annotations

import warnings

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from facmech.errors import DataError, FewClustersWarning
from facmech.identification.implications import implications, test_implications


def _commentator1() -> tuple[nx.DiGraph, set[str]]:
    # dagitty test suite, TestGraphs.commentator1 (A, B, C latent)
    edges = [("A", "W2"), ("A", "W1"), ("B", "W1"), ("B", "X"), ("C", "Y"), ("C", "W2"),
             ("V", "Z1"), ("V", "Z2"), ("W1", "Z1"), ("W2", "Z2"), ("X", "Y"), ("Z1", "X"),
             ("Z2", "Y")]
    return nx.DiGraph(edges), {"A", "B", "C"}


def test_commentator1_matches_dagitty():
    # dagitty's QUnit test "testable implications":
    # imp_2_str(GraphAnalyzer.listMinimalImplications(TestGraphs.commentator1()))
    expected = """X _||_ V | W1, Z1
X _||_ Z2 | V, W2
X _||_ Z2 | W1, W2, Z1
Y _||_ V | W1, W2, Z1, Z2
V _||_ W1
V _||_ W2
W1 _||_ Z2 | W2
W2 _||_ Z1 | W1
Z1 _||_ Z2 | V, W2
Z1 _||_ Z2 | V, W1"""

    def key(line: str) -> tuple[frozenset, tuple]:
        pair, _, given = line.partition(" | ")
        a, b = pair.split(" _||_ ")
        return frozenset((a, b)), tuple(sorted(given.split(", "))) if given else ()

    g, latent = _commentator1()
    ours = {key(str(m)) for m in implications(g, latent=latent)}
    assert ours == {key(line) for line in expected.splitlines()}


def test_chain_and_latent_mediator():
    # dagitty ?impliedConditionalIndependencies: x -> m -> y gives one; none when m is latent
    g = nx.DiGraph([("x", "m"), ("m", "y")])
    assert [str(m) for m in implications(g)] == ["x _||_ y | m"]
    assert implications(g, latent=["m"]) == ()


def _sim(rng, n_sites, per_site, direct):
    site = np.repeat(np.arange(n_sites), per_site)
    x = np.repeat(rng.standard_normal(n_sites), per_site)  # site-level treatment
    m = x + rng.standard_normal(n_sites * per_site)
    u = np.repeat(rng.standard_normal(n_sites), per_site)  # site effect on y only
    y = m + direct * x + 2.0 * u + rng.standard_normal(n_sites * per_site)
    return pd.DataFrame({"site": site, "x": x, "m": m, "y": y})


def test_size_cluster_robust_vs_naive():
    # x _||_ y | m holds; y has a site-level error, x is site-level: naive OLS over-rejects,
    # the cluster-robust test (CR2, Bell-McCaffrey df) keeps its level (Monte Carlo, 300
    # replicates here; 6.2% in 2000 replicates, naive OLS about 33%).
    g = nx.DiGraph([("x", "m"), ("m", "y")])
    rng = np.random.default_rng(2024)
    rej_cl = rej_naive = 0
    reps = 300
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        for _ in range(reps):
            df = _sim(rng, 30, 10, direct=0.0)
            rej_cl += test_implications(g, df, site="site").falsified
            rej_naive += test_implications(g, df).falsified
    # binomial SE at 5% with 300 reps is 1.3 points: allow 3 SE
    assert abs(rej_cl / reps - 0.05) < 0.04
    assert rej_naive / reps > 0.2


def test_power_detects_missing_arrow():
    g = nx.DiGraph([("x", "m"), ("m", "y")])
    df = _sim(np.random.default_rng(7), 40, 10, direct=1.0)
    res = test_implications(g, df, site="site")
    assert res.falsified
    row = res.to_frame().iloc[0]
    assert row["implication"] == "x _||_ y | m"
    assert row["ci_low"] < 1.0 < row["ci_high"]  # the omitted x -> y coefficient is 1
    assert "FALSIFIED" in res.summary()


def test_bad_data():
    g = nx.DiGraph([("x", "m"), ("m", "y")])
    df = pd.DataFrame({"x": [1.0, 2, 3, 4], "m": [1.0, 2, 3, 5]})
    with pytest.raises(DataError, match="'y'"):
        test_implications(g, df)
    df["y"] = [1.0, np.nan, 2, 3]
    with pytest.raises(DataError):
        test_implications(g, df)
    before = df.copy()
    df["y"] = [1.0, 0.5, 2, 3]
    before = df.copy()
    test_implications(g, df)
    pd.testing.assert_frame_equal(df, before)
