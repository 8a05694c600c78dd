"""The regression behind each period-implication test (identification/_eiv.period_fit).

References: the CR2 + Bell-McCaffrey numbers on the full (x + period-specific nuisance) design
from BatchedOLS (itself checked against a dense per-cluster CR2 and Imbens-Kolesar closed forms in
test_implications_cr2_batched.py); the measurement correction against known-truth simulations
(Fuller 1987: the moment estimator is consistent; its test keeps its level where the naive one
does not).
"""

from __future__ import annotations

import numpy as np
import pytest

from facmech.errors import EstimationError
from facmech.identification._cr2 import BatchedOLS
from facmech.identification._eiv import period_fit


def _panel(rng, sites, periods, drop=0.0):
    site = np.repeat(np.arange(sites), periods)
    t = np.tile(np.arange(periods), sites)
    keep = rng.random(site.size) >= drop
    return site[keep], t[keep]


def _nuisance(t, periods, *cols):
    out, per = [], []
    for s in range(periods):
        on = (t == s).astype(float)
        out += [on] + [on * c for c in cols]
        per += [s] * (1 + len(cols))
    return np.column_stack(out), np.array(per)


@pytest.mark.parametrize("drop", [0.0, 0.15])
def test_equals_batched_cr2_on_the_full_design(drop):
    rng = np.random.default_rng(11)
    site, t = _panel(rng, 18, 4, drop)
    u = rng.standard_normal(18)[site]
    z1, z2 = rng.standard_normal(t.size), rng.standard_normal(t.size) + u
    x = 0.5 * z1 + rng.standard_normal(t.size) + 0.7 * u
    y = z1 - z2 + u + rng.standard_normal(t.size) + 0.2 * x
    nuis, per = _nuisance(t, 4, z1, z2)
    est, se, dfree = period_fit(x, y, site, nuis, per, t)
    p = nuis.shape[1] + 1
    beta, cov, dfs = BatchedOLS(np.column_stack([x, nuis, y]), site).cr2(
        np.arange(p)[None], np.array([p]), j=0)
    assert est == pytest.approx(beta[0, 0], rel=1e-10)
    assert se == pytest.approx(np.sqrt(cov[0, 0, 0]), rel=1e-10)
    assert dfree == pytest.approx(dfs[0], rel=1e-10)
    # the corrected estimator with zero error covariances is the same fit
    zero = (np.arange(p), np.zeros((t.size, p, p)), np.zeros((t.size, p)))
    e2, s2, d2 = period_fit(x, y, site, nuis, per, t, errors=zero)
    assert (e2, s2, d2) == pytest.approx((est, se, dfree), rel=1e-10)


def test_collinear_tested_column_is_an_error():
    rng = np.random.default_rng(1)
    site, t = _panel(rng, 10, 3)
    nuis, per = _nuisance(t, 3)
    with pytest.raises(EstimationError, match="does not vary"):
        period_fit((t == 1).astype(float), rng.standard_normal(t.size), site, nuis, per, t)


def _surveyed(rng, sites, periods, staff, effect):
    """x and y both caused by a construct xi measured by `staff` respondents per site-period;
    `effect` of x on y (0: x _||_ y | xi)."""
    site, t = _panel(rng, sites, periods)
    n = t.size
    xi = rng.standard_normal(n) + 0.5 * rng.standard_normal(sites)[site]
    scores = xi[:, None] + rng.standard_normal((n, staff))
    z = scores.mean(axis=1)
    err = scores.var(axis=1, ddof=1) / staff  # each site-period's own error variance estimate
    x = xi + rng.standard_normal(n)
    y = xi + effect * x + rng.standard_normal(n)
    return site, t, x, y, z, err


def test_measurement_correction_keeps_the_level_the_naive_test_loses():
    rng = np.random.default_rng(2024)
    reps, sites, periods, staff = 300, 80, 3, 4
    rej_naive = rej_corr = 0
    ests = []
    for _ in range(reps):
        site, t, x, y, z, err = _surveyed(rng, sites, periods, staff, 0.0)
        nuis, per = _nuisance(t, periods, z)
        k = 2 + 2 * np.arange(periods)  # the z column of each period ([x, 1, z, 1, z, ...])
        exx = np.zeros((t.size, periods, periods))
        for s in range(periods):
            exx[t == s, s, s] = err[t == s]
        errors = (k, exx, np.zeros((t.size, periods)))
        b0, s0, d0 = period_fit(x, y, site, nuis, per, t)
        b1, s1, d1 = period_fit(x, y, site, nuis, per, t, errors=errors)
        from scipy import stats

        rej_naive += 2 * stats.t.sf(abs(b0 / s0), d0) < 0.05
        rej_corr += 2 * stats.t.sf(abs(b1 / s1), d1) < 0.05
        ests.append(b1)
    # survey error (reliability about 0.8) leaves x -> xi -> y open: the naive test rejects the
    # true claim most of the time; corrected, 5% within 2.6 binomial SEs (1.3 points at 300)
    assert rej_naive / reps > 0.5
    assert abs(rej_corr / reps - 0.05) < 0.035
    assert abs(np.mean(ests)) < 3 * np.std(ests) / np.sqrt(reps)


def test_measurement_correction_recovers_the_effect():
    rng = np.random.default_rng(7)
    site, t, x, y, z, err = _surveyed(rng, 3000, 2, 4, 0.3)
    nuis, per = _nuisance(t, 2, z)
    exx = np.zeros((t.size, 2, 2))
    for s in range(2):
        exx[t == s, s, s] = err[t == s]
    b1, s1, _ = period_fit(x, y, site, nuis, per, t, errors=(np.array([2, 4]), exx,
                                                             np.zeros((t.size, 2))))
    b0, s0, _ = period_fit(x, y, site, nuis, per, t)
    assert abs(b1 - 0.3) < 3 * s1
    assert b0 - 0.3 > 5 * s0  # naive: the error in z leaves part of xi's effect on x's slope
