"""Validation of what :func:`facmech.report.plan` receives: the path, the data and the output file.

Everything is checked once, before any computation, so a typo fails in milliseconds with a message
naming the argument, the value received and what is allowed.

>>> from facmech.formats import load_map
>>> m = load_map()
>>> check_path(m, ["facilitation", "champions", "normalization", "uptake"],
...            treatment="facilitation", outcome="uptake")
('facilitation', 'champions', 'normalization', 'uptake')
>>> check_path(m, ["trust"], treatment="facilitation", outcome="uptake")  # waypoints
('facilitation', 'trust', 'uptake')
>>> check_path(m, ["trust", "champions"], treatment="facilitation", outcome="uptake")
Traceback (most recent call last):
...
facmech.errors.MapError: `path`: the map has no arrow trust -> champions and no directed path ...
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import networkx as nx
import pandas as pd

from facmech import _files
from facmech.errors import DataError, FacmechError, MapError, closest
from facmech.maps import MechanismMap

__all__ = ["check_output", "check_path", "load_data", "missing_columns"]

OUTPUT_SUFFIXES = (".html", ".htm", ".md", ".markdown")


def check_path(
    mmap: MechanismMap, path: Sequence[str] | str, *, treatment: str | None = None,
    outcome: str | None = None,
) -> tuple[str, ...]:
    """The path as a tuple of node ids from ``treatment`` to ``outcome``, checked against the map.

    ``path`` may be a sequence or a string ``a,b,c`` / ``a>b>c``. When the path omits the treatment
    or the outcome at its ends they are added (``--path acceptance,trust`` is read as
    treatment -> acceptance -> trust -> outcome); without them, they default to the path's ends.
    Consecutive nodes joined by an arrow (within a period) make one directed path; consecutive
    nodes that are not adjacent are waypoints (every directed path through them in order,
    :mod:`facmech.identification.waypoints`), and each must reach the next.
    """
    if isinstance(path, str):
        sep = ">" if ">" in path else ","
        path = [p.strip() for p in path.split(sep) if p.strip()]
    if path and treatment is None:
        treatment = str(next(iter(path)))
    if path and outcome is None:
        outcome = str(list(path)[-1])
    if treatment is None or outcome is None:
        raise FacmechError("`path` is empty; give the hypothesized chain, e.g. `facilitation,trust,uptake`")
    mmap.check_nodes([treatment], argument="treatment")
    mmap.check_nodes([outcome], argument="outcome")
    if treatment == outcome:
        raise FacmechError(f"`treatment` and `outcome` are the same node ({treatment!r})")
    nodes = [str(p) for p in path]
    if not nodes:
        raise FacmechError("`path` is empty; give the hypothesized chain, e.g. `facilitation,trust,uptake`")
    mmap.check_nodes(nodes, argument="path")
    if nodes[0] != treatment:
        nodes.insert(0, treatment)
    if nodes[-1] != outcome:
        nodes.append(outcome)
    if len(set(nodes)) != len(nodes):
        raise FacmechError(f"`path` visits a node twice: {' -> '.join(nodes)}")
    graph = mmap.to_networkx()
    for src, tgt in itertools.pairwise(nodes):
        if not graph.has_edge(src, tgt) and not nx.has_path(graph, src, tgt):
            children = sorted(graph.successors(src))
            hint = closest(tgt, children)
            raise MapError(
                f"`path`: the map has no arrow {src} -> {tgt} and no directed path from {src} to "
                f"{tgt} (within a period), so no path of the map visits {' -> '.join(nodes)} in "
                f"this order. Arrows out of {src!r}: {', '.join(children) or '(none)'}.{hint}"
            )
    return tuple(nodes)


def check_output(
    out: str | os.PathLike[str] | None, *, inputs: dict[str, object] | None = None
) -> Path | None:
    """Check the output file before any work: a known suffix, an existing writable directory,
    and not one of the ``inputs`` (argument -> path) of the same call."""
    return _files.check_output(out, argument="out", suffixes=OUTPUT_SUFFIXES, inputs=inputs)


def load_data(data: pd.DataFrame | str | os.PathLike[str] | None) -> pd.DataFrame | None:
    """A DataFrame as given (never modified), or read from a ``.csv`` or ``.parquet`` file."""
    if data is None or isinstance(data, pd.DataFrame):
        return data
    suffix = Path(data).suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise DataError(f"`data` must be a DataFrame, a .csv or a .parquet file (got {str(data)!r})")
    return _files.read_table(data, argument="data")


def missing_columns(data: pd.DataFrame, needed: Iterable[tuple[str, str]]) -> None:
    """Raise one :class:`DataError` listing every needed column absent from ``data``.

    ``needed`` holds ``(column, why)`` pairs, e.g. ``("trust", "mediator on the path")``.

    >>> missing_columns(pd.DataFrame({"site": [1]}), [("site", "cluster"), ("trust", "mediator")])
    Traceback (most recent call last):
    ...
    facmech.errors.DataError: `data` lacks 1 column(s) the plan needs: `trust` (mediator). ...
    """
    cols = set(map(str, data.columns))
    absent = [(c, why) for c, why in dict(needed).items() if c not in cols]
    if absent:
        listed = ", ".join(f"`{c}` ({why})" for c, why in absent)
        raise DataError(
            f"`data` lacks {len(absent)} column(s) the plan needs: {listed}. "
            f"Columns present: {', '.join(sorted(cols))}."
        )
