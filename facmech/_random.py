"""Seeds and random generators: every stochastic function takes ``seed`` and routes it here."""

from __future__ import annotations

import numpy as np

from facmech.errors import FacmechError

__all__ = ["SeedLike", "as_generator", "normal_factor", "spawn_generators"]

SeedLike = int | np.random.Generator | np.random.SeedSequence | None


def as_generator(seed: SeedLike) -> np.random.Generator:
    """Return a :class:`numpy.random.Generator` from an int, SeedSequence, Generator or None.

    >>> float(as_generator(1).random()) == float(as_generator(1).random())
    True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, (int, np.integer, np.random.SeedSequence)):
        if isinstance(seed, (int, np.integer)) and seed < 0:
            raise FacmechError(f"`seed` must be a non-negative integer (got {seed})")
        return np.random.default_rng(seed)
    raise FacmechError(
        f"`seed` must be an int, numpy Generator, SeedSequence or None (got {type(seed).__name__})"
    )


def normal_factor(V: np.ndarray) -> np.ndarray:
    """A square root ``L`` of the covariance ``V`` (``L @ L.T == V``) for normal draws ``z @ L.T``.

    The factor is taken of the correlation matrix and scaled back, so it is equivariant under
    rescaling: multiplying coordinate ``i`` by ``c`` multiplies row ``i`` of ``L`` by ``c``
    exactly. An eigen-factor of ``V`` itself is not: its absolute rounding error is
    :math:`\\epsilon \\max \\lambda`, which swamps the variance of a coordinate on a small scale
    (a mediator measured in units 1e-4 of the outcome's gets wrong draws). ``V`` may be batched
    ``(..., P, P)``; negative eigenvalues (rounding) are set to 0.

    >>> V = np.array([[4.0, 1e-4], [1e-4, 1e-8]])
    >>> L = normal_factor(V)
    >>> bool(np.allclose(L @ L.T, V, rtol=1e-12, atol=0))
    True
    >>> D = np.diag([1.0, 1e6])
    >>> bool(np.allclose(normal_factor(D @ V @ D), D @ L, rtol=1e-12, atol=0))
    True
    """
    V = np.asarray(V, dtype=float)
    d = np.sqrt(np.maximum(np.diagonal(V, axis1=-2, axis2=-1), 0.0))
    d = np.where(d > 0, d, 1.0)
    C = V / (d[..., :, None] * d[..., None, :])
    w, Q = np.linalg.eigh(C)
    return d[..., :, None] * (Q * np.sqrt(np.maximum(w, 0.0))[..., None, :])


def spawn_generators(seed: int | np.random.SeedSequence | None, n: int) -> list[np.random.Generator]:
    """``n`` independent generators from one seed (one stream per replicate/cell)."""
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return [np.random.default_rng(s) for s in ss.spawn(n)]
