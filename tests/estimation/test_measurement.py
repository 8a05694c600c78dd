"""Survey reliability and the errors-in-variables correction (facmech.estimation.measurement).

References: closed forms (one-way ANOVA, Spearman-Brown; Bliese 2000), statsmodels MixedLM (REML
variance components equal the ANOVA ones in balanced data), simulations with known truth (the
facmech simulator's true site-period values; a synthetic errors-in-variables model), and an R lavaan
two-level SEM fitted to the same staff + site data (results/lavaan_two_level.R, .json).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from facmech.errors import ArgumentError, DataError
from facmech.estimation.measurement import (
    group_reliability,
    normal_equation_correction,
    respondents_needed,
    site_period_errors,
    site_period_weights,
    spearman_brown,
    survey_measurement,
)
from facmech.simulation import ParallelCRT, Scenario, SteppedWedge, simulate

RESULTS = Path(__file__).resolve().parent / "results"


def test_anova_closed_form() -> None:
    # groups {1, 3}, {5, 7, 9}: means 2, 7; grand 5.
    s = np.array([1.0, 3.0, 5.0, 7.0, 9.0])
    g = np.array([0, 0, 1, 1, 1])
    r = group_reliability(s, g)
    msb = (2 * (2 - 5) ** 2 + 3 * (7 - 5) ** 2) / 1  # 30
    msw = (1 + 1 + 4 + 0 + 4) / 3  # 10/3
    n0 = (5 - (4 + 9) / 5) / 1  # 2.4
    assert r.msb == pytest.approx(msb) and r.msw == pytest.approx(msw) and r.n0 == pytest.approx(n0)
    assert r.icc1 == pytest.approx((msb - msw) / (msb + (n0 - 1) * msw))
    assert r.icc2 == pytest.approx((msb - msw) / msb)


def test_icc2_is_spearman_brown_of_icc1_when_balanced() -> None:
    rng = np.random.default_rng(3)
    g = np.repeat(np.arange(50), 6)
    s = rng.normal(size=50)[g] * 0.7 + rng.normal(size=g.size)
    r = group_reliability(s, g)
    assert r.icc2 == pytest.approx(spearman_brown(r.icc1, 6), rel=1e-12)


def test_icc1_matches_statsmodels_reml_variance_components() -> None:
    """Balanced one-way data: the ANOVA estimators are the REML estimates (when positive)."""
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(11)
    g = np.repeat(np.arange(40), 5)
    s = rng.normal(size=40)[g] * 0.8 + rng.normal(size=g.size)
    r = group_reliability(s, g)
    fit = smf.mixedlm("s ~ 1", pd.DataFrame({"s": s, "g": g}), groups="g").fit(reml=True)
    tau2, sigma2 = float(fit.cov_re.iloc[0, 0]), float(fit.scale)
    assert r.msw == pytest.approx(sigma2, rel=1e-5)
    assert r.icc1 == pytest.approx(tau2 / (tau2 + sigma2), rel=1e-4)


def test_respondents_needed_inverts_spearman_brown() -> None:
    for icc1 in (0.05, 0.2, 0.5, 0.8):
        for target in (0.7, 0.8, 0.9):
            n = respondents_needed(icc1, target=target)
            assert spearman_brown(icc1, n) >= target - 1e-12
            assert n == 1 or spearman_brown(icc1, n - 1) < target
    with pytest.raises(ArgumentError, match="`icc1`"):
        respondents_needed(0.0)
    with pytest.raises(ArgumentError, match="`target`"):
        respondents_needed(0.3, target=1.0)


def test_site_period_errors_closed_form_and_pooled_single_respondent() -> None:
    s = np.array([[1.0, 0.0], [3.0, 4.0], [2.0, 2.0], [10.0, 1.0]])
    n, means, within, err = site_period_errors(s, np.array([0, 0, 1, 2]))
    np.testing.assert_allclose(means[0], [2.0, 2.0])
    np.testing.assert_allclose(within[0], [[2.0, 4.0], [4.0, 8.0]])
    np.testing.assert_allclose(err[0], within[0] / 2)
    # groups 1 and 2 have one respondent: the pooled within covariance (one within dof in total)
    np.testing.assert_allclose(within[1], within[0])
    np.testing.assert_allclose(err[2], within[0])
    assert n.tolist() == [2.0, 1.0, 1.0]


def test_random_intercept_weight_formula() -> None:
    """omega_g = sum_{r,s in g} W_rs; for quasi-demeaning A = I - lam/T J, W = A'A has diagonal
    1 - (2 lam - lam^2)/T (site-period rows, one per period)."""
    T, lam = 5, 0.37
    A = np.eye(T) - lam / T * np.ones((T, T))
    W = A.T @ A
    assert np.diag(W) == pytest.approx(np.full(T, 1 - (2 * lam - lam**2) / T))
    # Monte Carlo E[(AU)'(AU)] for independent period errors u_t ~ N(0, S_t)
    rng = np.random.default_rng(0)
    S = np.stack([np.array([[v, 0.3 * v], [0.3 * v, 2 * v]]) for v in rng.uniform(0.2, 1.0, T)])
    draws = 40_000
    U = np.einsum("tij,dtj->dti", np.linalg.cholesky(S), rng.standard_normal((draws, T, 2)))
    AU = np.einsum("st,dtj->dsj", A, U)
    mc = np.einsum("dsi,dsj->ij", AU, AU) / draws
    C, _ = normal_equation_correction(S, np.diag(W), [0, 1], 2)
    np.testing.assert_allclose(C, mc, atol=0.05)  # MC SD of each entry about 0.01
    assert site_period_weights(np.array([0, 0, 1]), groups=3).tolist() == [2.0, 1.0, 0.0]


def test_correction_blocks_and_outcome_vector() -> None:
    cov = np.array([[[1.0, 0.2, 0.1], [0.2, 2.0, 0.3], [0.1, 0.3, 3.0]]] * 2)
    C, c = normal_equation_correction(cov, np.array([1.0, 3.0]), [-1, 1, -1, 0], 4, outcome=2)
    expected = np.zeros((4, 4))  # column 1 is construct 1, column 3 construct 0; omega sums to 4
    expected[1, 1], expected[3, 3] = 4 * 2.0, 4 * 1.0
    expected[1, 3] = expected[3, 1] = 4 * 0.2
    np.testing.assert_allclose(C, expected)
    np.testing.assert_allclose(c, [0.0, 4 * 0.3, 0.0, 4 * 0.1])
    with pytest.raises(ArgumentError, match="one entry per column"):
        normal_equation_correction(cov, np.ones(2), [0], 2)
    with pytest.raises(ArgumentError, match="out of range"):
        normal_equation_correction(cov, np.ones(2), [5, 0], 2)


def test_corrected_slope_unbiased_naive_attenuated_by_the_reliability() -> None:
    """y = 1 + beta xi + e at site-period level, xi measured by the mean of n staff scores.
    The naive slope converges to beta * reliability; the corrected one to beta (Fuller 1987)."""
    rng = np.random.default_rng(2024)
    R, G, n, beta = 300, 200, 4, 0.8
    var_xi, var_w = 0.3, 0.7  # ICC(1) 0.3; reliability of a 4-respondent mean 4*.3/(1+3*.3)
    reliability = var_xi / (var_xi + var_w / n)
    xi = rng.normal(scale=np.sqrt(var_xi), size=(R, G))
    scores = xi[..., None] + rng.normal(scale=np.sqrt(var_w), size=(R, G, n))
    w = scores.mean(axis=2)
    err = scores.var(axis=2, ddof=1) / n
    y = 1 + beta * xi + rng.normal(scale=0.5, size=(R, G))
    naive, corrected = np.empty(R), np.empty(R)
    for r in range(R):
        X = np.column_stack([np.ones(G), w[r]])
        C, c = normal_equation_correction(err[r][:, None, None], np.ones(G), [-1, 0], 2)
        naive[r] = np.linalg.solve(X.T @ X, X.T @ y[r])[1]
        corrected[r] = np.linalg.solve(X.T @ X - C, X.T @ y[r] - c)[1]
    se_n, se_c = naive.std(ddof=1) / np.sqrt(R), corrected.std(ddof=1) / np.sqrt(R)
    # 1/G finite-sample terms are far below 3 MC SEs at G = 200
    assert abs(naive.mean() - beta * reliability) < 3 * se_n
    assert abs(corrected.mean() - beta) < 3 * se_c
    assert beta - naive.mean() > 20 * se_n  # the attenuation is real


def test_reliability_of_simulated_surveys_matches_the_truth() -> None:
    """Simulator truth: error variance staff_sd^2 / n, reliability var(true) / (var + that)."""
    sc = Scenario(staff_per_site=5, staff_sd=1.0)
    tr = simulate(sc, ParallelCRT(sites=600, patients=2), seed=4, truth=False, surveys=True)
    m = survey_measurement(tr.surveys, tr.survey_items, patients=tr.data)
    sp = tr.site_periods
    for node in ("trust", "leadership_engagement", "capacity"):
        true_var = sp[f"{node}_true"].var()
        expected = true_var / (true_var + 1.0 / 5)
        row = m.reliability.loc[node]
        # 600 site-periods: the SD of the estimated ICC(2) is about 0.01
        assert row["icc2"] == pytest.approx(expected, abs=0.04)
        assert m.site_periods[f"{node}_error_var"].mean() == pytest.approx(0.2, rel=0.1)
        np.testing.assert_allclose(m.site_periods[node].to_numpy(), sp[node].to_numpy(), atol=1e-12)
    # constructs answered by the same staff but drawn independently: error covariances near 0
    i, j = m.constructs.index("trust"), m.constructs.index("capacity")
    assert abs(m.error_cov[:, i, j].mean()) < 0.02
    assert m.respondents_needed(target=0.8)["trust"] == respondents_needed(
        float(m.reliability.loc["trust", "icc1"]), target=0.8)


def test_matches_lavaan_two_level_sem() -> None:
    """The same staff + site data fitted by lavaan 0.6.14 (results/lavaan_two_level.R): a two-level
    SEM with the construct latent at the site level. Our estimates (item-mean scale scores, site
    means, moment-corrected least squares) and lavaan's ML are two consistent estimators of the
    same parameters on the same data, so they differ by far less than lavaan's standard error:
    within 0.1 SE. The naive slope is further from lavaan's than the corrected one."""
    ref = json.loads((RESULTS / "lavaan_two_level.json").read_text())
    assert ref["converged"]
    d = pd.read_csv(RESULTS / "lavaan_two_level_data.csv")
    m = survey_measurement(d, {"lead": ["x1", "x2", "x3", "x4"]}, keys=["site"], patients=d)
    sp = m.site_periods.merge(d.groupby("site")[["exposed", "y"]].first().reset_index(), on="site")
    X = np.column_stack([np.ones(len(sp)), sp["exposed"], sp["lead"]])
    y = sp["y"].to_numpy()
    C, c = normal_equation_correction(m.error_cov, np.ones(len(sp)), [-1, -1, 0], 3)
    naive = np.linalg.solve(X.T @ X, X.T @ y)
    corrected = np.linalg.solve(X.T @ X - C, X.T @ y - c)
    a = np.linalg.lstsq(X[:, :2], sp["lead"].to_numpy(), rcond=None)[0]
    resid = sp["lead"].to_numpy() - X[:, :2] @ a
    var_fb = resid @ resid / len(sp) - m.error_cov[:, 0, 0].mean()
    for name, ours in (("b", corrected[2]), ("c", corrected[1]), ("a", a[1]), ("var_fb", var_fb)):
        assert abs(ours - ref[name]["est"]) < 0.1 * ref[name]["se"], name
    assert abs(naive[2] - ref["b"]["est"]) > 2 * abs(corrected[2] - ref["b"]["est"])


@pytest.fixture(scope="module")
def small():
    return simulate("zambia", SteppedWedge(sites=6, steps=3, patients=2), seed=9, truth=False,
                    surveys=True)


def test_bad_input(small) -> None:
    sv, items = small.surveys, small.survey_items
    before = sv.copy()
    with pytest.raises(DataError, match="not in the patient data"):
        survey_measurement(sv, items, patients=small.data[small.data["site"] != 2])
    one = sv[sv["respondent"] == 0]
    with pytest.raises(DataError, match="construct `trust` has a single respondent"):
        survey_measurement(one, {"trust": items["trust"]})
    scaled = sv.copy()
    scaled["trust_i2"] = scaled["trust_i2"] * 20 + 50
    with pytest.raises(DataError, match=r"construct `trust`: items on different scales \(trust_i1"):
        survey_measurement(scaled, {"trust": items["trust"]})
    partial = sv.copy()
    partial.loc[3, "trust_i1"] = np.nan
    with pytest.raises(DataError, match="1 rows answer some of its items"):
        survey_measurement(partial, {"trust": items["trust"]})
    with pytest.raises(DataError, match="duplicated respondent rows"):
        survey_measurement(pd.concat([sv, sv.head(1)]), items)
    with pytest.raises(DataError, match="no column `trust_i9`"):
        survey_measurement(sv, {"trust": ["trust_i9"]})
    pd.testing.assert_frame_equal(sv, before)


def test_baseline_construct_surveyed_once(small) -> None:
    m = survey_measurement(small.surveys, small.survey_items, patients=small.data)
    ctx = m.site_periods["inner_context"]
    assert ctx[m.site_periods["period"] == 0].notna().all()
    assert ctx[m.site_periods["period"] > 0].isna().all()
    assert m.reliability.loc["inner_context", "site_periods"] == 6
    assert m.reliability.loc["leadership_engagement", "items"] == 4


def test_cross_covariances_where_not_every_construct_is_surveyed() -> None:
    """The error covariance of two constructs' means, in every site-period where both are asked:
    n_ab sigma_ab / (n_a n_b), sigma_ab the within covariance of the respondents answering both
    (a direct per-site-period computation). Baseline constructs are asked in period 0 only, and
    here some respondents skip trust, so site-periods are not surveyed on every construct."""
    rng = np.random.default_rng(5)
    rows = []
    for site in range(4):
        for period in range(3):
            base = rng.normal(size=3)
            for r in range(5):
                lead, trust, ctx = base + rng.normal(size=3) @ np.array(
                    [[1.0, 0.5, 0.2], [0.0, 1.0, 0.3], [0.0, 0.0, 1.0]])
                rows.append({"site": site, "period": period, "respondent": r, "lead_i1": lead,
                             "trust_i1": np.nan if r == 4 and period == 1 else trust,
                             "ctx_i1": ctx if period == 0 else np.nan})
    d = pd.DataFrame(rows)
    m = survey_measurement(d, {"lead": ["lead_i1"], "trust": ["trust_i1"], "ctx": ["ctx_i1"]})
    idx = {c: k for k, c in enumerate(m.constructs)}
    for g, key in enumerate(m.site_periods[["site", "period"]].itertuples(index=False)):
        sub = d[(d.site == key.site) & (d.period == key.period)]
        for a in ("lead", "trust", "ctx"):
            for b in ("lead", "trust", "ctx"):
                if a == b:
                    continue
                both = sub[[f"{a}_i1", f"{b}_i1"]].dropna()
                n_a, n_b = sub[f"{a}_i1"].notna().sum(), sub[f"{b}_i1"].notna().sum()
                want = (np.cov(both.to_numpy().T, ddof=1)[0, 1] * len(both) / (n_a * n_b)
                        if len(both) > 1 else 0.0)
                assert m.error_cov[g, idx[a], idx[b]] == pytest.approx(want, abs=1e-12)
    # period 1: trust has 4 respondents, lead 5; period 2: ctx not asked, its covariances 0
    assert np.all(m.error_cov[m.site_periods["period"].to_numpy() == 2][:, idx["ctx"], :2] == 0)
