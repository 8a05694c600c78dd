"""Treatment strategies (regimes) for g-methods: static and dynamic, as small frozen objects.

A strategy assigns the treatment in each period, possibly from the confounder history so far.
Static strategies fix the whole sequence (:class:`Always`, :class:`Never`, :class:`FromPeriod`,
:class:`Taper`, :class:`Static`); dynamic ones react to the current confounder value
(:class:`Dynamic`: facilitate while leadership engagement is below a threshold). Strings give the
common ones (:func:`parse_strategy`):

=====================================  ===============================================
``"always"`` / ``"always:2"``          treat every period (binary: 1; dose: the level)
``"never"``                            level 0 every period
``"from:2"`` / ``"from:2:1.5"``        level 0 before period 2, then 1 (or the level)
``"taper:3"`` / ``"taper:3:2:0.5"``    high level (1) before period 3, low (0) from it on
``"dynamic:leadership_engagement<0"``  treat (level 1, or ``...<0:2``) when the condition holds
=====================================  ===============================================

Periods are the labels in the data's time column.

>>> parse_strategy("dynamic:leadership_engagement<0")
Dynamic(column='leadership_engagement', op='<', threshold=0.0, level=None, otherwise=0.0)
>>> parse_strategy("from:2").name
'from:2'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from facmech.errors import DataError, closest

__all__ = [
    "Always",
    "Dynamic",
    "FromPeriod",
    "Never",
    "Static",
    "Strategy",
    "Taper",
    "parse_strategies",
    "parse_strategy",
]

_OPS = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}


class Strategy:
    """Base class: ``assign`` returns the treatment of period index ``t`` for every row.

    Subclasses are frozen dataclasses. ``level=None`` means "treated" for a binary treatment and is
    an error for a dose treatment (the dose must be named).
    """

    dynamic: ClassVar[bool] = False

    @property
    def name(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def assign(
        self,
        t: int,
        periods: np.ndarray,
        L: np.ndarray,
        A: np.ndarray,
        confounders: tuple[str, ...],
        lag: int = 0,
    ) -> np.ndarray:  # pragma: no cover - overridden
        """Treatment values at period index ``t`` given confounders ``L`` (..., N, T, k).

        ``lag`` is 0 when confounders are measured before treatment in the same period and 1 when
        they are measured after it (treatment then reacts to the previous period's values).
        """
        raise NotImplementedError

    def levels(self) -> tuple[float | None, ...]:
        """The treatment levels this strategy uses (``None``: binary 'treated')."""
        return ()

    def validate(self, *, binary: bool, treatment: str, confounders: tuple[str, ...],
                 observed: np.ndarray) -> None:
        """Raise :class:`DataError` if the strategy does not fit the data."""
        if not binary and None in self.levels():
            lo, hi = float(np.min(observed)), float(np.max(observed))
            raise DataError(
                f"strategy `{self.name}` is binary-only (treat/not treat) but treatment "
                f"`{treatment}` is a dose with values in [{lo:g}, {hi:g}]; name the dose, e.g. "
                f"'{self.name.split(':')[0]}:...:{hi:g}' or a strategy object with `level=`"
            )

    @staticmethod
    def _level(level: float | None) -> float:
        return 1.0 if level is None else float(level)


def _fmt(x: float | None) -> str:
    return "" if x is None else f":{x:g}"


@dataclass(frozen=True)
class Always(Strategy):
    """Treat every period at ``level`` (binary: 1)."""

    level: float | None = None

    @property
    def name(self) -> str:
        return "always" + _fmt(self.level)

    def levels(self) -> tuple[float | None, ...]:
        return (self.level,)

    def assign(self, t, periods, L, A, confounders, lag=0):
        return np.full(A.shape[:-1], self._level(self.level))


@dataclass(frozen=True)
class Never(Strategy):
    """Level 0 in every period."""

    @property
    def name(self) -> str:
        return "never"

    def levels(self) -> tuple[float | None, ...]:
        return (0.0,)

    def assign(self, t, periods, L, A, confounders, lag=0):
        return np.zeros(A.shape[:-1])


@dataclass(frozen=True)
class FromPeriod(Strategy):
    """Level 0 before period ``start``, ``level`` (binary: 1) from it on."""

    start: int
    level: float | None = None

    @property
    def name(self) -> str:
        return f"from:{self.start}" + _fmt(self.level)

    def levels(self) -> tuple[float | None, ...]:
        return (self.level,)

    def assign(self, t, periods, L, A, confounders, lag=0):
        on = periods[t] >= self.start
        return np.full(A.shape[:-1], self._level(self.level) if on else 0.0)


@dataclass(frozen=True)
class Taper(Strategy):
    """``high`` (binary: 1) before period ``after``, then ``low`` (default 0)."""

    after: int
    high: float | None = None
    low: float = 0.0

    @property
    def name(self) -> str:
        extra = "" if self.high is None and self.low == 0 else f"{_fmt(self.high)}:{self.low:g}"
        return f"taper:{self.after}{extra}"

    def levels(self) -> tuple[float | None, ...]:
        return (self.high, self.low)

    def assign(self, t, periods, L, A, confounders, lag=0):
        value = self._level(self.high) if periods[t] < self.after else float(self.low)
        return np.full(A.shape[:-1], value)


@dataclass(frozen=True)
class Static(Strategy):
    """A fixed sequence of levels, one per period."""

    sequence: tuple[float, ...]

    @property
    def name(self) -> str:
        return "static:" + ",".join(f"{v:g}" for v in self.sequence)

    def levels(self) -> tuple[float | None, ...]:
        return tuple(self.sequence)

    def validate(self, *, binary, treatment, confounders, observed):
        if len(self.sequence) != observed.shape[1]:
            raise DataError(
                f"strategy `{self.name}` gives {len(self.sequence)} levels but the data have "
                f"{observed.shape[1]} periods"
            )
        super().validate(binary=binary, treatment=treatment, confounders=confounders,
                         observed=observed)

    def assign(self, t, periods, L, A, confounders, lag=0):
        return np.full(A.shape[:-1], float(self.sequence[t]))


@dataclass(frozen=True)
class Dynamic(Strategy):
    """Treat at ``level`` (binary: 1) in a period when ``column op threshold``, else ``otherwise``.

    ``column`` must be one of the time-varying confounders. Its latest value measured before the
    treatment decision is used: the same period's when confounders are measured before treatment,
    the previous period's when they are measured after it (before the first period the value is
    taken as 0, the convention of :mod:`facmech.simulation`).
    """

    column: str
    op: str = "<"
    threshold: float = 0.0
    level: float | None = None
    otherwise: float = 0.0
    dynamic: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise DataError(f"`op` must be one of {sorted(_OPS)} (got {self.op!r})")

    @property
    def name(self) -> str:
        return f"dynamic:{self.column}{self.op}{self.threshold:g}" + _fmt(self.level)

    def levels(self) -> tuple[float | None, ...]:
        return (self.level, self.otherwise)

    def validate(self, *, binary, treatment, confounders, observed):
        if self.column not in confounders:
            raise DataError(
                f"strategy `{self.name}` names column `{self.column}`, which is not one of the "
                f"confounders {list(confounders)}.{closest(self.column, confounders)}"
            )
        super().validate(binary=binary, treatment=treatment, confounders=confounders,
                         observed=observed)

    def assign(self, t, periods, L, A, confounders, lag=0):
        j = confounders.index(self.column)
        value = L[..., t - lag, j] if t - lag >= 0 else np.zeros(L.shape[:-2])
        hit = _OPS[self.op](value, self.threshold)
        value = np.where(hit, self._level(self.level), float(self.otherwise))
        return np.broadcast_to(value, A.shape[:-1]).astype(float)


_DYN = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(<=|>=|<|>)\s*([-+0-9.eE]+)\s*$")


def _num(text: str, what: str, spec: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise DataError(f"strategy {spec!r}: {what} must be a number (got {text!r})") from None


def parse_strategy(spec: str | Strategy) -> Strategy:
    """Turn a strategy string (or object) into a :class:`Strategy`.

    >>> parse_strategy("taper:3:2:0.5")
    Taper(after=3, high=2.0, low=0.5)
    """
    if isinstance(spec, Strategy):
        return spec
    if not isinstance(spec, str):
        raise DataError(f"a strategy must be a string or Strategy object (got {type(spec).__name__})")
    allowed = "'always[:level]', 'never', 'from:K[:level]', 'taper:K[:high:low]', " \
              "'dynamic:COLUMN<THRESHOLD[:level]', 'static:l0,l1,...'"
    head, _, rest = spec.strip().partition(":")
    head = head.lower()
    parts = rest.split(":") if rest else []
    try:
        if head == "always" and len(parts) <= 1:
            return Always(_num(parts[0], "the level", spec) if parts else None)
        if head == "never" and not parts:
            return Never()
        if head == "from" and 1 <= len(parts) <= 2:
            lvl = _num(parts[1], "the level", spec) if len(parts) == 2 else None
            return FromPeriod(int(_num(parts[0], "the period", spec)), lvl)
        if head == "taper" and len(parts) in (1, 3):
            after = int(_num(parts[0], "the period", spec))
            if len(parts) == 3:
                return Taper(after, _num(parts[1], "high", spec), _num(parts[2], "low", spec))
            return Taper(after)
        if head == "static" and len(parts) == 1:
            return Static(tuple(_num(v, "each level", spec) for v in parts[0].split(",")))
        if head == "dynamic" and 1 <= len(parts) <= 2:
            m = _DYN.match(parts[0])
            if not m:
                raise DataError(
                    f"strategy {spec!r}: the condition must look like 'COLUMN<0' (operators "
                    f"<, <=, >, >=)"
                )
            lvl = _num(parts[1], "the level", spec) if len(parts) == 2 else None
            return Dynamic(m.group(1), m.group(2), _num(m.group(3), "the threshold", spec), lvl)
    except DataError:
        raise
    raise DataError(f"unknown strategy {spec!r}; allowed: {allowed}.{closest(head, _HEADS)}")


_HEADS = ("always", "never", "from", "taper", "dynamic", "static")


def parse_strategies(specs) -> tuple[Strategy, ...]:
    """Parse a list of strategies; names must be distinct and at least one is required."""
    if isinstance(specs, (str, Strategy)):
        specs = [specs]
    out = tuple(parse_strategy(s) for s in specs)
    if not out:
        raise DataError("`strategies` is empty; give at least one, e.g. ['always', 'never']")
    names = [s.name for s in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise DataError(f"strategies {dup} are given more than once")
    return out
