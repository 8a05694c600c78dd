"""Acyclic directed mixed graphs (ADMGs): the latent projection of a DAG with hidden nodes.

The latent projection (Verma & Pearl 1990) keeps the observed nodes and draws ``a -> b`` when the DAG
has a directed path from ``a`` to ``b`` whose intermediate nodes are all latent, and ``a <-> b`` when
some latent node reaches both ``a`` and ``b`` by directed paths through latent nodes only. It
preserves the identification answers for the observed nodes. A *district* (c-component) is a
maximal set of nodes connected by bidirected edges (Tian & Pearl 2002).

>>> import networkx as nx
>>> g = nx.DiGraph([("x", "l"), ("l", "y"), ("u", "x"), ("u", "y")])
>>> adm = latent_projection(g, {"l", "u"})
>>> sorted(adm.directed), sorted(adm.bidirected_pairs())
([('x', 'y')], [('x', 'y')])
>>> [sorted(d) for d in districts(adm)]
[['x', 'y']]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import networkx as nx

__all__ = ["ADMG", "districts", "latent_projection"]


@dataclass(frozen=True)
class ADMG:
    """An acyclic directed mixed graph.

    Parameters
    ----------
    nodes : tuple of str
        The nodes, in a topological order of the directed part.
    directed : frozenset of (str, str)
        Directed edges ``(a, b)`` for ``a -> b``.
    bidirected : frozenset of frozenset
        Bidirected edges ``{a, b}`` for ``a <-> b``.
    """

    nodes: tuple[str, ...]
    directed: frozenset[tuple[str, str]] = frozenset()
    bidirected: frozenset[frozenset[str]] = frozenset()
    _pa: dict[str, frozenset[str]] = field(default_factory=dict, compare=False, repr=False)
    _ch: dict[str, frozenset[str]] = field(default_factory=dict, compare=False, repr=False)
    _sib: dict[str, frozenset[str]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        pa: dict[str, set[str]] = {n: set() for n in self.nodes}
        ch: dict[str, set[str]] = {n: set() for n in self.nodes}
        sib: dict[str, set[str]] = {n: set() for n in self.nodes}
        for a, b in self.directed:
            pa[b].add(a)
            ch[a].add(b)
        for pair in self.bidirected:
            a, b = tuple(pair)
            sib[a].add(b)
            sib[b].add(a)
        object.__setattr__(self, "_pa", {k: frozenset(v) for k, v in pa.items()})
        object.__setattr__(self, "_ch", {k: frozenset(v) for k, v in ch.items()})
        object.__setattr__(self, "_sib", {k: frozenset(v) for k, v in sib.items()})

    def parents(self, node: str) -> frozenset[str]:
        """Directed parents of ``node``."""
        return self._pa[node]

    def children(self, node: str) -> frozenset[str]:
        """Directed children of ``node``."""
        return self._ch[node]

    def siblings(self, node: str) -> frozenset[str]:
        """Nodes joined to ``node`` by a bidirected edge."""
        return self._sib[node]

    def bidirected_pairs(self) -> list[tuple[str, str]]:
        """Bidirected edges as sorted pairs."""
        return sorted(tuple(sorted(p)) for p in self.bidirected)  # type: ignore[misc]

    def ancestors(self, nodes: Iterable[str], *, blocked: Iterable[str] = ()) -> frozenset[str]:
        """Ancestors of ``nodes`` (included), not expanding past ``blocked`` (arrows into it cut)."""
        stop = set(blocked)
        seen = set(nodes)
        stack = [n for n in seen if n not in stop]
        while stack:
            for p in self._pa[stack.pop()]:
                if p not in seen:
                    seen.add(p)
                    if p not in stop:
                        stack.append(p)
        return frozenset(seen)

    def descendants(self, nodes: Iterable[str]) -> frozenset[str]:
        """Descendants of ``nodes`` (included)."""
        seen = set(nodes)
        stack = list(seen)
        while stack:
            for c in self._ch[stack.pop()]:
                if c not in seen:
                    seen.add(c)
                    stack.append(c)
        return frozenset(seen)

    def subgraph(self, nodes: Iterable[str]) -> ADMG:
        """The induced subgraph on ``nodes`` (order kept)."""
        keep = set(nodes)
        return ADMG(
            nodes=tuple(n for n in self.nodes if n in keep),
            directed=frozenset(e for e in self.directed if e[0] in keep and e[1] in keep),
            bidirected=frozenset(p for p in self.bidirected if p <= keep),
        )

    def to_networkx(self) -> nx.DiGraph:
        """The directed part as a ``DiGraph`` (bidirected edges dropped)."""
        g = nx.DiGraph()
        g.add_nodes_from(self.nodes)
        g.add_edges_from(self.directed)
        return g


def districts(admg: ADMG, nodes: Iterable[str] | None = None) -> list[frozenset[str]]:
    """The districts (c-components) of ``admg``, or of its subgraph on ``nodes``, in node order."""
    keep = set(admg.nodes if nodes is None else nodes)
    seen: set[str] = set()
    out: list[frozenset[str]] = []
    for n in admg.nodes:
        if n not in keep or n in seen:
            continue
        comp = {n}
        stack = [n]
        while stack:
            for s in admg.siblings(stack.pop()):
                if s in keep and s not in comp:
                    comp.add(s)
                    stack.append(s)
        seen |= comp
        out.append(frozenset(comp))
    return out


def latent_projection(graph: nx.DiGraph, latent: Iterable[str]) -> ADMG:
    """Project the DAG ``graph`` onto its non-latent nodes (Verma & Pearl 1990)."""
    hidden = set(latent) & set(graph.nodes)
    order = [n for n in nx.topological_sort(graph) if n not in hidden]
    directed: set[tuple[str, str]] = set()
    bidirected: set[frozenset[str]] = set()

    def reach(start: str) -> set[str]:
        """Observed nodes reached from ``start`` through latent intermediates only."""
        found: set[str] = set()
        seen = {start}
        stack = [start]
        while stack:
            for c in graph.successors(stack.pop()):
                if c in seen:
                    continue
                seen.add(c)
                if c in hidden:
                    stack.append(c)
                else:
                    found.add(c)
        return found

    for n in order:
        directed.update((n, c) for c in reach(n))
    for h in hidden:
        ends = sorted(reach(h))
        for i, a in enumerate(ends):
            for b in ends[i + 1:]:
                bidirected.add(frozenset((a, b)))
    return ADMG(nodes=tuple(order), directed=frozenset(directed), bidirected=frozenset(bidirected))
