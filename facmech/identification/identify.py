"""``identify``: is a causal effect identified from what is measured, how, and if not, why.

Total effects are tried in order of simplicity: covariate adjustment (every minimal adjustment set,
as dagitty), the front-door criterion (Pearl 1995), then the complete ID algorithm (Shpitser & Pearl
2006). When nothing works the record gives the hedge and an open confounding path, and flags
instruments, which identify the effect only under extra parametric assumptions. Natural direct and
indirect, controlled direct and path-specific effects are handled in
:mod:`facmech.identification.mediation` and :mod:`facmech.identification.path_specific`.

>>> import networkx as nx
>>> g = nx.DiGraph([("c", "x"), ("c", "y"), ("x", "y")])
>>> r = identify(g, "x", "y")
>>> r.identifiable, r.strategy.value, r.adjustment_sets, r.estimand
(True, 'backdoor', (('c',),), 'sum_{c} P(y | x, c) P(c)')
>>> identify(g, "x", "y", observed=["x", "y"]).identifiable
False
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Sequence
from typing import Any

from facmech.graphs import ancestors_of, d_connecting_path, descendants_of
from facmech.identification._query import GraphInput, QueryError, as_names, prepare_graph
from facmech.identification.adjustment import forbidden_nodes, minimal_adjustment_sets
from facmech.identification.assumptions import (
    Assumption,
    AssumptionKind,
    complete_map,
    consistency,
    correct_diagram,
    no_unmeasured_confounding,
    positivity,
)
from facmech.identification.frontdoor import frontdoor_formula, frontdoor_sets
from facmech.identification.id_algorithm import identify_interventional
from facmech.identification.iv import instruments
from facmech.identification.result import Effect, Identification, Strategy

__all__ = ["identify"]


def _fmt(s: Iterable[str]) -> str:
    return "{" + ", ".join(s) + "}"


def adjustment_formula(x: Sequence[str], y: str, z: Sequence[str]) -> str:
    """``sum_{z} P(y | x, z) P(z)`` (or ``P(y | x)`` for the empty set)."""
    xs = ", ".join(x)
    if not z:
        return f"P({y} | {xs})"
    zs = ", ".join(z)
    return f"sum_{{{zs}}} P({y} | {xs}, {zs}) P({zs})"


def render_path(graph: Any, path: Sequence[str]) -> str:
    """``a <- u -> b`` with arrows read from ``graph``."""
    out = [path[0]]
    for a, b in itertools.pairwise(path):
        out.append("->" if graph.has_edge(a, b) else "<-")
        out.append(b)
    return " ".join(out)


def identify_total(q: GraphInput, xs: tuple[str, ...], y: str) -> Identification:
    """Total effect of ``xs`` on ``y`` (checked names)."""
    g, obs = q.graph, q.observed
    x_label = ", ".join(xs)
    order = {n: i for i, n in enumerate(q.admg.nodes)}
    sets = minimal_adjustment_sets(g, set(xs), {y}, observed=obs)
    sets_t = tuple(tuple(sorted(s, key=order.__getitem__)) for s in sets)
    causal = any(y in descendants_of(g, [x]) for x in xs)
    base = [consistency(), positivity(xs, given=sets_t[0] if sets_t else ())]
    if not causal:
        base.append(Assumption(
            AssumptionKind.NULL_EFFECT,
            f"no directed path from {x_label} to {y}: the effect is null under the map",
            nodes=(*xs, y)))
    if sets_t:
        z = sets_t[0]
        return Identification(
            effect=Effect.TOTAL, treatment=x_label, outcome=y, identifiable=True,
            strategy=Strategy.BACKDOOR, adjustment_sets=sets_t,
            estimand=adjustment_formula(xs, y, z),
            assumptions=(no_unmeasured_confounding(
                (*xs, y), given=z,
                text=f"no unmeasured confounding of {x_label} and {y} given {_fmt(z)}"),
                complete_map(), *base),
        )
    fd: list[frozenset[str]] = []
    if len(xs) == 1:
        fd = frontdoor_sets(g, xs[0], y, observed=obs)
    fd_t = tuple(tuple(sorted(s, key=order.__getitem__)) for s in fd)
    if fd_t:
        return Identification(
            effect=Effect.TOTAL, treatment=x_label, outcome=y, identifiable=True,
            strategy=Strategy.FRONTDOOR, estimand=frontdoor_formula(xs[0], y, fd_t[0]),
            frontdoor_sets=fd_t,
            assumptions=(
                Assumption(AssumptionKind.FRONT_DOOR,
                           f"{_fmt(fd_t[0])} intercepts every directed path from {x_label} to {y}",
                           nodes=(*xs, *fd_t[0], y)),
                no_unmeasured_confounding(
                    (*xs, *fd_t[0]),
                    text=f"no unblocked back-door path from {x_label} to {_fmt(fd_t[0])}"),
                no_unmeasured_confounding(
                    (*fd_t[0], y), given=xs,
                    text=f"{x_label} blocks every back-door path from {_fmt(fd_t[0])} to {y}"),
                complete_map(), *base),
        )
    res = identify_interventional(q.admg, {y}, set(xs))
    if res.identified:
        free = sorted(res.expression.free() - set(xs) - {y}, key=order.__getitem__)
        extra = (Assumption(AssumptionKind.CORRECT_DIAGRAM,
                            f"the formula takes the same value whatever the value of {_fmt(free)} "
                            "(fix any; Shpitser & Pearl 2006, line 3)", nodes=tuple(free)),
                 ) if free else ()
        return Identification(
            effect=Effect.TOTAL, treatment=x_label, outcome=y, identifiable=True,
            strategy=Strategy.ID, estimand=f"P({y} | do({x_label})) = {res.formula}",
            assumptions=(correct_diagram(), *extra, complete_map(), *base),
        )
    # not identified: explain
    canon = (obs & ancestors_of(g, set(xs) | {y})) - forbidden_nodes(g, set(xs), {y}) - {y}
    path = None
    for x in xs:
        path = d_connecting_path(g, x, y, canon, first_edge_into_x=True)
        if path:
            break
    hedge = res.hedge
    reason = (
        f"the effect of {x_label} on {y} is not identified: no adjustment set among the measured "
        f"nodes, no front-door set, and the ID algorithm finds a hedge (districts "
        f"{_fmt(sorted(hedge[0]))} and {_fmt(sorted(hedge[1]))})" if hedge else "not identified"
    )
    if path:
        reason += f"; open confounding path {render_path(g, path)}"
        latents = [n for n in path if n in q.latent]
        if latents:
            reason += f" through unmeasured {_fmt(latents)}"
    iv = instruments(g, xs[0], y, observed=obs) if len(xs) == 1 else []
    iv_t = tuple((z, tuple(sorted(w))) for z, w in iv)
    return Identification(
        effect=Effect.TOTAL, treatment=x_label, outcome=y, identifiable=False,
        strategy=Strategy.IV if iv_t else None, reason=reason, blocking_path=path,
        instruments=iv_t,
        estimand=(f"IV (Wald) ratio with instrument {iv_t[0][0]}: cov({y}, {iv_t[0][0]}) / "
                  f"cov({x_label}, {iv_t[0][0]})" + (f" given {_fmt(iv_t[0][1])}"
                                                       if iv_t[0][1] else "")) if iv_t else "",
        assumptions=((Assumption(
            AssumptionKind.PARAMETRIC,
            "an instrument identifies the effect only with extra parametric assumptions (linear "
            "homogeneous effects, or monotonicity for a local average effect); without them only "
            "bounds are identified", nodes=(iv_t[0][0], *xs, y), given=iv_t[0][1]),) if iv_t
            else ()),
    )


def _path_ends(treatment: Any, outcome: Any, path: Any) -> tuple[Any, Any, Any]:
    """Treatment and outcome default to a node path's ends; given ones are added when omitted."""
    nodes = list(path) if path else []
    if nodes and all(isinstance(n, str) for n in nodes):
        if treatment is None:
            treatment = nodes[0]
        elif isinstance(treatment, str) and nodes[0] != treatment:
            nodes.insert(0, treatment)
        if outcome is None:
            outcome = nodes[-1]
        elif nodes[-1] != outcome:
            nodes.append(outcome)
        path = nodes
    if treatment is None or outcome is None:
        missing = "treatment" if treatment is None else "outcome"
        raise QueryError(f"`{missing}` is required (or give a `path` of node names: its ends are "
                         "the default treatment and outcome)")
    return treatment, outcome, path


def identify(
    graph: Any,
    treatment: str | Sequence[str] | None = None,
    outcome: str | None = None,
    *,
    effect: str | Effect | None = None,
    mediators: str | Sequence[str] | None = None,
    path: Sequence[str] | Sequence[tuple[str, str]] | None = None,
    observed: Iterable[str] | None = None,
    latent: Iterable[str] | None = None,
    covariates: Sequence[str] | None = None,
    cross_check: str | Sequence[str] | None = None,
) -> Identification:
    """Decide whether an effect is identified from the observed nodes of a mechanism map.

    Parameters
    ----------
    graph : MechanismMap or networkx.DiGraph
        The causal DAG (an unrolled map for time-varying questions). Nodes not observed are latent
        (map flags, or ``observed=False``/``latent=True`` node attributes of a ``DiGraph``).
    treatment : str or sequence of str, optional
        The treatment node(s); a sequence only for total and controlled direct effects. Default:
        the first node of ``path``.
    outcome : str, optional
        Default: the last node of ``path``.
    effect : {"total", "nde", "nie", "cde", "path", "mediation"}, optional
        Total, natural direct/indirect (through ``mediators``), controlled direct (mediators
        fixed) or path-specific (along ``path``) effect, or ``mediation``: the natural effects
        through ordered ``mediators`` and their decomposition as :func:`facmech.mediate`
        estimates them (:mod:`facmech.identification.sequential`). Default: ``"path"`` when a
        ``path`` is given, else ``"total"``.
    mediators : str or sequence of str, optional
        Mediators for ``nde``, ``nie``, ``cde`` and ``mediation`` (in causal order).
    path : sequence of str, or sequence of (str, str)
        For ``effect="path"``: a directed path as a node sequence, or a set of edges (the effect
        along every directed path made only of these edges). A node sequence whose consecutive
        nodes are not all adjacent names *waypoints*: the effect along the set of directed paths
        visiting them in that order (:mod:`facmech.identification.waypoints`; the record lists
        them). The treatment and outcome are added at the ends when the sequence omits them.
    observed : iterable of str, optional
        Exactly the measured nodes (default: the graph's own flags).
    latent : iterable of str, optional
        Nodes to treat as unmeasured on top of the graph's flags.
    covariates : sequence of str, optional
        For ``mediation``: the covariates the analysis adjusts for, checked (default: the valid
        sets are found, the first to use).
    cross_check : {"dowhy"} or sequence of them, optional
        Also ask DoWhy's identifier the same question; its verdict, and why it differs from
        facmech's where it does, is added to the record's ``cross_checks`` (printed by
        ``summary()``, under ``cross_check`` in ``to_dict()``; see
        :mod:`facmech.identification.crosscheck`).

    Returns
    -------
    Identification
        With ``graph`` and ``latent`` set to the DAG the query was answered on (the hand-over to
        DoWhy, :meth:`Identification.to_dowhy`, uses them).

    Raises
    ------
    UnknownNodeError
        A node name is not in the graph (the message suggests the closest).
    QueryError
        Treatment equals outcome, a latent treatment/outcome, a mediator on no treatment-outcome
        path, or a ``path`` that is not a directed path from treatment to outcome.

    Examples
    --------
    >>> import networkx as nx
    >>> fd = nx.DiGraph([("u", "x"), ("u", "y"), ("x", "m"), ("m", "y")])
    >>> r = identify(fd, "x", "y", latent=["u"])
    >>> r.strategy.value, r.estimand
    ('frontdoor', "sum_{m} P(m | x) sum_{x'} P(y | x', m) P(x')")
    >>> identify(fd, "x", "x")
    Traceback (most recent call last):
    ...
    facmech.identification._query.QueryError: `treatment` and `outcome` are the same node 'x'; ...
    """
    eff = Effect.parse(effect if effect is not None else ("path" if path else "total"),
                       argument="effect")
    libraries = _cross_check_libraries(cross_check)
    q = prepare_graph(graph, observed=observed, latent=latent)
    if covariates is not None and eff is not Effect.MEDIATION:
        raise QueryError(f"`covariates` are given but `effect` is {eff.value!r}; covariates go "
                         "with effect='mediation'")
    res = dataclasses.replace(
        _identify_query(q, eff, treatment, outcome, mediators, path, covariates),
        graph=q.graph, latent=q.latent)
    for library in libraries:
        res = res.cross_check(library)
    return res


def _cross_check_libraries(cross_check: str | Sequence[str] | None) -> tuple[str, ...]:
    from facmech.identification.crosscheck import Library

    if cross_check is None:
        return ()
    names = [cross_check] if isinstance(cross_check, str) else list(cross_check)
    return tuple(Library.parse(n, argument="cross_check").value for n in names)


def _identify_query(q: GraphInput, eff: Effect, treatment: Any, outcome: Any, mediators: Any,
                    path: Any, covariates: Any) -> Identification:
    treatment, outcome, path = _path_ends(treatment, outcome, path)
    xs = q.check_nodes(as_names(treatment), argument="treatment")
    if not xs:
        raise QueryError("`treatment` is empty; name at least one node")
    y = q.check_node(outcome, argument="outcome")
    if y in xs:
        raise QueryError(
            f"`treatment` and `outcome` are the same node {y!r}; choose an outcome other than "
            "the treatment"
        )
    for n in (*xs, y):
        q.check_observed(n, argument="treatment" if n in xs else "outcome")
    meds = q.check_nodes(as_names(mediators), argument="mediators")
    if path and eff is not Effect.PATH:
        raise QueryError(f"`path` is given but `effect` is {eff.value!r}; use effect='path'")
    if meds and eff in (Effect.TOTAL, Effect.PATH):
        raise QueryError(
            f"`mediators` are given but `effect` is {eff.value!r}; mediators go with nde, nie, cde "
            "or mediation"
        )
    if eff is Effect.TOTAL:
        return identify_total(q, xs, y)
    if len(xs) > 1 and eff is not Effect.CDE:
        raise QueryError(
            f"`treatment`: effect {eff.value!r} takes a single treatment node (got {list(xs)})"
        )
    from facmech.identification import mediation

    if eff is Effect.MEDIATION:
        from facmech.identification.sequential import identify_mediation

        if not meds:
            raise QueryError("`mediators`: effect 'mediation' needs at least one mediator")
        mediation.check_mediators(q, xs, y, meds)
        return identify_mediation(q, xs[0], y, meds,
                                  None if covariates is None else as_names(covariates))
    if eff in (Effect.NDE, Effect.NIE, Effect.CDE):
        if not meds:
            raise QueryError(f"`mediators`: effect {eff.value!r} needs at least one mediator")
        mediation.check_mediators(q, xs, y, meds)
        if eff is Effect.CDE:
            return mediation.identify_cde(q, xs, y, meds)
        return mediation.identify_natural(q, xs[0], y, meds, eff)
    # path-specific
    if not path:
        raise QueryError("`path`: effect 'path' needs a path (node sequence) or a set of edges")
    return mediation.identify_path(q, xs[0], y, path)
