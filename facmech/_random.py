"""Seeds and random generators: every stochastic function takes ``seed`` and routes it here."""

from __future__ import annotations

import numpy as np

from facmech.errors import FacmechError

__all__ = ["SeedLike", "as_generator", "spawn_generators"]

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


def spawn_generators(seed: int | np.random.SeedSequence | None, n: int) -> list[np.random.Generator]:
    """``n`` independent generators from one seed (one stream per replicate/cell)."""
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return [np.random.default_rng(s) for s in ss.spawn(n)]
