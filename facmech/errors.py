"""The facmech exception and warning tree.

Every error facmech raises on bad input is a :class:`FacmechError`; the CLI turns any of them into one
line on stderr and exit status 2. Messages name the offending argument, column or node in backticks,
the value received, and what is allowed.

>>> from facmech.errors import UnknownNodeError, FacmechError
>>> issubclass(UnknownNodeError, FacmechError)
True
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "ArgumentError",
    "CyclicMapError",
    "DataError",
    "DesignError",
    "EstimationError",
    "FacmechError",
    "FacmechWarning",
    "FewClustersWarning",
    "MapError",
    "MapFormatError",
    "NotIdentifiedError",
    "PositivityWarning",
    "UnknownNodeError",
    "closest",
    "closest_id",
]


class FacmechError(Exception):
    """Base class of every error facmech raises on bad input or impossible requests."""


class ArgumentError(FacmechError, ValueError):
    """An argument has a value or type the function does not allow (``alpha=2``, ``draws=0``, an
    unknown option name). One class for every bad argument, whatever the function."""


class MapError(FacmechError):
    """A mechanism map is malformed (duplicate ids, bad roles, repeated arrow numbers, ...)."""


class MapFormatError(MapError):
    """A map file or text could not be parsed (YAML, dagitty, DOT, GML); carries the line number."""

    def __init__(self, message: str, *, line: int | None = None, source: str | None = None):
        parts = [source] if source else []
        if line is not None:
            parts.append(f"line {line}")
        where = ", ".join(parts)
        super().__init__(f"{where}: {message}" if where else message)
        self.message = message
        self.line = line
        self.source = source


class CyclicMapError(MapError):
    """The map (within a period, or once unrolled) contains a directed cycle."""

    def __init__(self, message: str, *, cycle: Iterable[str] = ()):
        super().__init__(message)
        self.cycle = tuple(cycle)


class UnknownNodeError(MapError, KeyError):
    """A node id that is not in the map; the message suggests the closest ids."""

    def __init__(self, message: str):
        # KeyError would repr() the message; keep it readable.
        Exception.__init__(self, message)

    def __str__(self) -> str:
        return str(self.args[0])


class DataError(FacmechError, ValueError):
    """A data frame or array does not fit what the method needs (missing column, NaN, bad values)."""


class DesignError(ArgumentError):
    """A trial design, scenario or study grid is invalid (fewer sites than steps, ICC outside [0, 1), ...).

    A kind of bad argument: ``except ArgumentError`` catches it too."""


class NotIdentifiedError(FacmechError):
    """The requested effect is not identified from what is observed; carries the identification record."""

    def __init__(self, message: str, *, identification: object | None = None):
        super().__init__(message)
        self.identification = identification


class EstimationError(FacmechError):
    """A model could not be fitted or an estimate could not be computed (never a silent NaN)."""


class FacmechWarning(UserWarning):
    """Base class of facmech's warnings."""


class FewClustersWarning(FacmechWarning):
    """Too few clusters (sites) for large-sample cluster-robust inference."""


class PositivityWarning(FacmechWarning):
    """Some treatment histories are (nearly) never treated or never untreated."""


def closest(name: str, candidates: Iterable[str], n: int = 3) -> str:
    """Return a ``" Did you mean ...?"`` suffix naming the closest candidates, or ``""``.

    >>> closest("leadership", ["leadership_engagement", "trust"])
    " Did you mean 'leadership_engagement'?"
    """
    cands = list(candidates)
    matches = difflib.get_close_matches(name, cands, n=n, cutoff=0.5)
    if not matches:
        matches = [c for c in cands if name and (name in c or c in name)][:n]
    if not matches:
        return ""
    return " Did you mean " + " or ".join(repr(m) for m in matches) + "?"


def closest_id(name: str, candidates: Iterable[str], n: int = 3) -> str:
    """:func:`closest` for node ids, ignoring case: ``"x"`` suggests ``"X"``.

    >>> closest_id("x", ["X", "y"])
    " Did you mean 'X'?"
    >>> closest_id("LEADERSHIP", ["leadership_engagement", "trust"])
    " Did you mean 'leadership_engagement'?"
    """
    cands = list(dict.fromkeys(str(c) for c in candidates))
    text = str(name)
    same = [c for c in cands if c.lower() == text.lower() and c != text]
    by_lower: dict[str, str] = {}
    for c in cands:
        by_lower.setdefault(c.lower(), c)
    near = [by_lower[m] for m in difflib.get_close_matches(text.lower(), by_lower, n=n, cutoff=0.5)]
    if not near:
        near = [c for c in cands if text and (text.lower() in c.lower() or c.lower() in text.lower())]
    matches = list(dict.fromkeys(same + near))[:n]
    if not matches:
        return ""
    return " Did you mean " + " or ".join(repr(m) for m in matches) + "?"
