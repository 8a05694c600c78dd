"""Ordered mediators: identification of the mediation analysis :func:`facmech.mediate` runs.

With treatment :math:`A`, mediators :math:`M_1, \\dots, M_k` in causal order and covariates
:math:`C`, :func:`facmech.mediate` contrasts the nested means

.. math:: \\psi(a_Y; a_1..a_k) = E[Y(a_Y, M_1(a_1), M_2(a_2, M_1(a_1)), \\dots)]
          = \\sum_{c, m} E(y \\mid a_Y, m, c) \\prod_j P(m_j \\mid a_j, m_{<j}, c) P(c)

(the mediation formula, Pearl 2001; Imai, Keele & Tingley 2010; Daniel et al. 2015 for ordered
mediators): the total, natural direct and indirect effects and the effect *via* each mediator (paths
whose first listed mediator it is). ``identify(..., effect="mediation", mediators=[...])`` decides
whether this decomposition is identified in a DAG, and by which covariates:

1. the natural direct and indirect effects through the mediators (as a set) are identified in the
   map (:func:`facmech.identification.mediation.identify_natural`: no recanting witness or
   district);
2. the covariates hold no descendant of the treatment, and there is a directed path from it to the
   outcome;
3. *sequential back-door* (Pearl & Robins 1995): for each intervened variable
   :math:`X_j \\in (A, M_1, \\dots, M_k)` the history :math:`C \\cup \\{A, M_{<j}\\}` d-separates
   :math:`X_j` from :math:`Y` once the arrows out of :math:`X_j` and into later :math:`X_{>j}`
   are removed, and :math:`C` blocks every back-door path from the treatment to each mediator (a
   failure names an open path, :func:`facmech.graphs.d_connecting_path`);
4. *no recanting witness between the mediators*: with only the variables the formula uses
   measured, every class of paths (first listed mediator :math:`M_j`, or none) passes the
   path-specific criterion (:func:`facmech.identification.path_specific.path_criterion`, paths
   whose first edge enters a given child of the treatment in the latent projection). A node
   affected by the treatment that reaches two of :math:`M_1, \\dots, M_k, Y` outside the listed
   mediators fails it and is named.

Without ``covariates`` the record's ``adjustment_sets`` are the valid covariate sets, first the
measured parents of the mediators and the outcome that the treatment does not affect (when valid:
the analogue of the efficient adjustment set of Henckel, Perkovic & Maathuis 2022, which adds
precision), then the inclusion-minimal ones; with ``covariates`` the given set is checked.

>>> import networkx as nx
>>> from facmech.identification import identify
>>> g = nx.DiGraph([("a", "l"), ("l", "m"), ("l", "y"), ("a", "m"), ("m", "y"), ("a", "y")])
>>> identify(g, "a", "y", effect="mediation", mediators=["m"]).witness
'l'
>>> r = identify(g, "a", "y", effect="mediation", mediators=["l", "m"])
>>> r.identifiable, r.adjustment_sets
(True, ((),))
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx

from facmech.graphs import d_connecting_path, d_separated, descendants_of
from facmech.identification._query import GraphInput, QueryError, prepare_graph
from facmech.identification.assumptions import (
    Assumption,
    consistency,
    cross_world_independence,
    no_recanting_witness,
    no_unmeasured_confounding,
    positivity,
)
from facmech.identification.identify import render_path
from facmech.identification.path_specific import PathSet, path_criterion
from facmech.identification.result import Alternative, Effect, Identification, Strategy

__all__ = ["baseline_parents", "causal_order", "identify_mediation"]


def _fmt(nodes: Sequence[str]) -> str:
    return "{" + ", ".join(nodes) + "}"


def causal_order(graph: nx.DiGraph, mediators: Sequence[str]) -> list[str] | None:
    """``None`` when ``mediators`` respect the graph's causal order, else the order to list them in.

    >>> causal_order(nx.DiGraph([("a", "b")]), ["b", "a"])
    ['a', 'b']
    """
    meds = list(mediators)
    for i, mi in enumerate(meds):
        for mj in meds[i + 1:]:
            if nx.has_path(graph, mj, mi):
                rank = {n: k for k, n in enumerate(nx.topological_sort(graph))}
                return sorted(meds, key=rank.__getitem__)
    return None


def _sequential_failure(g: nx.DiGraph, x: str, meds: Sequence[str], y: str,
                        covs: Sequence[str]) -> tuple[str, tuple[str, ...] | None] | None:
    """Condition 3 of the module docstring: ``(reason, open path)`` of the first failure."""
    c = set(covs)
    seq = [x, *meds]
    for j, xj in enumerate(seq):
        h = c | set(seq[:j])
        gm = nx.DiGraph(g)
        gm.remove_edges_from(list(g.out_edges(xj)))
        for later in seq[j + 1:]:
            gm.remove_edges_from(list(g.in_edges(later)))
        if not d_separated(gm, {xj}, {y}, h):
            path = d_connecting_path(gm, xj, y, h)
            who = "treatment" if j == 0 else "mediator"
            return (f"{who} {xj!r} and outcome {y!r} are confounded given "
                    f"{sorted(h) or 'nothing'}: open path "
                    f"{render_path(gm, path) if path else '(none found)'}; adjust for a blocking "
                    "covariate", path)
    for j, mj in enumerate(meds):
        gm = nx.DiGraph(g)
        gm.remove_edges_from(list(g.out_edges(x)))
        for earlier in meds[:j]:
            gm.remove_edges_from(list(g.in_edges(earlier)))
        if not d_separated(gm, {x}, {mj}, c):
            path = d_connecting_path(gm, x, mj, c)
            return (f"treatment {x!r} and mediator {mj!r} are confounded given "
                    f"{sorted(c) or 'nothing'}: open path "
                    f"{render_path(gm, path) if path else '(none found)'}", path)
    return None


def _hits(q: GraphInput, u: str, used: set[str], district: frozenset[str]) -> set[str]:
    """Nodes of ``district`` that ``u`` reaches through nodes outside ``used`` only."""
    g = q.graph
    unused = set(g.nodes) - used
    inner = descendants_of(g.subgraph(unused), [u])
    return {c for n in inner for c in g.successors(n) if c in district}


def _hidden_sources(q: GraphInput, x: str, used: set[str], district: frozenset[str]) -> list[str]:
    """Nodes outside ``used`` that reach two nodes of ``district`` through unused nodes only,
    those affected by ``x`` first."""
    g = q.graph
    down = descendants_of(g, [x])
    order = {n: i for i, n in enumerate(nx.topological_sort(g))}
    found = [u for u in set(g.nodes) - used if len(_hits(q, u, used, district)) > 1]
    return sorted(found, key=lambda u: (u not in down, order[u]))


def _class_failure(q: GraphInput, x: str, y: str, meds: Sequence[str],
                   covs: Sequence[str]) -> tuple[str, str] | None:
    """Condition 4: ``(reason, witness)`` when a class of paths recants, else ``None``."""
    used = {x, y, *meds, *covs}
    qu = prepare_graph(q.graph, observed=used)
    kids = qu.admg.children(x)
    for c in (*meds, y):
        if c not in kids:
            continue
        pc = path_criterion(qu.admg, x, y, PathSet.first_edges([c]))
        if pc.identified:
            continue
        what = (f"the effect via {c!r} (paths whose first listed mediator it is)" if c != y
                else "the direct effect (paths through no listed mediator)")
        if pc.recanting is None:
            return (f"{what} is not identified from the variables the analysis uses", "")
        sources = _hidden_sources(q, x, used, pc.recanting)
        if sources:
            w = sources[0]
            hits = sorted(_hits(q, w, used, pc.recanting))
            affected = w in descendants_of(q.graph, [x])
            return (f"{w!r} is {'affected by ' + repr(x) + ' and ' if affected else ''}leads to "
                    f"{hits} without passing through a listed mediator (a recanting witness / "
                    f"exposure-induced mediator-outcome confounder): {what} is not identified; "
                    f"list {w!r} as a mediator (in causal order) if it is measured", w)
        return (f"{what} is not identified: recanting district {_fmt(sorted(pc.recanting))}",
                pc.witness or "")
    return None


def baseline_parents(graph: nx.DiGraph, treatment: str, mediators: Sequence[str], outcome: str,
                     *, observed: Sequence[str] | set[str]) -> tuple[str, ...]:
    """The measured parents of the mediators and the outcome that the treatment does not affect
    (in the graph's node order): the covariate set tried first.

    >>> g = nx.DiGraph([("c", "m"), ("d", "y"), ("a", "m"), ("m", "y"), ("a", "y")])
    >>> baseline_parents(g, "a", ["m"], "y", observed=set(g))
    ('c', 'd')
    """
    obs = set(observed)
    affected = descendants_of(graph, [treatment])
    parents = {p for v in (*mediators, outcome) for p in graph.predecessors(v)
               if p not in affected and p in obs}
    return tuple(n for n in graph.nodes if n in parents)


def _candidates(q: GraphInput, x: str, y: str, meds: Sequence[str],
                sets: Sequence[Sequence[str]]) -> list[tuple[str, ...]]:
    out = [baseline_parents(q.graph, x, meds, y, observed=q.observed)]
    for s in sets:
        if tuple(s) not in out:
            out.append(tuple(s))
    return out


def _assumptions(x: str, y: str, meds: Sequence[str], covs: Sequence[str]) -> tuple[Assumption,
                                                                                  ...]:
    ms, cs = _fmt(meds), _fmt(covs)
    out = [no_unmeasured_confounding((x, y), given=covs,
                                     text=f"no unmeasured {x}-{y} confounding given {cs}"),
           no_unmeasured_confounding((x, *meds), given=covs,
                                     text=f"no unmeasured {x}-{ms} confounding given {cs}")]
    for j, m in enumerate(meds):
        hist = (x, *meds[:j], *covs)
        out.append(no_unmeasured_confounding(
            (m, y), given=hist, text=f"no unmeasured {m}-{y} confounding given {_fmt(hist)}"))
    out += [
        no_recanting_witness((x, *meds, y), text="no exposure-induced mediator-outcome confounder "
                             "outside the listed mediators (no recanting witness)"),
        cross_world_independence((x, *meds, y), given=covs,
                                 text="cross-world independence of counterfactual mediators and "
                                 "outcomes (NPSEM-IE)"),
        positivity((x,), given=covs, text="positivity of treatment given covariates"),
        consistency(),
    ]
    return tuple(out)


def _estimand(x: str, y: str, meds: Sequence[str], covs: Sequence[str]) -> str:
    cs = ", ".join(covs)
    terms = []
    for j, m in enumerate(meds):
        cond = ", ".join([f"{x}_{j + 1}", *meds[:j], *covs])
        terms.append(f"P({m} | {cond})")
    over = ", ".join([*covs, *meds])
    cond_y = ", ".join([f"{x}_Y", *meds, *covs])
    pc = f" P({cs})" if covs else ""
    return (f"psi({x}_Y; {', '.join(f'{x}_{j + 1}' for j in range(len(meds)))}) = "
            f"sum_{{{over}}} E({y} | {cond_y}) {' '.join(terms)}{pc}")


def identify_mediation(q: GraphInput, x: str, y: str, meds: Sequence[str],
                       covariates: Sequence[str] | None) -> Identification:
    """The decomposition through ordered ``meds`` with ``covariates`` (checked names; see the
    module docstring)."""
    from facmech.identification.mediation import identify_natural

    order = causal_order(q.graph, meds)
    if order is not None:
        raise QueryError(f"`mediators` are out of causal order: list them as {order}")
    common = dict(effect=Effect.MEDIATION, treatment=x, outcome=y, mediators=tuple(meds))
    covs = None if covariates is None else q.check_nodes(covariates, argument="covariates")
    if covs is not None:
        hidden = [c for c in covs if c in q.latent]
        if hidden:
            return Identification(**common, identifiable=False,
                                  reason=f"covariate(s) {hidden} are not measured")
        bad = sorted(set(covs) & (descendants_of(q.graph, [x]) - {x}))
        if bad:
            return Identification(
                **common, identifiable=False,
                reason=f"covariate(s) {bad} are descendants of treatment {x!r} (post-treatment "
                "adjustment); remove them or list them as mediators")
    if not nx.has_path(q.graph, x, y):
        return Identification(**common, identifiable=False,
                              reason=f"there is no directed path from {x!r} to {y!r} in the map")
    natural = [identify_natural(q, x, y, meds, e) for e in (Effect.NDE, Effect.NIE)]
    for ident in natural:
        if not ident.identifiable:
            alts = [a for a in ident.alternatives if a.identifiable]
            extra = ("; identified instead: " + "; ".join(a.name for a in alts)) if alts else ""
            return Identification(**common, identifiable=False, reason=f"{ident.reason}{extra}",
                                  witness=ident.witness, alternatives=ident.alternatives)
    tried = [tuple(covs)] if covs is not None else _candidates(
        q, x, y, meds, [*natural[1].adjustment_sets, *natural[0].adjustment_sets])
    valid: list[tuple[str, ...]] = []
    first_failure = None
    for c in tried:
        fail = _sequential_failure(q.graph, x, meds, y, c)
        if fail is None:
            cls = _class_failure(q, x, y, meds, c)
            if cls is None:
                valid.append(c)
                continue
            fail = (cls[0], None, cls[1])
        else:
            fail = (fail[0], fail[1], None)
        first_failure = first_failure or fail
    if not valid:
        reason, path, witness = first_failure  # type: ignore[misc]
        return Identification(
            **common, identifiable=False, reason=f"the mediation effects are not identified: "
            f"{reason}", blocking_path=path, witness=witness or None,
            alternatives=(Alternative("natural direct and indirect effects through "
                                      f"{_fmt(meds)} as a set", True,
                                      note=natural[1].estimand),))
    c = valid[0]
    return Identification(
        **common, identifiable=True, strategy=Strategy.MEDIATION,
        adjustment_sets=tuple(valid), estimand=_estimand(x, y, meds, c),
        assumptions=_assumptions(x, y, meds, c))
