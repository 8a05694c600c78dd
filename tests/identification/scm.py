"""A tiny exact discrete SCM evaluator used to check identifying formulas numerically.

Independent of facmech: it builds the full joint table of binary variables from random conditional
probability tables, computes interventional distributions by mutilation (truth) and evaluates
facmech's symbolic expressions on the observed marginal.
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np

from facmech.identification.expressions import Expr, Fraction, Prob, Product, Sum


class BinarySCM:
    def __init__(self, graph: nx.DiGraph, rng: np.random.Generator):
        self.graph = graph
        self.order = list(nx.topological_sort(graph))
        self.index = {n: i for i, n in enumerate(self.order)}
        # P(node = 1 | parents) for each parent configuration, bounded away from 0 and 1
        self.cpt = {
            n: rng.uniform(0.1, 0.9, size=2 ** len(list(graph.predecessors(n))))
            for n in self.order
        }

    def joint(self, do: dict[str, int] | None = None) -> np.ndarray:
        """The full joint table (one axis per node, in topological order), vectorised."""
        do = do or {}
        n = len(self.order)
        grid = np.indices((2,) * n).reshape(n, -1)
        p = np.ones(grid.shape[1])
        for node in self.order:
            v = grid[self.index[node]]
            if node in do:
                p *= v == do[node]
                continue
            pars = sorted(self.graph.predecessors(node), key=self.index.__getitem__)
            k = np.zeros_like(v)
            for par in pars:
                k = 2 * k + grid[self.index[par]]
            p1 = self.cpt[node][k]
            p *= np.where(v == 1, p1, 1 - p1)
        return p.reshape((2,) * n)

    def marginal(self, table: np.ndarray, keep: list[str]) -> dict[tuple, float]:
        axes = tuple(i for i, n in enumerate(self.order) if n not in keep)
        m = table.sum(axis=axes)
        kept = [n for n in self.order if n in keep]
        return {"names": kept, "table": m}


class Evaluator:
    """Evaluate a facmech expression on the observed joint table of a BinarySCM."""

    def __init__(self, scm: BinarySCM, observed_table: np.ndarray, observed: list[str]):
        self.names = [n for n in scm.order if n in observed]
        self.table = observed_table
        self._marg: dict[frozenset, np.ndarray] = {}

    def prob(self, assign: dict[str, int], names: list[str]) -> float:
        # a dummy summation variable renamed v* (standardize_apart) is the variable v
        starred = [n for n in names if n.endswith("*")]
        if starred:
            assign = {**assign, **{n.rstrip("*"): assign[n] for n in starred}}
            names = [n.rstrip("*") for n in names]
        key = frozenset(names)
        if key not in self._marg:
            axes = tuple(i for i, n in enumerate(self.names) if n not in key)
            self._marg[key] = self.table.sum(axis=axes) if axes else self.table
        m = self._marg[key]
        kept = [n for n in self.names if n in names]
        return float(m[tuple(assign[n] for n in kept)])

    def eval(self, e: Expr, assign: dict[str, int]) -> float:
        if isinstance(e, Prob):
            num = self.prob(assign, list(e.vars) + list(e.given))
            den = self.prob(assign, list(e.given)) if e.given else 1.0
            return num / den
        if isinstance(e, Product):
            out = 1.0
            for f in e.factors:
                out *= self.eval(f, assign)
            return out
        if isinstance(e, Sum):
            total = 0.0
            for vals in itertools.product((0, 1), repeat=len(e.over)):
                total += self.eval(e.expr, {**assign, **dict(zip(e.over, vals, strict=True))})
            return total
        if isinstance(e, Fraction):
            return self.eval(e.num, assign) / self.eval(e.den, assign)
        raise TypeError(type(e))


def true_interventional(scm: BinarySCM, y: str, do: dict[str, int]) -> float:
    """P(y = 1 | do(...)) by mutilating the SCM."""
    t = scm.joint(do)
    axes = tuple(i for i, n in enumerate(scm.order) if n != y)
    return float(t.sum(axis=axes)[1])


def observed_table(scm: BinarySCM, latent: set[str]) -> tuple[np.ndarray, list[str]]:
    t = scm.joint()
    axes = tuple(i for i, n in enumerate(scm.order) if n in latent)
    return (t.sum(axis=axes) if axes else t), [n for n in scm.order if n not in latent]


def response_types(scm: BinarySCM, node: str) -> list[tuple[float, np.ndarray]]:
    """Response functions of a node under V = 1[U < p(pa)], U ~ U(0, 1): (probability, table)."""
    p = scm.cpt[node]
    cuts = np.unique(np.concatenate([[0.0, 1.0], p]))
    out = []
    for lo, hi in itertools.pairwise(cuts):
        if hi > lo:
            u = (lo + hi) / 2
            out.append((hi - lo, (u < p).astype(int)))
    return out


def path_specific_truth(
    scm: BinarySCM, path: tuple[str, ...], y: str, a: int, a_prime: int
) -> float:
    """E[Y_p(a, a')] exactly: x = a travels along ``path`` only, x = a' along every other edge.

    Enumerates every joint response type (Avin, Shpitser & Pearl 2005, Def. of path-specific
    counterfactuals for a single path).
    """
    x = path[0]
    nodes = scm.order
    types = {n: response_types(scm, n) for n in nodes if n != x}
    pars = {n: sorted(scm.graph.predecessors(n), key=scm.index.__getitem__) for n in nodes}
    succ = dict(itertools.pairwise(path))

    def f(n: str, vals: dict[str, int], table: np.ndarray) -> int:
        k = 0
        for par in pars[n]:
            k = 2 * k + vals[par]
        return int(table[k])

    total = 0.0
    names = [n for n in nodes if n != x]
    for combo in itertools.product(*(range(len(types[n])) for n in names)):
        prob = 1.0
        tab = {}
        for n, i in zip(names, combo, strict=True):
            pr, t = types[n][i]
            prob *= pr
            tab[n] = t
        base = {x: a_prime}
        for n in names:
            base[n] = f(n, base, tab[n])
        active = {x: a}
        for prev, n in succ.items():
            vals = dict(base)
            vals[prev] = active[prev]
            active[n] = f(n, vals, tab[n])
        total += prob * active[y]
    return total


class PrimedEvaluator(Evaluator):
    """Evaluator that reads ``x'`` as the variable ``x`` at another value."""

    def prob(self, assign: dict[str, int], names: list[str]) -> float:
        vals: dict[str, int] = {}
        for n in names:
            vals[n.rstrip("'*")] = assign[n]
        return super().prob(vals, list(vals))
