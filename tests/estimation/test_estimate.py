"""The Estimate record and its two kinds of interval (facmech.estimation.estimate).

References: statsmodels OLS ``conf_int`` / ``pvalues`` (t with the residual df, and normal with
``use_t=False``), scipy's t and normal quantiles, numpy's quantiles, and the R ``mediation``
p-value rule for draws (twice the smaller tail share, at least one draw's worth).
"""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

import facmech.estimates
from facmech.errors import EstimationError
from facmech.estimation.estimate import (
    Estimate,
    Intervals,
    draw_intervals,
    estimates_frame,
    percentile_interval,
    wald_intervals,
)


@pytest.fixture(scope="module")
def ols():
    rng = np.random.default_rng(1)
    X = sm.add_constant(rng.normal(size=(30, 3)))
    y = X @ np.array([0.5, 0.3, 0.0, -0.2]) + rng.normal(size=30)
    return sm.OLS(y, X)


@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_wald_t_equals_statsmodels(ols, alpha):
    fit = ols.fit()
    w = wald_intervals(fit.params, fit.bse, alpha=alpha, df=fit.df_resid)
    ci = fit.conf_int(alpha=alpha)
    np.testing.assert_allclose(w.ci_low, ci[:, 0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(w.ci_high, ci[:, 1], rtol=0, atol=1e-12)
    np.testing.assert_allclose(w.p_value, fit.pvalues, rtol=1e-10)


def test_wald_normal_equals_statsmodels(ols):
    fit = ols.fit(use_t=False)
    w = wald_intervals(fit.params, fit.bse)
    np.testing.assert_allclose(w.ci_low, fit.conf_int()[:, 0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(w.p_value, fit.pvalues, rtol=1e-10)
    # df = inf is the normal; per-element df broadcast
    inf = wald_intervals(fit.params, fit.bse, df=np.inf)
    np.testing.assert_allclose(inf.ci_high, w.ci_high, rtol=0, atol=1e-12)
    mixed = wald_intervals([1.0, 1.0], [0.5, 0.5], df=[5.0, np.inf])
    assert mixed.ci_high.tolist() == pytest.approx(
        [1 + 0.5 * stats.t.ppf(0.975, 5), 1 + 0.5 * stats.norm.ppf(0.975)], abs=1e-14)


def test_from_normal_is_one_wald_interval():
    e = Estimate.from_normal(2.0, 1.0, df=10)
    assert e.ci_high == pytest.approx(2 + stats.t.ppf(0.975, 10), abs=1e-14)
    assert e.p_value == pytest.approx(2 * stats.t.sf(2.0, 10), abs=1e-15)
    assert Estimate.from_normal(1.0, 0.0).p_value == 0.0
    with pytest.raises(EstimationError, match="standard error is not finite and non-negative"):
        Estimate.from_normal(1.0, -0.1)
    with pytest.raises(EstimationError, match="estimate is not finite"):
        Estimate(float("nan"))


def test_draw_intervals_are_percentiles_sd_and_tail_p_values():
    rng = np.random.default_rng(2)
    d = rng.normal(0.3, 0.2, size=(4, 999))
    out = draw_intervals(d.mean(axis=1), d, alpha=0.1)
    lo, hi = np.quantile(d, [0.05, 0.95], axis=1)
    np.testing.assert_array_equal(out.ci_low, lo)
    np.testing.assert_array_equal(out.ci_high, hi)
    np.testing.assert_array_equal(out.std_error, d.std(axis=1, ddof=1))
    share = np.minimum((d <= 0).mean(axis=1), (d >= 0).mean(axis=1))
    np.testing.assert_allclose(out.p_value, np.maximum(2 * share, 1 / 999), rtol=1e-15)
    # no draw beyond the null: the p-value is one draw's worth (R mediation)
    assert draw_intervals(1.0, np.linspace(1, 2, 50)).p_value == pytest.approx(1 / 50)
    # the draws axis may be any axis
    moved = draw_intervals(d.mean(axis=1), d.T, alpha=0.1, axis=0)
    np.testing.assert_array_equal(moved.ci_low, out.ci_low)


def test_failed_draws_are_left_out_and_infinite_draws_kept():
    d = np.array([[0.1, np.nan, 0.5, 0.2, np.nan, 0.9], [0.1, 0.4, 0.5, 0.2, 0.7, 0.9]])
    out = draw_intervals(np.zeros(2), d, alpha=0.5)
    kept = draw_intervals(0.0, np.array([0.1, 0.5, 0.2, 0.9]), alpha=0.5)
    assert out.ci_low[0] == kept.ci_low and out.std_error[0] == pytest.approx(kept.std_error)
    assert out.p_value[0] == 0.25  # one of 4 draws that are not NaN
    assert Estimate.from_draws(0.0, d[0], alpha=0.5) == kept[()]
    lo, hi = percentile_interval(d, alpha=0.5)
    assert lo.tolist() == pytest.approx([kept.ci_low, np.quantile(d[1], 0.25)])
    assert hi.tolist() == pytest.approx([kept.ci_high, np.quantile(d[1], 0.75)])
    # a ratio over a zero total is infinite, not missing: the SD is undefined (NaN) and the
    # interval reaches infinity, for the caller to report (mediation drops prop_mediated)
    ratio = draw_intervals(1.0, np.array([0.5, 1.0, 2.0, np.inf]), alpha=0.5)
    assert np.isnan(ratio.std_error) and ratio.ci_high == np.inf and ratio.ci_low == 0.875
    with pytest.raises(EstimationError, match="fewer than two usable resampling draws"):
        draw_intervals(0.0, np.array([1.0, np.nan, np.nan]))


def test_intervals_records_and_frames():
    iv = Intervals(np.array([1.0, -0.2]), np.array([0.1, 0.3]), np.array([0.8, -0.8]),
                   np.array([1.2, 0.4]), np.array([0.001, 0.5]))
    assert iv.reject.tolist() == [True, False]
    assert iv[0] == Estimate(1.0, 0.1, 0.8, 1.2, 0.001)
    assert iv.columns().keys() == {"estimate", "std_error", "ci_low", "ci_high", "reject"}
    no_p = Intervals(iv.estimate, iv.std_error, iv.ci_low, iv.ci_high)
    assert no_p[1].p_value is None
    with pytest.raises(EstimationError, match="no p-values"):
        no_p.columns(p_value=True)
    frame = estimates_frame({"a": iv[0], "b": no_p[1]})
    assert frame.loc["a", "ci_high"] == 1.2 and np.isnan(frame.loc["b", "p_value"])
    assert Estimate(1.0).to_dict() == {"estimate": 1.0, "std_error": None, "ci_low": None,
                                       "ci_high": None, "p_value": None}


def test_public_path_is_the_same_record():
    assert facmech.estimates.Estimate is Estimate
    assert facmech.estimates.estimates_frame is estimates_frame
