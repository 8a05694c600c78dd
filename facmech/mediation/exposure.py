"""Exposure-time (time-on-treatment) effects for stepped-wedge mediation.

In a stepped wedge the effect of a strategy often builds up (or fades) with the time a site has
been treated. The constant-effect model of Hussey & Hughes (2007) then estimates a weighted mix of
the exposure-time effects that can be badly biased for any summary of them (Kenny, Voldal, Xia &
Heagerty 2022, Stat Med 41:4311). Their exposure-time indicator (ETI) model replaces the single
treatment column of every model by one indicator per exposure time :math:`e = 1, \\dots, E`
(periods since crossover, the crossover period counting as 1); with mediators,

.. math::

    M_j = C\\gamma_j + \\sum_e \\alpha_{je} I_e + \\dots, \\qquad
    Y = C\\beta + \\sum_e c_e I_e + \\sum_j (b_j + d_j A) M_j,

where :math:`C` holds the intercept, covariates and period fixed effects and :math:`A = 1` in any
treated period (treatment-mediator interactions, if requested, do not vary with exposure time).
The nested mean :math:`\\psi_e` of "exposure time :math:`e`" versus "never treated" is evaluated
with the coefficients of :math:`I_e` in place of the treatment coefficient, over the covariate rows
of the site-periods observed at exposure time :math:`e`; ``total@e``, ``nde@e``, ``nie@e`` are its
contrasts, and ``total``, ``nde``, ``nie`` (and the other standard names) the contrasts of
:math:`\\bar\\psi = E^{-1}\\sum_{e \\le E} \\psi_e` (for differences: the equally weighted average
of the exposure-time effects, Kenny et al.'s time-averaged treatment effect over ``1..window``).

>>> import numpy as np
>>> a = np.array([0, 1, 1, 0, 0, 1])
>>> exposure_times(a, np.array([0, 0, 0, 1, 1, 1]), np.array([0, 1, 2, 0, 1, 2]))
array([0, 1, 2, 0, 0, 1])
"""

from __future__ import annotations

import numpy as np

from facmech.errors import DataError
from facmech.mediation.effects import Layout, contrasts, path_effects, potential_means
from facmech.mediation.keys import EffectKey, Naming
from facmech.mediation.spec import Family

__all__ = ["ExposureLayout", "exposure_times"]


def exposure_times(treatment: np.ndarray, cluster: np.ndarray, period: np.ndarray) -> np.ndarray:
    """Exposure time of every row: periods since its site crossed over, 1 at crossover, 0 before.

    Parameters
    ----------
    treatment : ndarray, shape (n,)
        0/1 treatment, constant within site-period.
    cluster : ndarray of int, shape (n,)
        Site codes.
    period : ndarray of int, shape (n,)
        Period index ``0..T-1`` (calendar order).

    Raises
    ------
    DataError
        When a site returns to control after crossing over (not a stepped-wedge rollout).
    """
    a = np.asarray(treatment) > 0
    cl = np.asarray(cluster, dtype=int)
    t = np.asarray(period, dtype=int)
    G = int(cl.max()) + 1 if cl.size else 0
    big = int(t.max()) + 1 if t.size else 0
    first = np.full(G, big)
    np.minimum.at(first, cl[a], t[a])
    back = ~a & (t > first[cl])
    if back.any():
        i = int(np.flatnonzero(back)[0])
        raise DataError(
            f"the exposure-time model needs every site to stay treated once it crosses over; site "
            f"code {int(cl[i])} is treated from period index {int(first[cl[i]])} but untreated at "
            f"period index {int(t[i])} ({int(back.sum())} such rows)"
        )
    return np.where(a, t - first[cl] + 1, 0)


class ExposureLayout:
    """Exposure-time indicator designs and effects for ``R`` replicates.

    Parameters
    ----------
    exposure : ndarray of int, shape (R, n)
        Exposure time of every row (0: untreated).
    treatment : ndarray, shape (R, n)
        The 0/1 treatment; must equal ``exposure > 0``.
    layout : Layout
        The standard layout (one treatment column) the per-exposure-time views map to.
    window : int, optional
        Average the effects over exposure times ``1..window`` (default: every exposure time).
    """

    def __init__(self, exposure: np.ndarray, treatment: np.ndarray, layout: Layout,
                 window: int | None = None) -> None:
        ex = np.asarray(exposure)
        if ex.shape != treatment.shape:
            raise DataError(
                f"`exposure` must have the treatment's shape {treatment.shape} (got {ex.shape})"
            )
        if not np.all(np.isfinite(ex)) or np.any(ex != np.round(ex)) or np.any(ex < 0):
            raise DataError("`exposure` times must be integers >= 0 (0: untreated)")
        ex = ex.astype(int)
        if np.any((ex > 0) != (treatment > 0)):
            bad = int(np.sum((ex > 0) != (treatment > 0)))
            raise DataError(
                f"`exposure` time must be 0 exactly in untreated rows and >= 1 in treated rows "
                f"({bad} rows disagree with the treatment)"
            )
        E = int(ex.max())
        if E < 1:
            raise DataError("`exposure` has no treated rows")
        seen = np.stack([(ex == e).any(axis=1) for e in range(1, E + 1)], axis=1)  # (R, E)
        if not seen.all():
            missing = sorted({int(e) + 1 for e in np.flatnonzero(~seen.all(axis=0))})
            raise DataError(
                f"exposure times {missing} do not occur in every data set; each of 1..{E} "
                "needs rows to estimate its effect"
            )
        if window is None:
            window = E
        if isinstance(window, bool) or not isinstance(window, int | np.integer) \
                or not 1 <= window <= E:
            raise DataError(
                f"`exposure_window` must be an integer from 1 to {E}, the longest exposure time "
                f"observed (got {window!r})"
            )
        self.exposure = ex
        self.E = E
        self.window = int(window)
        self.layout = layout
        self.indicators = (ex[..., None] == np.arange(1, E + 1)).astype(float)  # (R, n, E)

    def n_coef(self, j: int) -> int:
        """Number of coefficients of model ``j`` (``j == k``: the outcome)."""
        return self.layout.n_coef(j) + self.E - 1

    def design(self, C: np.ndarray, A: np.ndarray, M: np.ndarray, j: int) -> np.ndarray:
        """Design ``[C, I_1..I_E, M_<j, (A M_<j)]`` of model ``j``."""
        X = self.layout.design(C, A, M, j)
        p = self.layout.p
        return np.concatenate([X[..., :p], self.indicators, X[..., p + 1:]], axis=-1)

    def view(self, coef: np.ndarray, e: int) -> np.ndarray:
        """Coefficients in the standard layout with the exposure-time-``e`` coefficient as the
        treatment's (every other indicator set to zero)."""
        p = self.layout.p
        return np.concatenate(
            [coef[..., :p], coef[..., p + e - 1: p + e], coef[..., p + self.E:]], axis=-1
        )

    def effects(
        self,
        coefs: list[np.ndarray],
        sigmas: list[np.ndarray],
        C: np.ndarray,
        weights: np.ndarray | None,
        family: Family,
        mediator_family: Family,
        naming: Naming | None = None,
    ) -> dict[EffectKey, np.ndarray]:
        """Averaged and per-exposure-time effects, each ``(R, B)``.

        ``coefs`` in the exposure-time layout ``(R, B, n_coef)``; ``C`` (R, n, p) the shared
        columns; ``weights`` (R, B, n) bootstrap row weights or None.
        """
        layout = self.layout
        k = layout.k
        naming = Naming.positional(k) if naming is None else naming
        linear = family is Family.GAUSSIAN and mediator_family is Family.GAUSSIAN
        psis, per, paths = [], {}, []
        for e in range(1, self.E + 1):
            sel = (self.exposure == e).astype(float)[:, None, :]  # (R, 1, n)
            w = sel if weights is None else weights * sel
            tot = w.sum(-1, keepdims=True)
            with np.errstate(invalid="ignore", divide="ignore"):
                w = np.where(tot > 0, w / tot, np.nan)
            if linear:
                rows, roww = np.matmul(w, C)[:, :, None, :], np.ones((*w.shape[:2], 1))
            else:
                rows, roww = C[:, None], w
            views = [self.view(c, e) for c in coefs]
            psi = potential_means(views, sigmas, rows, roww, layout, family, mediator_family)
            eff = contrasts(psi, k, naming=naming)
            for key in (EffectKey.total(), EffectKey.nde(), EffectKey.nie()):
                per[key.at(e)] = eff[key]
            if e <= self.window:
                psis.append(psi)
                if linear and not layout.interaction and k > 1:
                    paths.append(path_effects(views, layout))
        avg = {cfg: sum(p[cfg] for p in psis) / len(psis) for cfg in psis[0]}
        out = contrasts(avg, k, ratios=family.binary, naming=naming)
        if paths:
            for path in paths[0]:
                out[naming.path(path)] = sum(p[path] for p in paths) / len(paths)
        out.update(per)
        return out
