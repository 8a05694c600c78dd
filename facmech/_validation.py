"""Validation at the boundary for data frames handed to facmech estimators.

Each check raises :class:`facmech.errors.DataError` with a message that names the argument and column,
what was received and what is allowed. None of them modifies the frame.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence

import pandas as pd

from facmech.errors import ArgumentError, DataError, closest

__all__ = [
    "check_alpha",
    "check_int",
    "require_columns",
    "require_complete",
    "require_frame",
    "require_nonconstant",
]


def check_alpha(alpha: object, *, argument: str = "alpha") -> float:
    """Return ``alpha`` as a float in (0, 1) or raise :class:`ArgumentError`.

    >>> check_alpha(0.05)
    0.05
    >>> check_alpha(2)
    Traceback (most recent call last):
    ...
    facmech.errors.ArgumentError: `alpha` must be in (0, 1) (got 2)
    """
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not (
        math.isfinite(float(alpha)) and 0 < float(alpha) < 1
    ):
        raise ArgumentError(f"`{argument}` must be in (0, 1) (got {alpha!r})")
    return float(alpha)


def check_int(value: object, *, argument: str, minimum: int = 1) -> int:
    """Return ``value`` as an int of at least ``minimum`` or raise :class:`ArgumentError`.

    >>> check_int(3, argument="draws")
    3
    >>> check_int(0, argument="draws")
    Traceback (most recent call last):
    ...
    facmech.errors.ArgumentError: `draws` must be an integer of at least 1 (got 0)
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < minimum:
        raise ArgumentError(f"`{argument}` must be an integer of at least {minimum} (got {value!r})")
    return int(value)


def require_frame(data: object, *, argument: str = "data") -> pd.DataFrame:
    """Check ``data`` is a non-empty DataFrame and return it (not a copy)."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"`{argument}` must be a pandas DataFrame (got {type(data).__name__})")
    if len(data) == 0:
        raise DataError(f"`{argument}` has no rows")
    return data


def require_columns(
    data: pd.DataFrame, columns: Iterable[str], *, argument: str = "data"
) -> None:
    """Raise if any of ``columns`` is missing from ``data``, naming each and the closest match."""
    missing = [c for c in columns if c not in data.columns]
    if missing:
        hints = "".join(closest(str(c), map(str, data.columns)) for c in missing[:1])
        raise DataError(
            f"`{argument}` is missing column(s) {', '.join(repr(c) for c in missing)}; it has "
            f"{len(data.columns)} columns.{hints}"
        )


def require_complete(
    data: pd.DataFrame, columns: Sequence[str], *, argument: str = "data", hint: str = ""
) -> None:
    """Raise if any of ``columns`` has missing values, saying how many per column."""
    counts = data[list(columns)].isna().sum()
    bad = counts[counts > 0]
    if len(bad):
        detail = ", ".join(f"{c!r}: {int(n)} missing" for c, n in bad.items())
        raise DataError(f"`{argument}` has missing values ({detail}).{(' ' + hint) if hint else ''}")


def require_nonconstant(data: pd.DataFrame, columns: Sequence[str], *, role: str) -> None:
    """Raise if any of ``columns`` takes a single value."""
    for c in columns:
        if data[c].nunique(dropna=True) < 2:
            raise DataError(
                f"{role} column {c!r} is constant (value {data[c].iloc[0]!r}); it must vary"
            )
