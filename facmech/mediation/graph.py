"""Identification of natural and sequential mediation effects from a causal graph.

The nested mean :math:`\\psi(a_Y; a_1..a_k) = E[Y(a_Y, M_1(a_1), M_2(a_2, M_1(a_1)), \\dots)]`
that every effect of :mod:`facmech.mediation` contrasts is identified by the mediation formula
(Pearl 2001; Imai, Keele & Tingley 2010; Daniel et al. 2015 for ordered mediators) when, in the
DAG (latent nodes never conditioned on):

1. the covariates contain no descendant of the treatment;
2. *sequential back-door* (Pearl & Robins 1995): for each intervened variable
   :math:`X_j \\in (A, M_1, \\dots, M_k)` the history :math:`H_j = C \\cup \\{A, M_{<j}\\}`
   d-separates
   :math:`X_j` from :math:`Y` once the edges out of :math:`X_j` and into later :math:`X_{>j}` are
   removed;
3. the covariates block every back-door path from the treatment to each mediator;
4. *no recanting witness* (Avin, Shpitser & Pearl 2005): no unlisted descendant of the treatment
   reaches two of :math:`\\{M_1, \\dots, M_k, Y\\}` without passing through a listed mediator (such
   a node is an exposure-induced mediator-outcome confounder; list it as a mediator or measure it);
5. the listed mediators respect the map's causal order.

:func:`check_identification` first asks the identification engine
(:func:`facmech.identification.identify`) whether the natural direct and indirect effects are
identified in the map at all (its reason, witness and alternatives are carried by the error),
then checks conditions 1-5 for the covariates actually adjusted for, with networkx d-separation.
It returns the assumptions relied on or raises :class:`facmech.errors.NotIdentifiedError` with the
reason and a d-connecting path.

>>> import networkx as nx
>>> G = nx.DiGraph([("A", "M"), ("M", "Y"), ("A", "Y"), ("C", "M"), ("C", "Y")])
>>> check_identification(G, treatment="A", mediators=["M"], outcome="Y", covariates=["C"])[0]
'no unmeasured A-Y confounding given {C}'
>>> check_identification(G, treatment="A", mediators=["M"], outcome="Y")
Traceback (most recent call last):
...
facmech.errors.NotIdentifiedError: ...not identified: mediator 'M' and outcome 'Y' are confounded...
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import networkx as nx

from facmech.errors import DataError, MapError, NotIdentifiedError, UnknownNodeError, closest

__all__ = ["as_digraph", "check_identification", "implied_graph"]


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


def _open_path(G: nx.DiGraph, x: str, y: str, z: set[str], cutoff: int = 8) -> list[str] | None:
    """A path between ``x`` and ``y`` that is d-connecting given ``z`` (or None)."""
    U = G.to_undirected(as_view=True)
    anc_z = set(z)
    for n in z:
        anc_z |= nx.ancestors(G, n)
    for path in nx.all_simple_paths(U, x, y, cutoff=cutoff):
        ok = True
        for a, b, c in zip(path, path[1:], path[2:], strict=False):
            collider = G.has_edge(a, b) and G.has_edge(c, b)
            if (collider and b not in anc_z) or (not collider and b in z):
                ok = False
                break
        if ok:
            return path
    return None


def _fmt(G: nx.DiGraph, path: list[str]) -> str:
    out = path[0]
    for a, b in pairwise(path):
        out += f" -> {b}" if G.has_edge(a, b) else f" <- {b}"
    return out


def _fail(message: str, identification: object = None) -> None:
    raise NotIdentifiedError(
        f"the mediation effects are not identified: {message}", identification=identification
    )


def _engine(graph: object, treatment: str, mediators: list[str], outcome: str) -> tuple[str, ...]:
    """Ask :func:`facmech.identification.identify` about the nde and nie; raise if either is not
    identified; return its assumptions."""
    from facmech.identification import identify

    assumptions: list[str] = []
    for effect in ("nde", "nie"):
        ident = identify(graph, treatment, outcome, effect=effect, mediators=mediators)
        if not ident.identifiable:
            alts = [a for a in getattr(ident, "alternatives", ()) if getattr(a, "identifiable", 0)]
            extra = ""
            if alts:
                extra = "; identified instead: " + "; ".join(a.name for a in alts)
            raise NotIdentifiedError(f"{ident.reason}{extra}", identification=ident)
        assumptions += [a for a in ident.assumptions if a not in assumptions]
    return tuple(assumptions)


def check_identification(
    graph: object,
    *,
    treatment: str,
    mediators: Sequence[str],
    outcome: str,
    covariates: Sequence[str] = (),
    use_engine: bool = True,
) -> tuple[str, ...]:
    """Check that the effects of a mediation call are identified in ``graph``.

    ``use_engine=False`` skips :func:`facmech.identification.identify` (used for the DAG implied
    by a call without a map, where only conditions 1-5 matter).

    Returns
    -------
    tuple of str
        The assumptions the estimates rely on (beyond the DAG itself).

    Raises
    ------
    UnknownNodeError
        A column of the call is not a node of the graph.
    DataError
        Mediators listed out of the graph's causal order.
    NotIdentifiedError
        One of the conditions in the module docstring fails; the message names it and a
        d-connecting path.
    """
    G = as_digraph(graph)
    mediators = list(mediators)
    engine: tuple[str, ...] = ()
    if use_engine:
        engine = _engine(graph, treatment, mediators, outcome)
    for role, names in (("treatment", [treatment]), ("mediators", mediators),
                        ("outcome", [outcome]), ("covariates", list(covariates))):
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
    for i, mi in enumerate(mediators):
        for mj in mediators[i + 1:]:
            if nx.has_path(G, mj, mi):
                order = sorted(mediators, key=list(nx.topological_sort(G)).index)
                raise DataError(
                    f"`mediators` are out of causal order: {mj!r} is listed after {mi!r} but "
                    "causes "
                    f"it in the map; list them as {order}"
                )
    C = set(covariates)
    desc_a = nx.descendants(G, treatment)
    bad = sorted(C & desc_a)
    if bad:
        _fail(f"covariate(s) {bad} are descendants of treatment {treatment!r} (post-treatment "
              "adjustment); remove them or list them as mediators")
    if not nx.has_path(G, treatment, outcome):
        _fail(f"there is no directed path from {treatment!r} to {outcome!r} in the map")
    seq = [treatment, *mediators]
    for j, xj in enumerate(seq):
        H = C | set(seq[:j])
        Gm = G.copy()
        Gm.remove_edges_from(list(G.out_edges(xj)))
        for later in seq[j + 1:]:
            Gm.remove_edges_from(list(G.in_edges(later)))
        if not nx.is_d_separator(Gm, {xj}, {outcome}, H):
            path = _open_path(Gm, xj, outcome, H)
            who = "treatment" if j == 0 else "mediator"
            _fail(f"{who} {xj!r} and outcome {outcome!r} are confounded given "
                  f"{sorted(H) or 'nothing'}: open path {_fmt(Gm, path) if path else '(long)'}; "
                  "adjust for a blocking covariate")
    for j, mj in enumerate(mediators):
        Gm = G.copy()
        Gm.remove_edges_from(list(G.out_edges(treatment)))
        for earlier in mediators[:j]:
            Gm.remove_edges_from(list(G.in_edges(earlier)))
        if not nx.is_d_separator(Gm, {treatment}, {mj}, C):
            path = _open_path(Gm, treatment, mj, C)
            _fail(f"treatment {treatment!r} and mediator {mj!r} are confounded given "
                  f"{sorted(C) or 'nothing'}: open path {_fmt(Gm, path) if path else '(long)'}")
    stops = [*mediators, outcome]
    for w in sorted(desc_a - set(stops)):
        hits = set()
        stack, seen = [w], {w}
        while stack:
            u = stack.pop()
            for v in G.successors(u):
                if v in stops:
                    hits.add(v)
                elif v not in seen:
                    seen.add(v)
                    stack.append(v)
        if len(hits) > 1:
            _fail(f"{w!r} is affected by {treatment!r} and leads to {sorted(hits)} without "
                  "passing through a listed mediator (a recanting witness / exposure-induced "
                  f"mediator-outcome confounder); list {w!r} as a mediator (in causal order) if "
                  "it is measured")
    return (
        *engine,
        "sequential ignorability: no unmeasured treatment-outcome, treatment-mediator or "
        "mediator-outcome confounding given the covariates (checked by d-separation in the graph)",
        "no exposure-induced mediator-outcome confounder outside the listed mediators "
        "(no recanting witness)",
        "cross-world independence of counterfactual mediators and outcomes (NPSEM-IE)",
        "positivity of treatment given covariates",
        "correct specification of the mediator and outcome models",
    )
