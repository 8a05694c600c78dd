"""The batched fits of facmech.estimation.fit against statsmodels, one fit at a time.

References (none written here): statsmodels ``OLS``, ``WLS`` and ``GLM`` (Gaussian with
``freq_weights`` for the residual SD of frequency-weighted least squares; Binomial with the logit
and probit links, fitted to ``tol=1e-13``). Every replicate ``r`` and draw ``b`` of a batched fit
must equal statsmodels on that replicate's data and weights to 1e-8.
"""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from facmech.errors import ArgumentError, EstimationError
from facmech.estimation.fit import BatchFit, Link, design_keep, irls, solve_normal, wls

TOL = 1e-8


def _design(rng, R, n, K):
    X = np.concatenate([np.ones((R, n, 1)), rng.normal(size=(R, n, K - 1))], axis=2)
    X[..., -1] = (X[..., -1] > 0).astype(float)  # a binary column, as a treatment
    return X


def _binary(rng, X, beta, link):
    eta = X @ beta
    p = 1 / (1 + np.exp(-eta)) if link == "logit" else sm.families.links.Probit().inverse(eta)
    return (rng.random(p.shape) < p).astype(float)


def _glm(y, X, link, w=None):
    fam = sm.families.Binomial(sm.families.links.Logit() if link == "logit"
                               else sm.families.links.Probit())
    return sm.GLM(y, X, family=fam, freq_weights=w).fit(tol=1e-13)


@pytest.fixture(scope="module")
def stack():
    rng = np.random.default_rng(20)
    R, B, n, K = 3, 4, 120, 4
    X = _design(rng, R, n, K)
    y = X @ [0.5, 1.0, -0.4, 0.3] + rng.normal(size=(R, n))
    W = rng.multinomial(n, np.full(n, 1 / n), size=(R, B)).astype(float)
    return rng, X, y, W


def test_ols_equals_statsmodels_on_every_replicate(stack):
    _, X, y, _ = stack
    fit = wls(X, y)
    assert isinstance(fit, BatchFit) and fit.coef.shape == (3, 1, 4)
    for r in range(3):
        ref = sm.OLS(y[r], X[r]).fit()
        np.testing.assert_allclose(fit.coef[r, 0], ref.params, rtol=TOL)
        assert fit.sigma[r, 0] == pytest.approx(np.sqrt(ref.scale), rel=TOL)
        assert fit.df[r, 0] == ref.df_resid
        np.testing.assert_allclose(np.linalg.inv(fit.gram[r, 0]), ref.normalized_cov_params,
                                   rtol=TOL)
    assert fit.ok.all()


def test_frequency_weighted_fits_equal_statsmodels_on_every_draw(stack):
    # coefficients: WLS; residual SD over sum(w) - K: GLM Gaussian with freq_weights
    _, X, y, W = stack
    fit = wls(X, y, W)
    assert fit.coef.shape == (3, 4, 4)
    for r in range(3):
        for b in range(4):
            ref = sm.WLS(y[r], X[r], weights=W[r, b]).fit()
            glm = sm.GLM(y[r], X[r], family=sm.families.Gaussian(), freq_weights=W[r, b]).fit()
            np.testing.assert_allclose(fit.coef[r, b], ref.params, rtol=TOL)
            assert fit.sigma[r, b] == pytest.approx(np.sqrt(glm.scale), rel=TOL)
            assert fit.df[r, b] == pytest.approx(glm.df_resid)


def test_shared_design_paths_equal_the_per_replicate_fit(stack):
    # X (n, K) shared: weights (B, n) shared by R responses (one factorisation per draw), and a
    # response per draw (R, B, n); all equal fitting each (r, b) alone
    _, X, y, W = stack
    X0 = X[0]
    fit = wls(X0, y, W[0])
    per_draw = wls(X0, np.broadcast_to(y[:, None], (3, 4, 120)), W[0])
    for r in range(3):
        for b in range(4):
            ref = sm.WLS(y[r], X0, weights=W[0, b]).fit().params
            np.testing.assert_allclose(fit.coef[r, b], ref, rtol=TOL)
            np.testing.assert_allclose(per_draw.coef[r, b], ref, rtol=TOL)
    # one draw (B = 1) uses the direct Gram product; two identical draws the outer products
    one = wls(X, y, W[:, :1])
    two = wls(X, y, W[:, [0, 0]])
    np.testing.assert_allclose(one.coef[:, 0], two.coef[:, 1], rtol=1e-12)
    np.testing.assert_allclose(one.sigma[:, 0], two.sigma[:, 1], rtol=1e-12)


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_irls_equals_statsmodels_glm_with_freq_weights(stack, link):
    rng, X, _, W = stack
    y = _binary(rng, X, np.array([-0.2, 0.8, -0.5, 0.6]), link)
    fit = irls(X, y, link, W)
    assert fit.converged.all() and not fit.singular.any()
    np.testing.assert_array_equal(fit.sigma, 1.0)
    for r in range(3):
        for b in range(4):
            ref = _glm(y[r], X[r], link, W[r, b])
            np.testing.assert_allclose(fit.coef[r, b], ref.params, rtol=TOL, atol=TOL)
            # statsmodels stops on a deviance criterion (its parameters move by up to ~3e-9 more
            # for the probit here); the score of statsmodels' model at our estimate is zero, and
            # our information matrix is evaluated at the last iterate, one step (< 1e-10 relative)
            # behind the estimate: equal to statsmodels' expected information there to 1e-8 of
            # the matrix's size (a small off-diagonal entry carries the same absolute error)
            model = ref.model
            assert np.abs(model.score(fit.coef[r, b])).max() < 1e-8
            info = -model.hessian(fit.coef[r, b], observed=False)
            np.testing.assert_allclose(fit.gram[r, b], info, rtol=0,
                                       atol=TOL * np.abs(info).max())
    unweighted = irls(X, y, Link.parse(link))
    for r in range(3):
        np.testing.assert_allclose(unweighted.coef[r, 0], _glm(y[r], X[r], link).params,
                                   rtol=TOL, atol=TOL)


def test_fractional_logit_equals_statsmodels_quasi_binomial(stack):
    rng, X, _, _ = stack
    frac = 1 / (1 + np.exp(-(X[0] @ [0.1, 0.7, -0.3, 0.2] + rng.normal(scale=0.5, size=120))))
    fit = irls(X[0], frac, "binomial")
    np.testing.assert_allclose(fit.coef[0, 0], _glm(frac, X[0], "logit").params, rtol=TOL)


def test_warm_start_and_probit_from_statsmodels_start(stack):
    rng, X, _, W = stack
    y = _binary(rng, X, np.array([0.3, 0.5, 0.5, -0.5]), "probit")
    cold = irls(X, y, "probit", W)
    warm = irls(X, y, "probit", W, start=irls(X, y, "probit").coef, tol=1e-12)
    np.testing.assert_allclose(warm.coef, cold.coef, rtol=1e-8, atol=1e-10)


def test_singular_draw_gets_the_minimum_norm_solution_and_a_flag():
    rng = np.random.default_rng(4)
    n = 30
    X = np.column_stack([np.ones(n), rng.normal(size=n), (np.arange(n) < 3).astype(float)])
    y = X @ [1.0, 2.0, 0.5] + rng.normal(size=n)
    W = np.ones((2, n))
    W[1, :3] = 0.0  # the rare indicator is absent from draw 1: X'WX is singular
    fit = wls(X, y, W)
    assert fit.singular.tolist() == [[False, True]] and fit.converged.all()
    Xw = X * np.sqrt(W[1])[:, None]
    np.testing.assert_allclose(fit.coef[0, 1], np.linalg.pinv(Xw) @ (np.sqrt(W[1]) * y),
                               rtol=1e-10)
    with pytest.raises(EstimationError, match="the outcome model could not be fitted in 1 of 2"):
        fit.require("the outcome model")
    assert fit.require("the outcome model", allow_singular=True) is fit


def test_separation_is_not_converged():
    x = np.linspace(-1, 1, 40)
    X = np.column_stack([np.ones(40), x])
    fit = irls(X, (x > 0).astype(float), "logit")
    assert not fit.converged.any()
    with pytest.raises(EstimationError, match="separation"):
        fit.require("the treatment model")


def test_no_residual_degrees_of_freedom_is_flagged():
    X = np.column_stack([np.ones(3), [0.0, 1.0, 2.0], [1.0, 0.0, 4.0]])
    fit = wls(X, np.array([1.0, 2.0, 0.5]))
    assert fit.df[0, 0] == 0 and not fit.converged[0, 0] and np.isnan(fit.sigma[0, 0])


def test_solve_normal_shared_gram_equals_broadcast_solve():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(3, 4, 4))
    gram = (A @ A.transpose(0, 2, 1) + 4 * np.eye(4))[None]  # (1, 3, 4, 4)
    rhs = rng.normal(size=(5, 3, 4))
    beta, ok = solve_normal(gram, rhs)
    np.testing.assert_allclose(beta, np.linalg.solve(gram, rhs[..., None])[..., 0], rtol=1e-12)
    assert ok.shape == (5, 3) and ok.all()


@pytest.mark.parametrize(("X", "y", "w", "what"), [
    (np.ones(5), np.ones(5), None, "`X`"),
    (np.ones((5, 2)), np.ones(4), None, "`y`"),
    (np.ones((5, 2)), np.ones(5), np.ones((2, 4)), "`weights`"),
    (np.ones((3, 5, 2)), np.ones((2, 5)), None, "replicates"),
])
def test_bad_shapes_name_the_argument(X, y, w, what):
    with pytest.raises(ArgumentError, match=what):
        wls(X, y, w)


def test_unknown_link():
    with pytest.raises(ArgumentError, match="`link` must be one of 'logit', 'probit'"):
        irls(np.ones((4, 1)), np.ones(4), "cloglog")


def test_design_keep_drops_constant_and_collinear_columns():
    rng = np.random.default_rng(0)
    x = rng.normal(size=20)
    X = np.column_stack([np.ones(20), x, 2 * x + 1, np.full(20, 3.0), rng.normal(size=20)])
    assert design_keep(X).tolist() == [0, 1, 4]


def test_one_response_per_draw_without_weights(stack):
    _, X, y, _ = stack
    fit = wls(X[0], y[None])  # (1, 3, n): three responses, unweighted
    for b in range(3):
        np.testing.assert_allclose(fit.coef[0, b], sm.OLS(y[b], X[0]).fit().params, rtol=TOL)
