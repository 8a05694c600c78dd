"""Stepped-wedge mediation with exposure-time (time-on-treatment) effects.

References: the exposure-time indicator (ETI) model of Kenny, Voldal, Xia & Heagerty (2022, Stat Med
41:4311): period fixed effects plus one indicator per exposure time, summarised by the
time-averaged treatment effect (TATE). Point estimates are checked against statsmodels fits of the
same models (OLS, Probit) and the mediation formula written out by hand; inference against the
simulator's exposure-time truth (``total_eti``, ``nde_eti``, ``nie_eti``).
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from facmech.cli import main
from facmech.errors import DataError, EstimationError, FacmechError
from facmech.mediation import (
    Bootstrap,
    EffectModel,
    MonteCarlo,
    exposure_times,
    mediate,
    mediate_arrays,
)

G, T, J = 24, 5, 8
ALPHA = np.array([0.0, 0.9, 0.6, 0.4, 0.3])  # mediator effect by exposure time (fades)
DIRECT = np.array([0.0, 0.1, 0.3, 0.5, 0.6])  # direct effect by exposure time (builds up)
B = 0.5


def _trial(seed: int = 3, binary: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    site = np.repeat(np.arange(G), T * J)
    period = np.tile(np.repeat(np.arange(T), J), G)
    start = 1 + rng.permutation(np.arange(G) % 4)
    a = (period >= start[site]).astype(int)
    ex = np.where(a == 1, period - start[site] + 1, 0)
    m = ALPHA[ex] + 0.1 * period + rng.normal(size=G)[site] * 0.3 + rng.normal(size=site.size)
    lin = DIRECT[ex] + B * m + 0.05 * period + rng.normal(size=G)[site] * 0.3
    y = (lin + rng.normal(size=site.size) > 0.4).astype(int) if binary else \
        lin + rng.normal(size=site.size)
    return pd.DataFrame({"site": site, "period": period, "fac": a, "expo": ex, "lead": m,
                         "y": y, "age": rng.normal(size=site.size)})


@pytest.fixture(scope="module")
def trial() -> pd.DataFrame:
    return _trial()


def test_exposure_times_derived_from_rollout():
    a = np.array([0, 1, 1, 1, 0, 0, 1, 1])
    cl = np.repeat([0, 1], 4)
    t = np.tile(np.arange(4), 2)
    assert exposure_times(a, cl, t).tolist() == [0, 1, 2, 3, 0, 0, 1, 2]
    with pytest.raises(DataError, match="stay treated once it crosses over"):
        exposure_times(np.array([0, 1, 0, 1]), np.zeros(4, int), np.arange(4))


def test_point_estimates_equal_statsmodels_eti_fits(trial):
    # Reference: statsmodels OLS of the ETI models, M ~ C(period) + C(expo) + age and
    # Y ~ C(period) + C(expo) + age + M (Kenny et al. 2022, eq. 3 with a mediator); linear
    # mediation formula: nde@e = c_e, nie@e = alpha_e * b; and total@e is the ETI coefficient of
    # the model without the mediator, Y ~ C(period) + C(expo) + age (Kenny et al.'s delta(e)).
    res = mediate(trial, treatment="fac", mediators="lead", outcome="y", covariates=["age"],
                  site="site", period="period", effect_model="exposure_time", inference=None)
    fm = sm.OLS.from_formula("lead ~ C(period) + C(expo) + age", trial).fit()
    fy = sm.OLS.from_formula("y ~ C(period) + C(expo) + age + lead", trial).fit()
    fr = sm.OLS.from_formula("y ~ C(period) + C(expo) + age", trial).fit()
    b = fy.params["lead"]
    nde, nie, tot = [], [], []
    for e in range(1, 5):
        key = f"C(expo)[T.{e}]"
        nde.append(fy.params[key])
        nie.append(fm.params[key] * b)
        tot.append(fr.params[key])
        assert res[f"nde@{e}"].estimate == pytest.approx(nde[-1], abs=1e-10)
        assert res[f"nie@{e}"].estimate == pytest.approx(nie[-1], abs=1e-10)
        assert res[f"total@{e}"].estimate == pytest.approx(tot[-1], abs=1e-10)
    assert res["total"].estimate == pytest.approx(np.mean(tot), abs=1e-10)  # TATE over 1..4
    assert res["nde"].estimate == pytest.approx(np.mean(nde), abs=1e-10)
    assert res["nie"].estimate == pytest.approx(np.mean(nie), abs=1e-10)
    assert res["prop_mediated"].estimate == pytest.approx(np.mean(nie) / np.mean(tot))
    two = mediate(trial, treatment="fac", mediators="lead", outcome="y", covariates=["age"],
                  site="site", period="period", effect_model="eti", exposure_window=2,
                  inference=None)
    assert two["total"].estimate == pytest.approx(np.mean(tot[:2]), abs=1e-10)
    assert two["total@4"].estimate == pytest.approx(tot[3], abs=1e-10)
    assert any("1..2" in a.text for a in two.assumptions)


def test_given_exposure_column_equals_derived_and_data_untouched(trial):
    before = trial.copy()
    kw = dict(treatment="fac", mediators="lead", outcome="y", site="site", period="period",
              inference=MonteCarlo(draws=200), seed=4)
    derived = mediate(trial, effect_model="exposure_time", **kw)
    given = mediate(trial, exposure_time="expo", **kw)  # a column implies the ETI model
    assert derived.to_frame().equals(given.to_frame())
    pd.testing.assert_frame_equal(trial, before)
    assert "exposure-time indicators" in given.method
    assert given.effect_model is EffectModel.EXPOSURE_TIME


def test_probit_outcome_matches_hand_mediation_formula():
    # Reference: statsmodels OLS (mediator) and Probit (outcome) fits; the probit mediation formula
    # psi(aY, aM) = mean over rows at exposure time e of Phi((eta + b m) / sqrt(1 + b^2 s^2))
    # (Imai, Keele & Tingley 2010), with every other exposure indicator at 0.
    df = _trial(seed=8, binary=True)
    res = mediate(df, treatment="fac", mediators="lead", outcome="y", site="site",
                  period="period", outcome_family="probit", effect_model="exposure_time",
                  inference=None)
    X = pd.get_dummies(df[["period", "expo"]].astype("category"), drop_first=True).astype(float)
    X.insert(0, "const", 1.0)
    fm = sm.OLS(df["lead"], X).fit()
    fy = sm.Probit(df["y"], X.assign(lead=df["lead"])).fit(disp=0, tol=1e-12)
    b, s = fy.params["lead"], np.sqrt(fm.scale)
    ecols = [c for c in X.columns if c.startswith("expo_")]
    base = X.copy()
    base[ecols] = 0.0
    totals = []
    for e in range(1, 5):
        rows = base[df["expo"].to_numpy() == e]
        mu0 = rows @ fm.params
        eta0 = rows @ fy.params.drop("lead")

        def psi(a_y, a_m, e=e, mu0=mu0, eta0=eta0):
            m = mu0 + a_m * fm.params[f"expo_{e}"]
            lin = eta0 + a_y * fy.params[f"expo_{e}"] + b * m
            return stats.norm.cdf(lin / np.sqrt(1 + b**2 * s**2)).mean()

        totals.append(psi(1, 1) - psi(0, 0))
        assert res[f"total@{e}"].estimate == pytest.approx(totals[-1], abs=1e-6)
        assert res[f"nde@{e}"].estimate == pytest.approx(
            (psi(1, 0) - psi(0, 0) + psi(1, 1) - psi(0, 1)) / 2, abs=1e-6)
    assert res["total"].estimate == pytest.approx(np.mean(totals), abs=1e-6)


def test_bootstrap_and_monte_carlo_agree_roughly(trial):
    kw = dict(treatment="fac", mediators="lead", outcome="y", site="site", period="period",
              effect_model="exposure_time", seed=5)
    mc = mediate(trial, inference=MonteCarlo(draws=400), **kw)
    bs = mediate(trial, inference=Bootstrap(draws=200), **kw)
    for name in ("total", "nde", "nie", "total@1", "total@4"):
        assert mc[name].estimate == pytest.approx(bs[name].estimate)
        assert 0.6 < bs[name].std_error / mc[name].std_error < 1.6, name
    # later exposure times rest on fewer site-periods: wider intervals (Kenny et al. 2022)
    assert mc["total@4"].std_error > mc["total@1"].std_error


def test_bad_input_errors(trial):
    kw = dict(treatment="fac", mediators="lead", outcome="y")
    with pytest.raises(DataError, match="needs `period`"):
        mediate(trial, site="site", effect_model="exposure_time", **kw)
    with pytest.raises(DataError, match="site-level treatment"):
        mediate(trial, site="site", period="period", effect_model="exposure_time",
                treatment_level="patient", **kw)
    with pytest.raises(FacmechError, match="`effect_model` must be one of"):
        mediate(trial, site="site", period="period", effect_model="bogus", **kw)
    with pytest.raises(FacmechError, match=r"`exposure_window` \(2\) is only used"):
        mediate(trial, site="site", period="period", exposure_window=2, **kw)
    with pytest.raises(DataError, match="`exposure_window` must be an integer from 1 to 4"):
        mediate(trial, site="site", period="period", effect_model="eti", exposure_window=5,
                **kw)
    bad = trial.assign(expo=trial["expo"] + (trial["fac"] == 0))
    with pytest.raises(DataError, match="'expo' must be 0 exactly in untreated rows"):
        mediate(bad, site="site", period="period", exposure_time="expo", **kw)
    with pytest.raises(DataError, match="integers >= 0"):
        mediate(trial.assign(expo=trial["expo"] * 0.5), site="site", period="period",
                exposure_time="expo", **kw)
    with pytest.raises(DataError, match="only used with"):
        mediate(trial, site="site", period="period", effect_model="constant",
                exposure_time="expo", **kw)
    # site 0 returns to control in the last period after crossing over (at period <= 4)
    back = trial.assign(fac=np.where((trial["site"] == 0) & (trial["period"] == 4), 0,
                                     trial["fac"]))
    with pytest.raises(DataError, match="stay treated"):
        mediate(back, site="site", period="period", effect_model="eti", **kw)
    res = mediate(trial, site="site", period="period", effect_model="eti",
                  inference=MonteCarlo(draws=50), seed=1, **kw)
    with pytest.raises(EstimationError, match="constant-effect model"):
        res.sensitivity()
    with pytest.raises(EstimationError, match="constant-effect model"):
        res.refute(simulations=10)


def test_engine_rejects_missing_exposure_time():
    A = np.array([0, 0, 1, 1, 0, 1, 1, 1.0])
    ex = np.array([0, 0, 1, 3, 0, 1, 3, 4])  # exposure time 2 never observed
    with pytest.raises(DataError, match=r"exposure times \[2\] do not occur"):
        mediate_arrays(A, np.arange(8.0)[None], np.arange(8.0)[None] ** 2, exposure=ex)
    with pytest.raises(DataError, match="needs `exposure`"):
        mediate_arrays(A, np.arange(8.0)[None], np.arange(8.0)[None] ** 2, exposure_window=1)


def test_cli_exposure_time(tmp_path, capsys, trial):
    path = tmp_path / "sw.csv"
    trial.to_csv(path, index=False)
    base = ["mediate", str(path), "--treatment", "fac", "--mediator", "lead", "--outcome", "y",
            "--site", "site", "--period", "period", "--draws", "100", "--seed", "1"]
    assert main([*base, "--effect-model", "exposure_time", "--exposure-window", "3",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"total@1", "nde@4", "nie@2", "total", "nde", "nie"} <= set(out["effects"])
    assert any("1..3" in a for a in out["assumptions"])
    assert main([*base, "--exposure-time", "expo"]) == 0
    assert "exposure-time indicators" in capsys.readouterr().out
    assert main([*base, "--effect-model", "eti", "--exposure-window", "9"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "exposure_window" in err[0]


# --- bias and coverage against the simulator's exposure-time truth -------------------------------

R = 1000


def _zambia_like():
    """The zambia scenario's map and rollout (24 sites, 4 steps, 5 periods; binary uptake on the
    path), with the mediator ``champions`` (set explicitly: the scenario file defaults to the pair
    leadership_engagement, champions) unconfounded (no leadership_engagement -> champions
    edge), measured without survey error, and a deterministic dose without feedback: the ETI
    mediation model is then correctly specified, while effects fade through ``champions`` (dose
    taper) and build up on the direct paths (lagged leadership engagement)."""
    from facmech.simulation import DoseRule, load_scenario

    sc = load_scenario("zambia")
    co = {f"{s}->{t}[lag{lag}]": v for (s, t, lag), v in sc.coefficients.items()}
    co["leadership_engagement->champions"] = 0.0
    return sc.replace(coefficients=co, staff_sd=0.0, feedback=0.0, mediators=("champions",),
                      dose=DoseRule(base=1.5, taper=0.25, sd=0.0, floor=0.0))


def _batch(scenario, design, reps, seed):
    from facmech.simulation import simulate

    frames = [simulate(scenario, design, seed=seed + r, truth=False).data for r in range(reps)]
    site, period = frames[0]["site"].to_numpy(), frames[0]["period"].to_numpy()
    for f in frames:  # one layout shared by all replicates (rows ordered site, period, patient)
        assert (f["site"].to_numpy() == site).all() and (f["period"].to_numpy() == period).all()
    A = np.stack([f["exposed"].to_numpy(float) for f in frames])
    M = np.stack([f[list(scenario.mediators)].to_numpy(float) for f in frames])
    Y = np.stack([f[scenario.outcome].to_numpy(float) for f in frames])
    P = np.stack([(period == t).astype(float) for t in range(1, period.max() + 1)], axis=-1)
    X = np.concatenate([np.stack([f[["outer_context", "inner_context"]].to_numpy(float)
                                  for f in frames]), np.broadcast_to(P, (reps, *P.shape))], -1)
    codes = np.unique(site, return_inverse=True)[1]
    ex = np.stack([exposure_times(A[r], codes, period) for r in range(reps)])
    return A, M, Y, X, codes, ex


def test_eti_unbiased_with_nominal_coverage_constant_model_biased():
    from facmech.simulation import SteppedWedge, true_effects

    sc, design = _zambia_like(), SteppedWedge(sites=24, steps=4, patients=20)
    truth = true_effects(sc, design, paths=())
    A, M, Y, X, codes, ex = _batch(sc, design, R, seed=50_000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eti = mediate_arrays(A, M, Y, X, site=codes, exposure=ex,
                             inference=MonteCarlo(draws=1000), seed=7)
        const = mediate_arrays(A, M, Y, X, site=codes, inference=MonteCarlo(draws=200),
                               seed=7)
    for name in ("total", "nde", "nie"):
        t = truth[f"{name}_eti"]
        i = eti.names.index(name)
        x = eti.estimate[:, i]
        mcsd = np.hypot(x.std(ddof=1) / np.sqrt(R), truth["mc_se"][f"{name}_eti"])
        assert abs(x.mean() - t) < 4 * mcsd, (name, x.mean() - t, mcsd)
        cover = np.mean((eti.ci_low[:, i] <= t) & (t <= eti.ci_high[:, i]))
        assert 0.93 <= cover <= 0.97, (name, cover)
    # the constant-effect (Hussey & Hughes) model misses the time-averaged effects: it weights
    # the early exposure times, where the effect through champions is largest (dose taper)
    for name, sds in (("total", 3), ("nie", 6)):
        x = const.estimate[:, const.names.index(name)]
        bias = x.mean() - truth[f"{name}_eti"]
        assert bias > sds * x.std(ddof=1) / np.sqrt(R), (name, bias)
