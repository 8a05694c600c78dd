"""The Monte Carlo interval of indirect effects (facmech.estimation.intervals).

References: the exact distribution of the product of two independent normals, its quantiles by
numerical integration (the distribution-of-the-product method, MacKinnon et al. 2007, PRODCLIN),
its exact mean and variance (Aroian 1947: a^2 s_b^2 + b^2 s_a^2 + s_a^2 s_b^2), and the Sobel
(1982) standard error.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from facmech.estimation.intervals import indirect_interval, product_draws
from facmech.power.mediation_cluster import monte_carlo_indirect_power

A, SA, B, SB = 0.3, 0.12, 0.5, 0.2


def _product_quantile(p: float) -> float:
    """Quantile of X * Y, X ~ N(A, SA), Y ~ N(B, SB) independent, by integrating over Y."""
    def cdf(c):
        def f(y):
            tail = stats.norm.cdf if y > 0 else stats.norm.sf
            return stats.norm.pdf(y, B, SB) * tail((c / y - A) / SA)
        return integrate.quad(f, -np.inf, 0, limit=200)[0] + integrate.quad(f, 0, np.inf,
                                                                             limit=200)[0]
    return optimize.brentq(lambda c: cdf(c) - p, -1, 1, xtol=1e-12)


def test_interval_matches_the_distribution_of_the_product():
    z = np.random.default_rng(1).standard_normal((2, 400_000))
    draws = product_draws(A, SA, B, SB, z[0], z[1])
    out = indirect_interval(A, SA, B, SB, draws[None], alpha=0.05)
    # Monte Carlo error of a 2.5% quantile from 400k draws is about 3e-4
    assert float(out.ci_low) == pytest.approx(_product_quantile(0.025), abs=1.5e-3)
    assert float(out.ci_high) == pytest.approx(_product_quantile(0.975), abs=1.5e-3)
    assert float(out.estimate) == pytest.approx(A * B, abs=1e-15)
    assert float(out.std_error) == pytest.approx(np.sqrt(A**2 * SB**2 + B**2 * SA**2), abs=1e-15)
    assert bool(out.reject) and out.p_value is None
    # exact moments of the product of independent normals (Aroian 1947)
    assert draws.mean() == pytest.approx(A * B, abs=3e-4)
    assert draws.var() == pytest.approx(A**2 * SB**2 + B**2 * SA**2 + SA**2 * SB**2, rel=0.01)


def test_product_draws_closed_form():
    out = product_draws(np.array([1.0, 2.0]), np.array([0.5, 0.0]), np.array([3.0, -1.0]),
                        np.array([1.0, 2.0]), np.array([[0.0, 2.0], [1.0, 1.0]]),
                        np.array([[1.0, -1.0], [0.5, 0.0]]))
    np.testing.assert_array_equal(out, [[4.0, 4.0], [0.0, -2.0]])


def test_joint_interval_sums_the_products_and_per_mediator_slices_agree():
    rng = np.random.default_rng(2)
    a, sa = rng.normal(size=(5, 3)), rng.uniform(0.1, 0.3, size=(5, 3))
    b, sb = rng.normal(size=(5, 3)), rng.uniform(0.1, 0.3, size=(5, 3))
    z = rng.standard_t(8.0, size=(2, 5, 3, 2000))
    draws = product_draws(a, sa, b, sb, z[0], z[1])
    joint = indirect_interval(a, sa, b, sb, draws, alpha=0.1)
    np.testing.assert_allclose(joint.estimate, (a * b).sum(axis=1), rtol=1e-15)
    np.testing.assert_allclose(joint.std_error,
                               np.sqrt((a**2 * sb**2 + b**2 * sa**2).sum(axis=1)), rtol=1e-15)
    lo, hi = np.quantile(draws.sum(axis=1), [0.05, 0.95], axis=1)
    np.testing.assert_array_equal(joint.ci_low, lo)
    np.testing.assert_array_equal(joint.ci_high, hi)
    each = indirect_interval(a, sa, b, sb, draws, alpha=0.1, joint=False)
    assert each.ci_low.shape == (5, 3)
    for k in range(3):
        one = indirect_interval(a[:, k:k + 1], sa[:, k:k + 1], b[:, k:k + 1], sb[:, k:k + 1],
                                draws[:, k:k + 1], alpha=0.1)
        np.testing.assert_array_equal(each.ci_low[:, k], one.ci_low)
        np.testing.assert_array_equal(each.std_error[:, k], one.std_error)
        assert each[2, k].estimate == pytest.approx(a[2, k] * b[2, k], rel=1e-15)


def test_power_of_the_monte_carlo_test_uses_the_same_interval():
    # a = 0.6 (se 0.2) and b = 0.2 (se 0.06): 3 and 3.33 SEs from 0. The MC test's power is close
    # to the joint-significance power (0.85 * 0.92 = 0.78, normal approximation; MacKinnon et al.
    # 2002 found the two tests' power nearly equal)
    p, se = monte_carlo_indirect_power(0.6, 0.2, 0.2, 0.06, sims=1000, draws=1000, seed=3)
    joint = np.prod([stats.norm.sf(1.96 - z) + stats.norm.cdf(-1.96 - z) for z in (3.0, 0.2 / 0.06)])
    assert p == pytest.approx(joint, abs=0.05)
    assert se == pytest.approx(np.sqrt(p * (1 - p) / 1000), rel=1e-12)
