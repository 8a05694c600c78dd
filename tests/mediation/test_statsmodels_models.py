"""statsmodels model results in mediation results; formula, fitted-model and MixedLM input;
continuous treatments; ``cov_params`` and the treatment-by-mediator interaction test.

References (none written here):

- statsmodels OLS/GLM/MixedLM fits of the same formulas (``res.models``), which facmech's batched
  core must reproduce to 1e-8, and statsmodels' clustered covariance (CR1);
- R ``clubSandwich::vcovCR(type = "CR2")`` (``results/multisite_clubsandwich.R``);
- R ``lme4::lmer`` + ``mediation::mediate`` / ``test.TMint`` 4.5.1 on ``results/multisite.csv``
  (``results/multisite_lme4_mediation.R``, 10000 quasi-Bayesian draws, ``set.seed(2026)``):
  fixed effects, their covariance, the plug-in effects from the coefficients and R's Monte Carlo
  summaries.

Tolerances. Point estimates: lme4 and statsmodels both maximize the REML likelihood, to about
1e-8 here; R mediation reports the *mean* of its draws, whose Monte Carlo error is
``sd / sqrt(10000)``, so facmech's plug-in is compared within 4 such errors. Interval ends: the
2.5% quantile of 10000 normal-ish draws has Monte Carlo SD about ``0.027 sd``; facmech uses 20000
draws (``0.019 sd``), so ends agree within ``0.15 sd`` (about 4.5 combined SDs). Standard errors
(SD of draws): Monte Carlo SE about 0.7% (R) and 0.5% (facmech); within 4%.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from facmech.errors import ArgumentError, DataError, FacmechError
from facmech.estimation.fit import irls, wls
from facmech.mediation import Bootstrap, Classical, Clustered, MonteCarlo, mediate
from facmech.mediation.data import prepare
from facmech.mediation.effects import Layout
from facmech.mediation.exposure import ExposureLayout
from facmech.mediation.spec import EffectModel, Family, TreatmentLevel

RESULTS = Path(__file__).parent / "results"
DATA = pd.read_csv(RESULTS / "multisite.csv")
R = json.loads((RESULTS / "multisite_lme4_mediation.json").read_text())
DRAWS = 20000


def _stepped(seed: int = 5, family: str = "gaussian") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    G, T, J = 16, 4, 10
    site = np.repeat(np.arange(G), T * J)
    period = np.tile(np.repeat(np.arange(T), J), G)
    start = 1 + np.arange(G) % 3
    a = (period >= start[site]).astype(int)
    ex = np.where(a == 1, period - start[site] + 1, 0)
    x = rng.normal(size=site.size)
    grp = rng.choice(["a", "b", "c"], size=site.size)
    m1 = 0.5 * a + 0.2 * x + 0.1 * period + rng.normal(size=site.size)
    m2 = 0.3 * a + 0.4 * m1 + rng.normal(size=site.size)
    lin = 0.2 * a + 0.5 * m1 + 0.3 * m2 + 0.2 * a * m1 + 0.2 * x + 0.05 * ex
    y = lin + rng.normal(size=site.size)
    if family != "gaussian":
        y = (lin - 0.5 + rng.logistic(size=site.size) > 0).astype(int)
    return pd.DataFrame({"site": site, "period": period, "fac": a, "x": x, "grp": grp,
                         "m1": m1, "m2": m2, "y": y})


CASES = [
    ("gaussian", False, False), ("gaussian", True, False), ("gaussian", True, True),
    ("binomial", False, False), ("binomial", True, True), ("probit", True, False),
    ("probit", False, True),
]


@pytest.mark.parametrize(("family", "interaction", "eti"), CASES)
def test_statsmodels_models_equal_batched_fits(family, interaction, eti):
    df = _stepped(family=family)
    meds = ["m1", "m2"]
    kw = dict(treatment="fac", mediators=meds, outcome="y", covariates=["x", "grp"],
              site="site", period="period", outcome_family=family, interaction=interaction)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = mediate(df, **kw, inference=None,
                      effect_model="exposure_time" if eti else None)
        prep = prepare(df, treatment="fac", mediators=meds, outcome="y", covariates=["x", "grp"],
                       site="site", period="period", outcome_family=Family.parse(family),
                       mediator_family=Family.GAUSSIAN, treatment_level=TreatmentLevel.SITE,
                       control=None, treated=None, missing="raise",
                       effect_model=EffectModel.EXPOSURE_TIME if eti else EffectModel.CONSTANT)
    assert list(res.models) == ["m1", "m2", "y"]
    n = len(df)
    C = np.concatenate([np.ones((1, n, 1)), prep.covariates[None]], axis=-1)
    layout = Layout(p=C.shape[-1], k=2, interaction=interaction)
    shape = ExposureLayout(prep.exposure[None], prep.treatment[None], layout) if eti else layout
    for j, name in enumerate(res.models):
        X = shape.design(C, prep.treatment[None], prep.mediators[None], j)
        y = prep.mediators[None, :, j] if j < 2 else prep.outcome[None]
        fam = Family.GAUSSIAN if j < 2 else Family.parse(family)
        coef = (wls(X, y) if fam is Family.GAUSSIAN else irls(X, y, fam)).coef[0, 0]
        sm = res.models[name]
        exog = np.asarray(sm.model.exog)
        assert exog.shape[1] == X.shape[-1]
        # the same columns, in patsy's order: match them by value
        perm = [int(np.flatnonzero(np.all(np.isclose(X[0], exog[:, [c]]), axis=0))[0])
                for c in range(exog.shape[1])]
        assert sorted(perm) == list(range(X.shape[-1]))
        np.testing.assert_allclose(np.asarray(sm.params), coef[perm], rtol=0, atol=1e-8)
        if eti:
            assert "C(exposure_time)[T.2]" in sm.params.index
        if interaction and j > 0:
            assert "fac:m1" in sm.params.index


@pytest.mark.parametrize(("family", "interaction"), [("gaussian", True), ("binomial", False),
                                                     ("probit", True)])
def test_formula_path_gives_the_batched_effects(family, interaction):
    """The same models as formulas: effects computed from the statsmodels fits equal the batched
    core's to 1e-8, and formulas name the model that was fitted."""
    df = _stepped(family=family)
    kw = dict(treatment="fac", mediators=["m1", "m2"], outcome="y", covariates=["x", "grp"],
              site="site", period="period", outcome_family=family, interaction=interaction,
              inference=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = mediate(df, **kw)
        got = mediate(df, **{**kw, "covariates": ()},
                      mediator_formula={m: ref.models.formulas[m] for m in ("m1", "m2")},
                      outcome_formula=ref.models.formulas["y"])
    assert ref.models.formulas["y"].startswith("y ~ fac + m1 + m2")
    for name, e in ref.effects.items():
        assert got[name].estimate == pytest.approx(e.estimate, abs=1e-8), name


def test_formulas_with_different_covariates_per_model():
    """A covariate only in the outcome model enters the mediator model with coefficient 0: the
    linear NIE is the product of the statsmodels coefficients."""
    res = mediate(DATA, treatment="facilitation", mediators="trust",
                  mediator_formula="trust ~ facilitation",
                  outcome_formula="uptake ~ facilitation + trust + readiness + C(region)",
                  site="site", inference=None)
    a = smf.ols("trust ~ facilitation", DATA).fit().params["facilitation"]
    b = smf.ols("uptake ~ facilitation + trust + readiness + C(region)", DATA).fit().params
    assert res.outcome == "uptake"
    assert res["nie"].estimate == pytest.approx(a * b["trust"], abs=1e-10)
    assert res["nde"].estimate == pytest.approx(b["facilitation"], abs=1e-10)
    assert res.models["trust"].params["facilitation"] == pytest.approx(a, abs=1e-12)


def test_fitted_models_input_matches_formulas():
    m = smf.ols("trust ~ facilitation + readiness", DATA).fit()
    y = smf.ols("uptake ~ facilitation * trust + readiness", DATA).fit()
    got = mediate(models=[m, y], treatment="facilitation", mediators="trust", seed=3,
                  inference=MonteCarlo(draws=500, covariance=Classical()))
    ref = mediate(DATA, treatment="facilitation", mediators="trust", outcome="uptake",
                  covariates=["readiness"], interaction=True, seed=3,
                  inference=MonteCarlo(draws=500, covariance=Classical()))
    assert got.models["uptake"] is y  # the user's fit, not a refit
    assert got.outcome == "uptake" and got.interaction
    for name in ("nie_control", "nie_treated", "nde", "total"):
        assert got[name].estimate == pytest.approx(ref[name].estimate, abs=1e-10)
    # R mediation on the same lm fits (plug-in from the coefficients)
    for name in ("nie_control", "nie_treated", "nde_control", "nde_treated", "total"):
        assert got[name].estimate == pytest.approx(R["lm_interaction"]["plugin"][name], abs=1e-10)


def _mc_close(est, r_summary, r_sd, name):
    """facmech's plug-in vs R's mean of draws, and intervals, within Monte Carlo error."""
    mean, lo, hi, _ = r_summary
    assert est.estimate == pytest.approx(mean, abs=4 * r_sd / np.sqrt(10000)), name
    assert est.ci_low == pytest.approx(lo, abs=0.15 * r_sd), name
    assert est.ci_high == pytest.approx(hi, abs=0.15 * r_sd), name
    assert est.std_error == pytest.approx(r_sd, rel=0.04), name


def _mixed(case, **kw):
    return mediate(DATA, mediators="trust", outcome="uptake", site="site",
                   random_intercept=True, seed=11, inference=MonteCarlo(draws=DRAWS), **kw)


@pytest.fixture(scope="module")
def mixed_binary():
    return _mixed("mixed_binary", treatment="facilitation", covariates=["readiness", "region"])


def test_mixedlm_fixed_effects_match_lme4(mixed_binary):
    ref = R["mixed_binary"]
    for name, key in (("trust", "mediator"), ("uptake", "outcome")):
        sm = mixed_binary.models[name]
        assert type(sm.model).__name__ == "MixedLM"
        got = {k.replace("C(region)[T.", "region").replace("]", ""): v
               for k, v in sm.fe_params.items()}
        got["(Intercept)"] = got.pop("Intercept")
        for term, value in ref[key]["params"].items():
            assert got[term] == pytest.approx(value, abs=1e-6), (name, term)
        bse = np.sqrt(np.diag(mixed_binary.cov_params().loc[name, name]))
        # lme4's vcov: (X' V^-1 X)^-1 at the REML variances (agrees to ~3e-8 here)
        np.testing.assert_allclose(np.sort(bse), np.sort(list(ref[key]["bse"].values())),
                                   rtol=1e-6)
        assert np.sqrt(float(sm.cov_re.iloc[0, 0])) == pytest.approx(ref[key]["sigma_site"],
                                                                     rel=1e-4)
        assert np.sqrt(sm.scale) == pytest.approx(ref[key]["sigma"], rel=1e-5)


def test_mixed_effects_match_r_mediation(mixed_binary):
    ref = R["mixed_binary"]
    for name in ("nie", "nde", "total", "nie_control", "nde_treated"):
        assert mixed_binary[name].estimate == pytest.approx(ref["plugin"][name], abs=1e-6)
    for name in ("nie", "nde", "total"):
        _mc_close(mixed_binary[name], ref["mediate"][name], ref["mediate"]["sd"][name], name)
    assert "MixedLM" in mixed_binary.method and "fixed-effect covariance" in mixed_binary.method
    # the cross-model block is zero: draws independent across models, as R mediation
    assert np.all(mixed_binary.cov_params().loc["trust", "uptake"].to_numpy() == 0)


def test_mixed_continuous_dose_matches_r_mediation():
    res = _mixed("mixed_dose", treatment="dose", covariates=["readiness"], control=1, treated=4)
    ref = R["mixed_dose"]
    assert res.models["trust"].fe_params["dose"] == pytest.approx(
        ref["mediator"]["params"]["dose"], abs=1e-6)
    for name in ("nie", "nde", "total"):
        assert res[name].estimate == pytest.approx(ref["plugin"][name], abs=1e-6)
        _mc_close(res[name], ref["mediate"][name], ref["mediate"]["sd"][name], name)


def test_mixed_interaction_test_matches_r():
    res = _mixed("mixed_interaction", treatment="facilitation", covariates=["readiness"],
                 interaction=True)
    ref = R["mixed_interaction"]
    t = res.test_interaction(draws=DRAWS, seed=5)
    assert t.estimate == pytest.approx(ref["plugin"]["tmint"], abs=1e-6)
    _mc_close(t, ref["tmint"], ref["tmint_sd"], "tmint")


@pytest.mark.parametrize("case", ["lm_interaction", "lm_dose_interaction"])
def test_interaction_test_and_continuous_treatment_match_r(case):
    ref = R[case]
    treat = "dose" if "dose" in case else "facilitation"
    extra = {"control": 1, "treated": 4} if "dose" in case else {}
    res = mediate(DATA, treatment=treat, mediators="trust", outcome="uptake",
                  covariates=["readiness"], interaction=True, seed=8,
                  inference=MonteCarlo(draws=DRAWS, covariance=Classical()), **extra)
    for name in ("nie_control", "nie_treated", "nde_control", "nde_treated", "total"):
        assert res[name].estimate == pytest.approx(ref["plugin"][name], abs=1e-10)
    for name in ("nie", "nde", "total", "nie_control", "nie_treated"):
        _mc_close(res[name], ref["mediate"][name], ref["mediate"]["sd"][name], name)
    t = res.test_interaction(draws=DRAWS, seed=9)
    assert t.estimate == pytest.approx(ref["plugin"]["tmint"], abs=1e-10)
    _mc_close(t, ref["tmint"], ref["tmint_sd"], "tmint")
    # the models keep the dose on its own scale (R: coefficient per unit of dose)
    assert res.models["trust"].params[treat] == pytest.approx(ref["mediator"]["params"][treat],
                                                              abs=1e-10)


def test_cov_params_blocks_match_statsmodels_and_clubsandwich():
    kw = dict(treatment="facilitation", mediators="trust", outcome="uptake",
              covariates=["readiness", "region"], interaction=True, site="site", seed=1)
    cr2 = mediate(DATA, **kw).cov_params()
    assert cr2.index.names == ["model", "term"]
    assert list(cr2.loc["uptake"].index) == list(cr2.loc["uptake", "uptake"].columns)
    club = json.loads((RESULTS / "multisite_clubsandwich.json").read_text())
    for name in ("trust", "uptake"):
        ours = cr2.loc[name, name]
        rn = [t.replace("(Intercept)", "Intercept") for t in club[name]["names"]]
        lab = {t: t.replace("C(region)[T.", "region").replace("]", "") for t in ours.index}
        V = ours.rename(index=lab, columns=lab).loc[rn, rn].to_numpy()
        np.testing.assert_allclose(V, np.array(club[name]["cr2"]), rtol=1e-8, atol=1e-12)
    # sites are shared: the mediator-outcome block is not zero
    assert np.abs(cr2.loc["trust", "uptake"].to_numpy()).max() > 1e-5
    cr1 = mediate(DATA, **kw, inference=MonteCarlo(covariance=Clustered(small_sample="cr1")))
    classical = mediate(DATA, **kw, inference=MonteCarlo(covariance=Classical()))
    for name in ("trust", "uptake"):
        sm = cr1.models[name]
        ref = sm.model.fit(cov_type="cluster", cov_kwds={"groups": DATA["site"]}).cov_params()
        np.testing.assert_allclose(cr1.cov_params().loc[name, name], ref, rtol=1e-10)
        np.testing.assert_allclose(classical.cov_params().loc[name, name], sm.cov_params(),
                                   rtol=1e-10)


def test_formula_and_standard_paths_agree_on_intervals():
    """Same models, same covariance: Monte Carlo standard errors agree within Monte Carlo error
    (20000 draws each: SE of an SD about 0.5%)."""
    kw = dict(treatment="facilitation", mediators="trust", outcome="uptake", site="site",
              inference=MonteCarlo(draws=DRAWS))
    a = mediate(DATA, **kw, covariates=["readiness"], seed=1)
    b = mediate(DATA, **kw, outcome_formula="uptake ~ facilitation + trust + readiness",
                mediator_formula="trust ~ facilitation + readiness", seed=2)
    for name in ("nie", "nde", "total"):
        assert b[name].std_error == pytest.approx(a[name].std_error, rel=0.03)


def test_models_are_fitted_lazily_and_once():
    res = mediate(DATA, treatment="facilitation", mediators="trust", outcome="uptake",
                  site="site", inference=None)
    assert res.models._cache == {}
    first = res.models["uptake"]
    assert res.models["uptake"] is first and len(res.models) == 2
    assert "facilitation" in first.summary().as_text()
    with pytest.raises(KeyError, match="no model for 'trst'"):
        res.models["trst"]


def test_bad_model_arguments():
    base = dict(treatment="facilitation", mediators="trust", outcome="uptake", site="site")
    with pytest.raises(DataError, match=r"names 'readines'.*Did you mean 'readiness'"):
        mediate(DATA, **base, outcome_formula="uptake ~ facilitation + trust + readines")
    with pytest.raises(DataError, match="does not contain the treatment 'facilitation'"):
        mediate(DATA, **base, mediator_formula="trust ~ readiness")
    with pytest.raises(DataError, match="does not contain mediator 'trust'"):
        mediate(DATA, **base, outcome_formula="uptake ~ facilitation + readiness")
    with pytest.raises(DataError, match="models 'trust'; expected 'uptake'"):
        mediate(DATA, **base, outcome_formula="trust ~ facilitation + uptake")
    with pytest.raises(DataError, match="treatment and mediators may enter only"):
        mediate(DATA, **base, outcome_formula="uptake ~ facilitation + trust + trust:readiness")
    with pytest.raises(DataError, match="no intercept"):
        mediate(DATA, **base, outcome_formula="uptake ~ facilitation + trust - 1")
    with pytest.raises(ArgumentError, match="`mediator_formula` has a formula for 'trst'"):
        mediate(DATA, **base, mediator_formula={"trst": "trust ~ facilitation"})
    with pytest.raises(ArgumentError, match="`outcome_formula` must be a formula"):
        mediate(DATA, **base, outcome_formula=3)
    with pytest.raises(ArgumentError, match="`random_intercept` must be True or False"):
        mediate(DATA, **base, random_intercept="yes")
    with pytest.raises(ArgumentError, match="needs `site`"):
        mediate(DATA, treatment="facilitation", mediators="trust", outcome="uptake",
                random_intercept=True)
    with pytest.raises(ArgumentError, match="must be 'gaussian'"):
        mediate(DATA, treatment="facilitation", mediators="trust", outcome="adopted",
                site="site", random_intercept=True, outcome_family="binomial")
    with pytest.raises(ArgumentError, match="not available with formulas"):
        mediate(DATA, **base, random_intercept=True, inference=Bootstrap(draws=10))
    with pytest.raises(ArgumentError, match="mixed models' covariance"):
        mediate(DATA, **base, random_intercept=True, inference=MonteCarlo(covariance=Clustered()))
    with pytest.raises(ArgumentError, match="`models` must be a list"):
        mediate(models="m", treatment="facilitation", mediators="trust")
    with pytest.raises(ArgumentError, match="must be a fitted statsmodels"):
        mediate(models=[1, 2], treatment="facilitation", mediators="trust")
    with pytest.raises(ArgumentError, match="`data` must be None"):
        m = smf.ols("trust ~ facilitation", DATA).fit()
        mediate(DATA, models=[m, m], treatment="facilitation", mediators="trust")
    with pytest.raises(ArgumentError, match="`control` and `treated` must differ"):
        mediate(DATA, **{**base, "treatment": "dose"}, control=2, treated=2)
    with pytest.raises(ArgumentError, match="`treated` must be a finite number"):
        mediate(DATA, **{**base, "treatment": "dose"}, control=2, treated="high")
    res = mediate(DATA, **base, inference=None)
    with pytest.raises(ArgumentError, match="needs a treatment-by-mediator interaction"):
        res.test_interaction()
    with pytest.raises(ArgumentError, match="`draws` must be an integer"):
        res.test_interaction(draws=1)
    assert issubclass(ArgumentError, FacmechError)
