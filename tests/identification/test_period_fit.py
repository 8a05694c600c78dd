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
from scipy import stats

from facmech.estimation.subsets import SubsetRegressions as BatchedOLS
from facmech.identification._eiv import ErrorMoments, period_fit


def _reference(x, y, groups, nuis, exx, exy):
    """Fuller's estimator on the full design with the dense CR2-adjusted site sandwich: the
    direct computation (per-row error covariances ``exx`` (n, p, p) of ``[x, nuis]`` and ``exy``
    (n, p) with ``y``); df from BatchedOLS."""
    X = np.column_stack([x, nuis])
    p = X.shape[1]
    M = X.T @ X - exx.sum(axis=0)
    beta = np.linalg.solve(M, X.T @ y - exy.sum(axis=0))
    e = y - X @ beta
    H = X @ np.linalg.pinv(X.T @ X) @ X.T
    psi = []
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        w, v = np.linalg.eigh(np.eye(idx.size) - H[np.ix_(idx, idx)])
        A = v @ np.diag(1 / np.sqrt(np.maximum(w, 1e-12))) @ v.T
        corr = (exy[idx] - exx[idx] @ beta).sum(axis=0)
        psi.append(X[idx].T @ A @ e[idx] - corr)
    psi = np.array(psi)
    Minv = np.linalg.inv(M)
    V = Minv @ psi.T @ psi @ Minv
    df = BatchedOLS(np.column_stack([X, y]), groups).cr2(np.arange(p)[None], np.array([p]),
                                                         j=0)[2][0]
    return beta[0], np.sqrt(V[0, 0]), df


def _moments(exx, exy, noisy):
    """ErrorMoments of one claim from full per-row covariances; ``noisy``: nuisance indices."""
    e = np.asarray(noisy)
    f = 1 + e
    return ErrorMoments(e=e, nn=exx[:, f][:, :, f], xx=exx[None, :, 0, 0],
                        xn=exx[None, :, 0, f], xy=exy[None, :, 0], ny=exy[None, :, f])


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
    est, se, dfree, status = period_fit(x, y, site, nuis, per, t)
    p = nuis.shape[1] + 1
    beta, cov, dfs = BatchedOLS(np.column_stack([x, nuis, y]), site).cr2(
        np.arange(p)[None], np.array([p]), j=0)
    assert status[0] == 0
    assert est[0] == pytest.approx(beta[0, 0], rel=1e-10)
    assert se[0] == pytest.approx(np.sqrt(cov[0, 0, 0]), rel=1e-10)
    assert dfree[0] == pytest.approx(dfs[0], rel=1e-10)
    # the corrected estimator with zero error covariances is the same fit
    zero = _moments(np.zeros((t.size, p, p)), np.zeros((t.size, p)), [1, 2])
    e2, s2, d2, _ = period_fit(x, y, site, nuis, per, t, errors=zero)
    assert (e2[0], s2[0], d2[0]) == pytest.approx((est[0], se[0], dfree[0]), rel=1e-10)
    # a stack of regressions gives each one's numbers
    e3, s3, d3, _ = period_fit(np.stack([x, z1 + x, x]), np.stack([y, y, z2]), site, nuis, per, t)
    for j, (xx, yy) in enumerate([(x, y), (z1 + x, y), (x, z2)]):
        one = period_fit(xx, yy, site, nuis, per, t)
        assert (e3[j], s3[j], d3[j]) == pytest.approx((one[0][0], one[1][0], one[2][0]),
                                                      rel=1e-10)


def test_corrected_fit_equals_the_direct_computation():
    # x, y and the conditioning construct z are survey means of the same respondents: errors
    # correlated within a site-period (exx, exy non-zero in x, z and y), none across site-periods
    rng = np.random.default_rng(4)
    site, t = _panel(rng, 25, 3, 0.1)
    n = t.size
    z = rng.standard_normal(n)
    x = z + rng.standard_normal(n)
    y = 0.4 * z + 0.2 * x + rng.standard_normal(n)
    nuis, per = _nuisance(t, 3, z)
    p = nuis.shape[1] + 1
    exx, exy = np.zeros((n, p, p)), np.zeros((n, p))
    zcol = 2 + 2 * t  # the row's z column in [x, 1, z, 1, z, ...]
    r = np.arange(n)
    ex, ez, exz = 0.1 + 0.05 * rng.random(n), 0.2 + 0.05 * rng.random(n), 0.03 * rng.random(n)
    exx[r, 0, 0], exx[r, zcol, zcol] = ex, ez
    exx[r, 0, zcol] = exx[r, zcol, 0] = exz
    exy[r, 0], exy[r, zcol] = 0.02, 0.04
    want = _reference(x, y, site, nuis, exx, exy)
    got = period_fit(x, y, site, nuis, per, t, errors=_moments(exx, exy, [1, 3, 5]))
    assert got[3][0] == 0
    assert (got[0][0], got[1][0], got[2][0]) == pytest.approx(want, rel=1e-9)


def test_collinear_tested_column_is_flagged():
    rng = np.random.default_rng(1)
    site, t = _panel(rng, 10, 3)
    nuis, per = _nuisance(t, 3)
    out = period_fit((t == 1).astype(float), rng.standard_normal(t.size), site, nuis, per, t)
    assert out[3][0] == 1


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
        k = 1 + 2 * np.arange(periods)  # the z column of each period in the nuisance [1, z, ...]
        nn = np.zeros((t.size, periods, periods))
        for s in range(periods):
            nn[t == s, s, s] = err[t == s]
        zero = np.zeros((1, t.size))
        errors = ErrorMoments(e=k, nn=nn, xx=zero, xn=np.zeros((1, t.size, periods)), xy=zero,
                              ny=np.zeros((1, t.size, periods)))
        b0, s0, d0, _ = period_fit(x, y, site, nuis, per, t)
        b1, s1, d1, _ = period_fit(x, y, site, nuis, per, t, errors=errors)
        rej_naive += 2 * stats.t.sf(abs(b0[0] / s0[0]), d0[0]) < 0.05
        rej_corr += 2 * stats.t.sf(abs(b1[0] / s1[0]), d1[0]) < 0.05
        ests.append(b1[0])
    # survey error (reliability about 0.8) leaves x -> xi -> y open: the naive test rejects the
    # true claim most of the time; corrected, 5% within 2.6 binomial SEs (1.3 points at 300)
    assert rej_naive / reps > 0.5
    assert abs(rej_corr / reps - 0.05) < 0.035
    assert abs(np.mean(ests)) < 3 * np.std(ests) / np.sqrt(reps)


def test_measurement_correction_recovers_the_effect():
    rng = np.random.default_rng(7)
    site, t, x, y, z, err = _surveyed(rng, 3000, 2, 4, 0.3)
    nuis, per = _nuisance(t, 2, z)
    nn = np.zeros((t.size, 2, 2))
    for s in range(2):
        nn[t == s, s, s] = err[t == s]
    zero = np.zeros((1, t.size))
    errors = ErrorMoments(e=np.array([1, 3]), nn=nn, xx=zero, xn=np.zeros((1, t.size, 2)),
                          xy=zero, ny=np.zeros((1, t.size, 2)))
    b1, s1, _, _ = period_fit(x, y, site, nuis, per, t, errors=errors)
    b0, s0, _, _ = period_fit(x, y, site, nuis, per, t)
    assert abs(b1[0] - 0.3) < 3 * s1[0]
    assert b0[0] - 0.3 > 5 * s0[0]  # naive: the error in z leaves part of xi's effect on x's slope
