"""The simulated data: columns, seeds, outcome ICC and cluster autocorrelation, survey error, files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from facmech.errors import DataError
from facmech.simulation import DoseRule, ParallelCRT, Scenario, SteppedWedge, simulate


def test_columns_and_levels() -> None:
    trial = simulate("zambia", seed=2, truth=False)
    data, sp = trial.data, trial.site_periods
    assert list(data.columns[:5]) == ["site", "period", "patient", "exposed", "facilitation"]
    mmap = trial.scenario.map
    for node in mmap.observed_ids:
        assert node in data.columns, node
    for node in mmap.latent_ids:  # latent nodes are not in the data, only their truth
        assert node not in data.columns
        assert f"{node}_true" in sp.columns
    assert "step" in data.columns and "severity" in data.columns
    assert len(data) == 24 * 5 * 40 and data["patient"].is_unique
    assert len(sp) == 24 * 5
    # site-period columns are constant within a site-period, patient columns are not
    g = data.groupby(["site", "period"])
    assert (g["normalization"].nunique() == 1).all() and (g["patient_outcomes"].nunique() > 1).all()
    assert (g["inner_context"].nunique() == 1).all()
    assert (data.groupby("site")["inner_context"].nunique() == 1).all()  # baseline
    assert set(data["uptake"].unique()) <= {0, 1}  # binary in the zambia scenario
    assert not data.isna().any().any() and not sp.isna().any().any()
    dictionary = trial.dictionary()
    assert list(dictionary["column"]) == list(data.columns)
    assert dictionary.set_index("column").loc["normalization", "level"] == "site-period"
    assert dictionary.set_index("column").loc["uptake", "type"] == "binary"


def test_same_seed_same_data_different_seed_different_data() -> None:
    d = SteppedWedge(sites=8, steps=4, patients=6)
    a = simulate("zambia", d, seed=123, truth=False)
    b = simulate("zambia", d, seed=123, truth=False)
    c = simulate("zambia", d, seed=124, truth=False)
    pd.testing.assert_frame_equal(a.data, b.data)
    pd.testing.assert_frame_equal(a.site_periods, b.site_periods)
    assert not np.allclose(a.data["patient_outcomes"], c.data["patient_outcomes"])
    g = simulate("zambia", d, seed=np.random.default_rng(123), truth=False)
    assert g.data.shape == a.data.shape


def _null_outcome_scenario(**kw) -> Scenario:
    # the outcome's only parent is switched off: its variation is the error of the icc/cac split
    return Scenario(coefficients={"uptake->patient_outcomes": 0.0}, patient_covariates={}, **kw)


def test_outcome_icc_recovered() -> None:
    icc, I, J = 0.05, 400, 50
    trial = simulate(_null_outcome_scenario(icc=icc), ParallelCRT(sites=I, patients=J), seed=8,
                     truth=False)
    y = trial.data["patient_outcomes"].to_numpy().reshape(I, J)
    means = y.mean(axis=1)
    msb = J * means.var(ddof=1)
    msw = ((y - means[:, None]) ** 2).sum() / (I * (J - 1))
    est = (msb - msw) / (msb + (J - 1) * msw)  # one-way ANOVA estimator
    # large-sample variance of the ANOVA ICC (Donner 1986, Int Stat Rev 54:67, eq. 2.4):
    # 2 (1 - rho)^2 (1 + (J - 1) rho)^2 / (J (J - 1) (I - 1))
    se = np.sqrt(2 * (1 - icc) ** 2 * (1 + (J - 1) * icc) ** 2 / (J * (J - 1) * (I - 1)))
    assert abs(est - icc) < 3.5 * se


def test_cluster_autocorrelation_recovered() -> None:
    # Hooper et al. 2016: Cov(site-period means of two periods) = icc * cac * sigma^2
    icc, cac, I, J = 0.2, 0.5, 2000, 10
    trial = simulate(_null_outcome_scenario(icc=icc, cac=cac),
                     ParallelCRT(sites=I, patients=J, periods=2), seed=3, truth=False)
    m = trial.site_periods.pivot(index="site", columns="period", values="patient_outcomes")
    cov = np.cov(m[0], m[1])
    se = np.sqrt((cov[0, 0] * cov[1, 1] + cov[0, 1] ** 2) / (I - 1))  # normal-theory SE
    assert abs(cov[0, 1] - icc * cac) < 3.5 * se
    total = icc + (1 - icc) / J  # Var of a site-period mean: sigma_u^2 + sigma_v^2 + sigma_e^2/J
    assert abs(cov[0, 0] - total) < 3.5 * total * np.sqrt(2 / (I - 1))


def test_staff_survey_measurement_error() -> None:
    k, sd = 5, 1.2
    trial = simulate(Scenario(staff_per_site=k, staff_sd=sd), ParallelCRT(sites=300, patients=2,
                     periods=2), seed=5, truth=False)
    sp = trial.site_periods
    err = sp["normalization"] - sp["normalization_true"]
    n = len(err)
    s2 = err.var(ddof=0)  # mean is zero by construction
    lo, hi = stats.chi2.ppf([0.0005, 0.9995], n) / n  # 99.9% interval for s^2 / sigma^2
    assert lo < s2 / (sd**2 / k) < hi
    assert (sp["facilitation"] >= 0).all()  # dose logs carry no error and respect the floor


def test_dose_rule_taper_duration_and_feedback() -> None:
    rule = DoseRule(base=2.0, taper=0.5, sd=0.0, floor=None, duration=3)
    trial = simulate(Scenario(dose=rule, feedback=0.0), ParallelCRT(sites=4, patients=2, periods=5),
                     seed=1, truth=False)
    sp = trial.site_periods
    treated = sp[sp.exposed == 1].pivot(index="site", columns="period", values="facilitation")
    assert np.allclose(treated.to_numpy(), [2.0, 1.0, 0.5, 0.0, 0.0])  # high early, taper, end
    # feedback: the dose follows last period's (true) leadership engagement with slope feedback
    trial = simulate(Scenario(dose=DoseRule(base=1.0, sd=0.0, floor=None), feedback=0.7),
                     ParallelCRT(sites=50, patients=2, periods=3), seed=2, truth=False)
    sp = trial.site_periods.sort_values(["site", "period"])
    sp = sp.assign(lag_le=sp.groupby("site")["leadership_engagement_true"].shift())
    on = sp[(sp.exposed == 1) & (sp.period > 0)]
    assert np.allclose(on["facilitation"], 1.0 + 0.7 * on["lag_le"])


def test_write_csv_and_parquet(tmp_path) -> None:
    trial = simulate("vha", seed=1, truth=False)
    csv = trial.write(tmp_path / "t.csv")
    back = pd.read_csv(csv)
    assert back.shape == trial.data.shape
    assert np.allclose(back["patient_outcomes"], trial.data["patient_outcomes"])
    pq = trial.write(tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(pq), trial.data)
    with pytest.raises(DataError, match=r"must end in \.csv or \.parquet"):
        trial.write(tmp_path / "t.xlsx")


def test_binary_and_count_nodes_follow_their_links() -> None:
    # uptake's parent switched off: Bernoulli(logistic(0.4)) per patient; sustainment's parent off:
    # Poisson(exp(0.3)) per site-period
    s = Scenario(types={"uptake": "binary", "sustainment": "count"},
                 intercepts={"uptake": 0.4, "sustainment": 0.3},
                 coefficients={"normalization->uptake": 0.0, "uptake->sustainment": 0.0})
    trial = simulate(s, ParallelCRT(sites=500, patients=40, periods=2), seed=12, truth=False)
    p = 1 / (1 + np.exp(-0.4))
    u = trial.data["uptake"].to_numpy()
    assert abs(u.mean() - p) < 4 * np.sqrt(p * (1 - p) / u.size)
    c = trial.site_periods["sustainment"].to_numpy()
    mu = np.exp(0.3)
    assert abs(c.mean() - mu) < 4 * np.sqrt(mu / c.size)
    # Poisson: variance = mean; Var(s^2) ~ (mu4 - sigma^4) / n = (mu + 2 mu^2) / n
    assert abs(c.var(ddof=1) / mu - 1) < 4 * np.sqrt((1 / mu + 2) / c.size)
