"""naive_regression on a stepped wedge whose first period has no facilitated site."""

from __future__ import annotations

import json

import numpy as np
import pytest
import statsmodels.api as sm

import facmech
from facmech.estimates import Estimate, estimates_frame
from facmech.gmethods.naive import NaiveEstimate, naive_regression

KW = dict(site="site", period="period", treatment="facilitation",
          confounders=["leadership_engagement"], outcome="uptake")


@pytest.fixture(scope="module")
def zambia():
    sp = facmech.simulate("zambia", seed=1).site_periods
    assert (sp.loc[sp.period == 0, "facilitation"] == 0).all()  # no site facilitated at baseline
    return sp


def _ols_sum(sp, s):
    # statsmodels reference: uptake at period s on facilitation in periods 1..s and leadership
    # engagement in periods 0..s (timing "before"), one row per site; sum of the dose coefficients
    wide = sp.pivot(index="site", columns="period")
    a = wide["facilitation"][list(range(1, s + 1))].to_numpy()
    x = sm.add_constant(np.column_stack([a, wide["leadership_engagement"][list(range(s + 1))]]))
    fit = sm.OLS(wide["uptake"][s].to_numpy(), x).fit()
    return float(fit.params[1:1 + s].sum())


def test_last_period_outcome_drops_period_zero(zambia):
    e = naive_regression(zambia, **KW, level=1.5, inference=50, seed=1)
    assert isinstance(e, NaiveEstimate) and isinstance(e, Estimate)
    assert e.estimate == pytest.approx(1.5 * _ols_sum(zambia, 4), abs=1e-10)
    assert np.isfinite([e.std_error, e.ci_low, e.ci_high, e.p_value]).all()
    assert e.constant_periods == (0,)
    assert e.contrast == "from:1:1.5 vs never"
    assert "period 0" in e.note and "not estimable" in e.note and "from:1:1.5" in e.note
    assert "from:1:1.5 vs never" in e.summary()


def test_mean_outcome_counts_period_zero_as_no_effect(zambia):
    # the period-0 outcome has no estimable dose coefficient: under "from:1" its effect is 0
    e = naive_regression(zambia, **KW, outcome_at="mean", inference=50, seed=1)
    ref = np.mean([0.0] + [_ols_sum(zambia, s) for s in range(1, 5)])
    assert e.estimate == pytest.approx(ref, abs=1e-10)
    assert e.contrast == "from:1 vs never"


def test_result_is_json_ready_and_frames(zambia):
    e = naive_regression(zambia, **KW, inference=20, seed=2)
    d = json.loads(json.dumps(e.to_dict()))
    assert d["constant_periods"] == [0] and d["contrast"] == "from:1 vs never"
    assert d["estimate"] == pytest.approx(e.estimate)
    frame = estimates_frame({"naive": e})
    assert frame.loc["naive", "estimate"] == pytest.approx(e.estimate)


def test_no_constant_period_states_always(zambia):
    later = zambia[zambia.period > 0]
    e = naive_regression(later, **KW, inference=20, seed=3)
    assert e.constant_periods == () and e.note == "" and e.contrast == "always vs never"


def test_constant_period_in_the_middle_is_described(zambia):
    # every site at dose 1 in period 2: held at the observed value, not "never"
    sp = zambia.assign(facilitation=zambia.facilitation.where(zambia.period != 2, 1.0))
    e = naive_regression(sp, **KW, inference=20, seed=4)
    assert e.constant_periods == (0, 2)
    assert e.contrast == "1 vs 0 in periods 1, 3, 4 (periods 0, 2 as observed)"
    assert "the same for every site in periods 0, 2" in e.note
