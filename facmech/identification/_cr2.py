"""Batched OLS with classical or CR2 cluster-robust covariance, from per-cluster Gram matrices.

Every regression that :func:`facmech.identification.test_implications` runs uses columns of one
matrix ``Z = [1, v_1, ..., v_k]`` (intercept and the measured variables). So the data are read once:

- a thin QR decomposition ``Z = Q R`` gives, for any column subset ``X = Z[:, cols]``, the
  singular values of ``X`` (those of ``R[:, cols]``) and, since ``y`` is also a column of ``Z``, the
  exact least-squares problem in ``k + 1`` dimensions instead of ``n``;
- the per-cluster cross-products ``C_g = Z_g^T Z_g`` give every cluster block the CR2 estimator needs.

The CR2 adjustment :math:`A_g = (I - H_{gg})^{-1/2}`, :math:`H_{gg} = X_g B X_g^\\top`, is never
formed as an :math:`n_g \\times n_g` matrix. With :math:`B = L L^\\top` and the eigendecomposition
:math:`L^\\top X_g^\\top X_g L = R\\,\\mathrm{diag}(\\mu)\\,R^\\top` (the non-zero eigenvalues of
:math:`H_{gg}`), :math:`A_g = I + X_g K_g X_g^\\top` with
:math:`K_g = L R\\,\\mathrm{diag}(\\psi(\\mu))\\,R^\\top L^\\top`,
:math:`\\psi(\\mu) = ((1-\\mu)^{-1/2} - 1)/\\mu = 1/(\\sqrt{1-\\mu}\\,(1 + \\sqrt{1-\\mu}))`.
The Bell-McCaffrey matrix :math:`G^\\top G` uses :math:`(I-H)^2 = I - H`, so its entries are
:math:`\\delta_{gh}\\, a_g^\\top a_g - u_g^\\top B u_h` with :math:`a_g = A_g X_g B e_j` and
:math:`u_g = X_g^\\top a_g`; the degrees of freedom need only its trace and squared Frobenius
norm, which reduce to p x p products
(:math:`\\|U B U^\\top\\|_F^2 = \\mathrm{tr}((B U^\\top U)^2)`). Everything is p x p per
cluster, stacked over clusters and over regressions of the same size (one batched ``eigh``): after
one pass over the data the cost grows with neither the rows nor (beyond linearly) the clusters.

>>> rng = np.random.default_rng(0)
>>> z = np.column_stack([np.ones(40), rng.standard_normal((40, 2))])
>>> groups = np.repeat(np.arange(8), 5)
>>> fit = BatchedOLS(z, groups)
>>> beta, cov, df = fit.cr2(np.array([[0, 1]]), np.array([2]), j=1)
>>> beta.shape, cov.shape, df.shape
((1, 2), (1, 2, 2), (1,))
"""

from __future__ import annotations

import numpy as np

__all__ = ["BatchedOLS"]

#: Floor on the eigenvalues of ``I - H_gg`` (as in the dense CR2 computation).
_EIG_FLOOR = 1e-12
#: Regressions are stacked up to about this many numbers per (clusters x p x p) array (32 MB).
_CHUNK = 4_000_000


class BatchedOLS:
    """Many least-squares fits on column subsets of one design matrix ``z`` (n x k).

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
            order = np.argsort(groups, kind="stable")
            bounds = np.flatnonzero(np.diff(groups[order])) + 1
            self._grams = np.stack([z[idx].T @ z[idx] for idx in np.split(order, bounds)])

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
        beta = (np.linalg.pinv(rx) @ ry[..., None])[..., 0]
        resid = ry - (rx @ beta[..., None])[..., 0]
        dfree = np.full(len(cols), float(self.n - cols.shape[1]))
        sigma2 = np.einsum("mk,mk->m", resid, resid) / dfree
        cov = np.linalg.inv(rx.transpose(0, 2, 1) @ rx) * sigma2[:, None, None]
        return beta, cov, dfree

    def cr2(
        self, cols: np.ndarray, ycol: np.ndarray, *, j: int = 1
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """OLS with the CR2 covariance and Bell-McCaffrey degrees of freedom for ``beta[j]``.

        Returns coefficients ``(m, p)``, covariances ``(m, p, p)`` and degrees of freedom ``(m,)``.
        """
        if self._grams is None:
            raise ValueError("BatchedOLS was built without `groups`")
        step = max(1, _CHUNK // (self._grams.shape[0] * cols.shape[1] ** 2))
        if len(cols) > step:  # bound the memory of the stacked per-cluster blocks
            parts = [self.cr2(cols[i:i + step], ycol[i:i + step], j=j)
                     for i in range(0, len(cols), step)]
            return tuple(np.concatenate(a) for a in zip(*parts, strict=True))  # type: ignore
        gr = self._grams
        c = gr[:, cols[:, :, None], cols[:, None, :]].transpose(1, 0, 2, 3)  # (m, G, p, p)
        xy = gr[:, cols, ycol[:, None]].transpose(1, 0, 2)  # (m, G, p)
        bread = np.linalg.pinv(c.sum(axis=1))  # (m, p, p)
        beta = (bread @ xy.sum(axis=1)[..., None])[..., 0]  # (m, p)
        xe = xy - (c @ beta[:, None, :, None])[..., 0]  # X_g' e_g, (m, G, p)
        # B = L L' (symmetric square root; B is positive definite for a full-rank design)
        d, v = np.linalg.eigh((bread + bread.transpose(0, 2, 1)) / 2)
        lo = v * np.sqrt(np.maximum(d, 0.0))[:, None, :]  # (m, p, p)
        lo_g = lo[:, None]
        mu, rot = np.linalg.eigh(lo_g.transpose(0, 1, 3, 2) @ c @ lo_g)  # eigenvalues of H_gg
        w = 1.0 - mu
        wc = np.maximum(w, _EIG_FLOOR)
        sw = np.sqrt(wc)
        psi = 1.0 / (sw * (1.0 + sw))
        floored = w < _EIG_FLOOR
        if floored.any():
            psi[floored] = (1.0 / sw[floored] - 1.0) / mu[floored]
        lr = lo_g @ rot  # (m, G, p, p)
        kg = (lr * psi[..., None, :]) @ lr.transpose(0, 1, 3, 2)  # K_g
        s = xe + (c @ (kg @ xe[..., None]))[..., 0]  # X_g' A_g e_g
        meat = s.transpose(0, 2, 1) @ s
        cov = bread @ meat @ bread
        ell = bread[:, :, j]  # (m, p)
        cell = (c @ ell[:, None, :, None])[..., 0]  # C_g ell
        t = ell[:, None, :] + (kg @ cell[..., None])[..., 0]  # A_g X_g ell = X_g t_g
        u = (c @ t[..., None])[..., 0]  # u_g = X_g' a_g
        aa = np.einsum("mgp,mgp->mg", t, u)  # a_g' a_g
        # G'G = diag(aa) - U B U' (G x G) enters only through its trace and squared Frobenius
        # norm, both computed from p x p products: no G x G matrix
        bs = bread @ (u.transpose(0, 2, 1) @ u)  # B U'U
        q = np.einsum("mgp,mpq,mgq->mg", u, bread, u)  # diagonal of U B U'
        trace = aa.sum(axis=1) - np.trace(bs, axis1=1, axis2=2)
        fro2 = (np.einsum("mg,mg->m", aa, aa) - 2 * np.einsum("mg,mg->m", aa, q)
                + np.einsum("mpq,mqp->m", bs, bs))
        return beta, cov, trace**2 / fro2
