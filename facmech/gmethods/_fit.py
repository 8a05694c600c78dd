"""Temporary adapter: the four names ``gmethods/ice.py`` and ``design/ice.py`` still import.

The batched fits live in :mod:`facmech.estimation.fit` (issue 11). This module only forwards to it
and goes away when the two ICE modules (rewritten in parallel) import from there:

- ``design_keep`` -> :func:`facmech.estimation.fit.design_keep`
- ``logistic(X, y, W)`` -> ``irls(X, y, "logit", W).require(..., allow_singular=True).coef[0]``
  (``y`` of shape ``(B, n)``: ``irls(X, y, "logit", W[:, None]).coef[:, 0]``)
- ``solve_batched(xtx, xty)`` -> ``solve_normal(xtx, xty)[0]``
- ``_xtwx(X, W)`` -> ``wls(X, y, W).gram[0]`` (or the Gram products inside ``wls``)

Nothing else may import it.
"""

from __future__ import annotations

import numpy as np

from facmech.estimation.fit import _gram, design_keep, irls, solve_normal

__all__ = ["design_keep", "logistic", "solve_batched"]


def solve_batched(xtx: np.ndarray, xty: np.ndarray) -> np.ndarray:
    """:func:`facmech.estimation.fit.solve_normal` without the flag."""
    return solve_normal(xtx, xty)[0]


def _xtwx(X: np.ndarray, W: np.ndarray) -> np.ndarray:
    """``X' W_b X`` for a design ``X`` (n, p) and weights ``W`` (B, n): (B, p, p)."""
    return _gram(X, W[None])[0]


def logistic(X: np.ndarray, y: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Weighted logistic (fractional) regression per weight row: ``beta`` (B, p)."""
    y = np.asarray(y, dtype=float)
    if y.ndim == 2:  # one response per weight row: replicate axis
        fit = irls(X, y, "logit", W[:, None])
        return fit.require("an ICE outcome model", allow_singular=True).coef[:, 0]
    return irls(X, y, "logit", W).require("an ICE outcome model", allow_singular=True).coef[0]
