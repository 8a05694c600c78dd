"""Which history each g-method model conditions on, and the design matrices that encode it.

Within period ``t`` the order is ``L_{t,1}, ..., L_{t,k}, A_t`` (confounders in the order given,
then treatment); the outcome follows the last period. A model for a variable conditions on the
baseline covariates and on every earlier variable of the current period and of the ``history``
previous periods (``history=None``: all previous periods). Terms are ``("V", j)``,
``("L", s, j)`` and ``("A", s)``.

>>> [t for t in terms_before("L", 1, 0, k=1, p=0, history=None)]
[('L', 0, 0), ('A', 0)]
>>> [t for t in terms_before("Y", 2, 0, k=1, p=0, history=1)]
[('L', 1, 0), ('A', 1), ('L', 2, 0), ('A', 2)]
>>> [t for t in terms_before("A", 1, 0, k=1, p=0, history=None, timing="after")]
[('A', 0), ('L', 0, 0)]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["Term", "build_design", "term_names", "terms_before"]

Term = tuple


def _slots(s: int, k: int, timing: str | tuple[bool, ...]) -> list[Term]:
    if isinstance(timing, str):
        after = (timing == "after",) * k
    else:
        after = tuple(timing)
    first: list[Term] = [("L", s, j) for j in range(k) if not after[j]]
    later: list[Term] = [("L", s, j) for j in range(k) if after[j]]
    return [*first, ("A", s), *later]


def terms_before(
    kind: str,
    t: int,
    j: int,
    *,
    k: int,
    p: int,
    history: int | None,
    timing: str | tuple[bool, ...] = "before",
) -> list[Term]:
    """Predictor terms (excluding intercept) for a model of ``kind`` at period ``t``.

    ``kind`` is ``"L"`` (confounder ``j`` of period ``t``), ``"A"`` (treatment at ``t``), ``"Q"``
    (everything up to and including ``A_t``; used by ICE) or ``"Y"`` (everything in periods up to
    ``t``: an outcome measured at the end of period ``t``). ``timing`` says whether the
    confounders of a period are measured ``"before"`` its treatment or ``"after"`` it (then the
    treatment of period ``t`` reacts to the confounders of period ``t - 1``); a tuple of booleans
    gives it per variable (``True``: after treatment), e.g. a mediator measured after treatment
    next to confounders measured before it.
    """
    first = 0 if history is None else max(0, t - history)
    out: list[Term] = [("V", i) for i in range(p)]
    for s in range(first, t + 1):
        slots = _slots(s, k, timing)
        if s < t or kind == "Y":
            out.extend(slots)
            continue
        stop = ("L", t, j) if kind == "L" else ("A", t)
        cut = slots.index(stop) + (1 if kind == "Q" else 0)
        out.extend(slots[:cut])
    return out


def build_design(
    terms: Sequence[Term], V: np.ndarray, L: np.ndarray, A: np.ndarray
) -> np.ndarray:
    """Design matrix ``[1, terms...]``; ``L`` (..., N, T, k) and ``A`` (..., N, T) may be batched.

    ``V`` is (N, p) and is broadcast over any leading batch dimension of ``L``/``A``.
    """
    batch = np.broadcast_shapes(L.shape[:-3], A.shape[:-2])
    N = A.shape[-2]
    cols = [np.ones((*batch, N))]
    for term in terms:
        if term[0] == "V":
            col = V[:, term[1]]
        elif term[0] == "L":
            col = L[..., term[1], term[2]]
        else:
            col = A[..., term[1]]
        cols.append(np.broadcast_to(col, (*batch, N)))
    return np.stack(cols, axis=-1)


def term_names(
    terms: Sequence[Term], *, treatment: str, confounders: Sequence[str], baseline: Sequence[str],
    periods: Sequence[int],
) -> list[str]:
    """Readable names: ``"(intercept)"``, baseline names, ``"<confounder>[t]"``, ``"<treatment>[t]"``."""
    names = ["(intercept)"]
    for term in terms:
        if term[0] == "V":
            names.append(str(baseline[term[1]]))
        elif term[0] == "L":
            names.append(f"{confounders[term[2]]}[{periods[term[1]]}]")
        else:
            names.append(f"{treatment}[{periods[term[1]]}]")
    return names
