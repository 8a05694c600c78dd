"""The one site bootstrap and the Monte Carlo draws (facmech.estimation.resampling).

References: the multinomial distribution's moments (mean 1, variance 1 - 1/m for a unit's count in
a stratum of m units), the closed-form bootstrap variance of a mean, numpy's own multinomial and t
streams (the g-methods' weights and the design studies' draws must not change), and the moments of
the multivariate normal and t distributions.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from facmech.errors import ArgumentError, FacmechError
from facmech.estimation.resampling import (
    Bootstrap,
    UnitBootstrap,
    bootstrap_weights,
    coefficient_draws,
    replicate_t_draws,
)

#: 10 sites with 1-4 rows each; sites 0-5 in stratum "a", 6-9 in stratum "b"
SITES = np.repeat(np.arange(10), [1, 2, 3, 4, 1, 2, 3, 4, 1, 2])
STRATA = np.array(["a"] * 6 + ["b"] * 4)


def _site_counts(w):
    """Per draw, each site's count (its rows share one weight)."""
    first = np.array([np.flatnonzero(SITES == g)[0] for g in range(10)])
    return w[:, first]


def test_each_draw_resamples_every_stratum_to_its_size():
    w = bootstrap_weights(SITES, 500, np.random.default_rng(1), strata=STRATA)
    assert w.shape == (500, SITES.size)
    for g in range(10):  # the rows of a site share its count
        rows = w[:, SITES == g]
        assert (rows == rows[:, :1]).all()
    c = _site_counts(w)
    assert (c >= 0).all() and (c == np.round(c)).all()
    assert (c[:, :6].sum(axis=1) == 6).all()
    assert (c[:, 6:].sum(axis=1) == 4).all()


def test_counts_have_multinomial_moments():
    c = _site_counts(bootstrap_weights(SITES, 40_000, np.random.default_rng(2), strata=STRATA))
    # Multinomial(m; 1/m, ...): mean 1, variance 1 - 1/m (m = 6 in "a", 4 in "b")
    np.testing.assert_allclose(c.mean(axis=0), 1.0, atol=0.02)
    np.testing.assert_allclose(c[:, :6].var(axis=0), 1 - 1 / 6, rtol=0.03)
    np.testing.assert_allclose(c[:, 6:].var(axis=0), 1 - 1 / 4, rtol=0.03)
    # counts in different strata are independent; within a stratum they are negatively correlated
    # (covariance -1/m)
    cov = np.cov(c.T)
    assert cov[0, 1] == pytest.approx(-1 / 6, abs=0.02)
    assert abs(cov[0, 7]) < 0.02


def test_bootstrap_variance_of_a_mean_is_the_closed_form():
    # one row per unit, no strata: Var*(mean*) = sum (x - xbar)^2 / n^2 (Efron & Tibshirani 1993,
    # eq. 5.11 with the plug-in variance)
    x = np.random.default_rng(3).normal(size=25)
    w = bootstrap_weights(np.arange(25), 100_000, np.random.default_rng(4))
    means = w @ x / 25
    exact = ((x - x.mean()) ** 2).sum() / 25**2
    assert means.var() == pytest.approx(exact, rel=0.02)
    assert means.mean() == pytest.approx(x.mean(), abs=3 * np.sqrt(exact / 100_000))


def test_one_stratum_is_numpys_multinomial_and_seeded():
    # the g-methods' weights before the shared bootstrap: rng.multinomial(n, [1/n] * n, size=B)
    w = bootstrap_weights(np.arange(7), 50, np.random.default_rng(5))
    ref = np.random.default_rng(5).multinomial(7, np.full(7, 1 / 7), size=50)
    assert (w == ref).all()
    again = bootstrap_weights(SITES, 20, np.random.default_rng(9), strata=STRATA)
    assert (again == bootstrap_weights(SITES, 20, np.random.default_rng(9), strata=STRATA)).all()
    assert not (again == bootstrap_weights(SITES, 20, np.random.default_rng(10),
                                           strata=STRATA)).all()


def test_bootstrap_class_uses_strata_only_when_stratified():
    rng = np.random.default_rng(6)
    strat = Bootstrap(draws=300).weights(rng, SITES, STRATA)
    assert (_site_counts(strat)[:, 6:].sum(axis=1) == 4).all()
    free = Bootstrap(draws=300, stratify=False).weights(np.random.default_rng(6), SITES, STRATA)
    assert (free == bootstrap_weights(SITES, 300, np.random.default_rng(6))).all()
    assert (_site_counts(free)[:, 6:].sum(axis=1) != 4).any()
    assert Bootstrap(draws=300).describe(10) == (
        "site bootstrap (300 draws, stratified by treatment sequence), percentile intervals")


def test_unit_bootstrap_is_a_deprecated_alias():
    with pytest.warns(FutureWarning, match="`UnitBootstrap` is deprecated"):
        old = UnitBootstrap()
    assert isinstance(old, Bootstrap) and old.draws == 500
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Bootstrap(draws=500)  # the new name does not warn


def test_bad_arguments():
    with pytest.raises(ArgumentError, match=r"`draws` must be an integer of at least 2 \(got 1\)"):
        Bootstrap(draws=1)
    with pytest.raises(ArgumentError, match="`draws` must be an integer"):
        Bootstrap(draws=True)
    assert issubclass(ArgumentError, FacmechError)
    rng = np.random.default_rng(0)
    with pytest.raises(ArgumentError, match="integer codes"):
        bootstrap_weights(np.array([0.0, 1.0]), 3, rng)
    with pytest.raises(ArgumentError, match=r"every code 0\.\.2"):
        bootstrap_weights(np.array([0, 2, 2]), 3, rng)
    with pytest.raises(ArgumentError, match=r"one stratum per unit \(10; got shape \(3,\)\)"):
        bootstrap_weights(SITES, 3, rng, strata=np.array([0, 1, 0]))


def test_coefficient_draws_have_the_given_moments():
    theta = np.array([1.0, -2.0, 0.5])
    V = np.array([[1.0, 0.3, 0.0], [0.3, 2.0, -0.4], [0.0, -0.4, 0.5]])
    d = coefficient_draws(theta, V, 200_000, np.random.default_rng(7))
    assert d.shape == (200_000, 3)
    np.testing.assert_allclose(d.mean(axis=0), theta, atol=0.01)
    np.testing.assert_allclose(np.cov(d.T), V, atol=0.015)
    # multivariate t_5: covariance V * df / (df - 2)
    t = coefficient_draws(theta, V, 200_000, np.random.default_rng(8), df=5.0)
    np.testing.assert_allclose(np.cov(t.T), V * 5 / 3, rtol=0.05, atol=0.02)


def test_coefficient_draws_batch_and_singular_covariance():
    # a leading replicate axis draws each replicate as if alone (C order of the normal stream)
    theta = np.array([[0.0, 0.0], [5.0, 5.0]])
    V = np.stack([np.eye(2), np.array([[1.0, 1.0], [1.0, 1.0]])])  # second: rank one
    d = coefficient_draws(theta, V, 1000, np.random.default_rng(9))
    assert d.shape == (2, 1000, 2)
    np.testing.assert_allclose(d[1, :, 0], d[1, :, 1], atol=1e-12)  # on the line x = y
    first = coefficient_draws(theta[0], V[0], 1000, np.random.default_rng(9))
    np.testing.assert_array_equal(first, d[0])


def test_replicate_t_draws_follow_each_replicates_stream():
    df = np.array([[[4.0, 9.0], [4.0, 9.0]], [[6.0, 12.0], [6.0, 12.0]]])  # (R=2, K=2, 2)
    z = replicate_t_draws([np.random.default_rng(s) for s in (11, 12)], df, 50)
    assert z.shape == (2, 2, 2, 50)
    g = np.random.default_rng(12)  # replicate 1 alone: K x (path a, path b), C order
    for k in range(2):
        np.testing.assert_array_equal(z[1, k, 0], g.standard_t(6.0, 50))
        np.testing.assert_array_equal(z[1, k, 1], g.standard_t(12.0, 50))
    big = replicate_t_draws([np.random.default_rng(1)], np.array([[5.0]]), 200_000)
    assert big.var() == pytest.approx(5 / 3, rel=0.05)  # Var t_5 = 5 / 3
    with pytest.raises(ArgumentError, match="gives 1 generators for 2 replicates"):
        replicate_t_draws([np.random.default_rng(0)], df, 5)
