"""The vocabulary of mechanism maps: node roles and levels, provenance, and confidence in an arrow.

Each vocabulary is a :class:`~facmech._choice.Choice` (strings accepted at the boundary); an unknown
value raises :class:`~facmech.errors.MapError`.

>>> Role.parse("Mechanism"), str(Confidence.parse("m-h"))
(<Role.MECHANISM: 'mechanism'>, 'M-H')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from facmech._choice import Choice
from facmech.errors import MapError

__all__ = ["Confidence", "ConfidenceLevel", "Level", "Provenance", "Role"]


class _Choice(Choice):
    """Map vocabularies: unknown values are :class:`~facmech.errors.MapError`."""

    @classmethod
    def error_class(cls) -> type[MapError]:
        return MapError


class Role(_Choice):
    """What a node is in the logic model."""

    CONTEXT = "context"
    STRATEGY = "strategy"
    COMPONENT = "component"
    MECHANISM = "mechanism"
    OUTCOME = "outcome"


class Level(_Choice):
    """The level at which a construct varies (and is measured)."""

    SITE = "site"
    STAFF = "staff"
    PATIENT = "patient"


class Provenance(_Choice):
    """Whether the paper's text states it, or it is our reconstruction of the figure."""

    STATED = "stated"
    RECONSTRUCTED = "reconstructed"


class ConfidenceLevel(_Choice):
    """Confidence in an arrow: low, medium, high (ordered)."""

    L = "l"
    M = "m"
    H = "h"

    @property
    def rank(self) -> int:
        return {"l": 0, "m": 1, "h": 2}[self.value]

    def __str__(self) -> str:
        return self.value.upper()


@dataclass(frozen=True, order=False)
class Confidence:
    """Confidence in an arrow, a level (``"H"``) or a range (``"M-H"``).

    >>> c = Confidence.parse("M-H")
    >>> str(c), c.low.rank, c.high.rank, c.meets("M"), c.meets("H"), c.meets("H", strict=True)
    ('M-H', 1, 2, True, True, False)
    """

    low: ConfidenceLevel = ConfidenceLevel.M
    high: ConfidenceLevel = ConfidenceLevel.M

    def __post_init__(self) -> None:
        if self.low.rank > self.high.rank:
            lo, hi = self.high, self.low
            object.__setattr__(self, "low", lo)
            object.__setattr__(self, "high", hi)

    @classmethod
    def parse(cls, value: Any, *, argument: str = "`confidence`") -> Confidence:
        if isinstance(value, Confidence):
            return value
        text = str(value).strip()
        parts = [p for p in re.split(r"\s*[-–/]\s*", text) if p]
        if len(parts) not in (1, 2):
            raise MapError(
                f"{argument}: cannot read {value!r}; use H, M, L or a range such as M-H"
            )
        levels = [ConfidenceLevel.parse(p, argument=argument) for p in parts]
        return cls(levels[0], levels[-1])

    def meets(self, threshold: str | ConfidenceLevel, *, strict: bool = False) -> bool:
        """Whether the arrow reaches ``threshold``: its upper end does (or, ``strict``, its lower end)."""
        t = ConfidenceLevel.parse(threshold, argument="min_confidence")
        return (self.low if strict else self.high).rank >= t.rank

    def __str__(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}-{self.high}"

