"""Stepped-wedge power: Hussey & Hughes (2007) closed form vs swCRTdesign and a numeric GLS fit."""

import numpy as np
import pytest

from facmech.errors import DesignError
from facmech.power import hussey_hughes_variance, stepped_wedge_design, stepped_wedge_power


def gls_variance(x: np.ndarray, sigma2: float, tau2: float) -> float:
    """Var(theta_hat) of GLS on cluster-period means: fixed period effects, random intercepts."""
    n_i, n_t = x.shape
    v_inv = np.linalg.inv(sigma2 * np.eye(n_t) + tau2 * np.ones((n_t, n_t)))
    info = np.zeros((n_t + 1, n_t + 1))
    for i in range(n_i):
        z = np.column_stack([np.eye(n_t), x[i]])  # period effects (incl. intercept) + treatment
        info += z.T @ v_inv @ z
    return float(np.linalg.inv(info)[-1, -1])


def test_swpwr_binomial_example():
    # swCRTdesign: swPwr(swDsn(c(6,6,6,6)), distn = "binomial", n = 120, mu0 = 0.05, mu1 = 0.035,
    # tau = 0.01, eta = 0, rho = 0, gamma = 0, alpha = 0.05): Var 2.968231e-05, power 0.786;
    # U = 60, W = 1080, V = 180 (validation-references.md).
    x = stepped_wedge_design(24, 4)
    assert x.shape == (24, 5)
    assert x.sum() == 60
    assert (x.sum(axis=0) ** 2).sum() == 1080
    assert (x.sum(axis=1) ** 2).sum() == 180
    r = stepped_wedge_power(
        sites=24, steps=4, patients=120, effect=0.035 - 0.05, tau=0.01, baseline_risk=0.05
    )
    assert r.std_error**2 == pytest.approx(2.968231e-05, rel=1e-6)
    assert r.power == pytest.approx(0.786, abs=5e-4)


@pytest.mark.parametrize(
    ("sites", "steps", "periods", "sigma2", "tau2"),
    [(24, 4, None, 0.0425 * 0.9575 / 120, 1e-4), (10, 3, 6, 0.5, 0.2), (7, 7, None, 1.0, 0.01)],
)
def test_closed_form_equals_numeric_gls(sites, steps, periods, sigma2, tau2):
    # Hussey & Hughes (2007): the closed form is the GLS variance of the random-intercept model.
    x = stepped_wedge_design(sites, steps, periods)
    assert hussey_hughes_variance(x, sigma2=sigma2, tau2=tau2) == pytest.approx(
        gls_variance(x, sigma2, tau2), rel=1e-9
    )


def test_icc_parameterisation_matches_tau():
    # icc with total SD 1: tau^2 = icc, sigma_e^2 = 1 - icc; same as tau = sqrt(icc), sd = sigma_e.
    a = stepped_wedge_power(sites=12, steps=3, patients=20, effect=0.3, icc=0.05)
    b = stepped_wedge_power(
        sites=12, steps=3, patients=20, effect=0.3, tau=0.05**0.5, sd=0.95**0.5
    )
    assert a.power == pytest.approx(b.power, rel=1e-12)
    # Binary with icc: tau^2 = icc mu(1-mu)/(1-icc).
    mu = 0.0425
    c = stepped_wedge_power(
        sites=24, steps=4, patients=120, effect=-0.015, baseline_risk=0.05,
        icc=1e-4 / (1e-4 + mu * (1 - mu)),
    )
    assert c.power == pytest.approx(0.786, abs=5e-4)


def test_uneven_split_and_extra_periods():
    x = stepped_wedge_design(5, 2, 4)
    assert x.tolist() == [[0, 1, 1, 1]] * 3 + [[0, 0, 1, 1]] * 2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"icc": 1.0}, r"`icc` must be in \[0, 1\)"),
        ({"icc": None}, r"exactly one of `icc` and `tau`"),
        ({"tau": 0.1}, r"exactly one of `icc` and `tau`"),
        ({"steps": 30}, r"`steps` \(30\) cannot exceed `sites` \(24\)"),
        ({"periods": 3}, r"`periods` must be at least steps \+ 1 = 5"),
        ({"baseline_risk": 0.01, "effect": -0.02}, r"must be in \(0, 1\)"),
        ({"baseline_risk": 0.05, "sd": 1.0}, r"`sd` applies to a continuous outcome"),
    ],
)
def test_bad_input(kwargs, match):
    base = {"sites": 24, "steps": 4, "patients": 20, "effect": 0.2, "icc": 0.05}
    with pytest.raises(DesignError, match=match):
        stepped_wedge_power(**{**base, **kwargs})
