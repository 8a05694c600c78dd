"""The mechanism map of a mediation call: its columns as map nodes, and its identification.

:func:`mediation_identification` matches the call's columns to the nodes of the map (every column a
node, measured, mediators in causal order) and asks the identification engine whether the effects
:func:`facmech.mediate` estimates are identified with the call's covariates:
``identify(graph, treatment, outcome, effect="mediation", mediators=..., covariates=...)``
(:mod:`facmech.identification.sequential`: the natural effects in the map, the sequential back-door
conditions for the covariates, no recanting witness between the mediators). Without a map the call
implies a DAG (:func:`implied_graph`) and the same engine checks it. :func:`check_identification`
returns the assumptions relied on, as :class:`facmech.identification.assumptions.Assumption`
records, or raises :class:`facmech.errors.NotIdentifiedError` carrying the identification record.

>>> import networkx as nx
>>> G = nx.DiGraph([("A", "M"), ("M", "Y"), ("A", "Y"), ("C", "M"), ("C", "Y")])
>>> check_identification(G, treatment="A", mediators=["M"], outcome="Y", covariates=["C"])[0].text
'no unmeasured A-Y confounding given {C}'
>>> check_identification(G, treatment="A", mediators=["M"], outcome="Y")
Traceback (most recent call last):
...
facmech.errors.NotIdentifiedError: ...not identified: mediator 'M' and outcome 'Y' are confounded...
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx

from facmech.errors import (
    ArgumentError,
    DataError,
    MapError,
    NotIdentifiedError,
    UnknownNodeError,
    closest,
)
from facmech.identification import Effect, Identification, identify
from facmech.identification.assumptions import Assumption, AssumptionKind
from facmech.identification.sequential import causal_order

__all__ = [
    "as_digraph",
    "check_identification",
    "consume_identification",
    "implied_graph",
    "mediation_identification",
    "require_identified",
]

#: the statistical-model assumption every mediation estimate adds to the identifying ones
MODELS = Assumption(AssumptionKind.MODEL,
                    "correct specification of the mediator and outcome models")
#: the diagram the identification used: the supplied map, or the DAG a call without one implies
IN_MAP = Assumption(AssumptionKind.CORRECT_DIAGRAM,
                    "identification checked in the supplied mechanism map")
IMPLIED = Assumption(AssumptionKind.CORRECT_DIAGRAM,
                     "no map given: the DAG implied by the call is assumed (covariates cause "
                     "everything; treatment and earlier mediators cause later mediators and the "
                     "outcome)")


def as_digraph(graph: object) -> nx.DiGraph:
    """A ``DiGraph`` from a :class:`facmech.mechanism_map.MechanismMap` or a ``DiGraph``."""
    if isinstance(graph, nx.DiGraph):
        G = graph
    elif hasattr(graph, "to_networkx"):
        G = graph.to_networkx()
    else:
        raise MapError(
            f"`graph` must be a MechanismMap or a networkx DiGraph (got {type(graph).__name__})"
        )
    if not nx.is_directed_acyclic_graph(G):
        raise MapError("`graph` has a directed cycle; unroll feedback loops over periods first")
    return G


def implied_graph(treatment: str, mediators: Sequence[str], outcome: str,
                  covariates: Sequence[str] = ()) -> nx.DiGraph:
    """The DAG a call assumes when no map is given: covariates point into everything, the
    treatment into every mediator and the outcome, each mediator into later ones and the outcome.

    >>> sorted(implied_graph("A", ["M"], "Y").edges())
    [('A', 'M'), ('A', 'Y'), ('M', 'Y')]
    """
    G = nx.DiGraph()
    seq = [treatment, *mediators, outcome]
    G.add_nodes_from([*covariates, *seq])
    for i, u in enumerate(seq):
        for v in seq[i + 1:]:
            G.add_edge(u, v)
    for c in covariates:
        for v in seq:
            G.add_edge(c, v)
    return G


def _latent(G: nx.DiGraph, node: str) -> bool:
    d = G.nodes[node]
    return bool(d.get("latent", False)) or d.get("observed", True) is False


def mediation_identification(
    graph: object,
    *,
    treatment: str,
    mediators: Sequence[str],
    outcome: str,
    covariates: Sequence[str] | None = (),
) -> Identification:
    """The identification record of a mediation call on ``graph`` (not raised when negative).

    ``covariates=None`` lets the engine choose the covariate sets (its ``adjustment_sets``, the
    first the one to use).

    Raises
    ------
    UnknownNodeError
        A column of the call is not a node of the graph.
    NotIdentifiedError
        A column of the call is latent (unmeasured) in the map.
    DataError
        Mediators listed out of the graph's causal order.
    """
    G = as_digraph(graph)
    mediators = list(mediators)
    roles = (("treatment", [treatment]), ("mediators", mediators), ("outcome", [outcome]),
             ("covariates", list(covariates or ())))
    for role, names in roles:
        for n in names:
            if n not in G:
                raise UnknownNodeError(
                    f"`{role}` column {n!r} is not a node of the map.{closest(n, map(str, G))}"
                )
            if _latent(G, n):
                raise NotIdentifiedError(
                    f"`{role}` {n!r} is latent (unobserved) in the map; mark it observed if the "
                    "data measure it"
                )
    order = causal_order(G, mediators)
    if order is not None:
        raise DataError(
            f"`mediators` are out of causal order: list them in the map's causal order, {order}"
        )
    return identify(graph, treatment, outcome, effect="mediation", mediators=mediators,
                    covariates=None if covariates is None else list(covariates))


def require_identified(ident: Identification) -> tuple[Assumption, ...]:
    """The assumptions of an identified mediation record (plus :data:`MODELS`), or raise
    :class:`NotIdentifiedError` with its reason."""
    if not ident.identifiable:
        reason = ident.reason or "not identified"
        if not reason.startswith("the mediation effects are not identified"):
            reason = f"the mediation effects are not identified: {reason}"
        raise NotIdentifiedError(reason, identification=ident)
    return (*ident.assumptions, MODELS)


def check_identification(
    graph: object,
    *,
    treatment: str,
    mediators: Sequence[str],
    outcome: str,
    covariates: Sequence[str] = (),
) -> tuple[Assumption, ...]:
    """Check that the effects of a mediation call are identified in ``graph`` with
    ``covariates``; return the assumptions relied on.

    Raises
    ------
    UnknownNodeError, DataError, NotIdentifiedError
        As :func:`mediation_identification`, or the effects are not identified (the message
        gives the engine's reason: a recanting witness, an open path, ...).
    """
    return require_identified(mediation_identification(
        graph, treatment=treatment, mediators=mediators, outcome=outcome, covariates=covariates))


def consume_identification(
    identification: Identification | None,
    *,
    graph: object,
    treatment: str | None,
    mediators: Sequence[str] | None,
    outcome: str | None,
    covariates: Sequence[str] | None,
    columns: Sequence[str] = (),
) -> tuple[Identification | None, str | None, list[str], str | None, list[str] | None]:
    """What a mediation call takes from an identification record, at its boundary.

    ``identification`` (``effect="mediation"``, or an ``nde``/``nie`` record, re-identified as
    the decomposition through its mediators) supplies the treatment, mediators and outcome (any
    given must agree) and, when ``covariates`` is None, the covariate set: the first of its
    ``adjustment_sets`` whose columns are all in ``columns``. Without a record but with a
    ``graph`` and ``covariates=None``, the record is computed from the map. Returns ``(record or
    None, treatment, mediators, outcome, covariates or None)``; the record's assumptions are for
    the covariates returned. A record that is not identified is returned as is (the caller
    raises, after validating the data).
    """
    meds = None if mediators is None else ([mediators] if isinstance(mediators, str)
                                           else list(mediators))
    covs = None if covariates is None else ([covariates] if isinstance(covariates, str)
                                            else list(covariates))
    ident = identification
    if ident is not None:
        if graph is not None:
            raise ArgumentError("give `graph` or `identification`, not both (the record carries "
                                "the graph it was computed on)")
        if not isinstance(ident, Identification):
            raise ArgumentError(f"`identification` must be an Identification from "
                                f"facmech.identify (got {type(ident).__name__})")
        if ident.effect not in (Effect.MEDIATION, Effect.NDE, Effect.NIE):
            raise ArgumentError(
                f"`identification` answers a {ident.effect.value!r} query; mediate takes "
                "effect='mediation' (or 'nde'/'nie') records")
        if ident.graph is None:
            raise ArgumentError("`identification` carries no graph; build it with facmech.identify")
        for name, mine, theirs in (("treatment", treatment, ident.treatment),
                                   ("outcome", outcome, ident.outcome),
                                   ("mediators", None if meds is None else tuple(meds),
                                    ident.mediators)):
            if mine is not None and mine != theirs:
                raise ArgumentError(f"`{name}` is {mine!r} but the identification is for "
                                    f"{theirs!r}")
        treatment, outcome, meds = ident.treatment, ident.outcome, list(ident.mediators)
        if ident.effect is not Effect.MEDIATION or (
                covs is not None and (not ident.adjustment_sets
                                      or tuple(covs) != ident.adjustment_sets[0])):
            ident = identify(ident.graph, treatment, outcome, effect="mediation",
                             mediators=meds, latent=ident.latent, covariates=covs)
    elif graph is not None and covs is None and treatment is not None and outcome is not None \
            and meds:
        ident = mediation_identification(graph, treatment=treatment, mediators=meds,
                                         outcome=outcome, covariates=None)
    if ident is not None and covs is None and ident.identifiable:
        have = set(columns)
        sets = ident.adjustment_sets
        chosen = next((s for s in sets if set(s) <= have), sets[0])
        covs = list(chosen)
        if chosen != sets[0]:
            ident = identify(ident.graph, treatment, outcome, effect="mediation",
                             mediators=meds, latent=ident.latent, covariates=covs)
    return ident, treatment, meds or [], outcome, covs
