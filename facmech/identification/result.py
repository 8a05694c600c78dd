"""The identification record: what was asked, whether and how it is identified, and why not.

>>> r = Identification(effect=Effect.TOTAL, treatment="x", outcome="y", identifiable=True,
...                    strategy=Strategy.BACKDOOR, adjustment_sets=(("c",),),
...                    estimand="sum_{c} P(y | x, c) P(c)",
...                    assumptions=("no unmeasured confounding given {c}",))
>>> print(r)
total effect of x on y: identified (backdoor)
  estimand: sum_{c} P(y | x, c) P(c)
  adjustment sets: {c}
  assumptions:
    - no unmeasured confounding given {c}
>>> sorted(r.to_dict())[:3]
['adjustment_sets', 'assumptions', 'effect']
>>> r.assumptions[0].kind.value  # a string is an assumption of kind "other"
'other'
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from facmech._choice import Choice
from facmech.identification.assumptions import Assumption, as_assumptions

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx
    import pandas as pd

    from facmech.identification.crosscheck import CrossCheck
    from facmech.identification.dowhy_handover import DoWhyHandover

__all__ = ["Alternative", "Effect", "Identification", "Strategy"]


_Choice = Choice


class Effect(_Choice):
    """Which causal effect is asked for."""

    TOTAL = "total"
    NDE = "nde"
    NIE = "nie"
    CDE = "cde"
    PATH = "path"
    #: the natural effects through ordered mediators and their decomposition, as
    #: :func:`facmech.mediate` estimates them (:mod:`facmech.identification.sequential`)
    MEDIATION = "mediation"


class Strategy(_Choice):
    """How an effect is identified (or, for ``iv``, what could identify it with extra assumptions)."""

    BACKDOOR = "backdoor"
    FRONTDOOR = "frontdoor"
    IV = "iv"
    ID = "id"
    MEDIATION = "mediation"
    PATH_SPECIFIC = "path-specific"
    INTERVENTIONAL = "interventional"


@dataclass(frozen=True)
class Alternative:
    """A related quantity reported when the requested one is not identified."""

    name: str
    identifiable: bool
    estimand: str = ""
    note: str = ""
    #: Unmeasured nodes that must be measured for this alternative to hold ("" = as measured now).
    requires_measuring: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "identifiable": self.identifiable, "estimand": self.estimand,
                "note": self.note, "requires_measuring": list(self.requires_measuring)}

    @property
    def status(self) -> str:
        """``identified``, ``identified once X, Y are measured`` or ``not identified``."""
        if not self.identifiable:
            return "not identified"
        if self.requires_measuring:
            return f"identified once {', '.join(self.requires_measuring)} are measured"
        return "identified"


def _set(s: tuple[str, ...]) -> str:
    return "{" + ", ".join(s) + "}"


@dataclass(frozen=True)
class Identification:
    """The answer to one identification query.

    Attributes
    ----------
    effect : Effect
    treatment, outcome : str
    identifiable : bool
        Nonparametric identifiability from the observed nodes.
    strategy : Strategy or None
        How it is identified (``iv`` flags an instrument that needs extra parametric assumptions).
    adjustment_sets : tuple of tuple of str
        All minimal valid adjustment sets (back-door), or the mediation covariate sets; for
        ``mediation`` the valid covariate sets, the first the one to use
        (:mod:`facmech.identification.sequential`).
    estimand : str
        The identifying formula as text ("" when not identified).
    assumptions : tuple of Assumption
        The assumptions the identification rests on, as data (kind, nodes, conditioning set,
        text; :mod:`facmech.identification.assumptions`). Strings given here are converted to
        assumptions of kind ``other``.
    reason : str or None
        Why it is not identified.
    witness : str or None
        The recanting witness (or district) that breaks a natural or path-specific effect.
    blocking_path : tuple of str or None
        An open confounding path or the hedge's nodes, when not identified.
    mediators, path : tuple of str
        The query's mediators and path (node sequence), if any.
    alternatives : tuple of Alternative
        What is identified instead (interventional analogues, bundles, linear-SEM answers, ...).
    frontdoor_sets : tuple of tuple of str
    instruments : tuple of (str, tuple of str)
    waypoints : bool
        ``path`` names waypoints: the query is the set of directed paths through them in order.
    paths : tuple of tuple of str
        For a waypoint query, the directed paths it covers (the first ones when there are many;
        :func:`facmech.identification.waypoints.waypoint_paths` pages through the rest).
    path_count : int
        How many directed paths the query covers (1 for a single path, 0 when not a path query).
    graph : networkx.DiGraph or None
        The DAG the query was answered on (an unrolled map's DAG for time-varying questions), as
        :func:`facmech.identify` prepared it; read it, do not modify it. ``None`` for records
        built by hand. It is what :meth:`to_dowhy` and :meth:`cross_check` hand to DoWhy.
    latent : frozenset of str
        The unmeasured nodes of ``graph``.
    cross_checks : tuple of CrossCheck
        Verdicts of other libraries on the same query (``identify(..., cross_check="dowhy")``).
    """

    effect: Effect
    treatment: str
    outcome: str
    identifiable: bool
    strategy: Strategy | None = None
    adjustment_sets: tuple[tuple[str, ...], ...] = ()
    estimand: str = ""
    assumptions: tuple[Assumption, ...] = ()
    reason: str | None = None
    witness: str | None = None
    blocking_path: tuple[str, ...] | None = None
    mediators: tuple[str, ...] = ()
    path: tuple[str, ...] = ()
    alternatives: tuple[Alternative, ...] = ()
    frontdoor_sets: tuple[tuple[str, ...], ...] = ()
    instruments: tuple[tuple[str, tuple[str, ...]], ...] = ()
    waypoints: bool = False
    paths: tuple[tuple[str, ...], ...] = ()
    path_count: int = 0
    graph: nx.DiGraph | None = field(default=None, compare=False, repr=False)
    latent: frozenset[str] = field(default=frozenset(), compare=False, repr=False)
    cross_checks: tuple[CrossCheck, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "assumptions", as_assumptions(self.assumptions))
        object.__setattr__(self, "latent", frozenset(self.latent))

    @property
    def query(self) -> str:
        """The query in words."""
        if self.effect is Effect.PATH and self.path and self.waypoints:
            n = self.path_count
            return (f"path-specific effect along the {n} directed path{'s' * (n != 1)} through "
                    f"{' -> '.join(self.path)}")
        if self.effect is Effect.PATH and self.path:
            return f"path-specific effect along {' -> '.join(self.path)}"
        if self.effect is Effect.MEDIATION:
            return (f"natural effects of {self.treatment} on {self.outcome} through the ordered "
                    f"mediators ({', '.join(self.mediators)}) and their decomposition")
        names = {Effect.TOTAL: "total effect", Effect.NDE: "natural direct effect",
                 Effect.NIE: "natural indirect effect", Effect.CDE: "controlled direct effect",
                 Effect.PATH: "path-specific effect"}
        via = f" via {_set(self.mediators)}" if self.mediators else ""
        return f"{names[self.effect]} of {self.treatment} on {self.outcome}{via}"

    def to_dict(self, *, extended: bool = False) -> dict[str, Any]:
        """Plain data in the CLI's JSON shape; ``extended`` adds the detail fields."""
        out: dict[str, Any] = {
            "identifiable": self.identifiable,
            "effect": self.effect.value,
            "treatment": self.treatment,
            "outcome": self.outcome,
            "strategy": None if self.strategy is None else self.strategy.value,
            "adjustment_sets": [list(s) for s in self.adjustment_sets],
            "estimand": self.estimand,
            "assumptions": [a.text for a in self.assumptions],
            "reason": self.reason,
            "witness": self.witness,
        }
        if extended:
            out.update(
                mediators=list(self.mediators),
                path=list(self.path),
                blocking_path=None if self.blocking_path is None else list(self.blocking_path),
                alternatives=[a.to_dict() for a in self.alternatives],
                frontdoor_sets=[list(s) for s in self.frontdoor_sets],
                instruments=[{"instrument": z, "given": list(w)} for z, w in self.instruments],
                assumption_records=[a.to_dict() for a in self.assumptions],
            )
        if self.waypoints:
            out.update(waypoints=list(self.path), path_count=self.path_count,
                       paths=[list(p) for p in self.paths])
        if self.cross_checks:
            out["cross_check"] = {c.library: c.to_dict() for c in self.cross_checks}
        return out

    def to_json(self, *, extended: bool = False) -> str:
        """The record as JSON text."""
        return json.dumps(self.to_dict(extended=extended), indent=2)

    def summary(self) -> str:
        """A readable multi-line account."""
        if self.identifiable:
            head = f"{self.query}: identified ({self.strategy})"
        elif self.strategy is not None:
            head = f"{self.query}: NOT identified nonparametrically ({self.strategy} possible " \
                   "with extra assumptions)"
        else:
            head = f"{self.query}: NOT identified"
        lines = [head]
        if self.estimand:
            lines.append(f"  estimand: {self.estimand}")
        if self.adjustment_sets:
            lines.append("  adjustment sets: " + "; ".join(_set(s) for s in self.adjustment_sets))
        if self.frontdoor_sets and self.strategy is Strategy.FRONTDOOR:
            lines.append("  front-door sets: " + "; ".join(_set(s) for s in self.frontdoor_sets))
        if self.instruments:
            lines.append("  instruments: " + "; ".join(
                z + (f" given {_set(w)}" if w else "") for z, w in self.instruments))
        if self.reason:
            lines.append(f"  reason: {self.reason}")
        if self.witness:
            lines.append(f"  witness: {self.witness}")
        if self.blocking_path:
            lines.append(f"  open confounding path: {' - '.join(self.blocking_path)}")
        if self.waypoints:
            more = self.path_count - len(self.paths)
            lines.append(f"  paths covered ({self.path_count}):")
            lines.extend(f"    {' -> '.join(p)}" for p in self.paths)
            if more > 0:
                lines.append(f"    ... and {more} more (facmech.identification.waypoints."
                             "waypoint_paths pages through them)")
        if self.assumptions:
            lines.append("  assumptions:")
            lines.extend(f"    - {a.text}" for a in self.assumptions)
        if self.alternatives:
            lines.append("  identified instead:" if any(a.identifiable for a in self.alternatives)
                         else "  alternatives:")
            for a in self.alternatives:
                lines.append(f"    - {a.name} ({a.status})" + (f": {a.estimand}" if a.estimand else ""))
                if a.note:
                    lines.append(f"      {a.note}")
        for c in self.cross_checks:
            lines.extend(c.summary_lines())
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_dowhy(self, data: pd.DataFrame, *, adjustment: Sequence[str] | None = None
                 ) -> DoWhyHandover:
        """Hand the identified total effect over to DoWhy: a ``CausalModel`` on :attr:`graph` with
        ``data`` and the matching ``IdentifiedEstimand`` (back-door, front-door or instrumental
        variable), so that DoWhy's ``estimate_effect`` and ``refute_estimate`` run on this
        identification. See :func:`facmech.identification.dowhy_handover.to_dowhy`."""
        from facmech.identification.dowhy_handover import to_dowhy

        return to_dowhy(self, data, adjustment=adjustment)

    def cross_check(self, library: str = "dowhy") -> Identification:
        """This record with the verdict of ``library`` (``"dowhy"``) on the same query added to
        :attr:`cross_checks`: shown by :meth:`summary`, in :meth:`to_dict` under
        ``cross_check``. See :func:`facmech.identification.crosscheck.cross_check`."""
        import dataclasses

        from facmech.identification.crosscheck import cross_check

        check = cross_check(self, library=library)
        kept = tuple(c for c in self.cross_checks if c.library != check.library)
        return dataclasses.replace(self, cross_checks=(*kept, check))

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.summary())}</pre>"
