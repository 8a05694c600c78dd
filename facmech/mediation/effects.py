"""Closed-form mediation formula for ordered Gaussian mediators, vectorized over draws.

With mediators :math:`M_1, \\dots, M_k` in causal order, each a linear-Gaussian model
:math:`M_j = C\\gamma_j + \\alpha_j A + \\sum_{l<j} (\\delta_{jl} + \\delta^A_{jl} A) M_l
+ \\varepsilon_j`,
and an outcome model with linear predictor
:math:`\\eta = C\\beta + c A + \\sum_j (b_j + d_j A) M_j`, the nested potential-outcome mean

.. math:: \\psi(a_Y; a_1, \\dots, a_k) = E\\big[Y(a_Y, M_1(a_1), M_2(a_2, M_1(a_1)), \\dots)\\big]

(identified by the g-formula under sequential ignorability; no recanting witness because each
:math:`M_j` enters all later models with one treatment value) is, given covariates, a Gaussian
integral: the mediators are jointly normal with mean :math:`m = (I - D)^{-1}\\mu_0` and the
outcome's linear predictor is normal with mean :math:`\\eta(a_Y) + w^\\top m` and variance
:math:`s^2 = \\sum_j (u_j \\sigma_j)^2`, :math:`u = (I - D)^{-\\top} w`. Then

- Gaussian outcome: :math:`\\psi = E[\\eta + w^\\top m]` (linear, so evaluated at covariate means),
- probit: :math:`\\psi = E\\,\\Phi\\{(\\eta + w^\\top m)/\\sqrt{1 + s^2}\\}`
  (Imai, Keele & Tingley 2010),
- logit: Gauss-Hermite quadrature of :math:`E\\,\\mathrm{expit}(\\eta + w^\\top m + s Z)`.

Effects are contrasts of :math:`\\psi` over the configurations :math:`(a_Y; 0^{j}, 1^{k-j})`
(see :func:`contrasts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations, pairwise

import numpy as np
from scipy import special

from facmech.mediation.keys import Arm, EffectKey, Naming
from facmech.mediation.spec import Family

__all__ = ["Layout", "configurations", "contrasts", "path_effects", "potential_means"]

_GH_X, _GH_W = np.polynomial.hermite.hermgauss(40)


@dataclass(frozen=True)
class Layout:
    """Column layout of the models: ``p`` shared columns (intercept, covariates, period effects),
    ``k`` mediators, treatment-by-mediator terms when ``interaction``.

    Mediator ``j`` (0-based) has columns ``[C (p), A, M_0..M_{j-1}, A*M_0..A*M_{j-1}]``; the
    outcome ``[C (p), A, M_0..M_{k-1}, A*M_0..A*M_{k-1}]`` (interaction blocks only when set).

    >>> Layout(p=3, k=2, interaction=True).n_coef(2)
    8
    """

    p: int
    k: int
    interaction: bool

    def n_coef(self, j: int) -> int:
        """Number of coefficients of mediator ``j`` (``j == k`` is the outcome)."""
        return self.p + 1 + j * (2 if self.interaction else 1)

    def design(self, C: np.ndarray, A: np.ndarray, M: np.ndarray, j: int) -> np.ndarray:
        """Design matrix ``(R, n, n_coef(j))`` of model ``j`` from ``C`` (R,n,p), ``A`` (R,n),
        ``M`` (R,n,k)."""
        parts = [C, A[..., None], M[..., :j]]
        if self.interaction and j:
            parts.append(A[..., None] * M[..., :j])
        return np.concatenate(parts, axis=-1)


def configurations(k: int) -> list[tuple[int, ...]]:
    """The ``2(k+1)`` settings ``(a_Y, a_1..a_k)`` with mediators switched on from the back.

    >>> configurations(1)
    [(0, 0), (0, 1), (1, 0), (1, 1)]
    """
    out = []
    for a_y in (0, 1):
        for j in range(k, -1, -1):
            out.append((a_y, *([0] * j), *([1] * (k - j))))
    return out


def potential_means(
    coefs: list[np.ndarray],
    sigmas: list[np.ndarray],
    rows: np.ndarray,
    row_weights: np.ndarray,
    layout: Layout,
    family: Family,
    mediator_family: Family = Family.GAUSSIAN,
) -> dict[tuple[int, ...], np.ndarray]:
    """:math:`\\psi` for every configuration of :func:`configurations`, per replicate and draw.

    With a single binary mediator (``mediator_family`` logit or probit) the formula is the exact
    two-term sum :math:`\\psi = E[\\sum_{m \\in \\{0,1\\}} P(M = m \\mid a_M, C)\\,
    E(Y \\mid a_Y, m, C)]`.

    Parameters
    ----------
    coefs : list of ndarray
        ``k`` mediator coefficient arrays then the outcome's, each ``(R, B, n_coef)``.
    sigmas : list of ndarray
        Residual SD of each mediator, ``(R, B)`` or ``(R, 1)``.
    rows : ndarray, shape (R, B or 1, n', p)
        Covariate rows to average over, first column the intercept (one row of means suffices for
        a Gaussian outcome).
    row_weights : ndarray, shape (R, B or 1, n')
        Weights summing to one over rows.
    """
    p, k = layout.p, layout.k
    if mediator_family is not Family.GAUSSIAN:
        return _binary_mediator_means(coefs, rows, row_weights, layout, family, mediator_family)
    ia = layout.interaction
    # Everything before the link is linear in the covariate row C_i (first column: intercept), so
    # each configuration reduces to one coefficient vector h (R, B, p) and eta_i = C_i . h: one
    # matrix product per configuration instead of array passes per mediator.
    e0 = np.zeros(p)
    e0[0] = 1.0
    out_c = coefs[k]
    result = {}
    for cfg in configurations(k):
        a_y, a = cfg[0], cfg[1:]
        g = []
        for j in range(k):
            c = coefs[j]
            gj = c[..., :p] + a[j] * c[..., p, None] * e0
            for l_ in range(j):
                slope = c[..., p + 1 + l_] + (a[j] * c[..., p + 1 + j + l_] if ia else 0.0)
                gj = gj + slope[..., None] * g[l_]
            g.append(gj)
        w = [out_c[..., p + 1 + j] + (a_y * out_c[..., p + 1 + k + j] if ia else 0.0)
             for j in range(k)]
        h = out_c[..., :p] + a_y * out_c[..., p, None] * e0
        for j in range(k):
            h = h + w[j][..., None] * g[j]
        if family is not Family.GAUSSIAN:
            u = [None] * k
            for j in range(k - 1, -1, -1):
                acc = w[j]
                for l_ in range(j + 1, k):
                    c = coefs[l_]
                    d = c[..., p + 1 + j] + (a[l_] * c[..., p + 1 + l_ + j] if ia else 0.0)
                    acc = acc + d * u[l_]
                u[j] = acc
            s2 = sum((u[j] * sigmas[j]) ** 2 for j in range(k))
        if family is Family.PROBIT:
            h = h / np.sqrt(1 + s2)[..., None]
        eta = np.matmul(rows, h[..., None])[..., 0]  # (R, B, n')
        if family is Family.GAUSSIAN:
            values = eta
        elif family is Family.PROBIT:
            values = special.ndtr(eta)
        else:
            s = np.sqrt(2 * s2)[..., None, None]
            values = special.expit(eta[..., None] + s * _GH_X) @ _GH_W / np.sqrt(np.pi)
        if values.shape[-1] == row_weights.shape[-1] and values.shape[1] == row_weights.shape[1]:
            result[cfg] = np.einsum("rbn,rbn->rb", values, row_weights)
        else:
            result[cfg] = np.sum(values * row_weights, axis=-1)
    return result


def _inverse_link(family: Family):
    if family is Family.GAUSSIAN:
        return lambda eta: eta
    return special.ndtr if family is Family.PROBIT else special.expit


def _binary_mediator_means(coefs, rows, row_weights, layout, family, mediator_family):
    p = layout.p
    e0 = np.zeros(p)
    e0[0] = 1.0
    cm, cy = coefs[0], coefs[1]
    g_m, g_y = _inverse_link(mediator_family), _inverse_link(family)
    result = {}
    for a_y, a_m in configurations(1):
        p1 = g_m(np.matmul(rows, (cm[..., :p] + a_m * cm[..., p, None] * e0)[..., None])[..., 0])
        eta = np.matmul(rows, (cy[..., :p] + a_y * cy[..., p, None] * e0)[..., None])[..., 0]
        w = cy[..., p + 1] + (a_y * cy[..., p + 2] if layout.interaction else 0.0)
        values = p1 * g_y(eta + w[..., None]) + (1 - p1) * g_y(eta)
        result[(a_y, a_m)] = np.sum(values * row_weights, axis=-1)
    return result


def contrasts(
    psi: dict[tuple[int, ...], np.ndarray], k: int, *, ratios: bool = False,
    naming: Naming | None = None,
) -> dict[EffectKey, np.ndarray]:
    """Named effects from the potential-outcome means (difference scale).

    ``total``; ``nde_control`` = :math:`\\psi(1;0) - \\psi(0;0)`, ``nde_treated`` =
    :math:`\\psi(1;1) - \\psi(0;1)`, ``nie_control`` = :math:`\\psi(0;1) - \\psi(0;0)`,
    ``nie_treated`` = :math:`\\psi(1;1) - \\psi(1;0)`, ``nde``/``nie`` their averages,
    ``prop_mediated`` = nie / total, and with several mediators ``via:j``: the effect through
    mediator ``j`` not through earlier ones (including through later ones), averaged over
    :math:`a_Y`; they sum to ``nie``. With ``ratios`` (binary outcomes) also the risk ratios
    ``rr:total``, ``rr:nde`` (mediators at control) and ``rr:nie`` (outcome at treated), whose
    product is ``rr:total``. Keys are :class:`~facmech.mediation.keys.EffectKey`; mediators are
    named by ``naming`` (default: their 0-based positions, ``via:0``).
    """
    naming = Naming.positional(k) if naming is None else naming
    one, zero = (1,) * k, (0,) * k
    total, nde, nie = EffectKey.total(), EffectKey.nde(), EffectKey.nie()
    nde_c, nde_t = EffectKey.nde(Arm.CONTROL), EffectKey.nde(Arm.TREATED)
    nie_c, nie_t = EffectKey.nie(Arm.CONTROL), EffectKey.nie(Arm.TREATED)
    e = {
        total: psi[(1, *one)] - psi[(0, *zero)],
        nde_c: psi[(1, *zero)] - psi[(0, *zero)],
        nde_t: psi[(1, *one)] - psi[(0, *one)],
        nie_c: psi[(0, *one)] - psi[(0, *zero)],
        nie_t: psi[(1, *one)] - psi[(1, *zero)],
    }
    e[nde] = (e[nde_c] + e[nde_t]) / 2
    e[nie] = (e[nie_c] + e[nie_t]) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        e[EffectKey.prop_mediated()] = e[nie] / e[total]
    if ratios:
        with np.errstate(divide="ignore", invalid="ignore"):
            e[total.ratio_scale()] = psi[(1, *one)] / psi[(0, *zero)]
            e[nde.ratio_scale()] = psi[(1, *zero)] / psi[(0, *zero)]
            e[nie.ratio_scale()] = psi[(1, *one)] / psi[(1, *zero)]
    if k > 1:
        for j in range(k):
            hi = (*([0] * j), *([1] * (k - j)))
            lo = (*([0] * (j + 1)), *([1] * (k - j - 1)))
            e[naming.via(j)] = sum(psi[(a, *hi)] - psi[(a, *lo)] for a in (0, 1)) / 2
    return e


def path_effects(coefs: list[np.ndarray], layout: Layout) -> dict[tuple[int, ...], np.ndarray]:
    """Products of coefficients along each directed path A -> M_j1 -> ... -> M_jr -> Y.

    Valid under linear models without treatment-mediator interaction (Gaussian outcome); keys are
    the 0-based mediator indices on the path, in causal order. Paths starting with mediator ``j``
    sum to ``via:j``.
    """
    p, k = layout.p, layout.k
    out = {}
    for r in range(1, k + 1):
        for path in combinations(range(k), r):
            val = coefs[path[0]][..., p]
            for prev, nxt in pairwise(path):
                val = val * coefs[nxt][..., p + 1 + prev]
            out[path] = val * coefs[k][..., p + 1 + path[-1]]
    return out
