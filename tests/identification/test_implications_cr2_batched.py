"""The batched CR2 engine of test_implications against the dense per-cluster computation.

``_dense_ols_cr2`` is the implementation test_implications used before it was batched (commit
92baf54, facmech/identification/implications.py::_ols_cr2), kept here verbatim as the reference:
it forms every n_g x n_g block (I - H_gg)^(-1/2) with eigh and the n x G Bell-McCaffrey matrix.
"""

from __future__ import annotations

import warnings

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from facmech.errors import FewClustersWarning
from facmech.estimation.subsets import SubsetRegressions as BatchedOLS
from facmech.identification.implications import implications, test_implications


def _dense_ols_cr2(y, x, groups, j=1):
    bread = np.linalg.pinv(x.T @ x)
    beta = bread @ (x.T @ y)
    e = y - x @ beta
    meat = np.zeros_like(bread)
    ell = bread[:, j]
    cols = []
    order = np.argsort(groups, kind="stable")
    bounds = np.flatnonzero(np.diff(groups[order])) + 1
    for idx in np.split(order, bounds):
        xg = x[idx]
        h = xg @ bread @ xg.T
        w, q = np.linalg.eigh(np.eye(len(idx)) - h)
        a = (q / np.sqrt(np.maximum(w, 1e-12))) @ q.T
        s = xg.T @ (a @ e[idx])
        meat += np.outer(s, s)
        ag = a @ (xg @ ell)
        col = -x @ (bread @ (xg.T @ ag))
        col[idx] += ag
        cols.append(col)
    gm = np.column_stack(cols)
    m = gm.T @ gm
    df = float(np.trace(m) ** 2 / np.sum(m * m))
    return beta, bread @ meat @ bread, df


def _dense_table(graph, data, cluster):
    """test_implications' numbers computed one regression at a time with the dense engine."""
    groups = pd.factorize(data[cluster], sort=True)[0] if cluster else None
    out = []
    for m in implications(graph):
        y = data[m.y].to_numpy(float)
        x = np.column_stack([np.ones(len(data)), data[m.x].to_numpy(float),
                             *(data[z].to_numpy(float) for z in m.given)])
        if groups is not None:
            beta, cov, dfree = _dense_ols_cr2(y, x, groups)
        else:
            beta, *_ = np.linalg.lstsq(x, y, rcond=None)
            resid = y - x @ beta
            dfree = float(len(y) - x.shape[1])
            cov = np.linalg.inv(x.T @ x) * float(resid @ resid) / dfree
        est, se = beta[1], np.sqrt(cov[1, 1])
        t = stats.t.ppf(0.975, dfree)
        out.append([est, se, est - t * se, est + t * se, 2 * stats.t.sf(abs(est / se), dfree)])
    return np.array(out)


def _clustered_data(seed=11):
    # unequal site sizes (3 to 14 patients), a site-level context variable (rank-deficient
    # cluster blocks) and patient-level variables
    rng = np.random.default_rng(seed)
    sizes = rng.integers(3, 15, size=23)
    site = np.repeat(np.arange(23), sizes)
    c = np.repeat(rng.standard_normal(23), sizes)
    u = np.repeat(rng.standard_normal(23), sizes)
    n = len(site)
    f = 0.8 * c + rng.standard_normal(n)
    le = f + 0.5 * c + u + rng.standard_normal(n)
    acc = 0.7 * le + rng.standard_normal(n)
    up = acc + 0.4 * f + 1.5 * u + rng.standard_normal(n)
    out = 0.6 * up + rng.standard_normal(n)
    df = pd.DataFrame({"site": site, "c": c, "f": f, "le": le, "acc": acc, "up": up, "out": out})
    return df.sample(frac=1.0, random_state=1)  # sites not contiguous


def _graph():
    return nx.DiGraph([("c", "f"), ("c", "le"), ("f", "le"), ("le", "acc"), ("acc", "up"),
                       ("f", "up"), ("up", "out")])


@pytest.mark.parametrize("cluster", ["site", None])
def test_batched_matches_dense(cluster):
    # the batched engine reproduces the dense one to 1e-10 (relative) on every column
    df = _clustered_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        ours = test_implications(_graph(), df, site=cluster).to_frame()
    ref = _dense_table(_graph(), df, cluster)
    assert len(ours) == len(ref) > 5
    got = ours[["estimate", "std_error", "ci_low", "ci_high", "p_value"]].to_numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-13)


def test_leverage_one_floor_matches_dense():
    # a regressor non-zero in one row only gives that row leverage 1: I - H_gg is singular and
    # both engines floor its eigenvalue at 1e-12
    rng = np.random.default_rng(5)
    n = 60
    groups = np.repeat(np.arange(12), 5)
    spike = np.zeros(n)
    spike[7] = 1.0
    x = np.column_stack([np.ones(n), rng.standard_normal(n), spike, rng.standard_normal(n)])
    y = x[:, 1] + rng.standard_normal(n)
    z = np.column_stack([x, y])
    beta, cov, dfree = BatchedOLS(z, groups).cr2(np.array([[0, 1, 2, 3]]), np.array([4]))
    rb, rc, rd = _dense_ols_cr2(y, x, groups)
    np.testing.assert_allclose(beta[0], rb, rtol=1e-10)
    np.testing.assert_allclose(cov[0, 1, 1], rc[1, 1], rtol=1e-10)
    np.testing.assert_allclose(dfree[0], rd, rtol=1e-10)


def test_stacked_regressions_are_independent():
    # batching regressions of the same size gives the same numbers as fitting each alone
    df = _clustered_data(3)
    z = df[["c", "f", "le", "acc", "up", "out"]].to_numpy(float)
    z = np.column_stack([np.ones(len(z)), z])
    fit = BatchedOLS(z, pd.factorize(df["site"], sort=True)[0])
    cols = np.array([[0, 1, 2], [0, 3, 4], [0, 2, 5]])
    ycol = np.array([6, 5, 1])
    b, v, d = fit.cr2(cols, ycol)
    for i in range(3):
        b1, v1, d1 = fit.cr2(cols[i:i + 1], ycol[i:i + 1])
        np.testing.assert_allclose(b[i], b1[0], rtol=1e-12)
        np.testing.assert_allclose(v[i], v1[0], rtol=1e-12)
        np.testing.assert_allclose(d[i], d1[0], rtol=1e-12)


@pytest.mark.parametrize(("g0", "g1", "size"), [(5, 9, 1), (4, 7, 6)])
def test_binary_cluster_regressor_closed_forms(g0, g1, size):
    # Imbens & Kolesar (2016, Rev Econ Stat 98:701), binary regressor: the CR2 variance is the
    # Welch variance s0^2/G0 + s1^2/G1 of the cluster means (balanced clusters) and the
    # Bell-McCaffrey df is K_BM = (G0 + G1)^2 (G0 - 1)(G1 - 1) / (G1^2 (G1 - 1) + G0^2 (G0 - 1))
    rng = np.random.default_rng(g0 * 10 + size)
    n_sites = g0 + g1
    arm = np.r_[np.zeros(g0), np.ones(g1)]
    d = np.repeat(arm, size)
    y = 0.3 * d + np.repeat(rng.standard_normal(n_sites) * (1 + arm), size)
    y = y + rng.standard_normal(n_sites * size)
    df = pd.DataFrame({"site": np.repeat(np.arange(n_sites), size), "d": d, "y": y})
    g = nx.DiGraph()
    g.add_nodes_from(["d", "y"])  # d _||_ y: the regression of y on d
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        row = test_implications(g, df, site="site").to_frame().iloc[0]
    means = y.reshape(n_sites, size).mean(axis=1)
    welch = means[:g0].var(ddof=1) / g0 + means[g0:].var(ddof=1) / g1
    k_bm = n_sites**2 * (g0 - 1) * (g1 - 1) / (g1**2 * (g1 - 1) + g0**2 * (g0 - 1))
    assert row["estimate"] == pytest.approx(means[g0:].mean() - means[:g0].mean(), rel=1e-12)
    assert row["std_error"] == pytest.approx(np.sqrt(welch), rel=1e-12)
    t = stats.t.ppf(0.975, k_bm)
    assert row["ci_high"] - row["ci_low"] == pytest.approx(2 * t * np.sqrt(welch), rel=1e-10)


def test_chunked_batches_match(monkeypatch):
    # many clusters: regressions are stacked in chunks to bound memory; same numbers
    import facmech.estimation.subsets as cr2

    df = _clustered_data(4)
    z = np.column_stack([np.ones(len(df)), df[["c", "f", "le", "acc", "up"]].to_numpy(float)])
    groups = pd.factorize(df["site"], sort=True)[0]
    cols = np.array([[0, 1, 2], [0, 2, 3], [0, 3, 4], [0, 1, 4], [0, 2, 4]])
    ycol = np.array([5, 5, 1, 3, 1])
    whole = BatchedOLS(z, groups).cr2(cols, ycol)
    monkeypatch.setattr(cr2, "_CHUNK", 2 * 23 * 9)  # two regressions per chunk
    chunked = BatchedOLS(z, groups).cr2(cols, ycol)
    for a, b in zip(whole, chunked, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13)
