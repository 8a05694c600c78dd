"""Covariance estimators against statsmodels and the CR2 definition; resampling objects."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sl
import statsmodels.api as sm

from facmech.estimation.covariance import ModelPieces
from facmech.estimation.fit import irls, wls
from facmech.mediation import Bootstrap, Classical, Clustered, MonteCarlo, Robust, mediate_arrays
from facmech.mediation.spec import Family
from facmech.mediation.synthetic import synthetic_trials


@pytest.fixture(scope="module")
def ols_case():
    rng = np.random.default_rng(0)
    G = 7
    cl = np.repeat(np.arange(G), 6)
    n = cl.size
    X = np.c_[np.ones(n), rng.normal(size=(n, 2)), cl % 2]
    y = X @ [1, 2, 3, 0.5] + rng.normal(size=n) + rng.normal(size=G)[cl]
    fit = sm.OLS(y, X).fit()
    B = np.linalg.inv(X.T @ X)
    pieces = ModelPieces(X[None], (y - X @ fit.params)[None], B[None], np.array([fit.scale]),
                         X[None])
    return X, y, cl, fit, pieces


def test_cr1_matches_statsmodels_cluster(ols_case):
    _X, _y, cl, fit, pieces = ols_case
    V, df = Clustered(small_sample="cr1").covariance([pieces], cl)
    ref = fit.get_robustcov_results("cluster", groups=cl).cov_params()
    np.testing.assert_allclose(V[0], ref, rtol=1e-10)
    assert df == 7 - 2  # between-within: 7 sites minus intercept and the site-level column


def test_hc3_and_classical_match_statsmodels(ols_case):
    _X, _y, _cl, fit, pieces = ols_case
    np.testing.assert_allclose(Robust("HC3").covariance([pieces], None)[0][0],
                               fit.get_robustcov_results("HC3").cov_params(), rtol=1e-10)
    np.testing.assert_allclose(Robust("HC1").covariance([pieces], None)[0][0],
                               fit.get_robustcov_results("HC1").cov_params(), rtol=1e-10)
    np.testing.assert_allclose(Classical().covariance([pieces], None)[0][0], fit.cov_params(),
                               rtol=1e-10)


def test_cr2_matches_definition(ols_case):
    # Bell & McCaffrey (2002): residuals of site g multiplied by (I - H_gg)^(-1/2)
    X, y, cl, fit, pieces = ols_case
    B = np.linalg.inv(X.T @ X)
    e = y - X @ fit.params
    meat = np.zeros((4, 4))
    for g in np.unique(cl):
        i = cl == g
        Ag = sl.fractional_matrix_power(np.eye(i.sum()) - X[i] @ B @ X[i].T, -0.5).real
        s = X[i].T @ Ag @ e[i]
        meat += np.outer(s, s)
    V, df = Clustered(small_sample="cr2").covariance([pieces], cl)
    np.testing.assert_allclose(V[0], B @ meat @ B, rtol=1e-8)
    assert df == 5


def test_glm_sandwich_matches_statsmodels_scores_and_expected_hessian():
    # Bread from the expected information (as R sandwich::vcovCL does for glm fits, which R
    # mediation's robustSE uses); scores and Hessian computed by statsmodels' GLM probit model.
    rng = np.random.default_rng(2)
    cl = np.repeat(np.arange(30), 10)
    X = np.c_[np.ones(300), rng.normal(size=(300, 2))]
    y = (rng.random(300) < 1 / (1 + np.exp(-(X @ [0.2, 1, -0.5])))).astype(float)
    fit = irls(X[None], y[None], Family.PROBIT)
    model = sm.GLM(y, X, family=sm.families.Binomial(sm.families.links.Probit()))
    ref = model.fit(tol=1e-13)
    np.testing.assert_allclose(fit.coef[0, 0], ref.params, rtol=1e-7)
    bread = np.linalg.inv(-model.hessian(ref.params, observed=False))
    scores = model.score_obs(ref.params)
    meat = sum(np.outer(s, s) for s in (scores[cl == g].sum(0) for g in range(30)))
    G, n, K = 30, 300, 3
    expected = G / (G - 1) * (n - 1) / (n - K) * bread @ meat @ bread
    from facmech.mediation.engine import _pieces

    pieces = _pieces(X[None], y[None], fit.coef[:, 0], fit.sigma[:, 0], Family.PROBIT)
    V, _ = Clustered(small_sample="cr1").covariance([pieces], cl)
    np.testing.assert_allclose(V[0], expected, rtol=1e-6)


def test_weighted_ols_equals_refit_on_resampled_rows():
    rng = np.random.default_rng(3)
    X = np.c_[np.ones(50), rng.normal(size=(50, 2))]
    y = X @ [1, -1, 2] + rng.normal(size=50)
    idx = rng.integers(0, 50, 50)
    w = np.bincount(idx, minlength=50).astype(float)
    fit = wls(X[None], y[None], w[None, None])
    ref = sm.OLS(y[idx], X[idx]).fit()
    np.testing.assert_allclose(fit.coef[0, 0], ref.params, rtol=1e-10)
    assert fit.sigma[0, 0] == pytest.approx(np.sqrt(ref.scale))


def test_bootstrap_weights_stratified_by_arm():
    cl = np.repeat(np.arange(10), 3)
    strata = np.array([0, 1] * 5)
    w = Bootstrap(draws=200).weights(np.random.default_rng(1), cl, strata)
    per_site = w[:, ::3]
    assert np.all(per_site[:, strata == 0].sum(axis=1) == 5)
    assert np.all(per_site[:, strata == 1].sum(axis=1) == 5)


def test_same_seed_same_numbers_and_bootstrap_close_to_monte_carlo():
    tr = synthetic_trials(replicates=1, sites=30, patients=20, seed=4)
    args = (tr.treatment, tr.mediators, tr.outcome, tr.covariates)
    a = mediate_arrays(*args, site=tr.cluster, inference=MonteCarlo(500), seed=9)
    b = mediate_arrays(*args, site=tr.cluster, inference=MonteCarlo(500), seed=9)
    np.testing.assert_array_equal(a.ci_low, b.ci_low)
    boot = mediate_arrays(*args, site=tr.cluster, inference=Bootstrap(2000), seed=9)
    np.testing.assert_array_equal(boot.estimate, a.estimate)
    i = a.names.index("nie")
    # two consistent estimators of the same SE: agree within ~20% at 30 sites
    assert boot.std_error[0, i] == pytest.approx(a.std_error[0, i], rel=0.2)


def test_bootstrap_binary_outcome_batched_irls():
    tr = synthetic_trials(replicates=1, sites=20, patients=30, seed=5)
    y01 = (tr.outcome > 0.5).astype(float)
    out = mediate_arrays(tr.treatment, tr.mediators, y01, tr.covariates, site=tr.cluster,
                         outcome_family="probit", inference=Bootstrap(300), seed=2,
                         keep_draws=True)
    assert out.failed_draws[0] == 0
    assert np.all(np.isfinite(out.draws))
    i = out.names.index("total")
    assert out.ci_low[0, i] < out.estimate[0, i] < out.ci_high[0, i]


def test_bell_mccaffrey_df_is_refused_for_monte_carlo_draws():
    from facmech.errors import ArgumentError

    tr = synthetic_trials(replicates=1, sites=12, patients=5, seed=1)
    with pytest.raises(ArgumentError, match="one df per coefficient"):
        mediate_arrays(tr.treatment, tr.mediators, tr.outcome, tr.covariates, site=tr.cluster,
                       inference=MonteCarlo(50, Clustered(df="bell-mccaffrey")), seed=1)
