"""Simplification of symbolic sums (expressions.sum_over) against the rescanning algorithm it
replaced (kept here as the reference): the work list must give the identical expression."""

from __future__ import annotations

import random

import pytest

from facmech.identification.expressions import Expr, Prob, Product, Sum, product, sum_over


def _reference(over, expr: Expr) -> Expr:
    """The quadratic-per-drop loop of facmech 0.1 (summing out variables no other factor uses)."""
    todo = set(over) & expr.free()
    if not todo or not isinstance(expr, Product):
        return sum_over(over, expr)
    factors = list(expr.factors)
    changed = True
    while changed and todo:
        changed = False
        for i, f in enumerate(factors):
            others = frozenset().union(*(g.free() for j, g in enumerate(factors) if j != i))
            if isinstance(f, Prob):
                drop = (set(f.vars) & todo) - others - set(f.given)
                if drop:
                    rest = tuple(v for v in f.vars if v not in drop)
                    todo -= drop
                    if rest:
                        factors[i] = Prob(rest, f.given)
                    else:
                        del factors[i]
                    changed = True
                    break
    expr = product(factors)
    todo &= expr.free()
    if not todo:
        return expr
    if isinstance(expr, Product):
        outside = [f for f in expr.factors if not f.free() & todo]
        inside = [f for f in expr.factors if f.free() & todo]
        if outside and inside:
            return product([*outside, Sum(tuple(sorted(todo)), product(inside))])
    return Sum(tuple(sorted(todo)), expr)


@pytest.mark.parametrize("seed", range(200))
def test_sum_over_equals_the_reference_loop(seed):
    rng = random.Random(seed)
    names = [f"v{i}" for i in range(rng.randint(3, 9))]
    factors = []
    for _ in range(rng.randint(2, 7)):
        k = rng.randint(1, 2)
        vars_ = tuple(rng.sample(names, k))
        given = tuple(v for v in rng.sample(names, rng.randint(0, 3)) if v not in vars_)
        f: Expr = Prob(vars_, given)
        if rng.random() < 0.15:
            f = Sum((vars_[0],), f)
        factors.append(f)
    expr = Product(tuple(factors))
    over = set(rng.sample(names, rng.randint(1, len(names))))
    assert sum_over(over, expr) == _reference(over, expr)


def test_long_chain_sums_out_in_one_pass():
    # P(x1 | x0) P(x2 | x1) ... P(x400 | x399) summed over x1..x399 is P(x400 | x0)'s chain sum
    # left as one Sum (no variable is free in a single factor except the last); a closed form:
    n = 400
    expr = Product(tuple(Prob((f"x{i + 1}",), (f"x{i}",)) for i in range(n)))
    out = sum_over({f"x{i}" for i in range(1, n)}, expr)
    assert isinstance(out, Sum) and len(out.over) == n - 1
    # summing the last one out as well makes every kernel drop, back to 1
    assert str(sum_over({f"x{i}" for i in range(1, n + 1)}, expr)) == "1"
