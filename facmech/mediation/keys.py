"""Effect keys: what an effect of a mediation analysis is, as data, not as an encoded string.

An :class:`EffectKey` records the *kind* of effect (:class:`EffectKind`: total, natural direct,
natural indirect, proportion mediated, the indirect effect via one mediator, a path-specific
effect), the mediators it goes through (by name), the arm at which the other part is held
(:class:`Arm`: ``nde_control`` holds the mediators at control), the exposure time of a
stepped-wedge effect, and whether it is on the risk-ratio scale. Code reads these fields; nothing
parses names.

A key *is* also its human-readable name, the row label of ``to_frame()`` and the key of
``to_dict()``: it is a string (``str(key)``), equal to and hashed as that name, so results are
looked up by name at the public boundary (``res["via:trust"]``, ``res.effects["nde_control"]``).

>>> EffectKey.via("trust")
EffectKey('via:trust')
>>> k = EffectKey.nde(Arm.CONTROL)
>>> k.kind, k.arm, k == "nde_control"
(<EffectKind.NDE: 'nde'>, <Arm.CONTROL: 'control'>, True)
>>> p = EffectKey.path(("lead", "trust"), ends=("fac", "uptake"))
>>> str(p), p.mediators
('path:fac>lead>trust>uptake', ('lead', 'trust'))
>>> p.label
'path fac -> lead -> trust -> uptake (linear, no interaction)'
>>> EffectKey.total().at(2), EffectKey.nie().ratio_scale()
(EffectKey('total@2'), EffectKey('rr:nie'))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from facmech._choice import Choice
from facmech.errors import ArgumentError

__all__ = ["Arm", "EffectKey", "EffectKind", "Naming"]


class EffectKind(Choice):
    """The kind of a mediation effect."""

    TOTAL = "total"
    NDE = "nde"
    NIE = "nie"
    PROP_MEDIATED = "prop_mediated"
    VIA = "via"
    PATH = "path"


class Arm(Choice):
    """The arm at which the other part of a natural effect is held: for ``nde``, the mediators;
    for ``nie``, the outcome model's treatment."""

    CONTROL = "control"
    TREATED = "treated"


_LABELS = {
    "total": "total effect",
    "nde": "natural direct effect (average)",
    "nie": "natural indirect effect (average)",
    "nde_control": "natural direct effect, mediators at control",
    "nde_treated": "natural direct effect, mediators at treated",
    "nie_control": "natural indirect effect, outcome at control",
    "nie_treated": "natural indirect effect, outcome at treated",
    "prop_mediated": "proportion mediated (nie / total)",
}

_FIELDS = ("kind", "mediators", "arm", "exposure", "ratio", "ends")


class EffectKey(str):
    """A frozen, structured effect key that is also its name (see the module docstring).

    Build keys with the constructors (:meth:`total`, :meth:`nde`, :meth:`nie`,
    :meth:`prop_mediated`, :meth:`via`, :meth:`path`) and :meth:`at` / :meth:`ratio_scale`.

    Attributes
    ----------
    kind : EffectKind
    mediators : tuple of str
        ``via``: the one mediator; ``path``: the mediators on the path, in causal order (none for
        the direct path, whose key then needs its ``ends``).
    arm : Arm or None
        ``nde``/``nie`` at one arm (``nde_control``, ...); None for their average.
    exposure : int or None
        Exposure time of a stepped-wedge effect (``total@2``); None for the averaged effect.
    ratio : bool
        Risk-ratio scale (binary outcomes).
    ends : (str, str) or None
        Treatment and outcome of a path effect, when known (they appear in its name).
    """

    kind: EffectKind
    mediators: tuple[str, ...]
    arm: Arm | None
    exposure: int | None
    ratio: bool
    ends: tuple[str, str] | None

    def __new__(
        cls,
        kind: EffectKind | str,
        mediators: Sequence[str] = (),
        *,
        arm: Arm | str | None = None,
        exposure: int | None = None,
        ratio: bool = False,
        ends: tuple[str, str] | None = None,
    ) -> EffectKey:
        kind = EffectKind.parse(kind, argument="kind")
        meds = tuple(str(m) for m in mediators)
        side = None if arm is None else Arm.parse(arm, argument="arm")
        name = _name(kind, meds, side, ends)
        if exposure is not None:
            name = f"{name}@{int(exposure)}"
        if ratio:
            name = f"rr:{name}"
        self = super().__new__(cls, name)
        values = (kind, meds, side, None if exposure is None else int(exposure), bool(ratio),
                  None if ends is None else (str(ends[0]), str(ends[1])))
        for field, value in zip(_FIELDS, values, strict=True):
            object.__setattr__(self, field, value)
        return self

    # constructors -------------------------------------------------------------------------
    @classmethod
    def total(cls) -> EffectKey:
        """The total effect."""
        return cls(EffectKind.TOTAL)

    @classmethod
    def nde(cls, arm: Arm | str | None = None) -> EffectKey:
        """The natural direct effect (mediators at ``arm``; None: the average of both)."""
        return cls(EffectKind.NDE, arm=arm)

    @classmethod
    def nie(cls, arm: Arm | str | None = None) -> EffectKey:
        """The natural indirect effect (outcome model at ``arm``; None: the average of both)."""
        return cls(EffectKind.NIE, arm=arm)

    @classmethod
    def prop_mediated(cls) -> EffectKey:
        """The proportion mediated, nie / total."""
        return cls(EffectKind.PROP_MEDIATED)

    @classmethod
    def via(cls, mediator: str) -> EffectKey:
        """The indirect effect through ``mediator`` and later mediators, not earlier ones."""
        return cls(EffectKind.VIA, (mediator,))

    @classmethod
    def path(cls, mediators: Sequence[str], *, ends: tuple[str, str] | None = None) -> EffectKey:
        """The path-specific effect through ``mediators`` (in causal order)."""
        return cls(EffectKind.PATH, mediators, ends=ends)

    def at(self, exposure: int) -> EffectKey:
        """The same effect at exposure time ``exposure`` (stepped wedge)."""
        return self._replace(exposure=exposure)

    def ratio_scale(self) -> EffectKey:
        """The same effect on the risk-ratio scale."""
        return self._replace(ratio=True)

    def difference_scale(self) -> EffectKey:
        """The same effect on the difference scale (undoes :meth:`ratio_scale`)."""
        return self._replace(ratio=False)

    def _replace(self, **changes: Any) -> EffectKey:
        fields = {f: getattr(self, f) for f in _FIELDS} | changes
        kind, meds = fields.pop("kind"), fields.pop("mediators")
        return EffectKey(kind, meds, **fields)

    # reading ------------------------------------------------------------------------------
    @property
    def base(self) -> EffectKey:
        """The averaged, difference-scale key of this effect (without exposure time or ratio)."""
        return self._replace(exposure=None, ratio=False)

    @property
    def label(self) -> str:
        """A phrase for tables and figures (``"natural direct effect, mediators at control"``)."""
        if self.exposure is not None:
            return f"{self.base} at exposure time {self.exposure}"
        text = str(self.difference_scale())
        if text in _LABELS:
            out = _LABELS[text]
        elif self.kind is EffectKind.VIA:
            out = f"indirect via {self.mediators[0]} (not via earlier mediators)"
        else:
            chain = (*(self.ends or ())[:1], *self.mediators, *(self.ends or ())[1:])
            out = "path " + " -> ".join(chain) + " (linear, no interaction)"
        return f"{out}, risk ratio" if self.ratio else out

    # frozen value object ------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"EffectKey is frozen: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"EffectKey is frozen: cannot delete {name!r}")

    def __repr__(self) -> str:
        return f"EffectKey({str(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, tuple(getattr(self, f) for f in _FIELDS))

    __hash__ = str.__hash__


def _rebuild(kind, mediators, arm, exposure, ratio, ends) -> EffectKey:
    return EffectKey(kind, mediators, arm=arm, exposure=exposure, ratio=ratio, ends=ends)


def _name(kind: EffectKind, meds: tuple[str, ...], arm: Arm | None,
          ends: tuple[str, str] | None) -> str:
    if kind in (EffectKind.NDE, EffectKind.NIE):
        return kind.value if arm is None else f"{kind.value}_{arm.value}"
    if kind is EffectKind.VIA:
        if len(meds) != 1:
            raise ArgumentError(f"a `via` effect goes through one mediator (got {meds})")
        return f"via:{meds[0]}"
    if kind is EffectKind.PATH:
        if not meds and ends is None:
            raise ArgumentError("a `path` effect without its ends goes through at least one "
                                "mediator")
        chain = meds if ends is None else (ends[0], *meds, ends[1])
        return "path:" + ">".join(chain)
    return kind.value


@dataclass(frozen=True)
class Naming:
    """The names the batched core gives mediators in effect keys.

    ``mediators`` are the analysis's mediator names in causal order (by default their positions
    ``"0"``, ``"1"``, ... when the core runs on bare arrays); ``treatment`` and ``outcome``, when
    known, are the ends of path effects.
    """

    mediators: tuple[str, ...]
    treatment: str | None = None
    outcome: str | None = None

    @classmethod
    def positional(cls, k: int) -> Naming:
        """Mediators named by their 0-based positions."""
        return cls(tuple(str(j) for j in range(k)))

    def via(self, j: int) -> EffectKey:
        """The key of the effect via mediator ``j``."""
        return EffectKey.via(self.mediators[j])

    def path(self, positions: Sequence[int]) -> EffectKey:
        """The key of the path through the mediators at ``positions``."""
        ends = None if self.treatment is None or self.outcome is None else (
            self.treatment, self.outcome)
        return EffectKey.path([self.mediators[j] for j in positions], ends=ends)
