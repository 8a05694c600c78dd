"""framing data (Brader, Valentino & Suhay 2008) with the R `mediation` vignette model.

Reference values: /work/shared/reference/validation-references.md, from Tingley, Yamamoto, Hirose,
Keele & Imai (2014), J Stat Softw 59(5), section 3.1:

    med.fit <- lm(emo ~ treat + age + educ + gender + income, data = framing)
    out.fit <- glm(cong_mesg ~ emo + treat + age + educ + gender + income,
                   data = framing, family = binomial("probit"))
    mediate(med.fit, out.fit, treat = "treat", mediator = "emo", robustSE = TRUE, sims = 100)
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
import statsmodels

from facmech.mediation import Classical, MonteCarlo, Robust, mediate, mediate_arrays

FRAMING = os.path.join(
    os.path.dirname(statsmodels.__file__), "stats", "tests", "results", "framing.csv"
)
COVS = ["age", "educ", "gender", "income"]

# Deterministic plug-in values (mediation formula at the ML fits; validation-references.md).
PLUGIN = {
    "nie_control": 0.084118,
    "nie_treated": 0.085149,
    "nde_control": 0.011562,
    "nde_treated": 0.012593,
    "total": 0.096711,
    "nie": 0.084633,
    "nde": 0.012078,
}
# Published R output (sims = 100, robustSE = TRUE): estimate, 95% CI (Tingley et al. 2014).
R_PUBLISHED = {
    "nie_control": (0.0802, 0.0335, 0.1300),
    "nie_treated": (0.0808, 0.0365, 0.1311),
    "nde_control": (0.0142, -0.1030, 0.1325),
    "nde_treated": (0.0147, -0.1137, 0.1403),
    "total": (0.0949, -0.0316, 0.2129),
    "nie": (0.0805, 0.0350, 0.1304),
    "nde": (0.0145, -0.1087, 0.1364),
}


@pytest.fixture(scope="module")
def framing() -> pd.DataFrame:
    return pd.read_csv(FRAMING, index_col=0)


def test_plugin_values_match_mediation_formula_exactly(framing):
    res = mediate(framing, treatment="treat", mediators="emo", outcome="cong_mesg",
                  covariates=COVS, outcome_family="probit", inference=None)
    for name, value in PLUGIN.items():
        assert res[name].estimate == pytest.approx(value, abs=1e-5), name
    assert res.n_obs == 265
    assert res.scale == "risk difference"


def test_plugin_does_not_depend_on_inference(framing):
    res = mediate(framing, treatment="treat", mediators="emo", outcome="cong_mesg",
                  covariates=COVS, outcome_family="probit", seed=3)
    assert res["nie_control"].estimate == pytest.approx(PLUGIN["nie_control"], abs=1e-5)


def _draws(framing, covariance, draws=20000):
    cov = pd.get_dummies(framing[COVS], drop_first=True).to_numpy(dtype=float)
    return mediate_arrays(
        framing["treat"].to_numpy(float), framing[["emo"]].to_numpy(float)[None],
        framing["cong_mesg"].to_numpy(float)[None], cov[None], outcome_family="probit",
        inference=MonteCarlo(draws, covariance), seed=20140501, keep_draws=True,
    )


def test_published_r_values_within_monte_carlo_error(framing):
    # R reports the mean and percentile interval of 100 quasi-Bayesian draws from the HC3
    # covariance. Their Monte Carlo SD: mean sd/sqrt(100); 2.5%/97.5% quantiles of 100 normal draws
    # about 0.27 sd (sqrt(.025 * .975 / 100) / dnorm(1.96)). Allow 3 Monte Carlo SDs.
    out = _draws(framing, Robust("HC3"))
    draws = out.draws[0]
    for name, (est, lo, hi) in R_PUBLISHED.items():
        i = out.names.index(name)
        sd = draws[:, i].std()
        assert draws[:, i].mean() == pytest.approx(est, abs=3 * sd / 10), name
        assert out.ci_low[0, i] == pytest.approx(lo, abs=3 * 0.27 * sd), name
        assert out.ci_high[0, i] == pytest.approx(hi, abs=3 * 0.27 * sd), name


def test_cross_check_statsmodels_mediation(framing):
    # statsmodels' Mediation (parametric draws from the classical covariance, simulating mediator
    # values); n_rep = 50 keeps the test short (statsmodels refits per draw). Its estimate is the
    # mean of the draws: compare with our mean of 20000 draws, and the SD of its draws with ours,
    # within 4 Monte Carlo SDs (mean: sd/sqrt(50); SD: sd/sqrt(2 * 49)).
    import statsmodels.api as sm
    import statsmodels.formula.api as smf
    from statsmodels.stats.mediation import Mediation

    om = smf.glm("cong_mesg ~ emo + treat + age + educ + gender + income", data=framing,
                 family=sm.families.Binomial(link=sm.families.links.Probit()))
    mm = smf.ols("emo ~ treat + age + educ + gender + income", data=framing)
    np.random.seed(4231)  # noqa: NPY002 - statsmodels draws from the global RandomState
    reps = 50
    sm_res = Mediation(om, mm, "treat", "emo").fit(n_rep=reps, method="parametric")
    ours = _draws(framing, Classical())
    pairs = {"nie_control": sm_res.ACME_ctrl, "nie_treated": sm_res.ACME_tx,
             "nde_control": sm_res.ADE_ctrl, "nde_treated": sm_res.ADE_tx,
             "total": sm_res.total_effect}
    for name, theirs in pairs.items():
        i = ours.names.index(name)
        sd = ours.draws[0, :, i].std()
        assert np.mean(theirs) == pytest.approx(ours.draws[0, :, i].mean(),
                                                abs=4 * sd / np.sqrt(reps)), name
        sd_mc = sd / np.sqrt(2 * (reps - 1))
        assert np.std(theirs, ddof=1) == pytest.approx(sd, abs=4 * sd_mc), name


def test_categorical_covariates_expanded_and_frame_untouched(framing):
    before = framing.copy()
    res = mediate(framing, treatment="treat", mediators="emo", outcome="cong_mesg",
                  covariates=COVS, outcome_family="probit", inference=None)
    pd.testing.assert_frame_equal(framing, before)
    assert res.data.covariates.shape[1] == 1 + 3 + 1 + 1  # age, educ (4 levels), gender, income
