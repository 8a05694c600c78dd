"""Boundary checks shared by the identification functions: graph input, node names, paths."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from facmech.errors import CyclicMapError, FacmechError, UnknownNodeError, closest
from facmech.graphs import ADMG, latent_projection

__all__ = ["GraphInput", "QueryError", "prepare_graph"]


class QueryError(FacmechError, ValueError):
    """An identification query is malformed (treatment equals outcome, a path that is no path...)."""


@dataclass(frozen=True)
class GraphInput:
    """A DAG with its latent nodes and their latent projection."""

    graph: nx.DiGraph
    latent: frozenset[str]
    admg: ADMG = field(compare=False)

    @property
    def observed(self) -> frozenset[str]:
        return frozenset(self.graph.nodes) - self.latent

    def check_node(self, name: Any, *, argument: str) -> str:
        """Return ``name`` if it is a node, else raise with the closest ids."""
        if not isinstance(name, str) or name not in self.graph:
            raise UnknownNodeError(
                f"`{argument}`: unknown node {name!r}; the graph has "
                f"{self.graph.number_of_nodes()} nodes.{closest(str(name), map(str, self.graph))}"
            )
        return name

    def check_nodes(self, names: Iterable[Any], *, argument: str) -> tuple[str, ...]:
        if isinstance(names, str):
            names = [names]
        return tuple(self.check_node(n, argument=argument) for n in names)

    def check_observed(self, name: str, *, argument: str) -> str:
        if name in self.latent:
            raise QueryError(
                f"`{argument}`: node {name!r} is latent (not measured); a {argument} must be "
                "observed. Mark it observed (CLI: --observed) to ask this question."
            )
        return name


def _from_map(graph: Any) -> tuple[nx.DiGraph, set[str]]:
    g = graph.to_networkx()
    return nx.DiGraph(g), set(graph.latent_ids) & set(g.nodes)


def prepare_graph(
    graph: Any,
    *,
    observed: Iterable[str] | None = None,
    latent: Iterable[str] | None = None,
) -> GraphInput:
    """Turn a MechanismMap or networkx DiGraph into a :class:`GraphInput`.

    ``observed`` (when given) lists exactly the measured nodes; ``latent`` adds latent nodes on top
    of the graph's own flags. Nodes of a ``DiGraph`` with ``observed=False`` or ``latent=True``
    attributes are latent.
    """
    if isinstance(graph, nx.DiGraph):
        src = graph
        hidden = {
            n for n, a in graph.nodes(data=True)
            if a.get("latent", False) or not a.get("observed", True)
        }
    elif hasattr(graph, "to_networkx") and hasattr(graph, "latent_ids"):
        src, hidden = _from_map(graph)
    else:
        raise FacmechError(
            f"`graph` must be a MechanismMap or a networkx DiGraph (got {type(graph).__name__})"
        )
    # a bare copy: node and edge attributes are not needed and slow every graph copy down
    g = nx.DiGraph()
    g.add_nodes_from(src.nodes)
    g.add_edges_from(src.edges)
    if not nx.is_directed_acyclic_graph(g):
        cycle = [u for u, _ in nx.find_cycle(g)]
        raise CyclicMapError(
            f"`graph` has a directed cycle {' -> '.join([*cycle, cycle[0]])}; unroll feedback loops "
            "over periods first", cycle=cycle)
    probe = GraphInput(g, frozenset(), ADMG(nodes=()))
    if observed is not None:
        obs = set(probe.check_nodes(observed, argument="observed"))
        hidden = set(g.nodes) - obs
    if latent is not None:
        hidden |= set(probe.check_nodes(latent, argument="latent"))
    return GraphInput(g, frozenset(hidden), latent_projection(g, hidden))


def as_names(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)
