"""Path-specific effects: the recanting witness and recanting district criteria.

The effect of ``x`` on ``y`` along a set ``g`` of directed paths compares :math:`Y(g, a, a')`, in
which ``x = a`` is transmitted along the paths of ``g`` and ``x = a'`` along the others, with
:math:`Y(a')`. In a DAG it is identified iff there is no *recanting witness* (Avin, Shpitser &
Pearl 2005, IJCAI): a node ``w`` reached from ``x`` by a path ``p1`` with continuations ``p2`` and
``p3`` to ``y`` such that ``p1 p2`` is in ``g`` and ``p1 p3`` is not. With latent variables the
criterion works on the latent projection (Shpitser & Tchetgen Tchetgen 2016, Ann. Stat.
44:2433, Thm 4): with :math:`Y^* = An(y)_{G_{V \\setminus \\{x\\}}}`, the effect is identified iff
:math:`P(Y^*(a))` is identified and no district ``D`` of :math:`G_{Y^*}` is *recanting*, i.e.
contains children ``z_i, z_j`` of ``x`` (possibly equal) with a path ``x -> z_i -> ... -> y`` in
``g`` and a path ``x -> z_j -> ... -> y`` not in ``g``. The identifying functional is

.. math:: P(Y(g, a, a')) = \\sum_{Y^* \\setminus y} \\prod_{D} P(D \\mid do(pa(D) \\setminus D))
          \\big|_{x = a \\text{ if } D \\text{ receives paths of } g \\text{ else } a'}

Path sets are described without enumerating paths (their number can grow exponentially), as a
single path, the paths through or avoiding a set of nodes, the paths through given *waypoints* in
order (the set of paths a researcher names as "engagement -> trust -> normalization"), the paths
made of given edges, or the paths whose first edge enters given children of ``x``. The criterion
for a set of paths is the same as for one path (Avin, Shpitser & Pearl 2005, Thm 2, stated for
sets of paths; Shpitser & Tchetgen Tchetgen 2016, Thm 4): only the classification of each child of
``x`` (does a path of ``g``, does a path outside ``g`` leave through it) depends on the set.

>>> import networkx as nx
>>> from facmech.graphs import latent_projection
>>> g = nx.DiGraph([("x", "l"), ("l", "m"), ("l", "y"), ("x", "m"), ("m", "y"), ("x", "y")])
>>> r = path_criterion(latent_projection(g, set()), "x", "y", PathSet.through(["m"]))
>>> r.identified, r.witness
(False, 'l')
>>> r = path_criterion(latent_projection(g, set()), "x", "y", PathSet.single(("x", "m", "y")))
>>> r.identified
True
>>> print(r.expression)
sum_{l, m} P(l | x') P(m | x, l) P(y | x', l, m)
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

import networkx as nx

from facmech.graphs import ADMG, descendants_of, districts
from facmech.identification.expressions import Expr, Prob, product, rename, sum_over
from facmech.identification.id_algorithm import IDResult, identify_interventional

__all__ = ["PathCriterion", "PathSet", "path_criterion", "single_door"]


@dataclass(frozen=True)
class PathSet:
    """A set of directed paths from the treatment to the outcome, described implicitly.

    ``kind`` is ``"single"`` (``nodes`` is the path), ``"through"``/``"avoid"`` (``nodes`` are the
    mediators), ``"waypoints"`` (paths visiting every node of ``nodes``, in that order; ``marks``
    holds ``(a, b, w)`` when the edge ``a -> b`` of the latent projection stands for routes that
    all pass the unmeasured waypoint ``w``), ``"edges"`` (every edge of the path in ``edges``) or
    ``"first"`` (paths whose first edge enters one of ``nodes``).
    """

    kind: str
    nodes: tuple[str, ...] = ()
    edges: frozenset[tuple[str, str]] = frozenset()
    marks: frozenset[tuple[str, str, str]] = frozenset()

    @classmethod
    def single(cls, path: Iterable[str]) -> PathSet:
        return cls("single", tuple(path))

    @classmethod
    def through(cls, mediators: Iterable[str]) -> PathSet:
        return cls("through", tuple(sorted(mediators)))

    @classmethod
    def avoiding(cls, mediators: Iterable[str]) -> PathSet:
        return cls("avoid", tuple(sorted(mediators)))

    @classmethod
    def waypoints(
        cls, nodes: Iterable[str], *, marks: Iterable[tuple[str, str, str]] = ()
    ) -> PathSet:
        return cls("waypoints", tuple(nodes), marks=frozenset(marks))

    def advance(self, state: int, a: str, b: str) -> int:
        """Waypoints passed after the edge ``a -> b``, having passed ``state`` before it."""
        wps, k = self.nodes, len(self.nodes)
        while state < k and (a, b, wps[state]) in self.marks:
            state += 1
        if state < k and b == wps[state]:
            state += 1
        return state

    @classmethod
    def of_edges(cls, edges: Iterable[tuple[str, str]]) -> PathSet:
        return cls("edges", (), frozenset(edges))

    @classmethod
    def first_edges(cls, children: Iterable[str]) -> PathSet:
        return cls("first", tuple(sorted(children)))


@dataclass(frozen=True)
class PathCriterion:
    """Outcome of the path-specific criterion."""

    identified: bool
    ystar: frozenset[str]
    active: frozenset[str]  # children of x through which the paths of g leave
    recanting: frozenset[str] | None
    witness: str | None
    total: IDResult
    _admg: ADMG | None = field(default=None, repr=False, compare=False)
    _ends: tuple[str, str] = field(default=("", ""), repr=False, compare=False)

    @property
    def expression(self) -> Expr | None:
        """The identifying functional (``None`` when not identified), built on first use: path
        reports judge thousands of path sets and print few formulas."""
        if not self.identified or self._admg is None:
            return None
        return _functional(self._admg, *self._ends, self.ystar, self.active)


def _reach(h: nx.DiGraph, start: Iterable[str], target: str, *, avoid: set[str]) -> bool:
    seen = {s for s in start if s not in avoid}
    stack = list(seen)
    while stack:
        n = stack.pop()
        if n == target:
            return True
        for c in h.successors(n):
            if c not in seen and c not in avoid:
                seen.add(c)
                stack.append(c)
    return False


def _classify(ctx: _Context, x: str, y: str, c: str, ps: PathSet) -> tuple[bool, bool]:
    """(a path of ps leaves through x -> c, a path outside ps leaves through x -> c)."""
    h = ctx.h
    if ps.kind == "single":
        first = ps.nodes[1] if len(ps.nodes) > 1 else None
        if c != first:
            return False, True
        return True, ctx.counts.get(c, 0) > 1
    if ps.kind == "first":
        return (c in ps.nodes, c not in ps.nodes)
    if ps.kind in ("through", "avoid"):
        meds = set(ps.nodes)
        via = c in meds or any(
            _reach(h, [c], m, avoid=set()) and _reach(h, [m], y, avoid=set()) for m in meds
        )
        around = c not in meds and _reach(h, [c], y, avoid=meds)
        return (via, around) if ps.kind == "through" else (around, via)
    if ps.kind == "waypoints":
        k = len(ps.nodes)
        begin = (c, ps.advance(0, x, c))
        seen, stack = {begin}, [begin]
        in_g = out_g = False
        while stack and not (in_g and out_g):
            n, i = stack.pop()
            if n == y:
                in_g |= i == k
                out_g |= i < k
                continue
            for kid in h.successors(n):
                s = (kid, ps.advance(i, n, kid))
                if s not in seen:
                    seen.add(s)
                    stack.append(s)
        return in_g, out_g
    if ps.kind == "edges":
        e = ps.edges
        # states (node, used a non-g edge); start after the edge x -> c
        start = (c, (x, c) not in e)
        seen = {start}
        stack = [start]
        in_g = out_g = False
        while stack:
            n, used = stack.pop()
            if n == y:
                in_g |= not used
                out_g |= used
                continue
            for k in h.successors(n):
                s = (k, used or (n, k) not in e)
                if s not in seen:
                    seen.add(s)
                    stack.append(s)
        return in_g, out_g
    raise ValueError(ps.kind)


def _witness(h: nx.DiGraph, x: str, y: str, c: str, ps: PathSet) -> str:
    """The node where paths in and out of ``ps`` part (Avin et al.'s witness), starting at ``c``."""
    if ps.kind == "single":
        path = ps.nodes
        for i in range(1, len(path) - 1):
            w, nxt = path[i], path[i + 1]
            # every node of h (the ancestors of y) reaches y
            if w in h and any(k != nxt for k in h.successors(w)):
                return w
        return c
    if ps.kind in ("through", "avoid"):
        meds = set(ps.nodes)
        order = list(nx.topological_sort(h))
        reach_c = descendants_of(h, [c], blocked=meds) - meds
        for w in order:
            if w not in reach_c or w == y:
                continue
            via = any(_reach(h, [w], m, avoid=set()) and _reach(h, [m], y, avoid=set())
                      for m in meds)
            if via and _reach(h, [w], y, avoid=meds):
                kids_via = [k for k in h.successors(w) if k in meds or any(
                    _reach(h, [k], m, avoid=set()) for m in meds)]
                kids_around = [k for k in h.successors(w) if k not in meds and _reach(
                    h, [k], y, avoid=meds)]
                if kids_via and kids_around and (set(kids_via) != set(kids_around)
                                                 or len(kids_via) > 1):
                    return w
        return c
    return c


@dataclass(frozen=True)
class _Context:
    ystar: frozenset[str]
    h: nx.DiGraph
    kids: tuple[str, ...]
    dists: tuple[frozenset[str], ...]
    total: IDResult
    counts: dict[str, int]


@functools.lru_cache(maxsize=256)
def _context(admg: ADMG, x: str, y: str) -> _Context:
    """Everything about (x, y) that does not depend on the path set (computed once)."""
    rest = admg.subgraph([n for n in admg.nodes if n != x])
    ystar = rest.ancestors([y])
    h = rest.subgraph(ystar).to_networkx()
    kids = tuple(c for c in admg.nodes if c in admg.children(x) and c in ystar)
    counts: dict[str, int] = {}
    for n in reversed(list(nx.topological_sort(h))):
        counts[n] = 1 if n == y else sum(counts[c] for c in h.successors(n))
    return _Context(ystar, h, kids, tuple(districts(admg, ystar)),
                    identify_interventional(admg, ystar, {x}), counts)


@functools.lru_cache(maxsize=4096)
def path_criterion(admg: ADMG, x: str, y: str, ps: PathSet) -> PathCriterion:
    """Decide identification of the effect of ``x`` on ``y`` along the paths ``ps`` (cached)."""
    ctx = _context(admg, x, y)
    h, ystar, kids = ctx.h, ctx.ystar, ctx.kids
    cls = {c: _classify(ctx, x, y, c, ps) for c in kids}
    active = frozenset(c for c in kids if cls[c][0])
    total = ctx.total
    recanting = None
    witness = None
    for d in ctx.dists:
        if any(cls[c][0] for c in d if c in cls) and any(cls[c][1] for c in d if c in cls):
            recanting = d
            both = [c for c in kids if c in d and cls[c][0] and cls[c][1]]
            if len(d) == 1 or both:
                witness = _witness(h, x, y, both[0] if both else next(iter(d)), ps)
            else:
                witness = "recanting district {" + ", ".join(sorted(d)) + "}"
            break
    identified = recanting is None and total.identified
    return PathCriterion(identified, ystar, active, recanting, witness, total, admg, (x, y))


@functools.lru_cache(maxsize=1024)
def _functional(admg: ADMG, x: str, y: str, ystar: frozenset[str], active: frozenset[str]) -> Expr:
    order = {n: i for i, n in enumerate(admg.nodes)}
    factors = []
    for d in districts(admg, ystar):
        pa = frozenset().union(*(admg.parents(v) for v in d)) - d
        (first,) = d if len(d) == 1 else (None,)
        if first is not None and not admg.siblings(first):
            # singleton district without bidirected edges: Q[{d}] = P(d | pa(d))
            e: Expr = Prob((first,), tuple(sorted(pa, key=order.__getitem__)))
        else:
            kernel = identify_interventional(admg, d, pa)
            if kernel.expression is None:  # cannot happen when P(Y*(x)) is identified
                raise ValueError(f"district {sorted(d)} has no identified kernel")
            e = kernel.expression
        if x in pa and not (d & active):
            e = rename(e, {x: f"{x}'"})
        factors.append(e)
    return sum_over(ystar - {y}, product(factors), order=order)


def single_door(
    graph: nx.DiGraph, a: str, b: str, *, observed: Iterable[str]
) -> frozenset[str] | None:
    """A set identifying the coefficient of ``a -> b`` in a linear SEM, or ``None``.

    Pearl's single-door criterion (2009, Thm 5.3.1): ``Z`` holds no descendant of ``b`` and
    d-separates ``a`` from ``b`` in the graph without the edge ``a -> b``; the coefficient is then
    the coefficient of ``a`` in the regression of ``b`` on ``a`` and ``Z``.
    """
    obs = set(observed)
    if a not in obs or b not in obs or not graph.has_edge(a, b):
        return None
    g = nx.DiGraph(graph)
    g.remove_edge(a, b)
    allowed = obs - descendants_of(graph, [b]) - {a, b}
    z = nx.find_minimal_d_separator(g, {a}, {b}, restricted=allowed)
    return None if z is None else frozenset(z)
