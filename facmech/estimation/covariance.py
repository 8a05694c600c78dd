r"""Covariance estimators of regression coefficients: classical, heteroskedasticity- and cluster-robust.

One set of estimators for every family (mediation, implication tests, design studies), as small
frozen classes with one interface: ``covariance(pieces, cluster) -> (V, df)`` over ``R`` replicates
of one or several models, ``pieces`` the :class:`ModelPieces` of each model. Several models are
stacked, :math:`\theta = (\beta_1, \dots, \beta_m)`, and the sandwich is built from each model's
influence terms :math:`\mathrm{IF}_g = B\,\tilde X_g^\top \tilde e_g` (bread
:math:`B = (\tilde X^\top \tilde X)^{-1}`, working design :math:`\tilde X = V^{1/2} X` and working
(Pearson) residual :math:`\tilde e` for a GLM, :math:`X` and :math:`e` for least squares), so the
covariance between models from shared rows or sites is kept:
:math:`\hat V = \sum_g \mathrm{IF}_g \mathrm{IF}_g^\top`.

- :class:`Classical`: :math:`\hat\sigma^2 (X^\top X)^{-1}` (inverse Fisher information for a GLM),
  models independent.
- :class:`Robust`: HC0-HC3 (White 1980; MacKinnon & White 1985), rows independent; HC1 multiplies
  by :math:`n/(n-K)`, HC2 divides each residual by :math:`\sqrt{1-h_{ii}}`, HC3 by
  :math:`1-h_{ii}` (R ``sandwich::vcovHC``'s default; statsmodels ``cov_type="HC0".."HC3"``).
- :class:`Clustered`: CR0, CR1 (factor :math:`\frac{G}{G-1}\frac{N-1}{N-K}`, Stata's and
  statsmodels' ``cov_type="cluster"``) and CR2 (Bell & McCaffrey 2002; R ``clubSandwich``
  ``vcovCR(type="CR2")``), with between-within degrees of freedom (Li & Redden 2015, BMC Med Res
  Methodol 15:38; SAS ``DDFM=BW``: :math:`G - p_b`, :math:`p_b` the number of site-level columns,
  intercept and a site-randomized treatment included) or the Bell-McCaffrey / Satterthwaite
  degrees of freedom of each coefficient (clubSandwich ``coef_test(test="Satterthwaite")``).

CR2 in K x K form
-----------------
This is facmech's only CR2; it never forms an :math:`n_g \times n_g` matrix, only each cluster's
Gram matrix :math:`C_g = X_g^\top X_g` and score :math:`s_g = X_g^\top e_g`
(:func:`cr2_scores`), so it runs equally on rows (mediation) and on Gram matrices computed once for
many regressions (:mod:`facmech.estimation.subsets`, the implication tests). The adjustment
:math:`A_g = (I - H_{gg})^{-1/2}`, :math:`H_{gg} = X_g B X_g^\top`: with :math:`B = L L^\top` and
the eigendecomposition :math:`L^\top C_g L = R\,\mathrm{diag}(\mu)\,R^\top` (the non-zero
eigenvalues of :math:`H_{gg}`), :math:`A_g = I + X_g K_g X_g^\top`,
:math:`K_g = L R\,\mathrm{diag}(\psi(\mu))\,R^\top L^\top`,
:math:`\psi(\mu) = ((1-\mu)^{-1/2} - 1)/\mu = 1/(\sqrt{1-\mu}\,(1 + \sqrt{1-\mu}))`, so the adjusted
score is :math:`X_g^\top A_g e_g = s_g + C_g K_g s_g`. Eigenvalues of :math:`I - H_{gg}` are
floored at ``1e-12`` (a row with leverage one). The Bell-McCaffrey degrees of freedom of
:math:`c^\top\beta` use :math:`(I-H)^2 = I - H`: with :math:`\ell = B c`,
:math:`a_g = A_g X_g \ell` and :math:`u_g = X_g^\top a_g`, the matrix :math:`G^\top G` has entries
:math:`\delta_{gh}\, a_g^\top a_g - u_g^\top B u_h`, and :math:`\nu = (\mathrm{tr}\,G^\top G)^2 /
\|G^\top G\|_F^2` needs only p x p products (:math:`\|U B U^\top\|_F^2 =
\mathrm{tr}((B U^\top U)^2)`) (:func:`bell_mccaffrey_df`).

>>> rng = np.random.default_rng(0)
>>> X = np.column_stack([np.ones(40), rng.normal(size=40)])
>>> y = X @ [1.0, 0.5] + rng.normal(size=40)
>>> pieces = ModelPieces.least_squares(X, y)
>>> V, df = Clustered().covariance([pieces], np.repeat(np.arange(8), 5))
>>> V.shape, df
((1, 2, 2), 7.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from facmech._choice import Choice
from facmech._linalg import psd_factor
from facmech.errors import ArgumentError
from facmech.estimation.fit import Link, wls

__all__ = [
    "Classical",
    "ClusterDf",
    "Clustered",
    "Covariance",
    "ModelPieces",
    "Robust",
    "SmallSample",
    "bell_mccaffrey_df",
    "cluster_sums",
    "cr2_scores",
]

#: Floor on the eigenvalues of ``I - H_gg`` (a row of leverage one).
_EIG_FLOOR = 1e-12


class SmallSample(Choice):
    """Small-sample correction of the cluster-robust covariance (default ``cr2``).

    ``none`` is CR0 (normal draws), ``cr1`` the :math:`\\frac{G}{G-1}\\frac{N-1}{N-K}` factor,
    ``cr2`` the Bell-McCaffrey bias-reduced residuals."""

    NONE = "none"
    CR1 = "cr1"
    CR2 = "cr2"

    @classmethod
    def aliases(cls) -> dict[str, str]:
        return {"cr0": "none"}


class ClusterDf(Choice):
    """Degrees of freedom of a cluster-robust covariance: ``between-within`` (one number,
    :math:`G - p_b`) or ``bell-mccaffrey`` (Satterthwaite, one per coefficient, needs CR2)."""

    BETWEEN_WITHIN = "between-within"
    BELL_MCCAFFREY = "bell-mccaffrey"

    @classmethod
    def aliases(cls) -> dict[str, str]:
        return {"bw": "between-within", "satterthwaite": "bell-mccaffrey"}


@dataclass(frozen=True, eq=False)
class ModelPieces:
    """What a covariance estimator needs from one fitted model, for ``R`` replicates.

    ``xt`` (R, n, K) working design, ``et`` (R, n) working residuals, ``bread`` (R, K, K) the
    inverse of ``xt' xt``, ``scale`` (R,) residual variance (least squares) or 1 (GLM), ``design``
    (R, n, K) the raw design (to count site-level columns for the between-within degrees of
    freedom)."""

    xt: np.ndarray
    et: np.ndarray
    bread: np.ndarray
    scale: np.ndarray
    design: np.ndarray | None = None

    @property
    def k(self) -> int:
        """Number of coefficients."""
        return self.xt.shape[-1]

    @classmethod
    def least_squares(
        cls, X: np.ndarray, y: np.ndarray, coef: np.ndarray | None = None,
        sigma: np.ndarray | None = None,
    ) -> ModelPieces:
        """Pieces of least-squares fits: ``X`` (n, K) or (R, n, K), ``y`` (n,) or (R, n),
        ``coef`` (R, K) and ``sigma`` (R,) (default: fitted here)."""
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        X = X[None] if X.ndim == 2 else X
        y = np.broadcast_to(y, X.shape[:-1])
        if coef is None or sigma is None:
            fit = wls(X, y)
            coef, sigma = fit.coef[:, 0], fit.sigma[:, 0]
        et = y - np.matmul(X, coef[..., None])[..., 0]
        bread = np.linalg.inv(np.matmul(X.transpose(0, 2, 1), X))
        return cls(X, et, bread, np.asarray(sigma) ** 2, X)

    @classmethod
    def binary(
        cls, X: np.ndarray, y: np.ndarray, coef: np.ndarray, link: Link | str
    ) -> ModelPieces:
        """Pieces of binary-response (IRLS) fits: working design :math:`X \\mu'/\\sqrt{\\mu(1-\\mu)}`
        and Pearson residuals :math:`(y-\\mu)/\\sqrt{\\mu(1-\\mu)}`; the bread is the inverse
        expected information (as R ``sandwich`` for ``glm`` fits)."""
        lk = Link.parse(link, argument="link")
        X = np.asarray(X, dtype=float)
        eta = np.matmul(X, coef[..., None])[..., 0]
        mu = np.clip(lk.mean(eta), 1e-10, 1 - 1e-10)
        d = np.maximum(lk.derivative(eta), 1e-300)
        sd = np.sqrt(mu * (1 - mu))
        xt = X * (d / sd)[..., None]
        bread = np.linalg.inv(np.matmul(xt.transpose(0, 2, 1), xt))
        return cls(xt, (y - mu) / sd, bread, np.ones(X.shape[0]), X)


def _stack_diagonal(pieces: Sequence[ModelPieces]) -> np.ndarray:
    R = pieces[0].xt.shape[0]
    P = sum(p.k for p in pieces)
    V = np.zeros((R, P, P))
    i = 0
    for p in pieces:
        V[:, i : i + p.k, i : i + p.k] = p.scale[:, None, None] * p.bread
        i += p.k
    return V


@dataclass(frozen=True)
class Classical:
    """Model-based covariance: :math:`\\hat\\sigma^2 (X^\\top X)^{-1}` (least squares) or the
    inverse Fisher information (GLM), independent across models. Assumes independent rows.

    >>> X = np.column_stack([np.ones(5), np.arange(5.0)])
    >>> V, df = Classical().covariance([ModelPieces.least_squares(X, [0.0, 1, 1, 3, 4])], None)
    >>> round(float(V[0, 1, 1]), 4), df
    (0.0267, None)
    """

    def describe(self, n_clusters: int | None, df: float | None = None) -> str:
        return "classical (model-based) covariance"

    def covariance(
        self, pieces: Sequence[ModelPieces], cluster: np.ndarray | None
    ) -> tuple[np.ndarray, float | None]:
        """Joint covariance ``(R, P, P)`` of the stacked coefficients; no degrees of freedom."""
        return _stack_diagonal(pieces), None


@dataclass(frozen=True)
class Robust:
    """Heteroskedasticity-robust sandwich covariance, rows independent.

    ``kind``: ``"HC0"``, ``"HC1"`` (factor :math:`n/(n-K)`), ``"HC2"`` (residuals divided by
    :math:`\\sqrt{1-h_{ii}}`) or ``"HC3"`` (by :math:`1-h_{ii}`, R ``sandwich::vcovHC`` default).

    >>> Robust("hc1").kind
    'HC1'
    """

    kind: str = "HC3"

    def __post_init__(self) -> None:
        kinds = ("HC0", "HC1", "HC2", "HC3")
        if not isinstance(self.kind, str) or self.kind.upper() not in kinds:
            raise ArgumentError(
                f"`kind` must be one of {', '.join(repr(k) for k in kinds)} (got {self.kind!r})"
            )
        object.__setattr__(self, "kind", self.kind.upper())

    def describe(self, n_clusters: int | None, df: float | None = None) -> str:
        return f"heteroskedasticity-robust covariance ({self.kind})"

    def covariance(
        self, pieces: Sequence[ModelPieces], cluster: np.ndarray | None
    ) -> tuple[np.ndarray, float | None]:
        """Joint covariance ``(R, P, P)``; no degrees of freedom (normal reference)."""
        blocks = []
        for p in pieces:
            n, K = p.xt.shape[1], p.k
            xb = np.matmul(p.xt, p.bread)  # (R, n, K) rows of X B
            e = p.et
            if self.kind in {"HC2", "HC3"}:
                h = np.einsum("rnk,rnk->rn", xb, p.xt)
                h = np.minimum(h, 1 - 1e-12)
                e = e / (np.sqrt(1 - h) if self.kind == "HC2" else (1 - h))
            elif self.kind == "HC1":
                e = e * np.sqrt(n / (n - K))
            blocks.append(xb * e[..., None])
        IF = np.concatenate(blocks, axis=-1)
        return np.matmul(IF.transpose(0, 2, 1), IF), None


def cluster_sums(
    x: np.ndarray, e: np.ndarray | None, cluster: np.ndarray, *, grams: bool = True
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Per-cluster Gram matrices and scores of rows ``x`` (..., n, K) and residuals ``e`` (..., n).

    ``cluster`` holds codes ``0..G-1`` (length n). Returns ``C`` (..., G, K, K) with
    :math:`C_g = X_g^\\top X_g` (None with ``grams=False``) and ``s`` (..., G, K) with
    :math:`s_g = X_g^\\top e_g` (None without ``e``).

    >>> C, s = cluster_sums(np.ones((4, 1)), np.arange(4.0), np.array([0, 0, 1, 1]))
    >>> C[:, 0, 0].tolist(), s[:, 0].tolist()
    ([2.0, 2.0], [1.0, 5.0])
    """
    members = _members(cluster)
    C = None
    if grams:  # one small product per cluster: no (..., n, K, K) array
        C = np.stack([np.matmul(np.swapaxes(x[..., idx, :], -1, -2), x[..., idx, :])
                      for idx in members], axis=-3)
    s = None
    if e is not None:
        score = x * e[..., None]
        s = np.stack([score[..., idx, :].sum(axis=-2) for idx in members], axis=-2)
    return C, s


def _members(cluster: np.ndarray) -> list[np.ndarray]:
    """Row indices of each cluster ``0..G-1`` (codes must all occur)."""
    cluster = np.asarray(cluster)
    order = np.argsort(cluster, kind="stable")
    bounds = np.flatnonzero(np.diff(cluster[order])) + 1
    members = np.split(order, bounds)
    if len(members) != int(cluster.max()) + 1 or cluster.min() != 0:
        raise ArgumentError(
            f"`cluster` must hold the codes 0..G-1, each at least once (got {len(members)} "
            f"distinct codes from {cluster.min()} to {cluster.max()})"
        )
    return members


def _sqrt_bread(bread: np.ndarray) -> np.ndarray:
    """``L`` with ``L L' = B`` (B symmetrised; negative eigenvalues of round-off set to 0).

    :func:`facmech._linalg.psd_factor` factors the correlation matrix and scales back, so the CR2
    adjustment is equivariant under rescaling of the regressors (an eigen-factor of ``B`` itself
    is not: its rounding error swamps coordinates on a small scale)."""
    return psd_factor((bread + np.swapaxes(bread, -1, -2)) / 2)


def _cr2_kernel(C: np.ndarray, bread: np.ndarray) -> np.ndarray:
    """``K_g`` of every cluster (..., G, K, K): :math:`A_g = I + X_g K_g X_g^\\top`."""
    lo = _sqrt_bread(bread)[..., None, :, :]  # (..., 1, K, K)
    mu, rot = np.linalg.eigh(np.swapaxes(lo, -1, -2) @ C @ lo)  # eigenvalues of H_gg
    w = 1.0 - mu
    sw = np.sqrt(np.maximum(w, _EIG_FLOOR))
    psi = 1.0 / (sw * (1.0 + sw))
    floored = w < _EIG_FLOOR
    if floored.any():
        psi[floored] = (1.0 / sw[floored] - 1.0) / mu[floored]
    lr = lo @ rot
    return (lr * psi[..., None, :]) @ np.swapaxes(lr, -1, -2)


def cr2_scores(
    C: np.ndarray, s: np.ndarray, bread: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Bell-McCaffrey adjusted cluster scores :math:`X_g^\\top (I - H_{gg})^{-1/2} e_g`.

    Parameters
    ----------
    C : ndarray, shape (..., G, K, K)
        Cluster Gram matrices (:func:`cluster_sums`).
    s : ndarray, shape (..., G, K)
        Cluster scores :math:`X_g^\\top e_g`.
    bread : ndarray, shape (..., K, K)
        :math:`(\\sum_g C_g)^{-1}`.

    Returns
    -------
    scores : ndarray, shape (..., G, K)
        The CR2 covariance is ``bread @ scores' scores @ bread``.
    kernel : ndarray, shape (..., G, K, K)
        :math:`K_g`, for :func:`bell_mccaffrey_df`.
    """
    kg = _cr2_kernel(C, bread)
    return s + (C @ (kg @ s[..., None]))[..., 0], kg


def bell_mccaffrey_df(
    C: np.ndarray, bread: np.ndarray, kernel: np.ndarray, contrast: np.ndarray
) -> np.ndarray:
    """Bell-McCaffrey (Satterthwaite) degrees of freedom of the CR2 variance of ``contrast' beta``.

    ``C`` (..., G, K, K), ``bread`` (..., K, K) and ``kernel`` (..., G, K, K) as in
    :func:`cr2_scores`; ``contrast`` (..., K) (e.g. a unit vector for one coefficient). Returns
    the degrees of freedom, shape (...). Matches R ``clubSandwich::coef_test(vcov = "CR2",
    test = "Satterthwaite")`` for a working-independence model.
    """
    ell = (bread @ contrast[..., None])[..., 0]  # (..., K)
    cell = (C @ ell[..., None, :, None])[..., 0]  # C_g ell, (..., G, K)
    t = ell[..., None, :] + (kernel @ cell[..., None])[..., 0]  # A_g X_g ell = X_g t_g
    u = (C @ t[..., None])[..., 0]  # u_g = X_g' a_g
    aa = np.einsum("...gp,...gp->...g", t, u)  # a_g' a_g
    # G'G = diag(aa) - U B U' (G x G) enters only through its trace and squared Frobenius norm,
    # both computed from p x p products: no G x G matrix
    bs = bread @ (np.swapaxes(u, -1, -2) @ u)  # B U'U
    q = np.einsum("...gp,...pq,...gq->...g", u, bread, u)  # diagonal of U B U'
    trace = aa.sum(axis=-1) - np.trace(bs, axis1=-2, axis2=-1)
    fro2 = (np.einsum("...g,...g->...", aa, aa) - 2 * np.einsum("...g,...g->...", aa, q)
            + np.einsum("...pq,...qp->...", bs, bs))
    return trace**2 / fro2


def _site_level_columns(design: np.ndarray | None, cluster: np.ndarray) -> int:
    """Rank of the columns of ``design`` (first replicate) that are constant within every site."""
    if design is None:
        return 1
    X = design[0]
    members = _members(cluster)
    const = np.ones(X.shape[1], dtype=bool)
    for idx in members:
        block = X[idx]
        const &= np.all(np.abs(block - block[:1]) <= 1e-12 * (1 + np.abs(block[:1])), axis=0)
    if not const.any():
        return 0
    site_rows = np.stack([X[idx[0], const] for idx in members])
    return int(np.linalg.matrix_rank(site_rows))


@dataclass(frozen=True)
class Clustered:
    """Cluster-robust (site) sandwich covariance with a small-sample correction.

    Parameters
    ----------
    by : str, optional
        Cluster column; defaults to the ``cluster=`` argument of the estimator.
    small_sample : {"cr2", "cr1", "none"}
        Default ``cr2``: Bell-McCaffrey bias-reduced covariance, close to nominal from about 9
        sites on (see ``simulations/mediation``); ``none`` (CR0, normal reference) under-covers
        with few sites.
    df : {"between-within", "bell-mccaffrey"}
        ``between-within`` (default): one number, :math:`G - p_b`. ``bell-mccaffrey``: the
        Satterthwaite degrees of freedom of every coefficient (needs ``small_sample="cr2"``).

    Examples
    --------
    >>> Clustered(small_sample="cr1").small_sample
    <SmallSample.CR1: 'cr1'>
    """

    by: str | None = None
    small_sample: SmallSample | str = SmallSample.CR2
    df: ClusterDf | str = ClusterDf.BETWEEN_WITHIN

    def __post_init__(self) -> None:
        ss = SmallSample.parse(self.small_sample, argument="small_sample")
        dfk = ClusterDf.parse(self.df, argument="df")
        if dfk is ClusterDf.BELL_MCCAFFREY and ss is not SmallSample.CR2:
            raise ArgumentError(
                f"`df='bell-mccaffrey'` needs `small_sample='cr2'` (got {ss.value!r})"
            )
        object.__setattr__(self, "small_sample", ss)
        object.__setattr__(self, "df", dfk)

    def resolved(self, n_clusters: int) -> SmallSample:
        return self.small_sample  # type: ignore[return-value]

    def describe(self, n_clusters: int | None, df: float | None = None) -> str:
        ss = self.resolved(n_clusters or 0)
        if self.df is ClusterDf.BELL_MCCAFFREY:
            tail = "Bell-McCaffrey t"
        else:
            dft = "G - site-level parameters" if df is None else f"{df:g}"
            tail = "normal draws" if ss is SmallSample.NONE else f"t({dft}) draws"
        name = {"none": "CR0", "cr1": "CR1", "cr2": "CR2 (Bell-McCaffrey)"}[ss.value]
        return f"cluster-robust covariance by site, {name}, {tail}"

    def covariance(
        self, pieces: Sequence[ModelPieces], cluster: np.ndarray | None
    ) -> tuple[np.ndarray, float | np.ndarray | None]:
        """Joint covariance ``(R, P, P)`` and degrees of freedom.

        The degrees of freedom are ``None`` for CR0, the between-within number (a float) by
        default, and an array ``(R, P)`` (one per stacked coefficient) for ``bell-mccaffrey``.
        """
        if cluster is None:
            raise ArgumentError("`inference` uses Clustered covariance but no `cluster` was given")
        cluster = np.asarray(cluster)
        G = int(cluster.max()) + 1
        ss = self.resolved(G)
        blocks, dfs = [], []
        for p in pieces:
            _, n, K = p.xt.shape
            C, s = cluster_sums(p.xt, p.et, cluster, grams=ss is SmallSample.CR2)
            if ss is SmallSample.CR2:
                s, kg = cr2_scores(C, s, p.bread)
                if self.df is ClusterDf.BELL_MCCAFFREY:
                    eye = np.eye(K)[:, None, :]  # one contrast per coefficient: (K, R) df
                    nu = bell_mccaffrey_df(C[None], p.bread[None], kg[None], eye)
                    dfs.append(np.moveaxis(nu, 0, -1))
            inf = np.matmul(s, p.bread)  # bread symmetric: (B s_g)^T
            if ss is SmallSample.CR1:
                inf = inf * np.sqrt(G / (G - 1) * (n - 1) / (n - K))
            blocks.append(inf)
        IF = np.concatenate(blocks, axis=-1)
        V = np.matmul(IF.transpose(0, 2, 1), IF)
        if ss is SmallSample.NONE:
            return V, None
        if self.df is ClusterDf.BELL_MCCAFFREY:
            return V, np.concatenate(dfs, axis=-1)
        return V, float(max(1, G - max(_site_level_columns(p.design, cluster) for p in pieces)))


Covariance = Classical | Robust | Clustered
