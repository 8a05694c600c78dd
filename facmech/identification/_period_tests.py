r"""Tests of a map's period implications on site-period data (the engine of
:func:`facmech.identification.test_implications` with ``time=``).

Data are reduced to one row per site-period (site-period means of the patient-level nodes; the
site-level nodes are constant within a site-period). Each claim ``x _||_ y | given`` of
:func:`~facmech.identification.period_implications.period_implications` holding in periods
:math:`P` is tested by one least-squares regression on the site-periods of :math:`P`:

.. math::

    y_{it} = \beta\,x_{it} + \sum_{s\in P} 1[t = s]\,\big(\alpha_s + \gamma_s' d_i
             + \delta_s' z_{it}\big) + e_{it},

``x`` and ``y`` at their periods relative to ``t`` (``x[t-1]``), ``z`` the conditioning nodes at
theirs, ``d_i`` the indicators of the site's design cell. The conditioning set, the intercept and the
design enter with period-specific coefficients, because the map's structural equations are the same
in every period but the joint distribution of a stepped wedge's variables is not (nobody is
facilitated in period 0, everybody in the last), so the regression of ``y`` on ``z`` changes with the
period; :math:`\beta`, zero in every period under the claim, is common. Columns constant within a
period (a lagged node before period 0, no dose before a site's crossover) drop out of that period.
:math:`H_0: \beta = 0` is tested with the CR2 covariance clustered by site and Bell-McCaffrey
degrees of freedom.

A claim whose conditioning set holds survey means (measured with error) is false for them even when
it holds for the true constructs: the error leaves the path through the node open. With the staff
surveys, it is tested by the measurement-corrected regression of :mod:`._eiv` (Fuller's moment
estimator with the error covariance of every survey mean estimated from its own site-period's
respondents); without them it is reported as untestable. A claim whose ``x`` and ``y`` are survey
means of the same site-period is also corrected for their errors' covariance (the same respondents
answer both); without surveys it assumes they are uncorrelated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from facmech.errors import DataError
from facmech.identification._eiv import ErrorMoments, period_fit
from facmech.identification.period_implications import DESIGN_NODE, PeriodImplication, TimedNode

__all__ = [
    "PeriodData",
    "SurveyErrors",
    "period_data",
    "run_period_tests",
    "survey_errors",
    "survey_items_of",
    "test_claims",
]


@dataclass(frozen=True, eq=False)
class PeriodData:
    """Site-period values: ``values[node]`` is (sites, periods), NaN where a site-period is absent."""

    sites: np.ndarray
    periods: np.ndarray
    values: Mapping[str, np.ndarray]
    present: np.ndarray
    cell: np.ndarray | None
    varying: frozenset[str]

    def cells_in(self, period: int) -> np.ndarray:
        """The design cells of the sites present in ``period``."""
        cache = self.__dict__.setdefault("_cells", {})
        if period not in cache:
            cache[period] = np.unique(self.cell[self.present[:, period]])
        return cache[period]

    def site_value(self, node: str) -> np.ndarray:
        """A site-level node's value per site (its mean over the site's periods)."""
        cache = self.__dict__.setdefault("_site_values", {})
        if node not in cache:
            with np.errstate(invalid="ignore"):
                cache[node] = np.nanmean(np.where(self.present, self.values[node], np.nan), axis=1)
        return cache[node]


def period_data(data: pd.DataFrame, *, cluster: str, time: str, nodes: Sequence[str],
                design: Sequence[str] = ()) -> PeriodData:
    """One row per site-period (means of ``nodes``; design columns must be constant in it)."""
    keys = [cluster, time]
    grouped = data.groupby(keys, sort=True)
    means = grouped[list(nodes)].mean() if nodes else grouped.size().to_frame("n")
    sites = np.asarray(means.index.get_level_values(0).unique())
    site_code = pd.Index(sites).get_indexer(means.index.get_level_values(0))
    try:
        periods = np.sort(means.index.get_level_values(1).unique())
    except TypeError:
        raise DataError(f"`time` column {time!r} must hold orderable period values") from None
    period_code = pd.Index(periods).get_indexer(means.index.get_level_values(1))
    I, T = len(sites), len(periods)
    present = np.zeros((I, T), dtype=bool)
    present[site_code, period_code] = True
    values: dict[str, np.ndarray] = {}
    varying = set()
    for c in nodes:
        arr = np.full((I, T), np.nan)
        arr[site_code, period_code] = means[c].to_numpy(float)
        values[c] = arr
        lo, hi = np.nanmin(arr, axis=1), np.nanmax(arr, axis=1)
        if np.any(hi - lo > 1e-12 * (1.0 + np.abs(hi))):
            varying.add(c)
    cell = None
    if design:
        n_values = grouped[list(design)].nunique(dropna=False)
        bad = n_values[(n_values > 1).any(axis=1)]
        if len(bad):
            col = n_values.columns[(n_values.loc[bad.index[0]] > 1).to_numpy()][0]
            raise DataError(
                f"design column {col!r} takes several values within a site-period (site "
                f"{bad.index[0][0]!r}, period {bad.index[0][1]!r}); a design column holds one "
                "value per site-period")
        first = grouped[list(design)].first()
        seq = pd.DataFrame({"site": site_code, "period": period_code})
        seq["cell"] = [tuple(r) for r in first.itertuples(index=False)]
        wide = seq.pivot(index="site", columns="period", values="cell")
        cell = pd.factorize(pd.Series([tuple(r) for r in wide.itertuples(index=False)]),
                            sort=True)[0]
    return PeriodData(sites=sites, periods=periods, values=values, present=present, cell=cell,
                      varying=frozenset(varying))


@dataclass(frozen=True, eq=False)
class SurveyErrors:
    """Error covariances of the survey means: ``cov[i, t]`` (P x P) for construct indices
    ``index``; ``surveyed[i, t, k]``; a site-level construct's survey period ``baseline[i, k]``."""

    index: Mapping[str, int]
    cov: np.ndarray
    surveyed: np.ndarray
    baseline: np.ndarray
    reliability: pd.DataFrame


_ITEM = re.compile(r"^(?P<node>.+)_i\d+$")


def survey_items_of(surveys: pd.DataFrame, nodes: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The item columns ``<node>_i<k>`` of each node in ``surveys`` (``simulate``'s naming)."""
    known = set(nodes)
    out: dict[str, list[str]] = {}
    for c in surveys.columns:
        m = _ITEM.match(str(c))
        if m and m.group("node") in known:
            out.setdefault(m.group("node"), []).append(str(c))
    return {k: tuple(v) for k, v in out.items()}


def survey_errors(surveys: pd.DataFrame, items: Mapping[str, Sequence[str]], pdata: PeriodData,
                  data: pd.DataFrame, *, cluster: str, time: str) -> SurveyErrors:
    """Reliability and per-site-period error covariances of the constructs in ``items``."""
    from facmech.estimation.measurement import survey_measurement

    missing = [c for c in items if c not in pdata.values]
    if missing:
        raise DataError(
            f"survey construct `{missing[0]}` is not a column of `data`: the data must hold each "
            "construct's site-period mean (as `simulate` writes it) beside the survey table")
    sm = survey_measurement(surveys, items, keys=(cluster, time), patients=data)
    I, T = pdata.present.shape
    P = len(sm.constructs)
    sp = sm.site_periods
    si = pd.Index(pdata.sites).get_indexer(sp[cluster])
    ti = pd.Index(pdata.periods).get_indexer(sp[time])
    cov = np.zeros((I, T, P, P))
    cov[si, ti] = sm.error_cov
    surveyed = np.zeros((I, T, P), dtype=bool)
    baseline = np.full((I, P), -1)
    for k, c in enumerate(sm.constructs):
        ok = sp[f"{c}_error_var"].notna().to_numpy()
        surveyed[si[ok], ti[ok], k] = True
        mean = np.full((I, T), np.nan)
        mean[si[ok], ti[ok]] = sp.loc[ok, c].to_numpy(float)
        have = pdata.values[c]
        if c in pdata.varying:
            ref = have
        else:  # a site-level construct: surveyed once per site
            times = surveyed[:, :, k].sum(axis=1)
            if (times > 1).any():
                i = int(np.flatnonzero(times > 1)[0])
                raise DataError(
                    f"construct `{c}` is constant within sites in `data` but surveyed in "
                    f"{int(times[i])} periods at site {pdata.sites[i]!r}; survey a baseline "
                    "construct once per site")
            baseline[:, k] = np.where(times == 1, surveyed[:, :, k].argmax(axis=1), -1)
            ref = np.repeat(pdata.site_value(c)[:, None], T, axis=1)
        diff = np.abs(mean - ref)
        bad = np.nan_to_num(diff, nan=0.0) > 1e-6 * (1.0 + np.abs(np.nan_to_num(ref)))
        if bad.any():
            i, t = (int(v[0]) for v in np.nonzero(bad))
            raise DataError(
                f"column `{c}` of `data` is not the site-period mean of its survey items (site "
                f"{pdata.sites[i]!r}, period {pdata.periods[t]!r}: {ref[i, t]:.6g} in `data`, "
                f"{mean[i, t]:.6g} in `surveys`); the measurement correction needs the survey means")
    return SurveyErrors(index={c: k for k, c in enumerate(sm.constructs)}, cov=cov,
                        surveyed=surveyed, baseline=baseline, reliability=sm.reliability)


@dataclass
class _Column:
    values: np.ndarray
    node: TimedNode | None  # the node behind it (None: intercept, design dummy)
    period: int  # the period it is active in
    active: np.ndarray | None = None  # rows where it carries the node (None: none)


def _node_values(pdata: PeriodData, tn: TimedNode, i: np.ndarray, t: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Values of ``tn`` in rows ``(i, t)`` and each row's source period (-1: before period 0,
    value 0; site-level nodes: -2)."""
    if tn.lag is None:
        return pdata.site_value(tn.node)[i], np.full(len(i), -2)
    tt = t - tn.lag
    ok = tt >= 0
    out = np.zeros(len(i))
    out[ok] = pdata.values[tn.node][i[ok], tt[ok]]
    return out, np.where(ok, tt, -1)


@dataclass
class _Group:
    """The rows and nuisance columns shared by the claims with one conditioning set and periods."""

    i: np.ndarray
    t: np.ndarray
    cols: list[_Column]
    sources: dict[TimedNode, np.ndarray]


def _group_design(given: tuple[TimedNode, ...], periods: tuple[int, ...], gated: bool,
                  pdata: PeriodData) -> _Group:
    """Rows of ``periods`` whose conditioning values exist and the nuisance columns: per period
    an intercept, the design cells, the conditioning nodes (with cell-specific slopes when the
    response is the dose the design gates: no dose outside facilitation, whatever its other
    causes)."""
    i = np.concatenate([np.flatnonzero(pdata.present[:, t]) for t in periods])
    t = np.concatenate([np.full(int(pdata.present[:, s].sum()), s) for s in periods])
    nodes = [g for g in given if g.node != DESIGN_NODE]
    gv = [_node_values(pdata, g, i, t) for g in nodes]
    keep = np.ones(len(i), dtype=bool)
    for v, _ in gv:
        keep &= np.isfinite(v)
    i, t = i[keep], t[keep]
    gv = [(v[keep], src[keep]) for v, src in gv]
    use_design = pdata.cell is not None and len(nodes) < len(given)
    cols: list[_Column] = []
    for s in periods:
        on = t == s
        if not on.any():
            continue
        cols.append(_Column(on.astype(float), None, s))
        cells = pdata.cells_in(s) if use_design else np.arange(0)
        in_cell = {c: on & (pdata.cell[i] == c) for c in cells}
        for c in cells[1:]:
            cols.append(_Column(in_cell[c].astype(float), None, s))
        for g, (v, _) in zip(nodes, gv, strict=True):
            cols.append(_Column(np.where(on, v, 0.0), g, s, on))
            if gated:
                cols += [_Column(np.where(in_cell[c], v, 0.0), g, s, in_cell[c])
                         for c in cells[1:]]
    return _Group(i=i, t=t, cols=cols,
                  sources={g: src for g, (_, src) in zip(nodes, gv, strict=True)})


def _independent_columns(cols: list[_Column], t: np.ndarray) -> list[_Column]:
    """Per period, a maximal linearly independent set of the nuisance columns."""
    out = []
    for s in sorted({c.period for c in cols}):
        block = [c for c in cols if c.period == s]
        on = t == s
        mat = np.column_stack([c.values[on] for c in block])
        out += [block[k] for k in _independent(mat)]
    return out


def _independent(x: np.ndarray) -> np.ndarray:
    """Indices of a maximal set of linearly independent columns (pivoted QR), in order."""
    from scipy.linalg import qr

    scale = np.abs(x).max(axis=0)
    live = np.flatnonzero(scale > 0)
    if not live.size:
        return live
    _, r, piv = qr(x[:, live], mode="economic", pivoting=True)
    d = np.abs(np.diag(r))
    tol = d.max() * max(x.shape) * np.finfo(float).eps * 10
    return np.sort(live[piv[: int((d > tol).sum())]])


_NO_SURVEYS = (
    "every measured set separating the pair holds survey means (`needs`), whose measurement error "
    "leaves the paths through them open (give the staff surveys to test it on the "
    "measurement-corrected covariance, or list the nodes in `error_free` if they are measured "
    "without error)")
_NO_ITEMS = ("it conditions on survey means with no items in `surveys` to correct them by (add "
             "their items with `survey_items`, or list them in `error_free`)")


def test_claims(
    claims: Sequence[PeriodImplication],
    pdata: PeriodData,
    *,
    errors: SurveyErrors | None,
    noisy: frozenset[str],
    alpha: float,
    uncorrectable: frozenset[str] = frozenset(),
    strategy: frozenset[str] = frozenset(),
) -> tuple[list[dict], list[dict]]:
    """Run every claim; returns the rows of the results table and of the untestable table.

    Claims with the same conditioning set and periods share their rows and nuisance columns and
    are fitted together (:func:`~facmech.identification._eiv.period_fit` on a stack of them).
    """
    from scipy import stats

    results: dict[int, dict] = {}
    untestable: list[dict] = []
    labels = pdata.periods
    pending: dict[tuple, list[tuple[int, PeriodImplication, dict]]] = {}
    for k, claim in enumerate(claims):
        base = {"implication": str(claim), "x": str(claim.x), "y": str(claim.y),
                "given": ", ".join(map(str, claim.given)),
                "periods": _period_text(labels[list(claim.periods)]),
                "needs": ", ".join(map(str, claim.error_prone))}
        lacking = [g for g in claim.error_prone if g.node in uncorrectable]
        if lacking:
            untestable.append({**base, "needs": ", ".join(map(str, lacking)), "reason": _NO_ITEMS})
            continue
        if claim.error_prone and errors is None:
            untestable.append({**base, "reason": _NO_SURVEYS})
            continue
        gated = (pdata.cell is not None and claim.y.node in strategy
                 and any(g.node == DESIGN_NODE for g in claim.given))
        pending.setdefault((claim.given, claim.periods, gated), []).append((k, claim, base))
    for (given, periods, gated), members in pending.items():
        group = _group_design(given, periods, gated, pdata)
        _test_group(group, members, pdata, errors, noisy, results, untestable)
    tested = [results[k] for k in sorted(results)]
    if tested:
        est = np.array([r["estimate"] for r in tested])
        se = np.array([r["std_error"] for r in tested])
        dfree = np.array([r["df"] for r in tested])
        tcrit = stats.t.ppf(1 - alpha / 2, dfree)
        pval = 2 * stats.t.sf(np.abs(est / se), dfree)
        for k, r in enumerate(tested):
            r.update(ci_low=float(est[k] - tcrit[k] * se[k]),
                     ci_high=float(est[k] + tcrit[k] * se[k]), p_value=float(pval[k]))
    return tested, untestable


# not a pytest test function, despite its name
test_claims.__test__ = False  # type: ignore[attr-defined]


def _test_group(group: _Group, members: list[tuple[int, PeriodImplication, dict]],
                pdata: PeriodData, errors: SurveyErrors | None, noisy: frozenset[str],
                results: dict[int, dict], untestable: list[dict]) -> None:
    """Fit the claims of one group: batches of claims whose ``x`` and ``y`` exist in the same
    rows."""
    batches: dict[bytes, list] = {}
    for k, claim, base in members:
        xv, xs = _node_values(pdata, claim.x, group.i, group.t)
        yv, ys = _node_values(pdata, claim.y, group.i, group.t)
        ok = np.isfinite(xv) & np.isfinite(yv)
        batches.setdefault(np.packbits(ok).tobytes() + ok.size.to_bytes(8, "little"),
                           []).append((k, claim, base, xv, xs, yv, ys, ok))
    for batch in batches.values():
        ok = batch[0][-1]
        sub = _Group(i=group.i[ok], t=group.t[ok],
                     cols=[_Column(c.values[ok], c.node, c.period,
                                   None if c.active is None else c.active[ok])
                           for c in group.cols],
                     sources={g: v[ok] for g, v in group.sources.items()})
        if not ok.all():
            sub.cols = [c for c in sub.cols if np.any(c.values != 0)]
        _fit_batch(sub, [(k, c, b, xv[ok], xs[ok], yv[ok], ys[ok])
                         for k, c, b, xv, xs, yv, ys, _ in batch],
                   errors, noisy, results, untestable)


def _fit_batch(group: _Group, members: list, errors: SurveyErrors | None, noisy: frozenset[str],
               results: dict[int, dict], untestable: list[dict]) -> None:
    n = len(group.i)
    n_sites = int(np.count_nonzero(np.bincount(group.i, minlength=1))) if n else 0
    keep = []
    for m in members:
        _k, claim, base, _xv, _xs, yv, _ys = m
        if n <= len(group.cols) + 1 or n_sites < 2:
            untestable.append({**base, "reason": (
                f"too few site-periods ({n}) for its {len(group.cols) + 1} regression "
                "coefficients")})
        elif np.ptp(yv) <= 1e-12 * (1.0 + np.abs(yv).max()):
            untestable.append({**base, "reason": f"`{claim.y}` does not vary in these data"})
        else:
            keep.append(m)
    if not keep:
        return
    sites = np.unique(group.i, return_inverse=True)[1]
    cols = group.cols
    moments = None
    flags = np.zeros(len(keep), dtype=bool)
    if errors is not None:
        flags = np.array([_needs_correction(m[1], m[4], m[6], group, noisy) for m in keep])
        if flags.any():
            cols = _independent_columns(cols, group.t)
            moments = _error_moments(cols, keep, group, errors, noisy, flags)
    nuis = np.column_stack([c.values for c in cols]) if cols else np.zeros((n, 0))
    col_period = np.array([c.period for c in cols], dtype=int)
    xs = np.stack([m[3] for m in keep])
    ys = np.stack([m[5] for m in keep])
    est, se, dfree, status = period_fit(xs, ys, sites, nuis, col_period, group.t, errors=moments)
    for j, (k, claim, base, *_rest) in enumerate(keep):
        if status[j] == 1:
            untestable.append({**base, "reason": (
                f"`{claim.x}` does not vary given the conditioning set in these data")})
        elif status[j] == 2:
            untestable.append({**base, "reason": (
                "the measurement-corrected moment matrix is not positive definite: the survey "
                "means are too unreliable for this regression")})
        elif not (np.isfinite(se[j]) and se[j] > 0 and np.isfinite(dfree[j])):
            untestable.append({**base, "reason": "zero or undefined standard error"})
        else:
            row = {key: v for key, v in base.items() if key != "needs"}
            results[k] = {**row, "n_obs": n, "sites": n_sites,
                          "measurement": "corrected" if flags[j] else "as measured",
                          "estimate": float(est[j]), "std_error": float(se[j]),
                          "df": float(dfree[j])}


def _period_text(labels: np.ndarray) -> str:
    vals = list(labels)
    if len(vals) > 2 and all(isinstance(v, (int, np.integer)) for v in vals) and \
            vals == list(range(int(vals[0]), int(vals[-1]) + 1)):
        return f"{vals[0]}-{vals[-1]}"
    return ", ".join(str(v) for v in vals)


def _needs_correction(claim: PeriodImplication, xs: np.ndarray, ys: np.ndarray, group: _Group,
                      noisy: frozenset[str]) -> bool:
    if any(g.node in noisy for g in group.sources):
        return True
    if claim.x.node in noisy and claim.y.node in noisy:  # the same respondents' errors
        return bool(np.any((xs == ys) & (xs != -1)))
    return False


def _error_moments(cols: list[_Column], members: list, group: _Group, errors: SurveyErrors,
                   noisy: frozenset[str], corrected: np.ndarray) -> ErrorMoments:
    """Per row, the error covariances of the noisy nuisance columns, of each claim's ``x`` and
    ``y`` with them and with each other (zero where two means come from different surveys, and
    for the claims not ``corrected``: fitted as measured)."""
    i, n = group.i, len(group.i)

    def sample(node: TimedNode, src: np.ndarray, active: np.ndarray | None
               ) -> tuple[int, np.ndarray]:
        """(construct index, per-row survey period or -1 where the column carries no error)."""
        if node.node not in noisy or node.node not in errors.index:
            return 0, np.full(n, -1)
        k = errors.index[node.node]
        per = np.where(src == -2, errors.baseline[i, k], src)
        on = src != -1 if active is None else (src != -1) & active
        if np.any(on & (per < 0)):
            r = int(np.flatnonzero(on & (per < 0))[0])
            raise DataError(f"construct `{node.node}` has no survey at site index {int(i[r])}")
        surveyed = errors.surveyed[i, np.maximum(per, 0), k]
        if np.any(on & ~surveyed):
            r = int(np.flatnonzero(on & ~surveyed)[0])
            raise DataError(
                f"construct `{node.node}` has no survey responses for a site-period the test "
                f"needs (site index {int(i[r])}, period index {int(per[r])})")
        return k, np.where(on, per, -1)

    e_idx, ks, samples = [], [], []
    for j, c in enumerate(cols):
        if c.node is None:
            continue
        k, smp = sample(c.node, group.sources[c.node], c.active)
        if np.any(smp >= 0):
            e_idx.append(j)
            ks.append(k)
            samples.append(smp)
    e_idx_a = np.array(e_idx, dtype=int)
    ks_a = np.array(ks, dtype=int)
    sm = np.column_stack(samples) if samples else np.full((n, 0), -1)

    def cov(ka: int | np.ndarray, sa: np.ndarray, kb: int | np.ndarray, sb: np.ndarray
            ) -> np.ndarray:
        same = (sa == sb) & (sa >= 0)
        return np.where(same, errors.cov[i.reshape(i.shape + (1,) * (sa.ndim - 1)) if sa.ndim > 1
                                         else i, np.maximum(sa, 0), ka, kb], 0.0)

    nn = cov(ks_a[None, :, None], sm[:, :, None], ks_a[None, None, :], sm[:, None, :])
    xx, xn, xy, ny = [], [], [], []
    for (_, claim, _, _, xsrc, _, ysrc), fix in zip(members, corrected, strict=True):
        kx, sx = sample(claim.x, xsrc, None) if fix else (0, np.full(n, -1))
        ky, sy = sample(claim.y, ysrc, None) if fix else (0, np.full(n, -1))
        xx.append(cov(kx, sx, kx, sx))
        xy.append(cov(kx, sx, ky, sy))
        xn.append(cov(kx, sx[:, None], ks_a[None, :], sm))
        ny.append(cov(ky, sy[:, None], ks_a[None, :], sm))
    return ErrorMoments(e=e_idx_a, nn=nn, xx=np.stack(xx), xn=np.stack(xn), xy=np.stack(xy),
                        ny=np.stack(ny))


def _default_noisy(mmap: object, pdata: PeriodData, observed: Sequence[str]) -> set[str]:
    """Survey means by default: observed site- or staff-level nodes other than the strategy whose
    values are not all integers (0/1 and count nodes are records, not survey means)."""
    from facmech.maps import Level, Role

    out = set()
    for node in observed:
        spec = mmap.node(node)  # type: ignore[attr-defined]
        if spec.level == Level.PATIENT or spec.role == Role.STRATEGY:
            continue
        v = pdata.values[node]
        v = v[np.isfinite(v)]
        if v.size and np.any(np.abs(v - np.round(v)) > 1e-9):
            out.add(node)
    return out


def run_period_tests(
    graph: object,
    data: pd.DataFrame,
    *,
    cluster: str,
    time: str,
    design: object,
    surveys: pd.DataFrame | None,
    survey_items: Mapping[str, Sequence[str]] | None,
    error_free: Sequence[str],
    alpha: float,
    observed: Sequence[str] | None,
    latent: Sequence[str] | None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None, int]:
    """The period-data path of ``test_implications``: (table, untestable, reliability, periods)."""
    from facmech._validation import require_columns, require_complete
    from facmech.errors import ArgumentError, UnknownNodeError, closest
    from facmech.identification.period_implications import (
        PeriodDesign,
        _as_map,
        _implications_cached,
        period_graph,
    )

    mmap = _as_map(graph)
    ids = list(mmap.node_ids)
    probe = period_graph(mmap, 1, observed=observed, latent=latent)  # validates node names
    obs = [n for n in ids if n not in {probe.timed[v][0] for v in probe.latent}]
    for name in error_free:
        if name not in ids:
            raise UnknownNodeError(f"`error_free`: unknown node {name!r}.{closest(name, ids)}")
    dcols: tuple[str, ...] = ()
    if design is not None:
        if isinstance(design, str):
            design = PeriodDesign(columns=(design,))
        elif not isinstance(design, PeriodDesign):
            if not isinstance(design, Sequence):
                raise ArgumentError("`design` must be a column name, a list of them or a "
                                    f"PeriodDesign (got {type(design).__name__})")
            design = PeriodDesign(columns=tuple(design))
        dcols = design.columns
        require_columns(data, dcols)
    require_columns(data, [*obs, cluster, time])
    require_complete(data, [*obs, cluster, time, *dcols])
    for c in obs:
        if not pd.api.types.is_numeric_dtype(data[c]):
            raise DataError(f"column {c!r} must be numeric (got dtype {data[c].dtype})")
    pdata = period_data(data, cluster=cluster, time=time, nodes=obs, design=dcols)
    if len(pdata.sites) < 2:
        raise DataError(f"`cluster` column {cluster!r} has a single site; need at least 2")
    T = len(pdata.periods)
    for node, k in (design.depends_on if design is not None else ()):
        if k >= T:
            raise ArgumentError(f"`design.depends_on`: period index {k} of {node!r} is not among "
                                f"the data's {T} periods")
    noisy = _default_noisy(mmap, pdata, obs)
    errors = None
    if surveys is not None:
        from facmech._validation import require_frame

        surveys = require_frame(surveys, argument="surveys")
        if survey_items is None:
            survey_items = survey_items_of(surveys, obs)
            if not survey_items:
                raise DataError(
                    "`surveys` has no item columns named <node>_i<k> for any measured node of the "
                    "map; give `survey_items` (construct -> item columns)")
        else:
            if not isinstance(survey_items, Mapping):
                raise ArgumentError("`survey_items` must map each construct to its item columns "
                                    f"(got {type(survey_items).__name__})")
            for c in survey_items:
                if c not in obs:
                    raise DataError(f"`survey_items`: construct {c!r} is not a measured node of "
                                    f"the map.{closest(str(c), obs)}")
        errors = survey_errors(surveys, survey_items, pdata, data, cluster=cluster, time=time)
        noisy |= set(errors.index)
    noisy -= set(error_free)
    noisy_f = frozenset(noisy)
    pg = period_graph(mmap, T, varying=sorted(pdata.varying), design=design, observed=observed,
                      latent=latent)
    claims = _implications_cached(pg, noisy_f)
    if errors is not None:  # error-prone nodes without survey items cannot be corrected
        unknown = noisy_f - set(errors.index)
    else:
        unknown = frozenset()
    from facmech.maps import Role

    strategy = frozenset(n.id for n in mmap.nodes if n.role == Role.STRATEGY)
    tested, untestable = test_claims(claims, pdata, errors=errors, noisy=noisy_f, alpha=alpha,
                                     uncorrectable=unknown, strategy=strategy)
    cols = ["implication", "x", "y", "given", "periods", "n_obs", "sites", "measurement",
            "estimate", "std_error", "ci_low", "ci_high", "p_value", "df"]
    table = pd.DataFrame.from_records(tested, columns=cols)
    skipped = pd.DataFrame.from_records(
        untestable, columns=["implication", "x", "y", "given", "periods", "needs", "reason"])
    return table, skipped, (errors.reliability if errors is not None else None), T
