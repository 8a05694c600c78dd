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
  :class:`~facmech.identification._cr2.BatchedOLS`, which gives the same numbers on the full design
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
>>> b, se, df = period_fit(x, y, np.repeat(np.arange(20), 3), nuis, np.arange(3), t)
>>> bool(abs(b - 0.5) < 3 * se), bool(df > 5)
(True, True)
"""

from __future__ import annotations

import numpy as np

from facmech.errors import EstimationError

__all__ = ["period_fit"]

#: Floor on the eigenvalues of ``I - H_gg`` (as in the dense CR2 computation).
_EIG_FLOOR = 1e-12


def _span(block: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the column span (SVD, numpy's rank tolerance)."""
    if block.shape[1] == 0:
        return block
    u, s, _ = np.linalg.svd(block, full_matrices=False)
    tol = s.max(initial=0.0) * max(block.shape) * np.finfo(float).eps
    return u[:, s > tol]


def period_fit(
    x: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    nuisance: np.ndarray,
    col_period: np.ndarray,
    period: np.ndarray,
    *,
    errors: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[float, float, float]:
    """Estimate, CR2 standard error and Bell-McCaffrey df of the coefficient of ``x``.

    Parameters
    ----------
    x, y : array (n,)
        The tested column and the response.
    groups : array (n,)
        Integer site codes ``0..G-1``; at most one row per site and period.
    nuisance : array (n, q)
        Nuisance columns, column ``k`` zero outside the rows of period ``col_period[k]``.
    col_period, period : arrays (q,) and (n,)
        The period of each nuisance column and of each row.
    errors : (e, err_xx, err_xy), optional
        The indices ``e`` in ``[x, nuisance]`` of the columns measured with error and, per row,
        their error covariance (n, len(e), len(e)) and their error covariance with the response's
        (n, len(e)): the measurement-corrected estimator.

    Raises
    ------
    EstimationError
        ``x`` lies in the span of the nuisance columns, or the corrected moment matrix is not
        positive definite (survey means too unreliable for this regression).
    """
    n = len(y)
    xt, yt, lev = x.astype(float).copy(), y.astype(float).copy(), np.zeros(n)
    bases: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for s in np.unique(period):
        rows = np.flatnonzero(period == s)
        q = _span(nuisance[np.ix_(rows, np.flatnonzero(col_period == s))])
        bases[int(s)] = (rows, q)
        xt[rows] -= q @ (q.T @ xt[rows])
        yt[rows] -= q @ (q.T @ yt[rows])
        lev[rows] = (q * q).sum(axis=1)
    ss = float(xt @ xt)
    if ss <= 1e-16 * max(float(x @ x), 1e-300) or ss == 0.0:
        raise EstimationError("the tested variable does not vary given the conditioning set")
    beta0 = float(xt @ yt) / ss
    e0 = yt - beta0 * xt
    order = np.argsort(groups, kind="stable")
    g = groups[order]
    n_groups = int(g.max()) + 1
    counts = np.bincount(g, minlength=n_groups)
    slot = np.arange(n) - np.concatenate([[0], np.cumsum(counts)[:-1]])[g]
    m = int(counts.max())
    pos = np.empty(n, dtype=int)
    pos[order] = np.arange(n)

    def pad(v: np.ndarray) -> np.ndarray:
        out = np.zeros((n_groups, m, *v.shape[1:]))
        out[g, slot] = v[order]
        return out

    xg, hg = pad(xt), pad(lev)
    h = np.zeros((n_groups, m, m))
    h[:, np.arange(m), np.arange(m)] = hg
    h += xg[:, :, None] * xg[:, None, :] / ss
    w, v = np.linalg.eigh(np.eye(m) - h)
    adj = (v / np.sqrt(np.maximum(w, _EIG_FLOOR))[:, None, :]) @ v.transpose(0, 2, 1)
    # Bell-McCaffrey degrees of freedom of the naive (observed-column) fit
    a = np.einsum("gij,gj->gi", adj, xg) / ss  # (G, m)
    aa = (a * a).sum(axis=1)
    b = (a * xg).sum(axis=1)
    u = np.outer(b, b) / ss
    a_row = a[g, slot][pos]  # each row's a value, in the original order
    for rows, q in bases.values():  # one row per site in a period: no accumulation needed
        wmat = np.zeros((n_groups, q.shape[1]))
        wmat[groups[rows]] = a_row[rows, None] * q
        u += wmat @ wmat.T
    trace = aa.sum() - np.trace(u)
    fro2 = (aa * aa).sum() - 2.0 * (aa * np.diag(u)).sum() + (u * u).sum()
    dfree = float(trace**2 / fro2)
    if errors is None:
        meat = np.einsum("gi,gij,gj->g", xg, adj, pad(e0))
        return beta0, float(np.sqrt((meat**2).sum()) / ss), dfree
    eidx, err_xx, err_xy = errors
    full = np.column_stack([x, nuisance])
    p = full.shape[1]
    big = full.T @ full
    big[np.ix_(eidx, eidx)] -= err_xx.sum(axis=0)
    rhs = full.T @ y
    rhs[eidx] -= err_xy.sum(axis=0)
    vals = np.linalg.eigvalsh((big + big.T) / 2)
    if vals.min() <= 1e-10 * max(vals.max(), 1.0):
        raise EstimationError("the measurement-corrected moment matrix is not positive definite: "
                              "the survey means are too unreliable for this regression")
    minv = np.linalg.inv(big)
    beta = minv @ rhs
    resid = y - full @ beta
    psi = np.einsum("gmp,gmk,gk->gp", pad(full), adj, pad(resid))
    corr = np.zeros((n, p))
    corr[:, eidx] = err_xy - np.einsum("npq,q->np", err_xx, beta[eidx])  # sigma_r - Sigma_r beta
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    psi -= np.add.reduceat(corr[order], starts, axis=0)
    cov0 = minv[0] @ (psi.T @ psi) @ minv[0]
    return float(beta[0]), float(np.sqrt(cov0)), dfree
