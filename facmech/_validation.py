"""Validation at the boundary for data frames handed to facmech estimators.

Each check raises :class:`facmech.errors.DataError` with a message that names the argument and column,
what was received and what is allowed. None of them modifies the frame.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from facmech.errors import ArgumentError, DataError, closest

__all__ = [
    "check_alpha",
    "check_int",
    "require_columns",
    "require_complete",
    "require_finite",
    "require_frame",
    "require_nonconstant",
    "require_numbers",
    "require_scale",
    "rows_text",
    "show_value",
    "unique_columns",
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
                f"{role} column {c!r} is constant (value {show_value(data[c].iloc[0])}); it must vary"
            )


def show_value(v: object) -> str:
    """A value as a message shows it: floats to 6 digits, strings quoted, numpy scalars unwrapped.

    >>> show_value(np.float64(1.0)), show_value("a"), show_value(4.3189249766351536e300)
    ('1', "'a'", '4.31892e+300')
    """
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float):
        return f"{v:.6g}"
    return repr(v) if isinstance(v, str) else str(v)


def rows_text(index: pd.Index, values: Sequence[object], *, most: int = 3) -> str:
    """``"index 7: inf"`` / ``"index 3, 9 and 1 more: 'a', 'b', ..."``: where offending values are.

    >>> rows_text(pd.Index([4, 9, 11, 12]), ["high", "low", "x", "y"])
    "index 4, 9, 11 and 1 more: 'high', 'low', 'x', ..."
    """
    labels = [show_value(v) for v in index[:most]]
    more = len(index) - most
    where = ", ".join(labels[:-1]) + (" and " if more <= 0 else ", ") + labels[-1] \
        if len(labels) > 1 else labels[0]
    shown = ", ".join(show_value(v) for v in list(values)[:most])
    if more > 0:
        where += f" and {more} more"
        shown += ", ..."
    return f"index {where}: {shown}"


def _numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def unique_columns(data: pd.DataFrame, columns: Iterable[str], *, argument: str = "data") -> None:
    """Raise if a column among ``columns`` appears more than once in ``data`` (pandas would
    silently hand back several columns, or the first)."""
    for c in dict.fromkeys(columns):
        k = int((data.columns == c).sum())
        if k > 1:
            raise DataError(f"`{argument}` has {k} columns named `{c}`; rename them so each is unique")


def require_finite(data: pd.DataFrame, columns: Iterable[str], *, role: str) -> None:
    """Raise if a numeric column among ``columns`` holds ``inf`` or ``-inf``, naming the rows.

    >>> require_finite(pd.DataFrame({"m": [0.5, float("inf")]}), ["m"], role="mediator")
    Traceback (most recent call last):
    ...
    facmech.errors.DataError: mediator column `m` has an infinite value in 1 row (index 1: inf); ...
    """
    for c in columns:
        s = data[c]
        if not _numeric(s) or pd.api.types.is_complex_dtype(s):
            continue
        bad = np.isinf(s.to_numpy(dtype=float, na_value=np.nan))
        if bad.any():
            k = int(bad.sum())
            raise DataError(
                f"{role} column `{c}` has {'an infinite value' if k == 1 else 'infinite values'} in "
                f"{k} row{'s' if k > 1 else ''} ({rows_text(s.index[bad], s[bad].tolist())}); "
                "inf is not a missing value: replace those values or drop the rows"
            )


def require_numbers(data: pd.DataFrame, column: str, *, role: str, categories: bool) -> None:
    """Raise unless ``column`` holds real numbers (or, with ``categories``, is deliberately
    categorical): complex, date/time and mixed number-and-text columns are refused, naming the
    text values and their rows.

    A text column whose values are mostly numbers is a number column with typos: modelled as
    categories it would become one dummy per distinct number. Pass such a column as
    ``astype("category")`` to mean categories.

    >>> f = pd.DataFrame({"c": [0.1, 0.7, "high", 0.3]})
    >>> require_numbers(f, "c", role="covariate", categories=True)
    Traceback (most recent call last):
    ...
    facmech.errors.DataError: covariate column `c` holds numbers and text: 1 of 4 values ...
    """
    s = data[column]
    kind = s.dtype.kind
    if pd.api.types.is_complex_dtype(s):
        raise DataError(f"{role} column `{column}` holds complex numbers (dtype {s.dtype}); "
                        "use real numbers")
    if kind in "mM" or isinstance(s.dtype, pd.DatetimeTZDtype) or isinstance(s.dtype, pd.PeriodDtype):
        raise DataError(
            f"{role} column `{column}` holds dates or durations (dtype {s.dtype}); convert it to "
            "a number first (for example days since the first date)"
        )
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        return
    if isinstance(s.dtype, pd.CategoricalDtype):
        if categories:
            return
        raise DataError(f"{role} column `{column}` must be numeric (found dtype category)")
    parsed = pd.to_numeric(s, errors="coerce")
    text = parsed.isna() & s.notna()
    n_text, n_num = int(text.sum()), int((parsed.notna()).sum())
    if categories and n_num * 2 <= len(s):
        return  # mostly text: a categorical covariate
    where = rows_text(s.index[text], s[text].tolist()) if n_text else ""
    if n_text == 0:
        raise DataError(
            f"{role} column `{column}` holds numbers as text (dtype {s.dtype}); convert it with "
            "pd.to_numeric" + (" or astype('category') to mean categories" if categories else "")
        )
    if not categories:
        raise DataError(
            f"{role} column `{column}` must be numeric (found dtype {s.dtype}; text values at "
            f"{where})"
        )
    raise DataError(
        f"{role} column `{column}` holds numbers and text: {n_text} of {len(s)} values are not "
        f"numbers ({where}); as text the column would become {int(s.nunique()) - 1} dummy "
        "columns. Fix those values, or pass the column as astype('category') to mean categories"
    )


def require_scale(data: pd.DataFrame, column: str, *, role: str, limit: float) -> None:
    """Raise if the numbers of ``column`` lie beyond ``limit`` in magnitude, or vary on a scale
    below ``1 / limit`` of their size (the models could not tell them from 0 or from the
    intercept); the message gives the scale and suggests new units.

    >>> f = pd.DataFrame({"m": [1e-300, 3e-300, 2e-300]})
    >>> require_scale(f, "m", role="mediator", limit=1e10)
    Traceback (most recent call last):
    ...
    facmech.errors.DataError: mediator column `m` varies only on a scale of 8.16e-301 ...
    """
    s = data[column]
    if not _numeric(s):
        return
    v = s.to_numpy(dtype=float, na_value=np.nan)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return
    big = float(np.max(np.abs(v)))
    if big > limit:
        at = s.index[np.flatnonzero(np.abs(s.to_numpy(dtype=float, na_value=0.0)) == big)[:1]]
        raise DataError(
            f"{role} column `{column}` has values as large as {big:.3g} ({rows_text(at, [big])}); "
            f"beyond {limit:.0e} in magnitude the models lose all precision: rescale it (new units)"
        )
    sd = big * float(np.std(v / big)) if big > 0 else 0.0  # scaled: squares of 1e-300 underflow
    least = max(1.0, big) / limit
    if 0 < sd < least:
        around = f" around values as large as {big:.3g}" if big > 1 else ""
        raise DataError(
            f"{role} column `{column}` varies only on a scale of {sd:.3g} (standard deviation)"
            f"{around}; the models cannot tell variation below {least:.0e} from none: rescale it "
            "(new units)"
        )
