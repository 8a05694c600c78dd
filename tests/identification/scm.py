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
        do = do or {}
        n = len(self.order)
        table = np.zeros((2,) * n)
        for values in itertools.product((0, 1), repeat=n):
            p = 1.0
            for node in self.order:
                v = values[self.index[node]]
                if node in do:
                    p *= float(v == do[node])
                    continue
                pars = sorted(self.graph.predecessors(node), key=self.index.__getitem__)
                k = 0
                for par in pars:
                    k = 2 * k + values[self.index[par]]
                p1 = self.cpt[node][k]
                p *= p1 if v == 1 else 1 - p1
            table[values] = p
        return table

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

    def prob(self, assign: dict[str, int], names: list[str]) -> float:
        axes = tuple(i for i, n in enumerate(self.names) if n not in names)
        m = self.table.sum(axis=axes) if axes else self.table
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
