"""Closed-form mediation formula vs brute-force simulation of nested counterfactuals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

from facmech.mediation.effects import (
    Layout,
    configurations,
    contrasts,
    path_effects,
    potential_means,
)
from facmech.mediation.spec import Family


def _random_model(rng, layout):
    coefs = [rng.normal(scale=0.5, size=(1, 1, layout.n_coef(j))) for j in range(layout.k + 1)]
    sigmas = [np.full((1, 1), s) for s in rng.uniform(0.5, 1.5, layout.k)]
    return coefs, sigmas


def _brute_force(coefs, sigmas, C, layout, family, cfg, draws, rng):
    """Simulate M_j(a_j, M_<j) sequentially for each covariate row and average E[Y | ...]."""
    p, k, ia = layout.p, layout.k, layout.interaction
    n = C.shape[0]
    Ms = []
    a_y, a = cfg[0], cfg[1:]
    for j in range(k):
        c = coefs[j][0, 0]
        m = C @ c[:p] + a[j] * c[p]
        m = np.repeat(m[:, None], draws, axis=1)
        for l_ in range(j):
            m = m + (c[p + 1 + l_] + (a[j] * c[p + 1 + j + l_] if ia else 0)) * Ms[l_]
        Ms.append(m + sigmas[j][0, 0] * rng.standard_normal((n, draws)))
    c = coefs[k][0, 0]
    eta = (C @ c[:p] + a_y * c[p])[:, None]
    for j in range(k):
        eta = eta + (c[p + 1 + j] + (a_y * c[p + 1 + k + j] if ia else 0)) * Ms[j]
    if family is Family.GAUSSIAN:
        return eta.mean()
    if family is Family.PROBIT:
        return special.ndtr(eta).mean()
    return special.expit(eta).mean()


@pytest.mark.parametrize("family", list(Family))
@pytest.mark.parametrize("k,interaction", [(1, False), (2, True), (3, True)])
def test_closed_form_matches_simulation(family, k, interaction):
    rng = np.random.default_rng(100 + k)
    layout = Layout(p=3, k=k, interaction=interaction)
    coefs, sigmas = _random_model(rng, layout)
    C = np.c_[np.ones(40), rng.normal(size=(40, 2))]
    psi = potential_means(coefs, sigmas, C[None, None], np.full((1, 1, 40), 1 / 40), layout, family)
    draws = 20000
    for cfg in configurations(k):
        sim = _brute_force(coefs, sigmas, C, layout, family, cfg, draws, rng)
        # Monte Carlo SD of the simulated mean: at most ~(spread of Y)/sqrt(40 * draws)
        tol = 5 * (1.0 if family.binary else 4.0) / np.sqrt(40 * draws)
        assert psi[cfg][0, 0] == pytest.approx(sim, abs=tol), cfg


def test_gaussian_outcome_uses_covariate_means():
    rng = np.random.default_rng(7)
    layout = Layout(p=3, k=2, interaction=True)
    coefs, sigmas = _random_model(rng, layout)
    C = np.c_[np.ones(30), rng.normal(size=(30, 2))]
    rows = potential_means(coefs, sigmas, C[None, None], np.full((1, 1, 30), 1 / 30), layout,
                           Family.GAUSSIAN)
    means = potential_means(coefs, sigmas, C.mean(0)[None, None, None], np.ones((1, 1, 1)), layout,
                            Family.GAUSSIAN)
    for cfg in rows:
        assert rows[cfg][0, 0] == pytest.approx(means[cfg][0, 0], abs=1e-12)


def test_linear_decomposition_products_of_coefficients():
    # Linear SEM without interaction (VanderWeele & Vansteelandt 2014, Epidemiol Methods 2:95):
    # nie = sum of path products; via:M1 = a1 b1 + a1 d b2, via:M2 = a2 b2; nde = c.
    layout = Layout(p=1, k=2, interaction=False)
    a1, a2, d, b1, b2, c = 0.5, 0.4, 0.7, 0.6, -0.3, 0.25
    coefs = [np.array([[[0.1, a1]]]), np.array([[[0.2, a2, d]]]), np.array([[[0.0, c, b1, b2]]])]
    sig = [np.ones((1, 1)), np.ones((1, 1))]
    psi = potential_means(coefs, sig, np.ones((1, 1, 1, 1)), np.ones((1, 1, 1)), layout,
                          Family.GAUSSIAN)
    eff = contrasts(psi, 2)
    paths = path_effects(coefs, layout)
    assert eff["nde"][0, 0] == pytest.approx(c)
    assert eff["via:0"][0, 0] == pytest.approx(a1 * b1 + a1 * d * b2)
    assert eff["via:1"][0, 0] == pytest.approx(a2 * b2)
    assert paths[(0, 1)][0, 0] == pytest.approx(a1 * d * b2)
    assert eff["nie"][0, 0] == pytest.approx(sum(v[0, 0] for v in paths.values()))
    assert eff["total"][0, 0] == pytest.approx(c + a1 * b1 + a1 * d * b2 + a2 * b2)


def test_decomposition_sums_with_interaction_and_binary_outcome():
    rng = np.random.default_rng(11)
    layout = Layout(p=2, k=3, interaction=True)
    coefs, sigmas = _random_model(rng, layout)
    C = np.c_[np.ones(25), rng.normal(size=25)]
    psi = potential_means(coefs, sigmas, C[None, None], np.full((1, 1, 25), 1 / 25), layout,
                          Family.BINOMIAL)
    eff = contrasts(psi, 3)
    assert sum(eff[f"via:{j}"] for j in range(3))[0, 0] == pytest.approx(eff["nie"][0, 0])
    assert (eff["nde_control"] + eff["nie_treated"])[0, 0] == pytest.approx(eff["total"][0, 0])
    assert (eff["nde_treated"] + eff["nie_control"])[0, 0] == pytest.approx(eff["total"][0, 0])
