"""Single binary mediator (logit or probit mediator model)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special

from facmech.errors import DataError, EstimationError
from facmech.mediation import Classical, MonteCarlo, mediate, mediate_arrays
from facmech.mediation.effects import Layout, configurations, potential_means
from facmech.mediation.spec import Family


@pytest.mark.parametrize("mfam", [Family.BINOMIAL, Family.PROBIT])
@pytest.mark.parametrize("yfam", list(Family))
def test_two_term_formula_matches_simulation(mfam, yfam):
    rng = np.random.default_rng(41)
    layout = Layout(p=2, k=1, interaction=True)
    coefs = [rng.normal(scale=0.6, size=(1, 1, layout.n_coef(j))) for j in range(2)]
    C = np.c_[np.ones(30), rng.normal(size=30)]
    psi = potential_means(coefs, [np.ones((1, 1))], C[None, None], np.full((1, 1, 30), 1 / 30),
                          layout, yfam, mfam)
    link = {Family.GAUSSIAN: lambda e: e, Family.PROBIT: special.ndtr,
            Family.BINOMIAL: special.expit}
    draws = 40000
    for a_y, a_m in configurations(1):
        cm, cy = coefs[0][0, 0], coefs[1][0, 0]
        pm = link[mfam](C @ cm[:2] + a_m * cm[2])
        m = (rng.random((30, draws)) < pm[:, None]).astype(float)
        eta = (C @ cy[:2] + a_y * cy[2])[:, None] + (cy[3] + a_y * cy[4]) * m
        sim = link[yfam](eta).mean()
        tol = 5 * (1.0 if yfam.binary else 3.0) / np.sqrt(30 * draws)
        assert psi[(a_y, a_m)][0, 0] == pytest.approx(sim, abs=tol), (a_y, a_m)


@pytest.fixture(scope="module")
def binary_m() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 2000
    x = rng.normal(size=n)
    a = rng.integers(0, 2, n).astype(float)
    m = (rng.random(n) < special.expit(-0.3 + 1.0 * a + 0.5 * x)).astype(float)
    y = 0.3 * a + 0.8 * m + 0.4 * x + rng.normal(size=n)
    return pd.DataFrame({"x": x, "a": a, "m": m, "y": y})


def test_cross_check_statsmodels_binary_mediator(binary_m):
    # statsmodels Mediation with a logistic mediator model (parametric draws, n_rep = 50):
    # its estimates are means of draws; compare within 4 Monte Carlo SDs of that mean.
    import statsmodels.api as sm
    import statsmodels.formula.api as smf
    from statsmodels.stats.mediation import Mediation

    om = smf.ols("y ~ m + a + x", binary_m)
    mm = smf.glm("m ~ a + x", binary_m, family=sm.families.Binomial())
    np.random.seed(3)  # noqa: NPY002 - statsmodels draws from the global RandomState
    sm_res = Mediation(om, mm, "a", "m").fit(n_rep=50)
    ours = mediate_arrays(binary_m["a"].to_numpy(), binary_m[["m"]].to_numpy()[None],
                          binary_m["y"].to_numpy()[None], binary_m[["x"]].to_numpy()[None],
                          mediator_family="logit", inference=MonteCarlo(20000, Classical()),
                          seed=1, keep_draws=True)
    for name, theirs in (("nie_control", sm_res.ACME_ctrl), ("nde_control", sm_res.ADE_ctrl),
                         ("total", sm_res.total_effect)):
        i = ours.names.index(name)
        sd = ours.draws[0, :, i].std()
        mean = ours.draws[0, :, i].mean()
        assert np.mean(theirs) == pytest.approx(mean, abs=4 * sd / np.sqrt(50)), name


def test_binary_mediator_plugin_unbiased():
    # 300 data sets; truth by the two-term formula at the true coefficients over many rows
    rng = np.random.default_rng(5)
    R, n = 300, 600
    x = rng.normal(size=(R, n))
    a = rng.integers(0, 2, (R, n)).astype(float)
    m = (rng.random((R, n)) < special.ndtr(-0.2 + 0.8 * a + 0.4 * x)).astype(float)
    y = (rng.random((R, n)) < special.expit(-0.5 + 0.4 * a + 1.0 * m + 0.3 * x)).astype(float)
    out = mediate_arrays(a, m[..., None], y, x[..., None], outcome_family="logit",
                         mediator_family="probit", inference=None)
    big = np.c_[np.ones(400_000), rng.normal(size=400_000)]
    layout = Layout(p=2, k=1, interaction=False)
    coefs = [np.array([[[-0.2, 0.4, 0.8]]]), np.array([[[-0.5, 0.3, 0.4, 1.0]]])]
    psi = potential_means(coefs, [np.ones((1, 1))], big[None, None],
                          np.full((1, 1, 400_000), 1 / 400_000), layout, Family.BINOMIAL,
                          Family.PROBIT)
    truth = {"nie": psi[(1, 1)] - psi[(1, 0)] + psi[(0, 1)] - psi[(0, 0)],
             "nde": psi[(1, 0)] - psi[(0, 0)] + psi[(1, 1)] - psi[(0, 1)]}
    for name, t in truth.items():
        est = out.estimate[:, out.names.index(name)]
        assert abs(est.mean() - t[0, 0] / 2) < 4 * est.std() / np.sqrt(R), name


def test_binary_mediator_errors(binary_m):
    with pytest.raises(DataError, match="must be 0/1 for `mediator_family='probit'`"):
        mediate(binary_m, treatment="a", mediators="x", outcome="y", mediator_family="probit",
                inference=None)
    with pytest.raises(DataError, match="needs exactly one mediator"):
        mediate(binary_m.assign(m2=binary_m["m"]), treatment="a", mediators=["m", "x"],
                outcome="y", mediator_family="logit", inference=None)
    res = mediate(binary_m, treatment="a", mediators="m", outcome="y", mediator_family="logit",
                  inference=None)
    assert res.method.startswith("mediators: binomial GLM")
    with pytest.raises(EstimationError, match="mediator 'binomial'"):
        res.sensitivity()
