"""The staff-survey table: keys, exact agreement with the survey means, the factor model's moments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from facmech.cli import main
from facmech.errors import DesignError
from facmech.simulation import (
    MANY_STAFF,
    ParallelCRT,
    Scenario,
    SteppedWedge,
    load_scenario,
    simulate,
    switch_off,
)
from facmech.simulation.items import SurveyItems

DESIGN = SteppedWedge(sites=12, steps=4, patients=3)


@pytest.fixture(scope="module")
def trial():
    return simulate("zambia", DESIGN, seed=5, truth=False, surveys=True)


def _scale_means(trial, node):
    sv = trial.surveys
    cols = list(trial.survey_items[node])
    lam = np.asarray(trial.scenario.items_of(node).loadings)
    score = sv[cols].to_numpy().sum(axis=1) / lam.sum()
    frame = pd.DataFrame({"site": sv["site"], "period": sv["period"], "s": score}).dropna()
    return frame.groupby(["site", "period"])["s"].mean()


def test_keys_and_shape(trial) -> None:
    sv = trial.surveys
    n = trial.scenario.staff_per_site
    assert len(sv) == 12 * 5 * n
    assert not sv.duplicated(["site", "period", "respondent"]).any()
    assert sorted(sv["respondent"].unique()) == list(range(n))
    assert trial.survey_items["leadership_engagement"] == tuple(
        f"leadership_engagement_i{k}" for k in range(1, 5))
    assert len(trial.survey_items["trust"]) == 3
    # latent and binary nodes are not surveyed
    assert "socialization" not in trial.survey_items and "uptake" not in trial.survey_items


def test_site_period_means_are_the_single_table_values(trial) -> None:
    sp = trial.site_periods.set_index(["site", "period"])
    for node in trial.survey_items:
        means = _scale_means(trial, node)
        np.testing.assert_allclose(means.to_numpy(), sp.loc[means.index, node].to_numpy(),
                                   rtol=0, atol=1e-12)


def test_baseline_constructs_surveyed_in_period_zero_only(trial) -> None:
    sv = trial.surveys
    col = trial.survey_items["inner_context"][0]
    assert sv.loc[sv["period"] == 0, col].notna().all()
    assert sv.loc[sv["period"] > 0, col].isna().all()


def test_other_tables_do_not_depend_on_surveys(trial) -> None:
    plain = simulate("zambia", DESIGN, seed=5, truth=False)
    pd.testing.assert_frame_equal(plain.data, trial.data)
    pd.testing.assert_frame_equal(plain.site_periods, trial.site_periods)
    assert plain.surveys is None


def test_within_site_period_moments_follow_the_factor_model() -> None:
    """Within a site-period the items have covariance tau^2 lam lam' + diag(sigma^2) (closed form of
    the two-level factor model in facmech.simulation.items), and scale scores variance staff_sd^2."""
    items = SurveyItems(loadings=(1.3, 1.0, 0.7), noise_sd=(0.4, 0.6, 0.8))
    sc = Scenario(staff_per_site=40, staff_sd=1.2, survey_items=items)
    tr = simulate(sc, ParallelCRT(sites=200, patients=1), seed=2, truth=False, surveys=True)
    cols = list(tr.survey_items["trust"])
    x = tr.surveys[cols].to_numpy()
    keys = tr.surveys["site"].to_numpy()
    centred = x - pd.DataFrame(x).groupby(keys).transform("mean").to_numpy()
    n_groups, n = 200, 40
    cov = centred.T @ centred / (n_groups * (n - 1))
    lam, sig = np.asarray(items.loadings), np.asarray(items.noise_sd)
    tau2 = 1.2**2 - (sig**2).sum() / lam.sum() ** 2
    expected = tau2 * np.outer(lam, lam) + np.diag(sig**2)
    # 200 x 39 within degrees of freedom: sampling SD of each entry below 0.03
    np.testing.assert_allclose(cov, expected, atol=0.08)
    score = centred.sum(axis=1) / lam.sum()
    assert score.var() * len(score) / (n_groups * (n - 1)) == pytest.approx(1.44, rel=0.05)


def test_bad_items() -> None:
    with pytest.raises(DesignError, match="noise SDs"):
        SurveyItems(loadings=(1.0, 1.0), noise_sd=(0.5,))
    with pytest.raises(DesignError, match="more than `staff_sd`"):
        Scenario(staff_sd=0.2, survey_items={"loadings": [1.0], "noise_sd": [0.5]})
    with pytest.raises(DesignError, match="unknown key 'loading'"):
        Scenario(survey_items={"loading": [1.0], "noise_sd": [0.5]})
    with pytest.raises(Exception, match="node_survey_items"):
        Scenario(node_survey_items={"trusst": {"loadings": [1.0], "noise_sd": [0.5]}})


def test_yaml_items_round_trip() -> None:
    sc = load_scenario("zambia")
    assert sc.items_of("leadership_engagement").loadings == (1.2, 1.0, 0.9, 0.9)
    assert sc.items_of("trust").noise_sd == (0.5, 0.6, 0.7)
    again = Scenario(**{**sc.to_dict(), "map": sc.map})
    assert again.items_of("leadership_engagement") == sc.items_of("leadership_engagement")


def test_too_many_respondents() -> None:
    sc = switch_off(load_scenario("zambia"), "measurement")
    assert sc.staff_per_site == MANY_STAFF
    with pytest.raises(DesignError, match="survey rows"):
        simulate(sc, DESIGN, seed=1, truth=False, surveys=True)


def test_cli_surveys_out(tmp_path, capsys) -> None:
    out, staff = tmp_path / "p.csv", tmp_path / "staff.csv"
    code = main(["simulate", "--scenario", "zambia", "--sites", "8", "--patients", "2", "--seed",
                 "1", "--out", str(out), "--surveys-out", str(staff)])
    assert code == 0
    table = pd.read_csv(staff)
    assert len(table) == 8 * 5 * 8 and list(table.columns[:3]) == ["site", "period", "respondent"]
    assert main(["simulate", "--scenario", "zambia", "--out", str(out), "--surveys-out",
                 str(tmp_path / "s.txt")]) == 2
    assert "`--surveys-out` must end in .csv or .parquet" in capsys.readouterr().err


def test_error_free_surveys() -> None:
    tr = simulate(Scenario(staff_sd=0.0), ParallelCRT(sites=4, patients=1), seed=1, truth=False,
                  surveys=True)
    cols = list(tr.survey_items["trust"])
    lam = np.asarray(tr.scenario.items_of("trust").loadings)
    true = tr.site_periods.set_index("site")["trust_true"]
    np.testing.assert_allclose(tr.surveys[cols].to_numpy(),
                               np.outer(true.loc[tr.surveys["site"]].to_numpy(), lam), atol=1e-12)
