"""Small dense linear-algebra helpers shared by the estimators.

:func:`psd_factor` is the one place a covariance (or a bread matrix) is factored. It works on the
correlation matrix and scales back, so it is equivariant under rescaling of the coordinates: a
mediator or covariate measured in units of 1e-8 gets the same draws and the same small-sample
corrections as one measured in units of 1, up to rounding of the result. A symmetric square root
or an eigen-factor of the matrix itself is not: its absolute rounding error is
:math:`\\epsilon \\max_i \\lambda_i`, which swamps the variance of a coordinate on a small scale.
"""

from __future__ import annotations

import numpy as np

__all__ = ["psd_factor"]


def psd_factor(V: np.ndarray) -> np.ndarray:
    """A factor ``L`` of the positive semi-definite ``V`` with ``L @ L.T == V``.

    ``V`` may be batched, shape ``(..., P, P)``. Negative eigenvalues (rounding) are set to 0.
    Rescaling coordinate ``i`` of ``V`` by ``c`` multiplies row ``i`` of ``L`` by ``c``.

    Examples
    --------
    >>> V = np.array([[4.0, 1e-4], [1e-4, 1e-8]])
    >>> L = psd_factor(V)
    >>> bool(np.allclose(L @ L.T, V, rtol=1e-12, atol=0))
    True
    >>> D = np.diag([1.0, 1e6])
    >>> bool(np.allclose(psd_factor(D @ V @ D), D @ L, rtol=1e-12, atol=0))
    True
    """
    V = np.asarray(V, dtype=float)
    d = np.sqrt(np.maximum(np.diagonal(V, axis1=-2, axis2=-1), 0.0))
    safe = np.where(d > 0, d, 1.0)
    C = V / (safe[..., :, None] * safe[..., None, :])
    w, Q = np.linalg.eigh(C)
    return d[..., :, None] * (Q * np.sqrt(np.maximum(w, 0.0))[..., None, :])  # zero variance: 0 row
