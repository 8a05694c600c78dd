"""StrategyResult presentation: frame, dict, summary, HTML, plot; baseline covariates."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pytest

from facmech.estimates import ESTIMATE_COLUMNS
from facmech.gmethods import gformula, msm
from facmech.gmethods.simulate import adaptive_dose_data

matplotlib.use("Agg")

KW = dict(site="site", period="period", treatment="facilitation",
          confounders=["leadership_engagement"], outcome="uptake")


@pytest.fixture(scope="module")
def result():
    df, _ = adaptive_dose_data(sites=150, periods=3, adapt=0.5, seed=6)
    return gformula(df, **KW, strategies=["always", "never", "from:1"], inference=40, seed=2)


def test_frame_dict_summary_html_plot(result):
    frame = result.to_frame()
    assert list(frame.columns) == list(ESTIMATE_COLUMNS)
    assert list(frame.index) == ["always", "never", "from:1", "always - never", "from:1 - never"]
    assert frame.loc["always", "p_value"] != frame.loc["always", "p_value"]  # NaN: not applicable
    d = result.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["contrast"] == result.contrast.to_dict()
    assert "bootstrap over sites, 40 draws" in result.summary()
    assert "<table" in result._repr_html_()
    ax = result.plot()
    assert len(ax.get_yticks()) == 3


def test_contrast_equals_difference_of_means_in_every_draw(result):
    s = result.strategies
    assert result.contrast.estimate == pytest.approx(s["always"].estimate - s["never"].estimate)


def test_baseline_covariate_is_used_and_harmless():
    df, truth = adaptive_dose_data(sites=3000, periods=3, adapt=0.5, seed=12)
    rng = np.random.default_rng(1)
    df = df.assign(region=np.repeat(rng.normal(size=3000), 3))  # unrelated site covariate
    res = gformula(df, **KW, baseline=["region"], inference=None)
    assert any("region" in m.terms for m in res.models)
    assert res.contrast.estimate == pytest.approx(truth["always - never"], abs=0.15)
    ipw = msm(df, **KW, baseline=["region"], inference=None)
    assert ipw.contrast.estimate == pytest.approx(truth["always - never"], abs=0.3)
