"""The one ICE g-formula engine (facmech.gmethods.ice.ice_period) on its two batch axes.

References: statsmodels WLS/GLM refitted step by step (frequency weights as ``freq_weights``/WLS
weights), the duplication identity of frequency weights (a unit of weight w counts as w copies),
and each replicate run alone (the replicate axis must not mix data sets).
"""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from facmech.errors import EstimationError
from facmech.estimation.resampling import bootstrap_weights
from facmech.gmethods.design import build_design, terms_before
from facmech.gmethods.ice import ice_period
from facmech.gmethods.strategies import Dynamic, FromPeriod, Never

T, K = 3, 1
CONF = ("engagement",)
PERIODS = np.arange(T)
STRATS = [FromPeriod(1, 1.5), Never(), Dynamic("engagement", "<", 0.0, 1.0)]


def _data(R, n, seed, binary=False):
    rng = np.random.default_rng(seed)
    L = rng.normal(size=(R, n, T, K))
    A = np.where(rng.random((R, n, T)) < 0.5, 1.5, 0.0)
    A[:, :, 1:] += 0.3 * L[:, :, :-1, 0]
    eta = 0.4 * A.sum(axis=2) + L[:, :, -1, 0] + rng.normal(size=(R, n))
    y = (eta > 0.5).astype(float) if binary else eta
    V = rng.normal(size=(n, 1))
    return A, L, V, y


def _steps(A, L, V, history=None):
    out = []
    for t in range(T - 1, -1, -1):
        terms = tuple(terms_before("Q", t, 0, k=K, p=V.shape[1], history=history, timing="after"))
        out.append((t, terms, np.arange(len(terms) + 1)))
    return out


def _run(A, L, V, y, **kw):
    return ice_period(A, L, V, y, STRATS, _steps(A, L, V), periods=PERIODS, confounders=CONF,
                      lag=1, **kw)


def _statsmodels_ice(A, L, V, y, w, strat, binary):
    # reference: each ICE regression refitted by statsmodels with frequency weights w
    Q = y
    for t, terms, _ in _steps(A[None], L[None], V):
        X = build_design(terms, V, L, A)
        A_cf = A.copy()
        A_cf[:, t] = strat.assign(t, PERIODS, L, A, CONF, 1)
        Xg = build_design(terms, V, L, A_cf)
        if binary:
            fit = sm.GLM(Q, X, family=sm.families.Binomial(), freq_weights=w).fit(tol=1e-13)
        else:
            fit = sm.WLS(Q, X, weights=w).fit()
        Q = fit.predict(Xg)
    return np.sum(w * Q) / np.sum(w)


@pytest.mark.parametrize("binary", [False, True])
def test_bootstrap_weights_equal_statsmodels_refits(binary):
    A, L, V, y = _data(1, 60, seed=1, binary=binary)
    W = np.vstack([np.ones(60), bootstrap_weights(np.arange(60), 4, np.random.default_rng(2))])
    fit = _run(A, L, V, y, weights=W, binary=binary)
    assert fit.means.shape == (3, 1, 5) and fit.influence is None
    for i, strat in enumerate(STRATS):
        for b in range(5):
            ref = _statsmodels_ice(A[0], L[0], V, y[0], W[b], strat, binary)
            assert fit.means[i, 0, b] == pytest.approx(ref, abs=1e-9)


@pytest.mark.parametrize("binary", [False, True])
def test_replicate_axis_equals_each_replicate_alone(binary):
    A, L, V, y = _data(4, 40, seed=3, binary=binary)
    W = np.vstack([np.ones(40), bootstrap_weights(np.arange(40), 3, np.random.default_rng(4))])
    batch = _run(A, L, V, y, weights=W, binary=binary).means  # (S, R, B)
    for r in range(4):
        one = _run(A[r:r + 1], L[r:r + 1], V, y[r:r + 1], weights=W, binary=binary).means
        np.testing.assert_allclose(batch[:, r], one[:, 0], rtol=0, atol=1e-10)


def test_frequency_weights_are_duplicated_units():
    # a unit with weight w counts as w copies: the weighted fit equals the unweighted fit of the
    # data with every unit repeated w times
    A, L, V, y = _data(1, 30, seed=5)
    w = np.random.default_rng(6).integers(1, 4, size=30)
    rows = np.repeat(np.arange(30), w)
    weighted = _run(A, L, V, y, weights=w[None].astype(float)).means[:, 0, 0]
    copies = _run(A[:, rows], L[:, rows], V[rows], y[:, rows]).means[:, 0, 0]
    np.testing.assert_allclose(weighted, copies, rtol=0, atol=1e-12)


def test_unweighted_path_equals_unit_weights_and_has_influence():
    A, L, V, y = _data(3, 50, seed=7)
    plain = _run(A, L, V, y, influence=True)
    ones = _run(A, L, V, y, weights=np.ones((1, 50)))
    np.testing.assert_allclose(plain.means, ones.means, rtol=0, atol=1e-12)
    # influence functions of a mean average to zero (the estimating equations are solved)
    assert plain.influence.shape == (3, 3, 50)
    np.testing.assert_allclose(plain.influence.mean(axis=-1), 0.0, atol=1e-12)


def test_influence_needs_unweighted_linear_fits():
    A, L, V, y = _data(1, 20, seed=8)
    with pytest.raises(EstimationError, match="influence functions need a linear outcome"):
        _run(A, L, V, y, weights=np.ones((1, 20)), influence=True)
