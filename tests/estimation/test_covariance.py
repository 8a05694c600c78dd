"""Covariance estimators of facmech.estimation.covariance against statsmodels and R clubSandwich.

References (none written here):

- statsmodels ``OLS(...).fit(cov_type=...)``: ``nonrobust``, ``HC0``-``HC3``, ``cluster`` with
  its default small-sample correction (= CR1) and with ``use_correction=False`` (= CR0);
- R clubSandwich 0.5.8 ``vcovCR(type = "CR2")`` and ``coef_test(test = "Satterthwaite")`` on the
  multisite data of tests/mediation with unequal site sizes
  (``results/cr2_bell_mccaffrey.R`` -> ``results/cr2_bell_mccaffrey.json``): the CR2 covariance
  and the Bell-McCaffrey degrees of freedom of every coefficient.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from facmech.errors import ArgumentError
from facmech.estimation.covariance import (
    Classical,
    Clustered,
    ModelPieces,
    Robust,
    SmallSample,
    cluster_sums,
)
from facmech.estimation.subsets import SubsetRegressions

RESULTS = Path(__file__).parent / "results"
CLUB = json.loads((RESULTS / "cr2_bell_mccaffrey.json").read_text())


@pytest.fixture(scope="module")
def replicates():
    """Three replicate data sets, 11 sites of unequal size, a site-level column."""
    rng = np.random.default_rng(7)
    sizes = rng.integers(3, 12, size=11)
    site = np.repeat(np.arange(11), sizes)
    n = site.size
    X = np.stack([np.column_stack([np.ones(n), rng.normal(size=n), rng.normal(size=11)[site]])
                  for _ in range(3)])
    y = X @ [0.2, 1.0, -0.5] + rng.normal(size=(3, n)) * (1 + np.abs(X[..., 1]))
    y = y + rng.normal(size=(3, 11))[:, site]
    return X, y, site


@pytest.mark.parametrize("kind", ["HC0", "HC1", "HC2", "HC3"])
def test_hc_equals_statsmodels(replicates, kind):
    X, y, _ = replicates
    V, df = Robust(kind).covariance([ModelPieces.least_squares(X, y)], None)
    assert df is None
    for r in range(3):
        ref = sm.OLS(y[r], X[r]).fit(cov_type=kind).cov_params()
        np.testing.assert_allclose(V[r], ref, rtol=1e-10)


def test_classical_equals_statsmodels(replicates):
    X, y, _ = replicates
    V, _ = Classical().covariance([ModelPieces.least_squares(X, y)], None)
    for r in range(3):
        np.testing.assert_allclose(V[r], sm.OLS(y[r], X[r]).fit().cov_params(), rtol=1e-10)


@pytest.mark.parametrize(("small_sample", "correction"), [("cr1", True), ("none", False),
                                                         ("cr0", False)])
def test_cr0_cr1_equal_statsmodels_cluster(replicates, small_sample, correction):
    X, y, site = replicates
    est = Clustered(small_sample=small_sample)
    V, df = est.covariance([ModelPieces.least_squares(X, y)], site)
    for r in range(3):
        ref = sm.OLS(y[r], X[r]).fit(cov_type="cluster", cov_kwds={
            "groups": site, "use_correction": correction}).cov_params()
        np.testing.assert_allclose(V[r], ref, rtol=1e-10)
    # between-within: 11 sites minus the intercept and the site-level column; none for CR0
    assert df == (9.0 if est.small_sample is SmallSample.CR1 else None)


def _club_case(name):
    d = pd.read_csv(Path(__file__).parents[1] / "mediation" / "results" / "multisite.csv")
    d = d[((np.arange(len(d)) + 1) % 7 != 0) | (d["site"] % 3 == 0)]  # as the R script
    assert len(d) == CLUB["rows"]
    formula = {"trust": "trust ~ facilitation + readiness + C(region)",
               "uptake": "uptake ~ facilitation * trust + readiness + C(region)"}[name]
    fit = smf.ols(formula, d).fit()
    X = np.asarray(fit.model.exog)
    # clubSandwich's column order (R's model.matrix): intercept, main effects, interaction
    names = [c.replace("C(region)[T.", "region").replace("]", "").replace("Intercept", "(Intercept)")
             for c in fit.model.exog_names]
    order = [names.index(c) for c in CLUB[name]["names"]]
    return X[:, order], np.asarray(fit.model.endog), pd.factorize(d["site"], sort=True)[0]


@pytest.mark.parametrize("name", ["trust", "uptake"])
def test_cr2_and_bell_mccaffrey_df_match_clubsandwich(name):
    X, y, site = _club_case(name)
    pieces = ModelPieces.least_squares(X, y)
    np.testing.assert_allclose(y - pieces.et[0], X @ np.array(CLUB[name]["coef"]), rtol=1e-10)
    V, df = Clustered(small_sample="cr2", df="bell-mccaffrey").covariance([pieces], site)
    np.testing.assert_allclose(V[0], np.array(CLUB[name]["cr2"]), rtol=1e-8, atol=1e-14)
    np.testing.assert_allclose(np.sqrt(np.diag(V[0])), CLUB[name]["se"], rtol=1e-8)
    assert df.shape == (1, X.shape[1])
    np.testing.assert_allclose(df[0], CLUB[name]["df"], rtol=1e-8)


def test_one_cr2_for_rows_and_gram_matrices():
    # implication tests (column subsets, Gram matrices only) and mediation (rows) give the same
    # CR2 covariance and Bell-McCaffrey df: there is one implementation
    X, y, site = _club_case("uptake")
    z = np.column_stack([X, y])
    cols = np.array([[0, 1, 2, 3], [0, 1, 2, 6]])
    _, cov, df = SubsetRegressions(z, site).cr2(cols, np.array([7, 7]), j=1)
    for i in range(2):
        pieces = ModelPieces.least_squares(X[:, cols[i]], y)
        V, nu = Clustered(df="bell-mccaffrey").covariance([pieces], site)
        np.testing.assert_allclose(cov[i], V[0], rtol=1e-10)
        assert df[i] == pytest.approx(nu[0, 1], rel=1e-10)


def test_stacked_models_keep_their_own_blocks_and_the_cross_covariance(replicates):
    X, y, site = replicates
    a = ModelPieces.least_squares(X, y)
    b = ModelPieces.least_squares(X[..., :2], y + X[..., 2])
    V, _ = Clustered().covariance([a, b], site)
    Va, _ = Clustered().covariance([a], site)
    Vb, _ = Clustered().covariance([b], site)
    np.testing.assert_allclose(V[:, :3, :3], Va, rtol=1e-12)
    np.testing.assert_allclose(V[:, 3:, 3:], Vb, rtol=1e-12)
    assert np.abs(V[:, :3, 3:]).max() > 1e-4


def test_cluster_sums():
    x = np.arange(12.0).reshape(6, 2)
    C, s = cluster_sums(x, np.ones(6), np.array([1, 0, 1, 0, 2, 2]))
    np.testing.assert_array_equal(C[0], x[[1, 3]].T @ x[[1, 3]])
    np.testing.assert_array_equal(s[2], x[4] + x[5])


def test_bad_arguments():
    with pytest.raises(ArgumentError, match="`df='bell-mccaffrey'` needs `small_sample='cr2'`"):
        Clustered(small_sample="cr1", df="bell-mccaffrey")
    with pytest.raises(ArgumentError, match="`small_sample` must be one of"):
        Clustered(small_sample="cr9")
    with pytest.raises(ArgumentError, match="`kind` must be one of 'HC0'"):
        Robust("HC5")
    with pytest.raises(ArgumentError, match="no `cluster`"):
        Clustered().covariance([ModelPieces.least_squares(np.ones((4, 1)), np.arange(4.0))], None)
    with pytest.raises(ArgumentError, match=r"codes 0\.\.G-1"):
        cluster_sums(np.ones((3, 1)), None, np.array([0, 2, 2]))
