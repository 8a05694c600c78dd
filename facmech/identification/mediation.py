"""Natural, controlled, interventional and path-specific effects: identification conditions.

Natural direct and indirect effects of ``x`` through mediators ``M`` are path-specific effects
(paths avoiding / through ``M``), so they are identified exactly when no recanting witness or
recanting district exists and :math:`P(Y^*(x))` is identified
(:mod:`facmech.identification.path_specific`). When, in addition, a set ``W`` of measured
non-descendants of ``x`` removes treatment-mediator and (treatment, mediator)-outcome confounding,
the *mediation formula* (Pearl 2001; VanderWeele 2015, ch. 2) applies:

.. math:: NDE = \\sum_{w, m} [E(y \\mid x, m, w) - E(y \\mid x', m, w)] P(m \\mid x', w) P(w)

A mediator-outcome confounder affected by the treatment (VanderWeele, Vansteelandt & Robins 2014,
Epidemiology 25:300) is a recanting witness: natural effects are then not identified, but the
*interventional* (randomized) analogues are, whenever :math:`P(y \\mid do(x, m))` and
:math:`P(m \\mid do(x))` are. The controlled direct effect needs only :math:`P(y \\mid do(x, m))`.

>>> import networkx as nx
>>> from facmech.identification import identify
>>> g = nx.DiGraph([("x", "l"), ("l", "m"), ("l", "y"), ("x", "m"), ("m", "y"), ("x", "y")])
>>> r = identify(g, "x", "y", effect="nde", mediators=["m"])
>>> r.identifiable, r.witness, r.strategy.value
(False, 'l', 'interventional')
>>> identify(g, "x", "y", effect="cde", mediators=["m"]).identifiable
True
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Sequence
from typing import Any

import networkx as nx

from facmech.graphs import ancestors_of, count_directed_paths, descendants_of
from facmech.identification._query import GraphInput, QueryError, prepare_graph
from facmech.identification.adjustment import is_adjustment_set, minimal_adjustment_sets
from facmech.identification.assumptions import (
    consistency,
    correct_diagram,
    cross_world_independence,
    no_recanting_witness,
    no_unmeasured_confounding,
)
from facmech.identification.id_algorithm import identify_interventional, is_identifiable
from facmech.identification.path_specific import (
    PathCriterion,
    PathSet,
    path_criterion,
    single_door,
)
from facmech.identification.result import Alternative, Effect, Identification, Strategy

__all__ = ["check_mediators", "identify_cde", "identify_natural", "identify_path"]


def _fmt(s: Sequence[str]) -> str:
    return "{" + ", ".join(s) + "}"


def check_mediators(q: GraphInput, xs: Sequence[str], y: str, meds: Sequence[str]) -> None:
    """Every mediator must lie on a directed path from the treatment to the outcome."""
    down = descendants_of(q.graph, xs)
    up = ancestors_of(q.graph, [y])
    for m in meds:
        if m in xs or m == y or m not in down or m not in up:
            raise QueryError(
                f"`mediators`: {m!r} lies on no directed path from {', '.join(xs)} to {y}; "
                "a mediator must be a descendant of the treatment and an ancestor of the outcome"
            )


def _do_formula(q: GraphInput, xs: Sequence[str], ys: Sequence[str]) -> tuple[bool, str]:
    """Identify P(ys | do(xs)) preferring covariate adjustment; return (identified, text)."""
    return _do_formula_cached(q, tuple(xs), tuple(ys))


@functools.lru_cache(maxsize=4096)
def _do_formula_cached(q: GraphInput, xs: tuple[str, ...], ys: tuple[str, ...]) -> tuple[bool, str]:
    from facmech.identification.identify import adjustment_formula

    order = {n: i for i, n in enumerate(q.admg.nodes)}
    lhs = f"P({', '.join(ys)} | do({', '.join(xs)}))"
    sets = minimal_adjustment_sets(q.graph, set(xs), set(ys), observed=q.observed)
    if sets:
        z = sorted(sets[0], key=order.__getitem__)
        if len(ys) == 1:
            return True, f"{lhs} = {adjustment_formula(list(xs), ys[0], z)}"
        zs = ", ".join(z)
        rhs = f"sum_{{{zs}}} P({', '.join(ys)} | {', '.join(xs)}, {zs}) P({zs})" if z else \
            f"P({', '.join(ys)} | {', '.join(xs)})"
        return True, f"{lhs} = {rhs}"
    res = identify_interventional(q.admg, set(ys), set(xs))
    return res.identified, (f"{lhs} = {res.formula}" if res.identified else "")


def identify_cde(q: GraphInput, xs: Sequence[str], y: str, meds: Sequence[str]) -> Identification:
    """Controlled direct effect: identified iff P(y | do(x, m)) is."""
    from facmech.identification.identify import identify_total

    x_label = ", ".join(xs)
    hidden = [m for m in meds if m in q.latent]
    if hidden:
        return Identification(
            effect=Effect.CDE, treatment=x_label, outcome=y, identifiable=False,
            mediators=tuple(meds),
            reason=f"the controlled direct effect fixes {_fmt(meds)}, but {_fmt(hidden)} "
                   "are not measured",
            alternatives=(Alternative(f"measure {_fmt(hidden)}", False,
                                      note="see measurement_plan"),),
        )
    tot = identify_total(q, (*xs, *meds), y)
    x_prime = ", ".join(f"{x}'" for x in xs)
    m_label = ", ".join(meds)
    contrast = (f"CDE({m_label}) = E[{y} | do({x_label}, {m_label})] - "
                f"E[{y} | do({x_prime}, {m_label})]")
    return Identification(
        effect=Effect.CDE, treatment=x_label, outcome=y, identifiable=tot.identifiable,
        strategy=tot.strategy, adjustment_sets=tot.adjustment_sets,
        estimand=f"{contrast}; with {tot.estimand}" if tot.identifiable else tot.estimand,
        assumptions=tot.assumptions, reason=tot.reason, blocking_path=tot.blocking_path,
        mediators=tuple(meds), frontdoor_sets=tot.frontdoor_sets, instruments=tot.instruments,
    )


@functools.lru_cache(maxsize=4096)
def _do_identified(q: GraphInput, xs: tuple[str, ...], ys: tuple[str, ...]) -> bool:
    """Whether P(ys | do(xs)) is identified, without building its formula.

    The canonical set (measured ancestors of xs and ys, minus the forbidden nodes) is a valid
    adjustment set whenever any measured set is (van der Zander, Liskiewicz & Textor 2014, UAI,
    Thm 5.4); otherwise the complete
    ID algorithm decides.
    """
    from facmech.identification.adjustment import forbidden_nodes

    canon = (q.observed & ancestors_of(q.graph, {*xs, *ys})) - forbidden_nodes(
        q.graph, set(xs), set(ys)) - set(ys)
    if is_adjustment_set(q.graph, set(xs), set(ys), canon):
        return True
    return is_identifiable(q.admg, ys, xs)


def _interventional(
    q: GraphInput, x: str, y: str, meds: Sequence[str], *, details: bool = True
) -> Alternative:
    if details:
        ok1, f1 = _do_formula(q, (x, *meds), (y,))
        ok2, f2 = _do_formula(q, (x,), tuple(meds))
    else:
        ok1, ok2 = _do_identified(q, (x, *meds), (y,)), _do_identified(q, (x,), tuple(meds))
        f1 = f2 = ""
    ms = ", ".join(meds)
    est = (f"IIE = sum_{{{ms}}} P({y} | do({x}, {ms})) [P({ms} | do({x})) - P({ms} | do({x}'))]; "
           f"IDE = sum_{{{ms}}} [P({y} | do({x}, {ms})) - P({y} | do({x}', {ms}))] "
           f"P({ms} | do({x}'))")
    note = "; ".join(f for f in (f1, f2) if f) if ok1 and ok2 else (
        "needs " + " and ".join(t for ok, t in ((ok1, f"P({y} | do({x}, {ms}))"),
                                              (ok2, f"P({ms} | do({x}))")) if not ok)
        + " identified")
    return Alternative(
        name=f"interventional (randomized) direct/indirect effects through {_fmt(meds)} "
             "(VanderWeele, Vansteelandt & Robins 2014)",
        identifiable=ok1 and ok2, estimand=est if ok1 and ok2 else "", note=note)


def _bundle(q: GraphInput, x: str, y: str, pc: PathCriterion) -> Alternative:
    """Coarsen the path set to whole bundles of paths leaving x until nothing recants."""
    adm = q.admg
    kids = [c for c in adm.nodes if c in adm.children(x) and c in pc.ystar]
    first = set(pc.active)
    cur = pc
    while cur.recanting is not None:
        first |= set(cur.recanting) & set(kids)
        cur = path_criterion(adm, x, y, PathSet.first_edges(first))
    h = adm.subgraph([n for n in adm.nodes if n != x]).subgraph(pc.ystar).to_networkx()
    n_paths = sum(count_directed_paths(h, c, y) for c in first)
    through = f" (the bundle through witness {pc.witness})" if pc.witness else ""
    return Alternative(
        name=f"effect along all {n_paths} directed paths leaving {x} via {_fmt(sorted(first))}"
             + through,
        identifiable=cur.identified,
        estimand=f"P({y}(g, {x}, {x}')) = {cur.expression}" if cur.identified else "",
        note="" if cur.identified else "not identified: P(Y*(x)) has a hedge")


def _mediation_sets(q: GraphInput, x: str, y: str, meds: Sequence[str]) -> list[tuple[str, ...]]:
    """Covariate sets W (non-descendants of x) licensing the mediation formula."""
    g = q.graph
    order = {n: i for i, n in enumerate(q.admg.nodes)}
    nd = q.observed - descendants_of(g, [x])
    if (is_adjustment_set(g, {x}, set(meds), ()) and is_adjustment_set(g, {x, *meds}, {y}, ())
            and is_adjustment_set(g, {x}, {y}, ())):
        return [()]  # the empty set is valid, hence the only inclusion-minimal one
    out: list[tuple[str, ...]] = []
    s1 = minimal_adjustment_sets(g, {x, *meds}, {y}, observed=nd)
    s2 = minimal_adjustment_sets(g, {x}, set(meds), observed=nd)
    cands = sorted({a | b for a in s1 for b in s2}, key=lambda s: (len(s), sorted(s)))
    for w in cands:
        if any(set(o) <= w for o in out):
            continue
        if (is_adjustment_set(g, {x}, set(meds), w)
                and is_adjustment_set(g, {x, *meds}, {y}, w)
                and is_adjustment_set(g, {x}, {y}, w)):
            out.append(tuple(sorted(w, key=order.__getitem__)))
    return out


def _not_identified_reason(pc: PathCriterion, x: str, what: str) -> str:
    if pc.recanting is not None:
        if len(pc.recanting) == 1:
            return (f"{what} is not identified: {pc.witness} is a recanting witness (Avin, Shpitser "
                    f"& Pearl 2005): it is affected by {x} and transmits the effect both along and "
                    "outside the paths asked for (a mediator-outcome confounder affected by the "
                    "treatment)")
        return (f"{what} is not identified: {pc.witness} (Shpitser & Tchetgen Tchetgen 2016): "
                "unmeasured confounding ties a node on the paths asked for to a node outside them")
    hedge = pc.total.hedge
    return (f"{what} is not identified: P(Y*({x})) is not identified (hedge "
            f"{_fmt(sorted(hedge[0]))} / {_fmt(sorted(hedge[1]))})" if hedge else
            f"{what} is not identified")


def identify_natural(
    q: GraphInput, x: str, y: str, meds: Sequence[str], eff: Effect, *, details: bool = True
) -> Identification:
    """Natural direct (``nde``) or indirect (``nie``) effect through ``meds``.

    ``details=False`` (path reports) decides whether the interventional analogue is identified
    without writing its formula, and skips the bundle alternative.
    """
    hidden = [m for m in meds if m in q.latent]
    what = ("natural direct effect" if eff is Effect.NDE else "natural indirect effect") + \
        f" of {x} on {y} via {_fmt(meds)}"
    common = dict(effect=eff, treatment=x, outcome=y, mediators=tuple(meds))
    if hidden:
        return Identification(
            **common, identifiable=False,
            reason=f"{what} is not identified: mediator(s) {_fmt(hidden)} are not measured",
            alternatives=(Alternative(f"measure {_fmt(hidden)}", False,
                                      note="see measurement_plan"),),
        )
    ps = PathSet.through(meds) if eff is Effect.NIE else PathSet.avoiding(meds)
    pc = path_criterion(q.admg, x, y, ps)
    ms = ", ".join(meds)
    if pc.identified:
        sets = _mediation_sets(q, x, y, meds)
        if sets:
            w = sets[0]
            ws = ", ".join(w)
            cond = f", {ws}" if w else ""
            sumv = f"{ws}, {ms}" if w else ms
            pw = f" P({ws})" if w else ""
            if eff is Effect.NDE:
                est = (f"NDE = sum_{{{sumv}}} [E({y} | {x}, {ms}{cond}) - E({y} | {x}', {ms}{cond})]"
                       f" P({ms} | {x}'{cond}){pw}")
            else:
                est = (f"NIE = sum_{{{sumv}}} E({y} | {x}, {ms}{cond}) [P({ms} | {x}{cond}) - "
                       f"P({ms} | {x}'{cond})]{pw}")
            wt = _fmt(w)
            return Identification(
                **common, identifiable=True, strategy=Strategy.MEDIATION, adjustment_sets=tuple(sets),
                estimand=est,
                assumptions=(
                    no_unmeasured_confounding(
                        (x, y), given=w, text=f"no unmeasured {x}-{y} confounding given {wt}"),
                    no_unmeasured_confounding(
                        (x, *meds), given=w,
                        text=f"no unmeasured {x}-{_fmt(meds)} confounding given {wt}"),
                    no_unmeasured_confounding(
                        (*meds, y), given=(x, *w),
                        text=f"no unmeasured {_fmt(meds)}-{y} confounding given {_fmt([x, *w])}"),
                    no_recanting_witness(
                        (x, *meds, y),
                        text=f"no mediator-outcome confounder affected by {x} (no recanting "
                             "witness)"),
                    cross_world_independence((x, *meds, y), given=w), consistency(),
                ),
            )
        return Identification(
            **common, identifiable=True, strategy=Strategy.PATH_SPECIFIC,
            estimand=(f"P({y}(g, {x}, {x}')) = {pc.expression}; effect = E[{y}(g, {x}, {x}')] - "
                      f"E[{y}({x}')], g = paths {'through' if eff is Effect.NIE else 'avoiding'} "
                      f"{_fmt(meds)}"),
            assumptions=(correct_diagram(), cross_world_independence((x, *meds, y)),
                         consistency()),
        )
    inter = _interventional(q, x, y, meds, details=details)
    alts = (inter, _bundle(q, x, y, pc)) if pc.recanting is not None and details else (inter,)
    return Identification(
        **common, identifiable=False,
        strategy=Strategy.INTERVENTIONAL if inter.identifiable else None,
        estimand=inter.estimand if inter.identifiable else "",
        reason=_not_identified_reason(pc, x, what)
        + ("; the interventional analogue is identified" if inter.identifiable else ""),
        witness=pc.witness, alternatives=alts,
        assumptions=((no_unmeasured_confounding(
            (x, *meds, y), text="interventional effects: no unmeasured confounding of the "
            "do-terms; no cross-world assumption needed"),) if inter.identifiable else ()),
    )


def _parse_path(
    q: GraphInput, x: str, y: str, path: Sequence[Any]
) -> tuple[tuple[str, ...] | None, frozenset[tuple[str, str]] | None]:
    items = list(path)
    if items and all(isinstance(p, str) for p in items):
        nodes = q.check_nodes(items, argument="path")
        if nodes[0] != x or nodes[-1] != y:
            raise QueryError(
                f"`path` {' -> '.join(nodes)} must start at the treatment {x!r} and end at the "
                f"outcome {y!r}"
            )
        for a, b in itertools.pairwise(nodes):
            if not q.graph.has_edge(a, b):
                raise QueryError(
                    f"`path` {' -> '.join(nodes)} is not a directed path of the graph: there is no "
                    f"arrow {a} -> {b}"
                )
        return nodes, None
    edges = []
    for e in items:
        if isinstance(e, str) or len(e) != 2:
            raise QueryError(f"`path` must be node names or (source, target) pairs (got {e!r})")
        a, b = (q.check_node(v, argument="path") for v in e)
        if not q.graph.has_edge(a, b):
            raise QueryError(f"`path`: the graph has no arrow {a} -> {b}")
        edges.append((a, b))
    sub = nx.DiGraph(edges)
    if x not in sub or y not in sub or not nx.has_path(sub, x, y):
        raise QueryError(f"`path`: the edges form no directed path from {x!r} to {y!r}")
    return None, frozenset(edges)


@functools.lru_cache(maxsize=8192)
def _segment_routes(q: GraphInput, a: str, b: str) -> int:
    keep = set(q.latent) | {a, b}
    return count_directed_paths(q.graph.subgraph(keep), a, b)


def identify_path(
    q: GraphInput, x: str, y: str, path: Sequence[Any], *, details: bool = True
) -> Identification:
    """Path-specific effect along one directed path (node sequence) or the paths of an edge set.

    ``details=False`` skips the alternatives (bundle, interventional, linear SEM) of a path that
    is not identified; path reports use it.
    """
    from facmech.identification.waypoints import identify_waypoints, is_waypoint_query

    if is_waypoint_query(q.graph, path):
        if path[0] != x or path[-1] != y:
            _parse_path(q, x, y, path)  # the start/end error
        return identify_waypoints(q, x, y, path, details=details)
    nodes, edges = _parse_path(q, x, y, path)
    label = " -> ".join(nodes) if nodes else "; ".join(f"{a}->{b}" for a, b in sorted(edges or ()))
    what = f"the effect of {x} on {y} along {label}"
    common = dict(effect=Effect.PATH, treatment=x, outcome=y, path=tuple(nodes or ()))
    if nodes is not None:
        p_obs = tuple(n for n in nodes if n not in q.latent)
        bad = [(a, b) for a, b in itertools.pairwise(p_obs) if _segment_routes(q, a, b) > 1]
        if bad:
            a, b = bad[0]
            i, j = nodes.index(a), nodes.index(b)
            hidden = [n for n in nodes[i + 1:j] if n in q.latent]
            wit = hidden[0] if hidden else a
            reason = (f"{what} is not identified: the step {a} -> {b} cannot be told apart "
                      f"from other routes from {a} to {b} through unmeasured nodes")
            alts: tuple[Alternative, ...] = (_linear_sem(q, nodes),) if details else ()
            involved: set[str] = set()
            for a2, b2 in bad:
                sub = q.graph.subgraph(set(q.latent) | {a2, b2})
                involved |= (descendants_of(sub, [a2]) & ancestors_of(sub, [b2])) & q.latent
            if involved:
                order = {n: k for k, n in enumerate(q.graph.nodes)}
                inv = sorted(involved, key=order.__getitem__)
                q2 = prepare_graph(q.graph, observed=q.observed | involved)
                then = identify_path(q2, x, y, nodes, details=details)
                if then.identifiable:
                    reason += f"; measuring {_fmt(inv)} makes it identified"
                else:
                    reason += (f"; even with {_fmt(inv)} measured it is not: "
                               + (then.reason or "").split(" is not identified: ", 1)[-1])
                    wit = then.witness or wit
                # The alternatives of the measured graph hold only once `inv` are measured: say so
                # on each, instead of passing them off as identified from today's measurements.
                alts = tuple(
                    dataclasses.replace(a, requires_measuring=tuple(inv)) for a in then.alternatives
                ) or alts
            return Identification(**common, identifiable=False, witness=wit, reason=reason,
                                  alternatives=alts)
        ps = PathSet.single(p_obs)
    else:
        proj = set()
        for a, b in q.admg.directed:
            sub = nx.DiGraph([e for e in (edges or ()) if e[0] in q.latent | {a}
                              and e[1] in q.latent | {b}])
            if a in sub and b in sub and nx.has_path(sub, a, b):
                proj.add((a, b))
        ps = PathSet.of_edges(proj)
    pc = path_criterion(q.admg, x, y, ps)
    if pc.identified:
        return Identification(
            **common, identifiable=True, strategy=Strategy.PATH_SPECIFIC,
            estimand=(f"P({y}(g, {x}, {x}')) = {pc.expression}; effect = E[{y}(g, {x}, {x}')] - "
                      f"E[{y}({x}')]"),
            assumptions=(no_recanting_witness(
                tuple(nodes or ()), text="no recanting witness: no node on the path both "
                "transmits the effect along it and leaves it toward the outcome"),
                correct_diagram(), cross_world_independence(), consistency()),
        )
    alts: list[Alternative] = []
    if details and pc.recanting is not None:
        alts.append(_bundle(q, x, y, pc))
    if details and nodes is not None:
        inner = [n for n in nodes[1:-1] if n not in q.latent]
        if inner:
            alts.append(_interventional(q, x, y, inner))
        alts.append(_linear_sem(q, nodes))
    return Identification(
        **common, identifiable=False, witness=pc.witness,
        reason=_not_identified_reason(pc, x, what), alternatives=tuple(alts),
    )


@functools.lru_cache(maxsize=8192)
def _single_door_cached(q: GraphInput, a: str, b: str) -> frozenset[str] | None:
    return single_door(q.graph, a, b, observed=q.observed)


def _linear_sem(q: GraphInput, nodes: Sequence[str]) -> Alternative:
    """Product of path coefficients, each identified by Pearl's single-door criterion."""
    parts = []
    missing = []
    for a, b in itertools.pairwise(nodes):
        z = _single_door_cached(q, a, b)
        if z is None:
            hidden = [n for n in (a, b) if n in q.latent]
            missing.append(f"{a} -> {b}" + (f" ({', '.join(hidden)} unmeasured)" if hidden
                                             else ""))
        else:
            zs = sorted(z)
            parts.append(f"b[{a}->{b}] = coef of {a} in {b} ~ {' + '.join([a, *zs])}")
    ok = not missing
    return Alternative(
        name="linear structural model without interactions: product of the path coefficients",
        identifiable=ok,
        estimand=" x ".join(f"b[{a}->{b}]" for a, b in itertools.pairwise(nodes)) if ok else "",
        note="; ".join(parts) if ok else "no single-door set for " + ", ".join(missing),
    )
