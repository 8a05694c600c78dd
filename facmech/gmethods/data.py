"""Long-format data for g-methods: validation at the boundary and arrays of histories.

g-methods read *long* data: one row per site (the unit followed over periods; in a textbook
example it may be a person) per period, with the treatment
``A_t`` (binary or a dose), time-varying confounders ``L_t`` measured before ``A_t`` in the same
period, baseline covariates ``V`` (constant within site) and an outcome ``Y`` measured at the end
(taken from each site's last period). Patient rows nested in site-periods are averaged to
site-period means when ``patient`` names the patient column; the treatment and the confounders
must then be constant within a site-period (they are site-level) and the outcome is averaged.

:func:`prepare` validates once and returns a frozen :class:`LongData` holding numpy arrays
``A`` (n, T), ``L`` (n, T, k), ``V`` (n, p) and ``Y`` (n,).

>>> import pandas as pd
>>> df = pd.DataFrame({"site": [1, 1, 2, 2], "period": [0, 1, 0, 1], "a": [0, 1, 1, 1],
...                    "l": [0.1, 0.5, -0.2, 0.3], "y": [None, 1.0, None, 2.0]})
>>> d = prepare(df, site="site", period="period", treatment="a", confounders=["l"], outcome="y")
>>> d.A.shape, d.L.shape, d.Y.tolist()
((2, 2), (2, 2, 1), [1.0, 2.0])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from facmech._validation import require_columns, require_finite, require_frame
from facmech.errors import DataError

__all__ = ["LongData", "prepare"]


@dataclass(frozen=True)
class LongData:
    """Validated wide arrays built from long data (never a view of the caller's frame)."""

    site: str
    period: str
    treatment: str
    confounders: tuple[str, ...]
    baseline: tuple[str, ...]
    outcome: str
    sites: np.ndarray  # (n,) site labels
    periods: np.ndarray  # (T,) period labels, sorted
    A: np.ndarray  # (n, T)
    L: np.ndarray  # (n, T, k)
    V: np.ndarray  # (n, p)
    Y: np.ndarray  # (n,) outcome in the last period
    Yt: np.ndarray  # (n, T) outcome in every period (NaN where not measured)
    binary_treatment: bool
    binary_confounders: tuple[bool, ...]
    binary_outcome: bool
    n_rows: int

    @property
    def n(self) -> int:
        """Number of sites."""
        return self.A.shape[0]

    @property
    def T(self) -> int:
        """Number of periods."""
        return self.A.shape[1]


def _py(x: object) -> object:
    """A numpy scalar as the plain Python value (for readable messages)."""
    return x.item() if isinstance(x, np.generic) else x


def _is_binary(x: np.ndarray) -> bool:
    vals = np.unique(x[np.isfinite(x)])
    return bool(vals.size <= 2 and np.isin(vals, (0.0, 1.0)).all())


def _as_tuple(value: str | Sequence[str], name: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    out = tuple(value)
    if not all(isinstance(v, str) for v in out):
        raise DataError(f"`{name}` must be a column name or a list of column names (got {value!r})")
    return out


def prepare(
    data: pd.DataFrame,
    *,
    site: str,
    period: str,
    treatment: str,
    confounders: str | Sequence[str],
    outcome: str,
    baseline: str | Sequence[str] = (),
    patient: str | None = None,
    require_confounders: bool = True,
    every_period_outcome: bool = False,
) -> LongData:
    """Validate long data and return its histories as arrays.

    Parameters
    ----------
    data : DataFrame
        One row per site and period (or per patient within site-period if ``patient`` is given).
    site, period, treatment, outcome : str
        Column names. ``period`` must hold the same consecutive integer periods for every site.
    confounders : str or list of str
        Time-varying confounders, measured before treatment in each period, in causal order.
    baseline : list of str
        Covariates constant within site.
    patient : str, optional
        Column identifying patients nested in site-periods; rows are averaged to site-period means
        (formerly ``nested``).
    require_confounders : bool
        Whether at least one confounder is required.
    every_period_outcome : bool
        Whether the outcome is needed in every period (not only the last).

    Raises
    ------
    DataError
        Missing columns, missing values, duplicate (site, period) rows, gaps in periods, a constant
        confounder, a baseline covariate varying within site, no outcome in the last period.
    """
    frame = require_frame(data)
    conf = _as_tuple(confounders, "confounders")
    base = _as_tuple(baseline, "baseline")
    if require_confounders and not conf:
        raise DataError("`confounders` is empty; give at least one time-varying confounder column")
    named = [site, period, treatment, *conf, *base, outcome]
    dup = sorted({c for c in named if named.count(c) > 1})
    if dup:
        raise DataError(f"column(s) {dup} given in more than one role; each column has one role")
    require_columns(frame, named + ([patient] if patient else []))
    cols = [site, period, treatment, *conf, *base, outcome]
    frame = frame[cols].copy()
    for c in [treatment, *conf, *base, outcome]:
        if not pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]):
            raise DataError(f"column `{c}` must be numeric (got dtype {frame[c].dtype})")
        frame[c] = frame[c].astype(float)
    require_finite(frame, [treatment, *conf, *base, outcome], role="`data`")  # inf is not missing
    for c in [site, period, treatment, *conf, *base]:
        n_missing = int(frame[c].isna().sum())
        if n_missing:
            raise DataError(
                f"column `{c}` has {n_missing} missing value(s); g-methods need it in every row"
            )
    if not pd.api.types.is_integer_dtype(frame[period]):
        if not pd.api.types.is_numeric_dtype(frame[period]):
            text = sorted({str(v) for v in frame[period] if not isinstance(v, (int, float))})[:3]
            raise DataError(
                f"`period` column `{period}` must hold integer periods (got text values such as "
                f"{', '.join(map(repr, text))}); code the periods as 0, 1, 2, ..."
            )
        t = frame[period].to_numpy(dtype=float)
        if not np.all(t == np.round(t)):
            raise DataError(f"`period` column `{period}` must hold integer periods")
        frame[period] = t.astype(int)
    n_rows = len(frame)

    keys = [site, period]
    if patient is not None:
        for c in [treatment, *conf, *base]:
            spread = frame.groupby(keys, sort=False)[c].nunique()
            if (spread > 1).any():
                bad = spread[spread > 1].index[0]
                raise DataError(
                    f"column `{c}` varies within {site}={_py(bad[0])!r}, {period}={_py(bad[1])!r} "
                    f"although rows "
                    f"are nested in site-periods (`patient={patient!r}`); g-methods here treat "
                    f"treatment, confounders and baseline covariates as site-level"
                )
        frame = frame.groupby(keys, sort=True).mean().reset_index()
    else:
        dups = frame.duplicated(keys, keep=False)
        if dups.any():
            first = frame.loc[dups, keys].iloc[0]
            raise DataError(
                f"{int(dups.sum())} rows share a ({site}, {period}) pair, e.g. {site}={_py(first[site])!r}, "
                f"{period}={_py(first[period])!r}; give one row per site and period, or name the patient "
                f"column with `patient` to average patient rows"
            )
    periods = np.sort(frame[period].unique())
    if periods.size < 1:
        raise DataError("no periods in the data")
    if periods.size > 1 and not np.all(np.diff(periods) == 1):
        raise DataError(
            f"periods {periods.tolist()} are not consecutive integers; g-methods need equally "
            f"spaced periods (recode `{period}`)"
        )
    counts = frame.groupby(site)[period].agg(["count", "min", "max"])
    full = (counts["count"] == periods.size) & (counts["min"] == periods[0])
    if not full.all():
        bad_site = counts.index[~full.to_numpy()][0]
        have = sorted(frame.loc[frame[site] == bad_site, period].tolist())
        raise DataError(
            f"site {_py(bad_site)!r} has periods {have} but the data span {periods.tolist()}: sites with "
            f"gaps or missing periods are not allowed (no censoring model); "
            f"{int((~full).sum())} site(s) affected"
        )
    frame = frame.sort_values([site, period])
    sites = frame[site].drop_duplicates().to_numpy()
    n, T = sites.size, periods.size
    A = frame[treatment].to_numpy().reshape(n, T)
    L = frame[list(conf)].to_numpy().reshape(n, T, len(conf))
    Vfull = frame[list(base)].to_numpy().reshape(n, T, len(base))
    if base and not np.allclose(Vfull, Vfull[:, :1, :]):
        j = int(np.nonzero(~np.isclose(Vfull, Vfull[:, :1, :]).all(axis=(0, 1)))[0][0])
        raise DataError(
            f"baseline covariate `{base[j]}` changes within site; baseline covariates must be "
            f"constant over periods (pass it as a confounder instead)"
        )
    V = Vfull[:, 0, :]
    Yall = frame[outcome].to_numpy().reshape(n, T)
    Y = Yall[:, -1]
    miss = ~np.isfinite(Y)
    if every_period_outcome and not np.isfinite(Yall).all():
        bad = ~np.isfinite(Yall)
        i, t = np.argwhere(bad)[0]
        raise DataError(
            f"outcome `{outcome}` is missing in {int(bad.sum())} site-period(s) (e.g. "
            f"{site}={_py(sites[i])!r}, {period}={_py(periods[t])!r}); averaging the outcome over "
            f"periods needs it in every period"
        )
    if miss.any():
        raise DataError(
            f"outcome `{outcome}` is missing in the last period ({period}={periods[-1]}) for "
            f"{int(miss.sum())} of {n} sites (e.g. {site}={_py(sites[np.argmax(miss)])!r}); the "
            f"end-of-study outcome is needed for every site"
        )
    for j, c in enumerate(conf):
        if np.ptp(L[:, :, j]) == 0:
            raise DataError(
                f"confounder `{c}` is constant (value {_py(L[0, 0, j])!r}); a confounder must vary"
            )
    if np.ptp(A) == 0:
        raise DataError(f"treatment `{treatment}` is constant (value {_py(A[0, 0])!r}); it must vary")
    if np.ptp(Y) == 0:
        raise DataError(f"outcome `{outcome}` is constant (value {_py(Y[0])!r}); it must vary")
    return LongData(
        site=site,
        period=period,
        treatment=treatment,
        confounders=conf,
        baseline=base,
        outcome=outcome,
        sites=sites,
        periods=periods,
        A=A,
        L=L,
        V=V,
        Y=Y,
        Yt=Yall,
        binary_treatment=_is_binary(A),
        binary_confounders=tuple(_is_binary(L[:, :, j]) for j in range(len(conf))),
        binary_outcome=_is_binary(Yall),
        n_rows=n_rows,
    )
