"""Cross-check an identification with DoWhy's identifier, and say why the verdicts differ.

:func:`cross_check` asks DoWhy (``dowhy.causal_identifier.identify_effect_auto``) the question an
:class:`facmech.identification.Identification` answered, on the same DAG and measured nodes, and
returns a :class:`CrossCheck`: DoWhy's verdict (identified or not, and by which of its estimands),
whether it agrees with facmech's, and, where it does not, the reason. The known differences, each
verified in ``tests/identification/test_crosscheck_dowhy_pgmpy.py``:

* **Natural effects with a recanting witness.** DoWhy's nde/nie identifier does not check for a
  mediator-outcome confounder affected by the treatment (Avin, Shpitser & Pearl 2005; VanderWeele,
  Vansteelandt & Robins 2014) nor for unmeasured mediator-outcome confounding (a recanting
  district, Shpitser & Tchetgen Tchetgen 2016): it declares identified what is not. facmech is
  right.
* **DoWhy picks the mediator itself.** Its nde/nie query takes no mediator: it chooses one (the
  choice depends on set iteration order, i.e. on ``PYTHONHASHSEED``), which may not be the one
  asked about; the verdicts then answer different questions.
* **The ID algorithm.** DoWhy's total-effect identifier tries back-door, front-door and
  instrumental variables only; effects identified only by the complete ID algorithm (Shpitser &
  Pearl 2006; the napkin graph) are "not identified" for DoWhy. facmech is right.
* **Instruments.** DoWhy reports an instrumental-variable estimand as identified; it identifies
  the average effect only under extra parametric assumptions (linear homogeneous effects, or
  monotonicity for a local effect), so facmech's nonparametric verdict is "not identified (iv
  possible with extra assumptions)". Both name the instrument.
* **Adjustment with descendants.** facmech's adjustment criterion (Shpitser, VanderWeele & Robins
  2010; Perkovic et al. 2018) admits sets with descendants of the treatment off the causal paths;
  DoWhy's back-door criterion does not (its generalized-adjustment search does).

Controlled direct and path-specific effects have no DoWhy counterpart that takes the same query;
their cross-check says so instead of comparing.

>>> import networkx as nx
>>> from facmech.identification import identify
>>> g = nx.DiGraph([("x", "l"), ("l", "m"), ("l", "y"), ("x", "m"), ("m", "y"), ("x", "y")])
>>> c = identify(g, "x", "l", cross_check="dowhy").cross_checks[0]
>>> c.identifiable, c.agrees
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from facmech._choice import Choice
from facmech._dowhy import quiet
from facmech.errors import ArgumentError
from facmech.graphs import descendants_of
from facmech.identification.adjustment import is_adjustment_set
from facmech.identification.result import Effect, Identification, Strategy

__all__ = ["CrossCheck", "Library", "cross_check"]


class Library(Choice):
    """Libraries facmech cross-checks its identification with."""

    DOWHY = "dowhy"


def _fmt(nodes: Any) -> str:
    return "{" + ", ".join(nodes) + "}"


@dataclass(frozen=True)
class CrossCheck:
    """Another library's verdict on an identification query.

    Attributes
    ----------
    library, version : str
    identifiable : bool or None
        The library's verdict (``None``: it has no query of this kind).
    estimands : tuple of str
        What it identified the effect by, as text (``"backdoor {c}"``, ``"iv {z}"``, ...).
    agrees : bool
        Whether its verdict is facmech's.
    reason : str or None
        Why the verdicts differ (or why no comparison was made).
    """

    library: str
    version: str
    identifiable: bool | None
    estimands: tuple[str, ...] = ()
    agrees: bool = True
    reason: str | None = None

    @property
    def verdict(self) -> str:
        if self.identifiable is None:
            return "no comparable query"
        head = "identified" if self.identifiable else "NOT identified"
        return head + (f" ({'; '.join(self.estimands)})" if self.estimands else "")

    def to_dict(self) -> dict[str, Any]:
        return {"library": self.library, "version": self.version,
                "identifiable": self.identifiable, "estimands": list(self.estimands),
                "agrees": self.agrees, "reason": self.reason}

    def summary_lines(self) -> list[str]:
        """Lines for :meth:`Identification.summary`."""
        tag = "agrees" if self.agrees else "DIFFERS"
        if self.identifiable is None:
            tag = "not compared"
        lines = [f"  cross-check, {self.library} {self.version}: {self.verdict}; {tag}"]
        if self.reason:
            lines.append(f"    why: {self.reason}")
        return lines


def cross_check(identification: Identification, *, library: str | Library = "dowhy") -> CrossCheck:
    """DoWhy's verdict on the query ``identification`` answered (see the module docstring).

    Raises
    ------
    ArgumentError
        An unknown library, or a record without its graph (build it with :func:`facmech.identify`).
    """
    Library.parse(library, argument="library")
    ident = identification
    if ident.graph is None:
        raise ArgumentError("`identification` carries no graph; build it with facmech.identify")
    import dowhy

    version = str(dowhy.__version__)
    if ident.effect is Effect.TOTAL:
        return _total(ident, version)
    if ident.effect in (Effect.NDE, Effect.NIE):
        return _natural(ident, version)
    what = {Effect.CDE: "controlled direct effects of the given mediators",
            Effect.MEDIATION: "the decomposition through ordered mediators"}.get(
        ident.effect, "path-specific effects")
    return CrossCheck("dowhy", version, None, agrees=True,
                      reason=f"DoWhy has no identifier for {what}; nothing to compare")


def _treatments(ident: Identification) -> list[str]:
    g = ident.graph
    if ident.treatment in g:
        return [ident.treatment]
    return [t for t in ident.treatment.split(", ") if t in g]


def _run(ident: Identification, estimand_type: Any) -> Any:
    from dowhy.causal_identifier import identify_effect_auto

    g = ident.graph
    observed = [n for n in g.nodes if n not in ident.latent]
    with quiet():
        return identify_effect_auto(g.copy(), _treatments(ident), [ident.outcome], observed,
                                    estimand_type)


def _total(ident: Identification, version: str) -> CrossCheck:
    from dowhy.causal_identifier import EstimandType

    est = _run(ident, EstimandType.NONPARAMETRIC_ATE)
    g, xs, y = ident.graph, _treatments(ident), ident.outcome
    if est.no_directed_path:
        return CrossCheck("dowhy", version, True, ("no directed path: the effect is zero",),
                          agrees=ident.identifiable,
                          reason=None if ident.identifiable else "DoWhy reads a graph without a "
                          "directed path as an identified null effect")
    found: list[str] = []
    bd = (est.backdoor_variables or {}).get("backdoor") if est.estimands.get("backdoor") else None
    if bd is not None:
        found.append(f"backdoor {_fmt(bd)}")
    ga = est.get_general_adjustment_variables() if est.estimands.get("general_adjustment") \
        else None
    if bd is None and ga is not None:
        found.append(f"general adjustment {_fmt(ga)}")
    if est.estimands.get("frontdoor"):
        found.append(f"frontdoor {_fmt(est.frontdoor_variables)}")
    ivs = list(est.instrumental_variables or ()) if est.estimands.get("iv") else []
    if ivs:
        found.append(f"iv {_fmt(ivs)}")
    hidden_iv = [z for z in ivs if z in ident.latent]
    nonpar = bd is not None or ga is not None or bool(est.estimands.get("frontdoor"))
    theirs = nonpar or bool(ivs)
    usable = nonpar or (bool(ivs) and not hidden_iv)
    agrees = usable == ident.identifiable
    reason = None
    if hidden_iv and not nonpar:
        note = (f"DoWhy's instrument {_fmt(hidden_iv)} is not measured (its instrument search "
                "ignores which nodes are observed), so its only estimand cannot be estimated")
        if not ident.identifiable:
            return CrossCheck("dowhy", version, theirs, tuple(found), agrees=True, reason=note)
        theirs_note = "; " + note
    else:
        theirs_note = ""
    if bd is not None and not is_adjustment_set(g, set(xs), {y}, set(bd)):
        agrees = False
        reason = (f"DoWhy's back-door set {_fmt(bd)} is not a valid adjustment set by the "
                  "adjustment criterion (Shpitser, VanderWeele & Robins 2010)")
    elif ident.identifiable and not nonpar:
        if ident.strategy is Strategy.ID:
            reason = ("DoWhy's total-effect identifier tries back-door, front-door and "
                      "instrumental variables only; this effect is identified by the complete ID "
                      "algorithm (Shpitser & Pearl 2006), which DoWhy runs only without latent "
                      "nodes. facmech is right")
        elif ident.strategy is Strategy.BACKDOOR:
            desc = descendants_of(g, xs)
            z = ident.adjustment_sets[0] if ident.adjustment_sets else ()
            reason = ("facmech's adjustment criterion admits sets with descendants of the "
                      "treatment off the causal paths"
                      + (f" (here {_fmt(z)})" if set(z) & desc else "")
                      + "; DoWhy's back-door criterion does not")
        else:
            fd = _fmt(ident.frontdoor_sets[0]) if ident.frontdoor_sets else ""
            reason = (f"DoWhy finds no {ident.strategy} estimand; facmech's set {fd} satisfies "
                      "the front-door criterion (Pearl 1995)")
        if theirs_note:
            reason += theirs_note
        elif theirs:
            reason += ("; DoWhy offers only an instrumental-variable estimand, which needs extra "
                       "parametric assumptions")
    elif not ident.identifiable and nonpar:
        reason = f"DoWhy's nonparametric estimand contradicts facmech's verdict: {ident.reason}"
    elif not ident.identifiable and theirs:
        reason = ("DoWhy reports the instrumental-variable estimand as identified; an instrument "
                  "identifies the average effect only under extra parametric assumptions (linear "
                  "homogeneous effects, or monotonicity for a local effect), so facmech's "
                  "nonparametric verdict is 'not identified'"
                  + (f" with instrument {ident.instruments[0][0]} flagged" if ident.instruments
                     else ""))
    return CrossCheck("dowhy", version, theirs, tuple(found), agrees=agrees, reason=reason)


def _natural(ident: Identification, version: str) -> CrossCheck:
    from dowhy.causal_identifier import EstimandType

    kind = (EstimandType.NONPARAMETRIC_NDE if ident.effect is Effect.NDE
            else EstimandType.NONPARAMETRIC_NIE)
    est = _run(ident, kind)
    if est.no_directed_path:
        return CrossCheck("dowhy", version, True, ("no directed path: the effect is zero",),
                          agrees=ident.identifiable)
    theirs = est.estimands.get("mediation") is not None
    meds = tuple(est.mediator_variables or ())
    found = (f"mediation via {_fmt(meds)}",) if theirs else ()
    agrees = theirs == ident.identifiable
    reason = None
    if theirs and set(meds) != set(ident.mediators):
        agrees = False
        from facmech.identification.identify import identify

        other = identify(ident.graph, ident.treatment, ident.outcome, effect=ident.effect,
                         mediators=list(meds), latent=ident.latent)
        reason = (f"DoWhy chooses the mediator itself (here {_fmt(meds)}, a choice that depends "
                  f"on set iteration order) and cannot be asked about {_fmt(ident.mediators)}; "
                  f"the verdicts answer different questions (via {_fmt(meds)} facmech finds: "
                  + (f"identified ({other.strategy})" if other.identifiable else
                     "not identified" + (f", witness {other.witness}" if other.witness else ""))
                  + ")")
        hidden = [m for m in meds if m in ident.latent]
        if hidden:
            reason += (f"; DoWhy's mediator {_fmt(hidden)} is not even measured (its mediator "
                       "search ignores which nodes are observed)")
    elif theirs and not ident.identifiable:
        w = ident.witness or ""
        if w.startswith("recanting district"):
            reason = (f"DoWhy does not check for unmeasured mediator-outcome confounding: the "
                      f"{w} (Shpitser & Tchetgen Tchetgen 2016) breaks the natural effects. "
                      "facmech is right")
        elif w:
            reason = (f"DoWhy does not check for recanting witnesses: {w} is affected by "
                      f"{ident.treatment} and transmits its effect both through and around "
                      f"{_fmt(ident.mediators)} (a mediator-outcome confounder affected by the "
                      "treatment; Avin, Shpitser & Pearl 2005). facmech is right")
        else:
            reason = f"DoWhy does not check what breaks identification here: {ident.reason}"
    elif not theirs and ident.identifiable:
        reason = ("DoWhy's mediation identifier finds no mediator it can use here; facmech "
                  f"identifies the effect via {_fmt(ident.mediators)} ({ident.strategy})")
    return CrossCheck("dowhy", version, theirs, found, agrees=agrees, reason=reason)
