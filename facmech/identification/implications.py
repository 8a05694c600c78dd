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
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from facmech._validation import require_columns, require_complete, require_frame
from facmech.errors import DataError, FacmechError, FewClustersWarning
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


@dataclass(frozen=True)
class ImplicationTests:
    """Results of :func:`test_implications`."""

    table: pd.DataFrame
    alpha: float
    cluster: str | None
    falsified: bool

    def to_frame(self) -> pd.DataFrame:
        """One row per implication: estimate, std_error, ci_low, ci_high, p_value, p_adjusted..."""
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        rows = self.table.replace({np.nan: None}).to_dict(orient="records")
        return {"alpha": self.alpha, "cluster": self.cluster, "falsified": self.falsified,
                "tests": rows}

    def summary(self) -> str:
        n = len(self.table)
        rej = int(self.table["rejected"].sum())
        head = (f"{n} testable implications, {rej} rejected at alpha={self.alpha:g} after Holm "
                f"adjustment{' (cluster-robust by ' + self.cluster + ')' if self.cluster else ''}: "
                f"the map is {'FALSIFIED' if self.falsified else 'not falsified'} by these data")
        lines = [head]
        for r in self.table.itertuples():
            flag = "  REJECTED" if r.rejected else ""
            lines.append(f"  {r.implication}: coef {r.estimate:.3g} (se {r.std_error:.3g}), "
                         f"p {r.p_value:.3g}, adjusted {r.p_adjusted:.3g}{flag}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.summary().splitlines()[0])}</p>" + self.table.to_html()


def _ols_cr2(
    y: np.ndarray, x: np.ndarray, groups: np.ndarray, j: int = 1
) -> tuple[np.ndarray, np.ndarray, float]:
    """OLS, its CR2 cluster-robust covariance and Bell-McCaffrey degrees of freedom for ``b[j]``.

    .. math:: V = B \\sum_g X_g^\\top A_g e_g e_g^\\top A_g X_g B,\\quad
              A_g = (I - X_g B X_g^\\top)^{-1/2},\\quad B = (X^\\top X)^{-1}

    Degrees of freedom (Bell & McCaffrey 2002; Imbens & Kolesár 2016, Rev Econ Stat 98:701):
    :math:`\\nu = (\\sum_i \\lambda_i)^2 / \\sum_i \\lambda_i^2` with :math:`\\lambda` the
    eigenvalues of :math:`G^\\top G`, column ``g`` of ``G`` being
    :math:`(I - H)_{\\cdot g} A_g X_g B e_j`.
    """
    bread = np.linalg.pinv(x.T @ x)
    beta = bread @ (x.T @ y)
    e = y - x @ beta
    meat = np.zeros_like(bread)
    ell = bread[:, j]
    cols = []
    order = np.argsort(groups, kind="stable")
    bounds = np.flatnonzero(np.diff(groups[order])) + 1
    for idx in np.split(order, bounds):
        xg = x[idx]
        h = xg @ bread @ xg.T
        w, q = np.linalg.eigh(np.eye(len(idx)) - h)
        a = (q / np.sqrt(np.maximum(w, 1e-12))) @ q.T
        s = xg.T @ (a @ e[idx])
        meat += np.outer(s, s)
        ag = a @ (xg @ ell)
        col = -x @ (bread @ (xg.T @ ag))
        col[idx] += ag
        cols.append(col)
    gm = np.column_stack(cols)
    m = gm.T @ gm
    df = float(np.trace(m) ** 2 / np.sum(m * m))
    return beta, bread @ meat @ bread, df


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values."""
    m = len(p)
    order = np.argsort(p, kind="stable")
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adj
    return out


def test_implications(
    graph: Any,
    data: pd.DataFrame,
    *,
    cluster: str | None = None,
    alpha: float = 0.05,
    observed: Iterable[str] | None = None,
    latent: Iterable[str] | None = None,
) -> ImplicationTests:
    """Test every implied conditional independence on ``data``.

    Parameters
    ----------
    graph : MechanismMap or networkx.DiGraph
    data : pandas.DataFrame
        One column per measured node (numeric; not modified).
    cluster : str, optional
        Site column for cluster-robust inference.
    alpha : float
        Family-wise error rate for the verdict (Holm).
    observed, latent : iterable of str, optional
        As in :func:`facmech.identify`; measured nodes must all be columns of ``data``.

    Returns
    -------
    ImplicationTests
    """
    from scipy import stats

    if not 0 < alpha < 1:
        raise FacmechError(f"`alpha` must be in (0, 1) (got {alpha!r})")
    data = require_frame(data)
    imps = implications(graph, observed=observed, latent=latent)
    needed = sorted({v for m in imps for v in (m.x, m.y, *m.given)})
    require_columns(data, needed + ([cluster] if cluster else []))
    require_complete(data, needed + ([cluster] if cluster else []))
    for c in needed:
        if not pd.api.types.is_numeric_dtype(data[c]):
            raise DataError(f"column {c!r} must be numeric (got dtype {data[c].dtype})")
    groups = None
    if cluster is not None:
        groups = pd.factorize(data[cluster], sort=True)[0]
        n_groups = int(groups.max()) + 1
        if n_groups < 2:
            raise DataError(f"`cluster` column {cluster!r} has a single site; need at least 2")
        if n_groups < FEW_CLUSTERS:
            warnings.warn(f"only {n_groups} sites in {cluster!r}: cluster-robust tests of the "
                          "implications are approximate", FewClustersWarning, stacklevel=2)
    rows = []
    for m in imps:
        y = data[m.y].to_numpy(float)
        x = np.column_stack([np.ones(len(data)), data[m.x].to_numpy(float),
                             *(data[z].to_numpy(float) for z in m.given)])
        if np.linalg.matrix_rank(x) < x.shape[1] or len(y) <= x.shape[1]:
            raise DataError(f"cannot test {m}: the regression is degenerate (collinear or "
                            "constant columns, or too few rows)")
        if groups is not None:
            beta, cov, dfree = _ols_cr2(y, x, groups)
        else:
            beta, *_ = np.linalg.lstsq(x, y, rcond=None)
            resid = y - x @ beta
            dfree = float(len(y) - x.shape[1])
            cov = np.linalg.inv(x.T @ x) * float(resid @ resid) / dfree
        est, se = float(beta[1]), float(np.sqrt(cov[1, 1]))
        if not np.isfinite(se) or se <= 0:
            raise DataError(f"cannot test {m}: zero or undefined standard error")
        tcrit = stats.t.ppf(1 - alpha / 2, dfree)
        pval = float(2 * stats.t.sf(abs(est / se), dfree))
        rows.append({"implication": str(m), "x": m.x, "y": m.y, "given": ", ".join(m.given),
                     "estimate": est, "std_error": se, "ci_low": est - tcrit * se,
                     "ci_high": est + tcrit * se, "p_value": pval})
    table = pd.DataFrame.from_records(rows, columns=[
        "implication", "x", "y", "given", "estimate", "std_error", "ci_low", "ci_high", "p_value"])
    p = table["p_value"].to_numpy(float)
    table["p_adjusted"] = _holm(p) if len(p) else p
    table["rejected"] = table["p_adjusted"] < alpha
    return ImplicationTests(table, alpha, cluster, bool(table["rejected"].any()))


# not a pytest test function, despite its name
test_implications.__test__ = False  # type: ignore[attr-defined]
