"""Data columns for map nodes: ``columns={node: column}`` when a trial's CSV names things its own way.

With a mechanism map, facmech reads the data column named like each node. A trial's file rarely
does (``arm`` for ``facilitation``, ``ILS_mean`` for ``leadership_engagement``); ``columns=``
(CLI ``--column node=col``, repeatable) says which column holds which node. The estimators then
work on a renamed copy of the data (the caller's frame is never touched), so every result is
labelled by node ids, the names the map and its identification use. An argument may name a node
by its id or by its mapped column (``treatment="arm"`` and ``treatment="facilitation"`` are the
same here). ``mediate``, ``test_implications``, ``gformula`` and ``plan`` take ``columns=``.

>>> import pandas as pd
>>> df = pd.DataFrame({"arm": [0, 1], "ILS": [0.1, 0.4]})
>>> cols = ColumnMap.build({"facilitation": "arm", "leadership_engagement": "ILS"}, df)
>>> list(cols.rename(df).columns), cols.node("arm"), cols.node("leadership_engagement")
(['facilitation', 'leadership_engagement'], 'facilitation', 'leadership_engagement')
>>> list(df.columns)
['arm', 'ILS']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, overload

import pandas as pd

from facmech.errors import ArgumentError, DataError, closest

__all__ = ["ColumnMap", "parse_column_option", "with_columns"]


@dataclass(frozen=True)
class ColumnMap:
    """Which data column holds which map node (``to_column``: node id -> column)."""

    to_column: tuple[tuple[str, str], ...] = ()

    @classmethod
    def build(cls, columns: Mapping[str, str] | None, data: pd.DataFrame | None = None, *,
              argument: str = "columns") -> ColumnMap:
        """Validate ``columns`` (against ``data``'s columns when given)."""
        if columns is None:
            return cls()
        if not isinstance(columns, Mapping):
            raise ArgumentError(f"`{argument}` must be a mapping {{node: column}} (got "
                                f"{type(columns).__name__})")
        pairs = []
        seen: dict[str, str] = {}
        for node, col in columns.items():
            if not isinstance(node, str) or not isinstance(col, str) or not node or not col:
                raise ArgumentError(f"`{argument}` maps node names to column names, both "
                                    f"non-empty strings (got {node!r}: {col!r})")
            if col in seen:
                raise ArgumentError(f"`{argument}` maps both {seen[col]!r} and {node!r} to column "
                                    f"{col!r}; one column holds one node")
            seen[col] = node
            pairs.append((node, col))
        out = cls(tuple(pairs))
        if data is not None:
            out.check(data, argument=argument)
        return out

    def check(self, data: pd.DataFrame, *, argument: str = "columns") -> None:
        names = [str(c) for c in data.columns]
        for node, col in self.to_column:
            if col not in data.columns:
                raise DataError(
                    f"`{argument}` maps node {node!r} to column {col!r}, which the data do not "
                    f"have.{closest(col, names)} Columns: {', '.join(names[:30])}"
                    + (" ..." if len(names) > 30 else ""))
            if node != col and node in data.columns and node not in self.columns:
                raise DataError(
                    f"`{argument}` maps node {node!r} to column {col!r}, but the data also have a "
                    f"column named {node!r}; rename or drop one of them")

    @property
    def columns(self) -> frozenset[str]:
        return frozenset(c for _, c in self.to_column)

    def __bool__(self) -> bool:
        return bool(self.to_column)

    def rename(self, data: pd.DataFrame) -> pd.DataFrame:
        """A copy of ``data`` with the mapped columns named by their nodes (``data`` untouched)."""
        if not self.to_column:
            return data
        return data.rename(columns={c: n for n, c in self.to_column if n != c})

    @overload
    def node(self, name: str) -> str: ...
    @overload
    def node(self, name: None) -> None: ...

    def node(self, name: Any) -> Any:
        """The node an argument names (a mapped column becomes its node; others are unchanged)."""
        if not isinstance(name, str):
            return name
        for node, col in self.to_column:
            if name == col:
                return node
        return name

    def nodes(self, names: Iterable[str] | str | None) -> Any:
        """:meth:`node` over a list (a single string or ``None`` passes through :meth:`node`)."""
        if names is None or isinstance(names, str):
            return self.node(names)
        return [self.node(n) for n in names]

    def to_dict(self) -> dict[str, str]:
        return dict(self.to_column)


def with_columns(columns: Mapping[str, str] | None, data: Any, **names: Any) -> tuple[Any, dict]:
    """``data`` renamed by ``columns`` and each argument in ``names`` read as a node (lists
    element-wise): the one step the estimators taking ``columns=`` run first.

    >>> df = pd.DataFrame({"arm": [0, 1], "y": [1.0, 2.0]})
    >>> out, args = with_columns({"facilitation": "arm"}, df, treatment="arm", covariates=["y"])
    >>> list(out.columns), args
    (['facilitation', 'y'], {'treatment': 'facilitation', 'covariates': ['y']})
    """
    frame = data if isinstance(data, pd.DataFrame) else None
    cm = ColumnMap.build(columns, frame)
    renamed = cm.rename(data) if frame is not None else data
    return renamed, {k: cm.nodes(v) for k, v in names.items()}


def parse_column_option(items: Iterable[str] | None, *, option: str = "--column") -> dict[str, str]:
    """``["facilitation=arm", ...]`` (CLI ``--column node=col``) as ``{node: column}``.

    >>> parse_column_option(["facilitation=arm", "uptake = adopted"])
    {'facilitation': 'arm', 'uptake': 'adopted'}
    """
    out: dict[str, str] = {}
    for text in items or ():
        node, sep, col = str(text).partition("=")
        node, col = node.strip(), col.strip()
        if not sep or not node or not col:
            raise ArgumentError(f"`{option}` takes NODE=COLUMN (got {text!r})")
        if node in out:
            raise ArgumentError(f"`{option}` gives node {node!r} twice ({out[node]!r} and {col!r})")
        out[node] = col
    return out
