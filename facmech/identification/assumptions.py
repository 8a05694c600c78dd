"""Identifying assumptions as data: what an identification (and an estimate) rests on.

An identification result (:class:`facmech.identification.Identification`) and every estimate built
on it (:class:`facmech.mediation.MediationResult`, the DoWhy hand-over) carry their assumptions as
:class:`Assumption` records: a *kind* (an :class:`AssumptionKind`, the same vocabulary across the
package), the *nodes* it concerns, the conditioning set it is *given* (when there is one) and the
assumption in plain language. Reports render the text; code reads the kind and the nodes (e.g. to
ask which assumptions mention a node, or to hand them to DoWhy's ``IdentifiedEstimand``, which keeps
its assumptions as ``{name: text}``, as :func:`to_dowhy_assumptions` does).

The kinds follow the identification literature: consistency and no interference (SUTVA; Rubin
1980), no unmeasured confounding given a set (exchangeability; Pearl 2009, ch. 3), positivity,
the cross-world independence of natural effects (NPSEM-IE; Pearl 2001, Robins & Richardson 2010),
no recanting witness (Avin, Shpitser & Pearl 2005), the front-door conditions (Pearl 1995), the
correctness and completeness of the causal diagram, and parametric or statistical-model
assumptions (instruments, linear structural models, model specification).

>>> a = no_unmeasured_confounding(("x", "y"), given=("c",))
>>> a.kind.value, a.nodes, a.given
('no-unmeasured-confounding', ('x', 'y'), ('c',))
>>> print(a)
no unmeasured confounding of x and y given {c}
>>> a.mentions("c"), a.mentions("m")
(True, False)
>>> Assumption.coerce("effects are constant over periods").kind
<AssumptionKind.OTHER: 'other'>
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from facmech._choice import Choice
from facmech.errors import ArgumentError

__all__ = [
    "Assumption",
    "AssumptionKind",
    "as_assumptions",
    "complete_map",
    "consistency",
    "correct_diagram",
    "cross_world_independence",
    "no_recanting_witness",
    "no_unmeasured_confounding",
    "positivity",
    "to_dowhy_assumptions",
]


class AssumptionKind(Choice):
    """The kind of an identifying or modelling assumption."""

    CONSISTENCY = "consistency"
    NO_UNMEASURED_CONFOUNDING = "no-unmeasured-confounding"
    POSITIVITY = "positivity"
    CROSS_WORLD_INDEPENDENCE = "cross-world-independence"
    NO_RECANTING_WITNESS = "no-recanting-witness"
    FRONT_DOOR = "front-door"
    CORRECT_DIAGRAM = "correct-diagram"
    COMPLETE_MAP = "complete-map"
    NULL_EFFECT = "null-effect"
    PARAMETRIC = "parametric"
    MODEL = "model"
    OTHER = "other"


def _fmt(nodes: Iterable[str]) -> str:
    return "{" + ", ".join(nodes) + "}"


@dataclass(frozen=True)
class Assumption:
    """One assumption: its kind, the nodes it concerns, its conditioning set and its text.

    Attributes
    ----------
    kind : AssumptionKind
    text : str
        The assumption in plain language (what reports print).
    nodes : tuple of str
        The nodes it is about (e.g. the pair that must not be confounded, the treatment whose
        values must all be possible).
    given : tuple of str
        The conditioning set, when the assumption holds given one (adjustment covariates).
    """

    kind: AssumptionKind
    text: str
    nodes: tuple[str, ...] = ()
    given: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", AssumptionKind.parse(self.kind, argument="kind"))
        if not isinstance(self.text, str) or not self.text.strip():
            raise ArgumentError(f"`text` must be a non-empty string (got {self.text!r})")
        object.__setattr__(self, "nodes", tuple(self.nodes))
        object.__setattr__(self, "given", tuple(self.given))

    @classmethod
    def coerce(cls, value: Assumption | str, *,
               kind: AssumptionKind | str = AssumptionKind.OTHER) -> Assumption:
        """An :class:`Assumption` as is; a string becomes one of ``kind`` (default ``other``)."""
        if isinstance(value, Assumption):
            return value
        if isinstance(value, str):
            return cls(AssumptionKind.parse(kind, argument="kind"), value)
        raise ArgumentError(
            f"an assumption must be an Assumption or a string (got {type(value).__name__})"
        )

    def mentions(self, node: str) -> bool:
        """Whether ``node`` is among the assumption's nodes or its conditioning set."""
        return node in self.nodes or node in self.given

    def to_dict(self) -> dict[str, Any]:
        """``{"kind", "text", "nodes", "given"}`` (JSON-ready)."""
        return {"kind": self.kind.value, "text": self.text, "nodes": list(self.nodes),
                "given": list(self.given)}

    def __str__(self) -> str:
        return self.text


def as_assumptions(values: Iterable[Assumption | str], *,
                   kind: AssumptionKind | str = AssumptionKind.OTHER) -> tuple[Assumption, ...]:
    """A tuple of :class:`Assumption` (strings converted with ``kind``), duplicates dropped in
    order.

    >>> [a.kind.value for a in as_assumptions([consistency(), "stated"])]
    ['consistency', 'other']
    """
    out: list[Assumption] = []
    for v in values:
        a = Assumption.coerce(v, kind=kind)
        if a not in out:
            out.append(a)
    return tuple(out)


# --- the assumptions identification results use (one constructor per wording) ---------------

def consistency() -> Assumption:
    """Consistency and no interference between sites (SUTVA)."""
    return Assumption(AssumptionKind.CONSISTENCY,
                      "consistency and no interference between sites (SUTVA)")


def complete_map() -> Assumption:
    """No omitted common causes of measured nodes."""
    return Assumption(AssumptionKind.COMPLETE_MAP,
                      "the mechanism map is complete: no omitted common causes of measured nodes")


def correct_diagram() -> Assumption:
    """The causal diagram, with its latent nodes, is correct."""
    return Assumption(AssumptionKind.CORRECT_DIAGRAM,
                      "the causal diagram (with its latent nodes) is correct")


def positivity(treatment: Sequence[str], *, given: Sequence[str] = (),
               text: str | None = None) -> Assumption:
    """Every treatment value has positive probability in every stratum of ``given``."""
    label = ", ".join(treatment)
    return Assumption(
        AssumptionKind.POSITIVITY,
        text or (f"positivity: every value of {label} has positive probability in every stratum "
                 "of the adjustment variables"),
        nodes=tuple(treatment), given=tuple(given))


def no_unmeasured_confounding(nodes: Sequence[str], *, given: Sequence[str] = (),
                              text: str | None = None) -> Assumption:
    """No unmeasured common cause of ``nodes`` (a pair of nodes or node sets) given ``given``."""
    nodes = tuple(nodes)
    default = (f"no unmeasured confounding of {' and '.join(nodes)} given {_fmt(given)}")
    return Assumption(AssumptionKind.NO_UNMEASURED_CONFOUNDING, text or default, nodes=nodes,
                      given=tuple(given))


def cross_world_independence(nodes: Sequence[str] = (), *, given: Sequence[str] = (),
                             text: str | None = None) -> Assumption:
    """Counterfactual mediators and outcomes under different treatments are independent."""
    default = ("cross-world independence Y(x, m) _||_ M(x') | W (nonparametric structural "
               "equations with independent errors); fails when a mediator-outcome confounder is "
               "affected by the treatment")
    return Assumption(AssumptionKind.CROSS_WORLD_INDEPENDENCE, text or default,
                      nodes=tuple(nodes), given=tuple(given))


def no_recanting_witness(nodes: Sequence[str] = (), *, text: str) -> Assumption:
    """No node transmits the effect both along and outside the paths asked for."""
    return Assumption(AssumptionKind.NO_RECANTING_WITNESS, text, nodes=tuple(nodes))


def to_dowhy_assumptions(assumptions: Iterable[Assumption]) -> dict[str, str]:
    """DoWhy's ``{name: text}`` form (``IdentifiedEstimand.estimands[...]["assumptions"]``):
    the name is the kind, numbered when a kind repeats.

    >>> to_dowhy_assumptions([consistency(), no_unmeasured_confounding(("x", "y")),
    ...                       no_unmeasured_confounding(("m", "y"))])  # doctest: +NORMALIZE_WHITESPACE
    {'consistency': 'consistency and no interference between sites (SUTVA)',
     'no-unmeasured-confounding': 'no unmeasured confounding of x and y given {}',
     'no-unmeasured-confounding (2)': 'no unmeasured confounding of m and y given {}'}
    """
    out: dict[str, str] = {}
    for a in assumptions:
        key, k = a.kind.value, 1
        while key in out:
            k += 1
            key = f"{a.kind.value} ({k})"
        out[key] = a.text
    return out
