"""Bad input: clear errors naming the column, the value and what is allowed; data untouched."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from facmech.errors import DataError, EstimationError, FacmechError, FewClustersWarning
from facmech.mediation import Bootstrap, MonteCarlo, mediate


@pytest.fixture
def trial() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    site = np.repeat(np.arange(12), 15)
    a = (site % 2).astype(float)
    m = 0.5 * a + rng.normal(size=site.size)
    y = 0.3 * a + 0.5 * m + rng.normal(size=site.size)
    return pd.DataFrame({"site": site, "fac": a, "eng": m, "y": y,
                         "y01": (y > 0.4).astype(int), "region": np.where(site < 6, "N", "S"),
                         "age": rng.normal(50, 10, site.size)})


def _call(df, **kw):
    args = dict(treatment="fac", mediators="eng", outcome="y", inference=None)
    args.update(kw)
    return mediate(df, **args)


def test_missing_column_is_named_with_hint(trial):
    with pytest.raises(DataError, match=r"'engagement'.*Did you mean 'eng'"):
        _call(trial, mediators="engagement")


def test_missing_values_counted_and_drop_offered(trial):
    df = trial.copy()
    df.loc[[1, 5, 9], "eng"] = np.nan
    before = df.copy()
    with pytest.raises(DataError, match=r"'eng': 3.*missing=\"drop\""):
        _call(df)
    res = _call(df, missing="drop")
    assert res.n_obs == len(df) - 3
    assert any("dropped 3" in w for w in res.warnings)
    pd.testing.assert_frame_equal(df, before)


def test_treatment_not_two_valued(trial):
    df = trial.assign(fac=trial["site"] % 3)
    with pytest.raises(DataError, match=r"exactly two values \(found 3.*control=.*treated="):
        _call(df)


def test_control_and_treated_values_select_arms(trial):
    df = trial.assign(arm=np.where(trial["fac"] == 1, "facilitation", "usual care"))
    res = _call(df, treatment="arm", control="usual care", treated="facilitation")
    ref = _call(trial)
    assert res["nie"].estimate == pytest.approx(ref["nie"].estimate)
    with pytest.raises(DataError, match="does not occur"):
        _call(df, treatment="arm", control="usual", treated="facilitation")


@pytest.mark.filterwarnings("ignore::facmech.errors.FewClustersWarning")
def test_treatment_varying_within_site(trial):
    df = trial.copy()
    df.loc[0, "fac"] = 1.0
    with pytest.raises(DataError, match=r"varies within 1 site\(s\) but is declared site-level"):
        _call(df, site="site")
    _call(df, site="site", treatment_level="patient")  # individually randomized: fine


def test_constant_mediator(trial):
    with pytest.raises(DataError, match="mediator column 'eng' is constant"):
        _call(trial.assign(eng=1.0))


def test_binary_outcome_must_be_01(trial):
    with pytest.raises(DataError, match=r"must be 0/1 for `outcome_family='probit'`"):
        _call(trial, outcome_family="probit")
    res = _call(trial, outcome="y01", outcome_family="logit")
    assert res.outcome_family == "binomial"


def test_fewer_than_four_sites(trial):
    df = trial[trial["site"] < 3]
    with pytest.raises(DataError, match="3 sites; at least 4"):
        _call(df, site="site")


def test_few_sites_warn(trial):
    with pytest.warns(FewClustersWarning, match="only 12 sites"):
        res = _call(trial, site="site", inference=MonteCarlo(draws=50), seed=1)
    assert "CR2" in res.method
    assert any("only 12 sites" in w for w in res.warnings)


def test_unknown_family_and_bad_options(trial):
    with pytest.raises(FacmechError, match="`outcome_family` must be one of"):
        _call(trial, outcome_family="poisson")
    with pytest.raises(DataError, match="mediator column 'eng' must be 0/1"):
        _call(trial, mediator_family="binomial")
    with pytest.raises(FacmechError, match="`mediator_family` must be one of"):
        _call(trial, mediator_family="poisson")
    with pytest.raises(FacmechError, match="`alpha` must be in"):
        _call(trial, alpha=1.5)
    with pytest.raises(FacmechError, match="`inference` must be"):
        _call(trial, inference="bootstrap")
    with pytest.raises(FacmechError, match="`draws` must be"):
        Bootstrap(draws=1)
    with pytest.raises(DataError, match="both as `mediators` and as `covariates`"):
        _call(trial, covariates=["eng"])
    with pytest.raises(DataError, match="requires `site`"):
        _call(trial, period="site")


def test_collinear_covariate(trial):
    with pytest.raises(EstimationError, match="rank deficient"):
        _call(trial.assign(fac2=trial["fac"]), covariates=["fac2"])


def test_categorical_covariate_expanded(trial):
    res = _call(trial, covariates=["region", "age"])
    assert res.data.covariate_names == ("region=S", "age")


@pytest.mark.filterwarnings("ignore:only 12 sites")
def test_bootstrap_with_few_sites_warns(trial):
    with pytest.warns(FewClustersWarning, match="site bootstrap under-covers"):
        res = _call(trial, site="site", inference=Bootstrap(draws=50), seed=1)
    assert any("site bootstrap" in w for w in res.warnings)
