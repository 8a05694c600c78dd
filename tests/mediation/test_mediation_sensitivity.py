"""Rho sensitivity analysis (Imai, Keele & Yamamoto 2010) and E-values (VanderWeele & Ding 2017)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from facmech.errors import EstimationError
from facmech.mediation import mediate
from facmech.mediation.sensitivity import e_value


def _confounded(n, rho, seed):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 2, n).astype(float)
    x = rng.normal(size=n)
    e = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=n)
    m = 0.5 * t + 0.2 * x + e[:, 0]
    y = 0.3 * t + 0.6 * m + 0.3 * x + e[:, 1]
    return pd.DataFrame({"t": t, "x": x, "m": m, "y": y})


def test_curve_recovers_true_indirect_effect_at_true_rho():
    # Mediator and outcome errors correlated (rho = 0.4): the naive indirect effect is biased
    # (0.5 * (0.6 + 0.4) = 0.5 in the limit), but the IKY curve at rho = 0.4 gives the truth 0.3.
    df = _confounded(200_000, 0.4, seed=1)
    res = mediate(df, treatment="t", mediators="m", outcome="y", covariates=["x"], inference=None)
    assert res["nie"].estimate == pytest.approx(0.5, abs=0.01)
    sens = res.sensitivity()
    assert sens.at(0.4) == pytest.approx(0.3, abs=0.01)


def test_curve_identities():
    df = _confounded(2000, 0.0, seed=2)
    res = mediate(df, treatment="t", mediators="m", outcome="y", covariates=["x"], inference=None)
    sens = res.sensitivity()
    # at rho = 0 the curve is the point estimate beta2 * gamma (IKY 2010, Theorem 2)
    assert sens.at(0.0) == pytest.approx(res["nie"].estimate, abs=1e-10)
    # and it crosses zero at rho-tilde, the correlation of the total-effect and mediator residuals
    assert sens.at(sens.rho_at_zero) == pytest.approx(0.0, abs=1e-10)
    assert sens.r2_star_product == pytest.approx(sens.rho_at_zero**2)
    assert np.all(np.diff(sens.nie) < 0)  # decreasing in rho when beta2 > 0
    assert list(sens.to_frame().columns) == ["rho", "nie"]


def test_unsupported_settings_raise():
    df = _confounded(500, 0.0, seed=3)
    df["y01"] = (df["y"] > 0).astype(int)
    res = mediate(df, treatment="t", mediators="m", outcome="y01", outcome_family="probit",
                  inference=None)
    with pytest.raises(EstimationError, match="Gaussian outcome"):
        res.sensitivity()


def test_e_value_worked_example():
    # VanderWeele & Ding (2017), Ann Intern Med 167:268: RR 3.9 -> 7.26; lower limit 1.8 -> 3.0
    assert e_value(3.9) == pytest.approx(7.26, abs=0.005)
    assert e_value(1.8) == pytest.approx(3.0, abs=0.005)
    assert e_value(1 / 3.9) == pytest.approx(e_value(3.9))


def test_e_values_frame_binary_and_gaussian():
    df = _confounded(3000, 0.0, seed=4)
    df["y01"] = (df["y"] > 0.5).astype(int)
    res = mediate(df, treatment="t", mediators="m", outcome="y01", outcome_family="binomial",
                  seed=1, inference=None)
    assert res.risk_ratios["total"].estimate == pytest.approx(
        res.risk_ratios["nde"].estimate * res.risk_ratios["nie"].estimate)
    ev = res.e_values()
    assert ev.loc["total", "e_value"] == pytest.approx(e_value(res.risk_ratios["total"].estimate))
    gres = mediate(df, treatment="t", mediators="m", outcome="y", seed=1)
    gauss = gres.e_values()
    # continuous outcome: RR ~ exp(0.91 d), d = effect / SD(Y) (VanderWeele & Ding 2017)
    rr = np.exp(0.91 * gres["nie"].estimate / df["y"].std())
    assert gauss.loc["nie", "rr"] == pytest.approx(rr, rel=1e-12)
    assert gauss.loc["nie", "e_value_ci"] <= gauss.loc["nie", "e_value"]
