"""Testable implications of a map: implied conditional independencies, and tests of them on data.

``implications`` lists, for every pair of measured nodes not joined by an arrow, every minimal set of
measured nodes that d-separates them, exactly as dagitty's ``impliedConditionalIndependencies(x,
type = "missing.edge")`` (``GraphAnalyzer.listMinimalImplications``; Textor et al. 2016, Int J
Epidemiol 45:1887). Pairs that no measured set separates (latent confounding, inducing paths)
imply nothing and are skipped.

``test_implications`` tests each one with a regression of one variable on the other and the
conditioning set (a linear-Gaussian partial-correlation test; Textor et al. 2016), with
cluster-robust standard errors (CR2 with Bell-McCaffrey degrees of freedom; Bell & McCaffrey 2002,
Imbens & Kolesár 2016) when sites are given, and a
Holm-adjusted verdict: the map is *falsified* when any adjusted p-value falls below ``alpha``.

**Trial data measured by period** (``test_implications(..., time="period")``) are tested against
what the map implies *unrolled over the data's periods*, not against the one-period list above:
the lag-1 arrows (leadership engagement -> next period's dose), the trial design (a stepped wedge's
step), the secular trend of each period and the outcomes' site effects all create dependences the
one-period map does not show, and conditioning on a survey mean measured with error does not block
the path through the construct. On Zambia-like trials simulated from the map itself the one-period
check declared the map falsified in about 7 of 10 trials at 120 sites
(``simulations/mapcheck/diagnosis.md``). The claims come from
:mod:`~facmech.identification.period_implications` and are tested by
:mod:`~facmech.identification._period_tests` (period-specific nuisance, a common tested slope,
CR2 by site; Fuller-corrected with the staff surveys, or reported as untestable without them).

>>> import networkx as nx
>>> g = nx.DiGraph([("a", "x"), ("a", "m"), ("b", "m"), ("b", "y"), ("x", "y")])
>>> for imp in implications(g):
...     print(imp)
a _||_ b
a _||_ y | x
x _||_ m | a
x _||_ b
m _||_ y | a, b
m _||_ y | b, x
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from facmech._deprecation import deprecated_alias, renamed
from facmech._validation import (
    check_alpha,
    require_columns,
    require_complete,
    require_finite,
    require_frame,
)
from facmech.errors import ArgumentError, DataError, FewClustersWarning
from facmech.estimation.subsets import SubsetRegressions
from facmech.graphs import ancestors_of, minimal_separators
from facmech.identification._query import prepare_graph

__all__ = ["Implication", "ImplicationTests", "implications", "test_implications"]

#: Fewer sites than this triggers a FewClustersWarning for cluster-robust tests.
FEW_CLUSTERS = 20


@dataclass(frozen=True)
class Implication:
    """``x _||_ y | given``."""

    x: str
    y: str
    given: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.x} _||_ {self.y}" + (f" | {', '.join(self.given)}" if self.given else "")

    def to_dict(self) -> dict[str, Any]:
        return {"x": self.x, "y": self.y, "given": list(self.given)}


def implications(
    graph: Any,
    *,
    observed: Iterable[str] | None = None,
    latent: Iterable[str] | None = None,
) -> tuple[Implication, ...]:
    """Every minimal implied conditional independence among measured nodes (dagitty's list).

    Pairs appear in the graph's node order (as dagitty lists them); within a pair, sets are
    sorted by size then name, and each set's nodes by name.
    """
    q = prepare_graph(graph, observed=observed, latent=latent)
    g = q.graph
    obs = [n for n in g.nodes if n not in q.latent]
    out: list[Implication] = []
    for i, u in enumerate(obs):
        for v in obs[i + 1:]:
            if g.has_edge(u, v) or g.has_edge(v, u):
                continue
            anc = ancestors_of(g, [u, v])
            moral = nx.moral_graph(g.subgraph(anc))
            allowed = (anc & set(obs)) - {u, v}
            for s in minimal_separators(moral, {u}, {v}, allowed=allowed):
                out.append(Implication(u, v, tuple(sorted(s))))
    return tuple(out)


def _no_rows() -> pd.DataFrame:
    return pd.DataFrame(columns=["implication", "x", "y", "given", "periods", "needs", "reason"])


@dataclass(frozen=True)
class ImplicationTests:
    """Results of :func:`test_implications`.

    ``table`` has one row per test; on period data (``time``) ``untestable`` lists the claims that
    these measurements cannot test, each with its reason, and ``reliability`` (with staff surveys)
    the reliability of every surveyed construct.
    """

    table: pd.DataFrame
    alpha: float
    site: str | None
    falsified: bool
    untestable: pd.DataFrame = field(default_factory=_no_rows)
    time: str | None = None
    periods: int | None = None
    reliability: pd.DataFrame | None = None

    @property
    def cluster(self) -> str | None:
        """Deprecated name of :attr:`site` (removed in the next release)."""
        return deprecated_alias(self.site, "cluster", "site")

    def to_frame(self) -> pd.DataFrame:
        """One row per implication: estimate, std_error, ci_low, ci_high, p_value, p_adjusted..."""
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        rows = self.table.replace({np.nan: None}).to_dict(orient="records")
        out = {"alpha": self.alpha, "site": self.site, "falsified": self.falsified,
               "tests": rows, "cluster": self.site}  # "cluster": deprecated duplicate of "site"
        if self.time is not None:
            out.update({"time": self.time, "periods": self.periods,
                        "untestable": self.untestable.to_dict(orient="records")})
            if self.reliability is not None:
                out["reliability"] = self.reliability.reset_index().to_dict(orient="records")
        return out

    def summary(self) -> str:
        n = len(self.table)
        rej = int(self.table["rejected"].sum())
        where = ""
        if self.time is not None:
            where = (f" on site-period data (the map unrolled over {self.periods} periods of "
                     f"{self.time!r})")
        head = (f"{n} testable implications{where}, {rej} rejected at alpha={self.alpha:g} after "
                f"Holm adjustment{' (cluster-robust by ' + self.site + ')' if self.site else ''}"
                f": the map is {'FALSIFIED' if self.falsified else 'not falsified'} by these data")
        lines = [head]
        if self.time is not None and "measurement" in self.table:
            fixed = int((self.table["measurement"] == "corrected").sum())
            if fixed:
                lines.append(f"  {fixed} tests on the measurement-corrected covariance of the staff "
                             "surveys")
        for r in self.table.itertuples():
            flag = "  REJECTED" if r.rejected else ""
            lines.append(f"  {r.implication}: coef {r.estimate:.3g} (se {r.std_error:.3g}), "
                         f"p {r.p_value:.3g}, adjusted {r.p_adjusted:.3g}{flag}")
        if len(self.untestable):
            lines.append(f"{len(self.untestable)} implications cannot be tested with these "
                         "measurements:")
            for reason, grp in self.untestable.groupby("reason", sort=False):
                needs = sorted({n.split("[")[0] for v in grp["needs"] for n in str(v).split(", ")
                                if n})
                what = f" ({', '.join(needs)})" if needs else ""
                lines.append(f"  {len(grp)}: {reason}{what}; e.g. {grp['implication'].iloc[0]}")
        if self.reliability is not None:
            rel = ", ".join(f"{c} {v:.2f}" for c, v in self.reliability["mean_reliability"].items())
            lines.append(f"reliability of the site-period survey means: {rel}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.summary().splitlines()[0])}</p>" + self.table.to_html()


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values."""
    m = len(p)
    order = np.argsort(p, kind="stable")
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adj
    return out


@renamed(cluster="site", time="period")
def test_implications(
    graph: Any,
    data: pd.DataFrame,
    *,
    site: str | None = None,
    period: str | None = None,
    design: str | Sequence[str] | Any = None,
    surveys: pd.DataFrame | None = None,
    survey_items: Mapping[str, Sequence[str]] | None = None,
    error_free: Iterable[str] = (),
    alpha: float = 0.05,
    observed: Iterable[str] | None = None,
    latent: Iterable[str] | None = None,
    columns: Mapping[str, str] | None = None,
) -> ImplicationTests:
    """Test every implied conditional independence on ``data``.

    Parameters
    ----------
    graph : MechanismMap or networkx.DiGraph
    data : pandas.DataFrame
        One column per measured node (numeric; not modified).
    site : str, optional
        Site column for cluster-robust inference (formerly ``cluster``, a deprecated alias for
        one release).
    period : str, optional
        Period column: the data are site-periods (or patients in site-periods) and the claims are
        those of the map unrolled over the data's periods
        (:mod:`~facmech.identification.period_implications`), each tested on the site-period
        means (:mod:`facmech.identification._period_tests`). Needs ``site``. (Formerly ``time``.)
    design : str, list of str or PeriodDesign, optional
        With ``period``: the design column(s) (a stepped-wedge ``step``, a SMART ``arm``), a node of
        the unrolled map pointing into the strategy (randomized unless a
        :class:`~facmech.identification.period_implications.PeriodDesign` says what it depends
        on). Without it the dose is taken to follow an unrecorded site-level schedule.
    surveys : pandas.DataFrame, optional
        With ``period``: the staff-survey table (one row per respondent and site-period, keys
        ``site``, ``period`` and ``respondent``; as ``simulate(..., surveys=True).surveys``).
        Claims given survey means are then tested on the measurement-corrected covariance;
        without it they are listed as untestable.
    survey_items : mapping, optional
        Construct -> item columns of ``surveys`` (default: the columns named ``<node>_i<k>``).
    error_free : iterable of str
        Measured site-level nodes that are *not* survey means (administrative records); by
        default every non-integer site-level node other than the strategy is taken to be one.
    alpha : float
        Family-wise error rate for the verdict (Holm).
    observed, latent : iterable of str, optional
        As in :func:`facmech.identify`; measured nodes must all be columns of ``data``.
    columns : mapping of node to column, optional
        Data columns holding nodes whose column is not named like the node (CLI ``--column``).

    Returns
    -------
    ImplicationTests
    """
    from facmech._columns import ColumnMap
    from facmech.estimation.estimate import wald_intervals  # scipy.stats: loaded when used

    alpha = check_alpha(alpha)
    cluster = site
    data = require_frame(data)
    cols = ColumnMap.build(columns, data)
    data, cluster = cols.rename(data), cols.node(cluster)
    if period is not None:
        return _test_periods(graph, data, cluster=cluster, time=period, design=design,
                             surveys=surveys, survey_items=survey_items, error_free=error_free,
                             alpha=alpha, observed=observed, latent=latent)
    for name, value in (("design", design), ("surveys", surveys), ("survey_items", survey_items)):
        if value is not None:
            raise ArgumentError(f"`{name}` needs `period` (the period column of the data)")
    if tuple(error_free):
        raise ArgumentError("`error_free` needs `period` (the period column of the data)")
    imps = implications(graph, observed=observed, latent=latent)
    needed = sorted({v for m in imps for v in (m.x, m.y, *m.given)})
    require_columns(data, needed + ([cluster] if cluster else []))
    require_complete(data, needed + ([cluster] if cluster else []))
    for c in needed:
        if not pd.api.types.is_numeric_dtype(data[c]):
            raise DataError(f"column {c!r} must be numeric (got dtype {data[c].dtype})")
    require_finite(data, needed, role="`data`")  # inf would reach the solvers (LinAlgError)
    groups = None
    if cluster is not None:
        groups = pd.factorize(data[cluster], sort=True)[0]
        n_groups = int(groups.max()) + 1
        if n_groups < 2:
            raise DataError(f"`site` column {cluster!r} has a single site; need at least 2")
        if n_groups < FEW_CLUSTERS:
            warnings.warn(f"only {n_groups} sites in {cluster!r}: cluster-robust tests of the "
                          "implications are approximate", FewClustersWarning, stacklevel=2)
    z = np.column_stack([np.ones(len(data)), *(data[c].to_numpy(float) for c in needed)])
    ols = SubsetRegressions(z, groups)
    pos = {c: i + 1 for i, c in enumerate(needed)}
    est = np.full(len(imps), np.nan)
    se = np.full(len(imps), np.nan)
    dfree = np.full(len(imps), np.nan)
    degenerate = np.zeros(len(imps), dtype=bool)
    # regressions with the same number of columns run as one batch
    by_size: dict[int, list[int]] = {}
    for i, m in enumerate(imps):
        by_size.setdefault(len(m.given) + 2, []).append(i)
    for p, members in by_size.items():
        cols = np.array([[0, pos[imps[i].x], *(pos[v] for v in imps[i].given)] for i in members])
        ycol = np.array([pos[imps[i].y] for i in members])
        bad = (ols.ranks(cols) < p) | (len(data) <= p)
        degenerate[members] = bad
        ok = np.flatnonzero(~bad)
        if not len(ok):
            continue
        fit = ols.cr2 if groups is not None else ols.classical
        beta, cov, dfr = fit(cols[ok], ycol[ok])
        rows = np.asarray(members)[ok]
        est[rows], se[rows], dfree[rows] = beta[:, 1], np.sqrt(cov[:, 1, 1]), dfr
    for i, m in enumerate(imps):
        if degenerate[i]:
            raise DataError(f"cannot test {m}: the regression is degenerate (collinear or "
                            "constant columns, or too few rows)")
        if not np.isfinite(se[i]) or se[i] <= 0:
            raise DataError(f"cannot test {m}: zero or undefined standard error")
    with np.errstate(invalid="ignore"):
        wald = wald_intervals(est, se, alpha=alpha, df=dfree)
    rows = [{"implication": str(m), "x": m.x, "y": m.y, "given": ", ".join(m.given),
             "estimate": float(est[i]), "std_error": float(se[i]),
             "ci_low": float(wald.ci_low[i]), "ci_high": float(wald.ci_high[i]),
             "p_value": float(wald.p_value[i])} for i, m in enumerate(imps)]
    table = pd.DataFrame.from_records(rows, columns=[
        "implication", "x", "y", "given", "estimate", "std_error", "ci_low", "ci_high", "p_value"])
    p = table["p_value"].to_numpy(float)
    table["p_adjusted"] = _holm(p) if len(p) else p
    table["rejected"] = table["p_adjusted"] < alpha
    return ImplicationTests(table, alpha, cluster, bool(table["rejected"].any()))


def _test_periods(graph: Any, data: pd.DataFrame, *, cluster: str | None, time: str,
                  design: Any, surveys: pd.DataFrame | None,
                  survey_items: Mapping[str, Sequence[str]] | None, error_free: Iterable[str],
                  alpha: float, observed: Iterable[str] | None, latent: Iterable[str] | None
                  ) -> ImplicationTests:
    from facmech.identification._period_tests import run_period_tests

    if cluster is None:
        raise ArgumentError("`period` needs `site` (the site column): period data are tested "
                            "site by site")
    if isinstance(error_free, str):
        error_free = [error_free]
    table, untestable, reliability, periods = run_period_tests(
        graph, data, cluster=cluster, time=time, design=design, surveys=surveys,
        survey_items=survey_items, error_free=list(error_free), alpha=alpha,
        observed=list(observed) if observed is not None else None,
        latent=list(latent) if latent is not None else None)
    n_sites = data[cluster].nunique()
    if n_sites < FEW_CLUSTERS:
        warnings.warn(f"only {n_sites} sites in {cluster!r}: cluster-robust tests of the "
                      "implications are approximate", FewClustersWarning, stacklevel=3)
    p = table["p_value"].to_numpy(float)
    table["p_adjusted"] = _holm(p) if len(p) else p
    table["rejected"] = table["p_adjusted"] < alpha
    return ImplicationTests(table, alpha, cluster, bool(table["rejected"].any()),
                            untestable=untestable, time=time, periods=periods,
                            reliability=reliability)


# not a pytest test function, despite its name
test_implications.__test__ = False  # type: ignore[attr-defined]
