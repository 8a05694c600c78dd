"""Bad input gets a clear FacmechError naming the argument, the value and what is allowed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from facmech.errors import ArgumentError, DataError, EstimationError, PositivityWarning
from facmech.gmethods import Dynamic, Stabilized, gformula, msm, parse_strategy
from facmech.gmethods.simulate import adaptive_dose_data

KW = dict(site="site", period="period", treatment="facilitation",
          confounders=["leadership_engagement"], outcome="uptake", inference=None)


@pytest.fixture()
def df():
    return adaptive_dose_data(sites=60, periods=3, adapt=0.5, seed=0)[0]


def test_gap_in_periods(df):
    bad = df.drop(index=df.index[(df.site == 4) & (df.period == 1)])
    with pytest.raises(DataError, match=r"site 4 has periods \[0, 2\].*gaps"):
        gformula(bad, **KW)


def test_duplicate_unit_period_rows(df):
    bad = pd.concat([df, df.iloc[[5]]])
    with pytest.raises(DataError, match=r"share a \(site, period\) pair.*`patient`"):
        gformula(bad, **KW)


def test_missing_outcome_where_needed(df):
    bad = df.copy()
    bad.loc[(bad.site == 7) & (bad.period == 2), "uptake"] = np.nan
    with pytest.raises(DataError, match=r"outcome `uptake` is missing in the last period.*site=7"):
        gformula(bad, **KW)
    # missing outcome in earlier periods is fine: only the last period is read
    ok = df.copy()
    ok.loc[ok.period < 2, "uptake"] = np.nan
    gformula(ok, **KW)


def test_constant_or_missing_confounder(df):
    bad = df.assign(leadership_engagement=1.5)
    with pytest.raises(DataError, match=r"confounder `leadership_engagement` is constant \(value 1.5\)"):
        gformula(bad, **KW)
    with pytest.raises(DataError, match=r"missing column\(s\) 'leadership'.*Did you mean"):
        gformula(df, **{**KW, "confounders": ["leadership"]})
    holes = df.copy()
    holes.loc[3, "leadership_engagement"] = np.nan
    with pytest.raises(DataError, match=r"`leadership_engagement` has 1 missing value"):
        gformula(holes, **KW)


def test_dose_treatment_with_binary_only_strategy():
    dose, _ = adaptive_dose_data(sites=60, periods=3, dose=True, seed=0)
    with pytest.raises(DataError, match=r"strategy `always` is binary-only.*dose"):
        gformula(dose, **KW, strategies=["always", "never"])
    with pytest.raises(DataError, match=r"binary-only"):
        gformula(dose, **KW, strategies=["dynamic:leadership_engagement<0", "never"])


def test_strategy_naming_unknown_column(df):
    with pytest.raises(DataError, match=r"names column `leadership`.*Did you mean 'leadership_engagement'"):
        gformula(df, **KW, strategies=["dynamic:leadership<0", "never"])
    with pytest.raises(DataError, match=r"unknown strategy 'sometimes'; allowed"):
        parse_strategy("sometimes")
    with pytest.raises(DataError, match=r"condition must look like"):
        parse_strategy("dynamic:leadership_engagement")


def test_other_arguments(df):
    with pytest.raises(ArgumentError, match=r"`method` must be one of 'parametric', 'ice'"):
        gformula(df, **KW, method="ipw")
    with pytest.raises(DataError, match=r"`history` must be None"):
        gformula(df, **KW, history=-1)
    with pytest.raises(EstimationError, match=r"static strategies only"):
        msm(df, **KW, strategies=[Dynamic("leadership_engagement"), "never"])
    with pytest.raises(DataError, match=r"`truncate`"):
        msm(df, **KW, weights=Stabilized(truncate=(0.9, 0.1)))
    with pytest.raises(DataError, match=r"baseline covariate `v` changes within site"):
        gformula(df.assign(v=df.period), **{**KW, "baseline": ["v"]})
    with pytest.raises(DataError, match=r"more than one role"):
        gformula(df, **{**KW, "confounders": ["uptake"]})


def test_caller_frame_not_modified(df):
    before = df.copy()
    gformula(df, **KW)
    msm(df, **KW)
    assert df.equals(before)


def test_strategy_without_data_support_in_a_period(df):
    # stepped-wedge-like: nobody is facilitated in period 0
    sw = df.copy()
    sw.loc[sw.period == 0, "facilitation"] = 0.0
    with pytest.raises(DataError, match=r"strategy `always` sets facilitation=1 in period 0, but "
                                        r"every site has facilitation=0 there.*positivity"):
        gformula(sw, **KW, strategies=["always", "never"])
    res = gformula(sw, **KW, strategies=["from:1", "never"])
    assert np.isfinite(res.contrast.estimate)


def test_dose_level_outside_observed_range_warns():
    dose, _ = adaptive_dose_data(sites=60, periods=3, dose=True, seed=0)
    with pytest.warns(PositivityWarning, match=r"outside the observed range"):
        res = gformula(dose, **KW, strategies=["always:50", "never"])
    assert any("extrapolation" in w for w in res.warnings)


def test_per_period_outcome_needed_for_mean(df):
    bad = df.copy()
    bad.loc[(bad.site == 3) & (bad.period == 0), "uptake"] = np.nan
    with pytest.raises(DataError, match=r"missing in 1 site-period\(s\) \(e.g. site=3, period=0\)"):
        gformula(bad, **KW, outcome_at="mean")
    with pytest.raises(ArgumentError, match=r"`timing` must be one of 'before', 'after'"):
        gformula(df, **KW, timing="during")
