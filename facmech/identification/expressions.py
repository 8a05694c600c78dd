"""Symbolic probability expressions for identifying formulas (printed as text).

Terms are :class:`Prob` (``P(y | x, z)``), :class:`Product`, :class:`Sum` (marginalisation) and
:class:`Fraction`. The constructors :func:`sum_over`, :func:`product` and :func:`fraction` simplify as
they build: summing a kernel over a variable nothing else depends on drops it, a joint loses summed
variables, common factors cancel.

>>> e = sum_over({"z"}, product([Prob(("y",), ("x", "z")), Prob(("z",))]))
>>> str(e)
'sum_{z} P(y | x, z) P(z)'
>>> str(sum_over({"m"}, product([Prob(("m",), ("x",)), Prob(("y",), ("x",))])))
'P(y | x)'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "ONE", "Expr", "Fraction", "Prob", "Product", "Sum", "fraction", "product", "rename",
    "standardize_apart", "sum_over",
]


class Expr:
    """Base class of probability expressions."""

    def free(self) -> frozenset[str]:
        """Variables the expression depends on (not summed out)."""
        raise NotImplementedError


@dataclass(frozen=True)
class Prob(Expr):
    """``P(vars | given)`` in the observed distribution."""

    vars: tuple[str, ...]
    given: tuple[str, ...] = ()

    def free(self) -> frozenset[str]:
        return frozenset(self.vars) | frozenset(self.given)

    def __str__(self) -> str:
        head = ", ".join(self.vars)
        return f"P({head} | {', '.join(self.given)})" if self.given else f"P({head})"


@dataclass(frozen=True)
class Product(Expr):
    """A product of factors (the empty product is 1)."""

    factors: tuple[Expr, ...]

    def free(self) -> frozenset[str]:
        out: frozenset[str] = frozenset()
        for f in self.factors:
            out |= f.free()
        return out

    def __str__(self) -> str:
        if not self.factors:
            return "1"
        return " ".join(f"[{f}]" if isinstance(f, (Sum, Fraction)) else str(f) for f in self.factors)


@dataclass(frozen=True)
class Sum(Expr):
    """``sum_{over} expr``."""

    over: tuple[str, ...]
    expr: Expr

    def free(self) -> frozenset[str]:
        return self.expr.free() - frozenset(self.over)

    def __str__(self) -> str:
        return f"sum_{{{', '.join(self.over)}}} {self.expr}"


@dataclass(frozen=True)
class Fraction(Expr):
    """``num / den``."""

    num: Expr
    den: Expr

    def free(self) -> frozenset[str]:
        return self.num.free() | self.den.free()

    def __str__(self) -> str:
        return f"[{self.num}] / [{self.den}]"


ONE = Product(())


def product(factors: Iterable[Expr]) -> Expr:
    """A simplified product: nested products flattened, ones dropped, a single factor unwrapped."""
    flat: list[Expr] = []
    for f in factors:
        if isinstance(f, Product):
            flat.extend(f.factors)
        else:
            flat.append(f)
    return flat[0] if len(flat) == 1 else Product(tuple(flat))


def _sorted(names: Iterable[str], order: dict[str, int] | None) -> tuple[str, ...]:
    key = (lambda n: (order.get(n, len(order)), n)) if order else (lambda n: n)
    return tuple(sorted(set(names), key=key))


def sum_over(over: Iterable[str], expr: Expr, *, order: dict[str, int] | None = None) -> Expr:
    """``sum_{over} expr``, simplified where the sum can be carried out symbolically."""
    todo = set(over) & expr.free()
    if not todo:
        return expr
    if isinstance(expr, Prob) and todo <= set(expr.vars) and not todo & set(expr.given):
        rest = tuple(v for v in expr.vars if v not in todo)
        return Prob(rest, expr.given) if rest else ONE
    if isinstance(expr, Sum):
        return sum_over(todo | set(expr.over), expr.expr, order=order)
    if isinstance(expr, Product):
        factors = _drop_summed(list(expr.factors), todo)
        expr = product(factors)
        todo &= expr.free()
        if not todo:
            return expr
        # pull out factors that do not depend on the summed variables
        if isinstance(expr, Product):
            outside = [f for f in expr.factors if not f.free() & todo]
            inside = [f for f in expr.factors if f.free() & todo]
            if outside and inside:
                return product([*outside, Sum(_sorted(todo, order), product(inside))])
    return Sum(_sorted(todo, order), expr)


def _drop_summed(factors: list[Expr], todo: set[str]) -> list[Expr]:
    """Sum out of the kernels the variables in ``todo`` that no other factor mentions (in place).

    A variable ``v`` of ``P(vars | given)`` is summed out when it is in ``todo``, not in ``given``
    and free in no other factor; a kernel left with no variable is 1 and goes, which may free
    more variables. The result is the same whatever the order (a drop never blocks another), so
    a work list over the variables' use counts replaces rescanning every factor per drop: linear
    instead of cubic in the number of factors.
    """
    frees = [f.free() for f in factors]
    uses: dict[str, int] = {}
    for fr in frees:
        for v in fr:
            uses[v] = uses.get(v, 0) + 1
    alive = [True] * len(factors)
    where: dict[str, int] = {}
    for i, f in enumerate(factors):
        if isinstance(f, Prob):
            for v in f.vars:
                where.setdefault(v, i)
    work = [v for v in todo if uses.get(v) == 1 and v in where]
    while work:
        v = work.pop()
        i = where.get(v)
        if v not in todo or i is None or not alive[i] or uses.get(v) != 1:
            continue
        f = factors[i]
        if v not in f.vars or v in f.given:
            continue
        todo.discard(v)
        uses[v] = 0
        rest = tuple(u for u in f.vars if u != v)
        if rest:
            factors[i] = Prob(rest, f.given)
            continue
        alive[i] = False
        for u in f.given:
            uses[u] -= 1
            if uses[u] == 1 and u in todo:
                work.append(u)
    return [f for f, a in zip(factors, alive, strict=True) if a]


def fraction(num: Expr, den: Expr) -> Expr:
    """``num / den`` with common product factors cancelled."""
    nf = list(num.factors) if isinstance(num, Product) else [num]
    df = list(den.factors) if isinstance(den, Product) else [den]
    for f in list(df):
        if f in nf:
            nf.remove(f)
            df.remove(f)
    if not df:
        return product(nf)
    return Fraction(product(nf), product(df))


def rename(expr: Expr, mapping: dict[str, str]) -> Expr:
    """A copy of ``expr`` with variables renamed (``{"x": "x'"}`` sets a baseline value)."""
    def r(names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(mapping.get(n, n) for n in names)

    if isinstance(expr, Prob):
        return Prob(r(expr.vars), r(expr.given))
    if isinstance(expr, Product):
        return Product(tuple(rename(f, mapping) for f in expr.factors))
    if isinstance(expr, Sum):
        return Sum(r(expr.over), rename(expr.expr, mapping))
    if isinstance(expr, Fraction):
        return Fraction(rename(expr.num, mapping), rename(expr.den, mapping))
    raise TypeError(type(expr).__name__)


def standardize_apart(expr: Expr, outer: frozenset[str] = frozenset()) -> Expr:
    """Rename summation variables that shadow a variable used outside their sum (``v`` -> ``v*``).

    The ID algorithm may marginalise a kernel over a variable that is also fixed outside (an
    intervened node, say); the formula is correct with scoping, but renaming the dummy variable
    makes the text unambiguous.

    >>> e = product([Prob(("c",), ("x",)), Sum(("x",), Prob(("y",), ("x",)))])
    >>> str(standardize_apart(e))
    'P(c | x) [sum_{x*} P(y | x*)]'
    """
    if isinstance(expr, Prob):
        return expr
    if isinstance(expr, Product):
        out = []
        for i, f in enumerate(expr.factors):
            ctx = outer.union(*(g.free() for j, g in enumerate(expr.factors) if j != i))
            out.append(standardize_apart(f, ctx))
        return Product(tuple(out))
    if isinstance(expr, Fraction):
        return Fraction(standardize_apart(expr.num, outer), standardize_apart(expr.den, outer))
    if isinstance(expr, Sum):
        clash = set(expr.over) & outer
        mapping = {}
        for v in clash:
            new = v + "*"
            while new in outer or new in expr.expr.free():
                new += "*"
            mapping[v] = new
        inner = rename(expr.expr, mapping) if mapping else expr.expr
        over = tuple(mapping.get(v, v) for v in expr.over)
        return Sum(over, standardize_apart(inner, outer | frozenset(over)))
    raise TypeError(type(expr).__name__)
