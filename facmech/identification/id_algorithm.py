"""The ID algorithm (Shpitser & Pearl 2006, AAAI; Tian & Pearl 2002) on a latent projection.

``identify_interventional(admg, y, x)`` returns the identifying formula of :math:`P(y \\mid do(x))`
from the observed joint distribution, or the *hedge* that proves it is not identified. The algorithm
is complete: a hedge exists exactly when the effect is not identified.

The recursion follows the seven lines of Fig. 3 of Shpitser & Pearl (2006) with one topological
order :math:`\\pi` throughout. The distribution at each step is either a marginal of the observed
joint (conditionals print as ``P(v | pred)``) or a product of kernels from line 7 (its conditionals
are built as ratios of marginals, simplified symbolically).

>>> import networkx as nx
>>> from facmech.graphs import latent_projection
>>> napkin = nx.DiGraph([("w", "z"), ("z", "x"), ("x", "y"), ("u1", "w"), ("u1", "x"),
...                      ("u2", "w"), ("u2", "y")])
>>> res = identify_interventional(latent_projection(napkin, {"u1", "u2"}), {"y"}, {"x"})
>>> res.identified
True
>>> print(res.formula)
[sum_{w} P(w) P(x | w, z) P(y | w, z, x)] / [sum_{w} P(w) P(x | w, z)]
>>> bow = nx.DiGraph([("x", "y"), ("u", "x"), ("u", "y")])
>>> res = identify_interventional(latent_projection(bow, {"u"}), {"y"}, {"x"})
>>> res.identified, sorted(res.hedge[0]), sorted(res.hedge[1])
(False, ['x', 'y'], ['y'])
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from facmech.graphs import ADMG, districts
from facmech.identification.expressions import (
    Expr,
    Prob,
    fraction,
    product,
    standardize_apart,
    sum_over,
)

__all__ = ["IDResult", "identify_interventional", "is_identifiable"]


@dataclass(frozen=True)
class IDResult:
    """Outcome of the ID algorithm.

    Attributes
    ----------
    identified : bool
    expression : Expr or None
        The identifying functional when identified.
    hedge : tuple of two frozensets, or None
        ``(F, F')``: the node sets of the hedge (two c-forests) when not identified.
    """

    identified: bool
    expression: Expr | None = None
    hedge: tuple[frozenset[str], frozenset[str]] | None = None

    @property
    def formula(self) -> str:
        """The identifying formula as text (empty when not identified)."""
        return str(self.expression) if self.expression is not None else ""


class _Hedge(Exception):
    def __init__(self, f: frozenset[str], f_prime: frozenset[str]):
        super().__init__("hedge")
        self.f = f
        self.f_prime = f_prime


@dataclass(frozen=True)
class _Dist:
    expr: Expr
    vars: frozenset[str]
    joint: bool  # a marginal of the observed joint distribution


def identify_interventional(admg: ADMG, y: Iterable[str], x: Iterable[str]) -> IDResult:
    """Identify :math:`P(y \\mid do(x))` in ``admg`` (observed nodes only) by the ID algorithm.

    Results are cached per ``(admg, y, x)`` (graphs are immutable), which makes repeated queries
    in reports cheap.
    """
    return _identify_cached(admg, frozenset(y), frozenset(x))


@functools.lru_cache(maxsize=512)
def _identify_cached(admg: ADMG, ys: frozenset[str], xs: frozenset[str]) -> IDResult:
    order = {n: i for i, n in enumerate(admg.nodes)}
    joint = _Dist(Prob(tuple(admg.nodes)), frozenset(admg.nodes), True)
    try:
        expr = _id(ys, xs, joint, admg, order)
    except _Hedge as h:
        return IDResult(False, None, (h.f, h.f_prime))
    return IDResult(True, standardize_apart(expr), None)


def _ordered(nodes: Iterable[str], order: dict[str, int]) -> tuple[str, ...]:
    return tuple(sorted(nodes, key=order.__getitem__))


def _marginal(p: _Dist, keep: frozenset[str], order: dict[str, int]) -> _Dist:
    if keep == p.vars:
        return p
    if p.joint:
        return _Dist(Prob(_ordered(keep, order)), keep, True)
    return _Dist(sum_over(p.vars - keep, p.expr, order=order), keep, False)


def _conditional(
    p: _Dist, v: str, pred: frozenset[str], order: dict[str, int], g: ADMG
) -> Expr:
    if p.joint:
        # p is the observed margin on an ancestral set, Markov to g: by the ordered local Markov
        # property, v depends on its predecessors only through its Markov blanket in
        # g[pred + v]: its district there and the parents of that district (Richardson 2003).
        sub = pred | {v}
        dis = next(d for d in districts(g, sub) if v in d)
        blanket = (dis | frozenset().union(*(g.parents(w) for w in dis))) & sub
        return Prob((v,), _ordered(blanket - {v}, order))
    num = _marginal(p, pred | {v}, order).expr
    den = _marginal(p, pred, order).expr
    return fraction(num, den)


def _id(y: frozenset[str], x: frozenset[str], p: _Dist, g: ADMG, order: dict[str, int]) -> Expr:
    v_all = frozenset(g.nodes)
    # line 1
    if not x:
        return _marginal(p, y, order).expr
    # line 2
    an = g.ancestors(y)
    if an != v_all:
        return _id(y, x & an, _marginal(p, an, order), g.subgraph(an), order)
    # line 3
    w = (v_all - x) - g.ancestors(y, blocked=x)
    if w:
        return _id(y, x | w, p, g, order)
    # line 4
    comps = districts(g, v_all - x)
    if len(comps) > 1:
        return sum_over(
            v_all - (y | x), product(_id(s, v_all - s, p, g, order) for s in comps), order=order
        )
    s = comps[0]
    whole = districts(g)
    # line 5
    if len(whole) == 1 and whole[0] == v_all:
        raise _Hedge(v_all, s)
    pos = list(g.nodes)
    # line 6
    if s in whole:
        factors = [_conditional(p, v, frozenset(pos[: pos.index(v)]), order, g)
                   for v in g.nodes if v in s]
        return sum_over(s - y, product(factors), order=order)
    # line 7
    s_prime = next(d for d in whole if s <= d)
    factors = [_conditional(p, v, frozenset(pos[: pos.index(v)]), order, g)
               for v in g.nodes if v in s_prime]
    kernel = _Dist(product(factors), s_prime, False)
    return _id(y, x & s_prime, kernel, g.subgraph(s_prime), order)


def is_identifiable(admg: ADMG, y: Iterable[str], x: Iterable[str]) -> bool:
    """Whether :math:`P(y \\mid do(x))` is identified, without building the formula.

    Tian & Pearl's (2002, AAAI) criterion, complete like the ID algorithm (Shpitser & Pearl 2006;
    Huang & Valtorta 2006): with :math:`D = An(y)_{G[V \\setminus x]}`, every district
    :math:`D_i` of :math:`G[D]` must be identifiable from the district :math:`S_i` of ``admg``
    that contains it, by repeatedly shrinking :math:`T = S_i` to the district of
    :math:`G[An(D_i)_{G[T]}]` holding :math:`D_i`: success when :math:`An(D_i)_{G[T]} = D_i`,
    a hedge when it equals ``T``. Cached per query.
    """
    return _identifiable_cached(admg, frozenset(y), frozenset(x))


@functools.lru_cache(maxsize=4096)
def _identifiable_cached(admg: ADMG, ys: frozenset[str], xs: frozenset[str]) -> bool:
    rest = admg.subgraph([n for n in admg.nodes if n not in xs])
    d = rest.ancestors(ys)
    whole = districts(admg)
    for c in districts(admg, d):
        t = next(s for s in whole if c <= s)
        while True:
            a = admg.subgraph(t).ancestors(c)
            if a == c:
                break
            if a == t:
                return False
            t = next(s for s in districts(admg, a) if c <= s)
    return True
