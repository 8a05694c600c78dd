r"""The regression of one period-implication test: a common slope, period-specific nuisance.

A test of ``x _||_ y | z`` on site-period rows regresses ``y`` on ``x`` (one coefficient
:math:`\beta`, common to every period) and on nuisance columns that are each non-zero in one period
only (period intercepts, design cells, the conditioning nodes with period-specific slopes). The
nuisance design is block-diagonal by period, and every site has one row per period, so by the
Frisch-Waugh-Lovell theorem everything the CR2 test of :math:`\beta` needs comes from small
per-period fits:

* :math:`\tilde x, \tilde y` = ``x``, ``y`` residualized on their period's nuisance columns
  (:math:`Q_s Q_s'` the period-:math:`s` projection), :math:`S = \tilde x'\tilde x`,
  :math:`\hat\beta = \tilde x'\tilde y/S`, residuals :math:`e = \tilde y - \hat\beta\tilde x`;
* the row of :math:`(X'X)^{-1}X'` for :math:`\beta` is :math:`\tilde x'/S`, and a site's block of the
  hat matrix is :math:`H_{gg} = \mathrm{diag}(h_r) + \tilde x_g\tilde x_g'/S` (:math:`h_r` the row's
  leverage in its period's nuisance fit; rows of different periods share no nuisance column);
* CR2 (Bell & McCaffrey 2002): :math:`A_g = (I - H_{gg})^{-1/2}`,
  :math:`\widehat{\mathrm{Var}}(\hat\beta) = \sum_g (\tilde x_g' A_g e_g)^2 / S^2`;
* Bell-McCaffrey degrees of freedom :math:`(\mathrm{tr}\,M)^2/\lVert M\rVert_F^2` of the
  :math:`G \times G` matrix :math:`M = \mathrm{diag}(a_g'a_g) - U`, :math:`a_g = A_g\tilde x_g/S`,
  :math:`U_{gh} = a_g' H_{gh} a_h = \sum_s (a_{gs} q_{gs})'(a_{hs} q_{hs}) + b_g b_h/S` with
  :math:`q` the rows of :math:`Q_s` and :math:`b_g = a_g'\tilde x_g` (the formula of
  :class:`~facmech.estimation.subsets.SubsetRegressions`, which gives the same numbers on the full design
  in :math:`O(G p^3)`; here the cost is :math:`O(n q^2 + G^2)`).

**Survey means measured with error.** When columns are survey means :math:`x_r = \xi_r + u_r` with
estimated error covariances :math:`\hat\Sigma_r` (and :math:`\hat\sigma_r` with the response's
error), the moment estimator of Fuller (1987, sections 2.2 and 3.1; *Measurement Error Models*,
Wiley) :math:`\hat\beta = M^{-1}m`, :math:`M = X'X - \sum_r\hat\Sigma_r`,
:math:`m = X'y - \sum_r\hat\sigma_r` (the :math:`C, c` of
:func:`facmech.estimation.measurement.normal_equation_correction`) is consistent for the regression
on the true constructs. It solves :math:`\sum_g\psi_g = 0` with site estimating functions
:math:`\psi_g = X_g'A_g(y_g - X_g\beta) - \sum_{r\in g}(\hat\sigma_r - \hat\Sigma_r\beta)`; each site's
:math:`\hat\Sigma_r` come from its own staff surveys, so the sandwich
:math:`M^{-1}(\sum_g\psi_g\psi_g')M^{-1}` carries their estimation (Carroll et al. 2006, *Measurement
Error in Nonlinear Models*, 2nd ed., section B.3: the sandwich with error variances estimated from
replicates). The CR2 adjustments :math:`A_g` and the degrees of freedom are those of the fit on the
observed columns; with no error the estimator is that CR2 fit.

>>> rng = np.random.default_rng(0)
>>> t = np.tile(np.arange(3), 20)
>>> nuis = np.column_stack([(t == s).astype(float) for s in range(3)])
>>> x = rng.standard_normal(60)
>>> y = 0.5 * x + rng.standard_normal(60)
>>> b, se, df, status = period_fit(x, y, np.repeat(np.arange(20), 3), nuis, np.arange(3), t)
>>> bool(abs(b[0] - 0.5) < 3 * se[0]), bool(df[0] > 5), int(status[0])
(True, True, 0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ErrorMoments", "period_fit"]

#: Floor on the eigenvalues of ``I - H_gg`` (as in the dense CR2 computation).
_EIG_FLOOR = 1e-12


def _span(block: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the column span (SVD, numpy's rank tolerance)."""
    if block.shape[1] == 0:
        return block
    u, s, _ = np.linalg.svd(block, full_matrices=False)
    tol = s.max(initial=0.0) * max(block.shape) * np.finfo(float).eps
    return u[:, s > tol]


@dataclass(frozen=True)
class ErrorMoments:
    """Per-row error covariances for a stack of K claims sharing their nuisance columns.

    ``e``: the indices of the nuisance columns measured with error; ``nn`` (n, e, e): their error
    covariance; per claim ``xx`` (K, n) the variance of ``x``'s error, ``xn`` (K, n, e) its
    covariance with the noisy nuisance columns, ``xy`` (K, n) with the response's error, ``ny``
    (K, n, e) the response's error with the nuisance columns.
    """

    e: np.ndarray
    nn: np.ndarray
    xx: np.ndarray
    xn: np.ndarray
    xy: np.ndarray
    ny: np.ndarray


def period_fit(
    xs: np.ndarray,
    ys: np.ndarray,
    groups: np.ndarray,
    nuisance: np.ndarray,
    col_period: np.ndarray,
    period: np.ndarray,
    *,
    errors: ErrorMoments | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Estimates, CR2 standard errors and Bell-McCaffrey df of the coefficient of ``x`` in K
    regressions sharing their rows and nuisance columns.

    Parameters
    ----------
    xs, ys : arrays (K, n)
        Per regression the tested column and the response.
    groups : array (n,)
        Integer site codes ``0..G-1``; at most one row per site and period.
    nuisance : array (n, q)
        Nuisance columns, column ``k`` zero outside the rows of period ``col_period[k]``.
    col_period, period : arrays (q,) and (n,)
        The period of each nuisance column and of each row.
    errors : ErrorMoments, optional
        The measurement-corrected estimator (the nuisance columns must then be linearly
        independent).

    Returns
    -------
    estimate, std_error, df, status : arrays (K,)
        ``status`` 0 when fitted, 1 when ``x`` lies in the span of the nuisance columns, 2 when
        the corrected moment matrix is not positive definite (survey means too unreliable).
    """
    xs, ys = np.atleast_2d(np.asarray(xs, float)), np.atleast_2d(np.asarray(ys, float))
    n_fit, n = xs.shape
    xt, yt, lev = xs.copy(), ys.copy(), np.zeros(n)
    bases = []
    for s in np.unique(period):
        rows = np.flatnonzero(period == s)
        q = _span(nuisance[np.ix_(rows, np.flatnonzero(col_period == s))])
        bases.append((rows, q))
        xt[:, rows] -= (xt[:, rows] @ q) @ q.T
        yt[:, rows] -= (yt[:, rows] @ q) @ q.T
        lev[rows] = (q * q).sum(axis=1)
    ss = (xt * xt).sum(axis=1)
    status = np.where(ss <= 1e-16 * np.maximum((xs * xs).sum(axis=1), 1e-300), 1, 0)
    ss = np.where(status == 1, 1.0, ss)
    beta = (xt * yt).sum(axis=1) / ss
    resid = yt - beta[:, None] * xt
    order = np.argsort(groups, kind="stable")
    g = groups[order]
    n_groups = int(g.max()) + 1
    counts = np.bincount(g, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    slot = np.arange(n) - starts[g]
    m = int(counts.max())

    def pad(v: np.ndarray) -> np.ndarray:  # (K, n) -> (K, G, m)
        out = np.zeros((v.shape[0], n_groups, m))
        out[:, g, slot] = v[:, order]
        return out

    xg = pad(xt)
    h = xg[..., :, None] * xg[..., None, :] / ss[:, None, None, None]
    diag = np.arange(m)
    h[..., diag, diag] += pad(lev[None])[0]
    w, v = np.linalg.eigh(np.eye(m) - h)
    adj = (v / np.sqrt(np.maximum(w, _EIG_FLOOR))[..., None, :]) @ np.swapaxes(v, -1, -2)
    # Bell-McCaffrey degrees of freedom of the fit on the observed columns
    a = np.einsum("kgij,kgj->kgi", adj, xg) / ss[:, None, None]
    aa = (a * a).sum(axis=2)
    b = (a * xg).sum(axis=2)
    u = b[:, :, None] * b[:, None, :] / ss[:, None, None]
    pos = np.empty(n, dtype=int)
    pos[order] = np.arange(n)
    a_row = a[:, g, slot][:, pos]  # each row's entry of a, in the original row order
    for rows, q in bases:  # one row per site in a period: a plain assignment
        wmat = np.zeros((n_fit, n_groups, q.shape[1]))
        wmat[:, groups[rows]] = a_row[:, rows, None] * q[None]
        u += wmat @ np.swapaxes(wmat, 1, 2)
    trace = aa.sum(axis=1) - np.trace(u, axis1=1, axis2=2)
    fro2 = ((aa * aa).sum(axis=1) - 2.0 * (aa * np.diagonal(u, axis1=1, axis2=2)).sum(axis=1)
            + (u * u).sum(axis=(1, 2)))
    dfree = trace**2 / fro2
    if errors is None:
        meat = np.einsum("kgi,kgij,kgj->kg", xg, adj, pad(resid))
        return beta, np.sqrt((meat**2).sum(axis=1)) / ss, dfree, status
    return _corrected(xs, ys, nuisance, errors, adj, pad, order, starts, dfree, status)


def _corrected(xs: np.ndarray, ys: np.ndarray, nuis: np.ndarray, err: ErrorMoments,
               adj: np.ndarray, pad: Any, order: np.ndarray, starts: np.ndarray,
               dfree: np.ndarray, status: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fuller's moment estimator of ``x``'s coefficient through the partitioned corrected moment
    matrix ``[[x'x - c_xx, M_xN], [M_Nx, N'N - C_NN]]`` (``M_NN`` shared by the stack) and its
    site sandwich, with the CR2 adjustments ``adj`` of the fits on the observed columns."""
    e = err.e
    mnn = nuis.T @ nuis
    mnn[np.ix_(e, e)] -= err.nn.sum(axis=0)
    status = status.copy()
    vals = np.linalg.eigvalsh((mnn + mnn.T) / 2) if len(mnn) else np.ones(1)
    if vals.min() <= 1e-10 * max(vals.max(), 1.0):
        status[status == 0] = 2
        nan = np.full(xs.shape[0], np.nan)
        return nan, nan, dfree, status
    inv = np.linalg.inv(mnn)
    mnx = xs @ nuis
    mnx[:, e] -= err.xn.sum(axis=1)
    mxx = (xs * xs).sum(axis=1) - err.xx.sum(axis=1)
    mx = (xs * ys).sum(axis=1) - err.xy.sum(axis=1)
    mn = ys @ nuis
    mn[:, e] -= err.ny.sum(axis=1)
    bx = mnx @ inv  # M_NN^{-1} M_Nx per claim
    schur = mxx - (mnx * bx).sum(axis=1)
    tiny = schur <= 1e-10 * np.maximum(np.abs(mxx), 1e-300)
    status[(status == 0) & tiny] = 2
    schur = np.where(tiny, 1.0, schur)
    beta_x = (mx - (bx * mn).sum(axis=1)) / schur
    beta_n = mn @ inv - bx * beta_x[:, None]
    resid = ys - xs * beta_x[:, None] - beta_n @ nuis.T
    xc = (xs - bx @ nuis.T) / schur[:, None]  # X l, l = M^{-1} e_0
    first = np.einsum("kgi,kgij,kgj->kg", pad(xc), adj, pad(resid))
    bxe, bne = bx[:, e], beta_n[:, e]
    l_sigma = err.xy - np.einsum("ke,kne->kn", bxe, err.ny)
    l_sigma_beta = (err.xx * beta_x[:, None] + np.einsum("kne,ke->kn", err.xn, bne)
                    - np.einsum("ke,kne->kn", bxe, err.xn) * beta_x[:, None]
                    - np.einsum("ke,nef,kf->kn", bxe, err.nn, bne))
    second = (l_sigma - l_sigma_beta) / schur[:, None]  # l'(sigma_r - Sigma_r beta) per row
    psi = first - np.add.reduceat(second[:, order], starts, axis=1)
    return beta_x, np.sqrt((psi**2).sum(axis=1)), dfree, status
