"""Many least-squares fits on column subsets of one matrix, with classical or CR2 covariance.

Every regression that :func:`facmech.identification.test_implications` runs uses columns of one
matrix ``Z = [1, v_1, ..., v_k]`` (intercept and the measured variables). So the data are read once:

- a thin QR decomposition ``Z = Q R`` gives, for any column subset ``X = Z[:, cols]``, the
  singular values of ``X`` (those of ``R[:, cols]``) and, since ``y`` is also a column of ``Z``, the
  exact least-squares problem in ``k + 1`` dimensions instead of ``n`` (solved by
  :func:`facmech.estimation.fit.wls` on the rows of ``R``);
- the per-cluster cross-products ``C_g = Z_g^T Z_g`` give every cluster block the CR2 estimator of
  :mod:`facmech.estimation.covariance` needs (it works on Gram matrices only).

After one pass over the data the cost grows with neither the rows nor (beyond linearly) the
clusters; regressions of the same size are stacked (one batched ``eigh``).

>>> rng = np.random.default_rng(0)
>>> z = np.column_stack([np.ones(40), rng.standard_normal((40, 2))])
>>> groups = np.repeat(np.arange(8), 5)
>>> fit = SubsetRegressions(z, groups)
>>> beta, cov, df = fit.cr2(np.array([[0, 1]]), np.array([2]), j=1)
>>> beta.shape, cov.shape, df.shape
((1, 2), (1, 2, 2), (1,))
"""

from __future__ import annotations

import numpy as np

from facmech.errors import ArgumentError
from facmech.estimation.covariance import bell_mccaffrey_df, cluster_sums, cr2_scores
from facmech.estimation.fit import solve_normal, wls

__all__ = ["SubsetRegressions"]

#: Regressions are stacked up to about this many numbers per (clusters x p x p) array (32 MB).
_CHUNK = 4_000_000


class SubsetRegressions:
    """Least-squares fits of columns of ``z`` (n x k) on other columns of ``z``.

    Parameters
    ----------
    z : numpy.ndarray
        All columns any regression uses (regressors and responses), shape ``(n, k)``.
    groups : numpy.ndarray, optional
        Integer cluster codes ``0..G-1`` (length n) for the CR2 covariance.
    """

    def __init__(self, z: np.ndarray, groups: np.ndarray | None = None) -> None:
        self.n, self.k = z.shape
        # Householder QR is backward stable: X = Q R[:, cols] holds for every column subset
        self._r = np.linalg.qr(z, mode="r")
        self._grams: np.ndarray | None = None
        if groups is not None:
            self._grams = cluster_sums(z, None, groups)[0]

    def ranks(self, cols: np.ndarray) -> np.ndarray:
        """Matrix rank of each ``z[:, cols[i]]`` (numpy's default tolerance on ``n`` rows).

        ``cols`` has shape ``(m, p)``; returns ``m`` ranks.
        """
        s = np.linalg.svd(self._r[:, cols].transpose(1, 0, 2), compute_uv=False)
        tol = s.max(axis=-1, keepdims=True) * max(self.n, cols.shape[1]) * np.finfo(float).eps
        return (s > tol).sum(axis=-1)

    def classical(
        self, cols: np.ndarray, ycol: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """OLS of ``z[:, ycol[i]]`` on ``z[:, cols[i]]``: coefficients, covariance, residual df."""
        rx = self._r[:, cols].transpose(1, 0, 2)  # (m, k, p)
        ry = self._r[:, ycol].T  # (m, k)
        fit = wls(rx, ry)
        beta = fit.coef[:, 0]
        resid = ry - (rx @ beta[..., None])[..., 0]
        dfree = np.full(len(cols), float(self.n - cols.shape[1]))
        sigma2 = np.einsum("mk,mk->m", resid, resid) / dfree
        cov = np.linalg.inv(fit.gram[:, 0]) * sigma2[:, None, None]
        return beta, cov, dfree

    def cr2(
        self, cols: np.ndarray, ycol: np.ndarray, *, j: int = 1
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """OLS with the CR2 covariance and Bell-McCaffrey degrees of freedom for ``beta[j]``.

        Returns coefficients ``(m, p)``, covariances ``(m, p, p)`` and degrees of freedom ``(m,)``.
        """
        if self._grams is None:
            raise ArgumentError("`groups` is needed for the CR2 covariance (got None)")
        step = max(1, _CHUNK // (self._grams.shape[0] * cols.shape[1] ** 2))
        if len(cols) > step:  # bound the memory of the stacked per-cluster blocks
            parts = [self.cr2(cols[i:i + step], ycol[i:i + step], j=j)
                     for i in range(0, len(cols), step)]
            return tuple(np.concatenate(a) for a in zip(*parts, strict=True))  # type: ignore
        gr = self._grams
        c = gr[:, cols[:, :, None], cols[:, None, :]].transpose(1, 0, 2, 3)  # (m, G, p, p)
        xy = gr[:, cols, ycol[:, None]].transpose(1, 0, 2)  # (m, G, p)
        gram = c.sum(axis=1)
        beta, _ = solve_normal(gram, xy.sum(axis=1))  # (m, p)
        bread = np.linalg.inv(gram)
        xe = xy - (c @ beta[:, None, :, None])[..., 0]  # X_g' e_g, (m, G, p)
        s, kg = cr2_scores(c, xe, bread)
        cov = bread @ (s.transpose(0, 2, 1) @ s) @ bread
        unit = np.zeros(cols.shape[1])
        unit[j] = 1.0
        return beta, cov, bell_mccaffrey_df(c, bread, kg, np.broadcast_to(unit, beta.shape))
