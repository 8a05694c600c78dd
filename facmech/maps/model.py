"""The mechanism map model: :class:`MechanismMap`, an immutable, validated set of typed nodes and
(possibly lagged) edges, with graph access, copies and conversions to networkx and pgmpy.

Reading and writing files lives in :mod:`facmech.formats` (which builds on this module, never the
other way round); unrolling over periods in :mod:`facmech.maps.unrolling`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

import networkx as nx

from facmech.errors import ArgumentError, MapError, MapFormatError, UnknownNodeError, closest_id
from facmech.maps.elements import (
    EDGE_KEYS,
    NODE_KEYS,
    Edge,
    Node,
    _int,
    _text,
    _unknown,
    edge_from_record,
    known_fields,
    node_from_record,
)
from facmech.maps.unrolling import unroll
from facmech.maps.validation import dag_edges, validate_defaults, validate_structure
from facmech.maps.vocabulary import Role

if TYPE_CHECKING:  # pragma: no cover
    from pgmpy.base import DAG

__all__ = ["MAP_KEYS", "MechanismMap", "map_from_dict"]

#: Top-level fields of a map document.
MAP_KEYS = ("title", "citation", "doi", "periods", "treatment", "outcome", "adjustment", "nodes", "edges")


@dataclass(frozen=True)
class MechanismMap:
    """An immutable mechanism map: typed nodes, typed (possibly lagged) edges and metadata.

    Construction validates: unique snake_case node ids, edges between known nodes (with "did you
    mean" hints), each arrow number used once, no duplicate edges, lags 0 or 1, and no cycle among
    the lag-0 edges. Build from a file with :func:`~facmech.formats.load_map`, from text with
    :func:`~facmech.formats.read_map_text`, from plain data with :meth:`from_dict`.

    ``treatment``, ``outcome`` and ``adjustment`` are the map's defaults for identification (read
    from dagitty's ``[exposure]``, ``[outcome]`` and ``[adjusted]`` flags, written back on export).

    Examples
    --------
    >>> m = MechanismMap(nodes=(Node("a", role=Role.STRATEGY), Node("b")), edges=(Edge("a", "b"),))
    >>> m.to_networkx().number_of_edges()
    1
    >>> MechanismMap(nodes=(Node("a"),), edges=(Edge("a", "c"),))
    Traceback (most recent call last):
    ...
    facmech.errors.UnknownNodeError: edge a -> c: unknown target node 'c'; known nodes: a
    """

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...] = ()
    title: str = ""
    citation: str = ""
    doi: str = ""
    periods: int | None = None  # set on unrolled maps
    treatment: tuple[str, ...] = ()  # defaults for identify/plan (dagitty's [exposure])
    outcome: tuple[str, ...] = ()  # dagitty's [outcome]
    adjustment: tuple[str, ...] = ()  # dagitty's [adjusted]

    def __post_init__(self) -> None:
        object.__setattr__(self, "nodes", tuple(self.nodes))
        object.__setattr__(self, "edges", tuple(self.edges))
        if isinstance(self.citation, str):  # as the YAML reader does
            object.__setattr__(self, "citation", self.citation.strip())
        validate_structure(self.nodes, self.edges, periods=self.periods)
        defaults = validate_defaults(
            self._index,
            {"treatment": self.treatment, "outcome": self.outcome, "adjustment": self.adjustment},
        )
        position = {n.id: i for i, n in enumerate(self.nodes)}
        for name, ids in defaults.items():
            # sets of nodes, kept in node order: every format writes them as node flags
            object.__setattr__(self, name, tuple(sorted(ids, key=position.__getitem__)))

    @property
    def _dag_edges(self) -> tuple[Edge, ...]:
        return dag_edges(self.edges, self.periods)

    # ------------------------------------------------------------------ access
    @cached_property
    def _index(self) -> dict[str, Node]:
        return {n.id: n for n in self.nodes}

    @property
    def node_ids(self) -> tuple[str, ...]:
        """All node ids, in map order."""
        return tuple(n.id for n in self.nodes)

    @property
    def observed_ids(self) -> tuple[str, ...]:
        """Ids of measured nodes."""
        return tuple(n.id for n in self.nodes if n.observed)

    @property
    def latent_ids(self) -> tuple[str, ...]:
        """Ids of unmeasured (latent) nodes."""
        return tuple(n.id for n in self.nodes if not n.observed)

    @property
    def is_unrolled(self) -> bool:
        """True for a map produced by :meth:`unroll`."""
        return self.periods is not None

    def node(self, node_id: str) -> Node:
        """The node with this id; :class:`~facmech.errors.UnknownNodeError` with hints otherwise."""
        try:
            return self._index[node_id]
        except (KeyError, TypeError):
            raise UnknownNodeError(
                f"unknown node {node_id!r}.{closest_id(str(node_id), self._index)}"
            ) from None

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._index

    def check_nodes(self, ids: Iterable[str], *, argument: str) -> tuple[str, ...]:
        """Validate that every id is a node; raise naming ``argument`` and suggesting the closest."""
        out = tuple(ids)
        for i in out:
            if i not in self._index:
                raise UnknownNodeError(
                    f"`{argument}`: unknown node {i!r}.{closest_id(str(i), self._index)}"
                )
        return out

    def default_endpoints(
        self,
        treatment: str | Sequence[str] | None = None,
        outcome: str | None = None,
        *,
        treatment_arg: str = "treatment",
        outcome_arg: str = "outcome",
    ) -> tuple[str | tuple[str, ...], str]:
        """``(treatment, outcome)`` of a query, each taken from the map's defaults when not given.

        ``treatment_arg``/``outcome_arg`` name the arguments in errors (``--treatment`` on the CLI).

        >>> from facmech.formats import read_map_text
        >>> m = read_map_text("dag { X [exposure]; Y [outcome]; X -> Y }")
        >>> m.default_endpoints(), m.default_endpoints(outcome="X")
        (('X', 'Y'), ('X', 'X'))
        """
        if treatment is None:
            if not self.treatment:
                raise ArgumentError(
                    f"the following arguments are required: {treatment_arg} (the map names no "
                    "default treatment: dagitty `[exposure]`, YAML `treatment:`)"
                )
            treatment = self.treatment[0] if len(self.treatment) == 1 else self.treatment
        if outcome is None:
            if len(self.outcome) != 1:
                which = "no default outcome" if not self.outcome else (
                    f"{len(self.outcome)} outcomes ({', '.join(self.outcome)})"
                )
                raise ArgumentError(
                    f"the following arguments are required: {outcome_arg} (the map names {which}: "
                    "dagitty `[outcome]`, YAML `outcome:`)"
                )
            outcome = self.outcome[0]
        return treatment, outcome

    def arrow(self, number: int) -> Edge:
        """The edge carrying the figure's arrow ``number``."""
        for e in self.edges:
            if e.arrow == number:
                return e
        numbers = sorted(e.arrow for e in self.edges if e.arrow is not None)
        raise MapError(f"no arrow number {number!r} in the map; arrows: {numbers}")

    @property
    def arrows(self) -> tuple[Edge, ...]:
        """The numbered edges, by number."""
        return tuple(sorted((e for e in self.edges if e.arrow is not None), key=lambda e: e.arrow))

    def nodes_by_role(self) -> dict[Role, tuple[Node, ...]]:
        """Nodes grouped by role, in :class:`Role` order."""
        return {r: tuple(n for n in self.nodes if n.role is r) for r in Role}

    def parents(self, node_id: str, *, lag: int | None = None) -> tuple[str, ...]:
        """Sources of edges into ``node_id`` (optionally only those with the given lag)."""
        self.node(node_id)
        return tuple(
            e.source for e in self.edges if e.target == node_id and (lag is None or e.lag == lag)
        )

    def children(self, node_id: str, *, lag: int | None = None) -> tuple[str, ...]:
        """Targets of edges out of ``node_id`` (optionally only those with the given lag)."""
        self.node(node_id)
        return tuple(
            e.target for e in self.edges if e.source == node_id and (lag is None or e.lag == lag)
        )

    def edge(self, source: str, target: str, *, lag: int | None = None) -> Edge:
        """The edge ``source -> target``."""
        for e in self.edges:
            if e.source == source and e.target == target and (lag is None or e.lag == lag):
                return e
        self.node(source)
        self.node(target)
        raise MapError(f"no edge {source} -> {target} in the map")

    def topological_order(self) -> tuple[str, ...]:
        """Node ids in a topological order of the (within-period or unrolled) DAG, stable."""
        return tuple(nx.lexicographical_topological_sort(self.to_networkx(), key=self._position))

    def _position(self, node_id: str) -> str:
        return f"{self.node_ids.index(node_id):06d}"

    # ------------------------------------------------------------------ copies
    def with_observed(self, ids: Iterable[str]) -> MechanismMap:
        """A copy with these nodes marked observed (measured)."""
        return self._with_flag(ids, True, "ids")

    def with_latent(self, ids: Iterable[str]) -> MechanismMap:
        """A copy with these nodes marked latent (not measured)."""
        return self._with_flag(ids, False, "ids")

    def with_only_observed(self, ids: Iterable[str]) -> MechanismMap:
        """A copy in which exactly ``ids`` are observed and every other node is latent."""
        keep = set(self.check_nodes(ids, argument="observed"))
        return replace(self, nodes=tuple(replace(n, observed=n.id in keep) for n in self.nodes))

    def _with_flag(self, ids: Iterable[str], observed: bool, argument: str) -> MechanismMap:
        chosen = set(self.check_nodes(ids, argument=argument))
        nodes = tuple(replace(n, observed=observed) if n.id in chosen else n for n in self.nodes)
        return replace(self, nodes=nodes)

    def with_edges(self, edges: Iterable[Edge]) -> MechanismMap:
        """A copy with this edge list (validated again)."""
        return replace(self, edges=tuple(edges))

    def without_edges(self, edges: Iterable[Edge | tuple[str, str]]) -> MechanismMap:
        """A copy without the given edges (``Edge`` or ``(source, target)``)."""
        drop = {(e.source, e.target) if isinstance(e, Edge) else tuple(e) for e in edges}
        return self.with_edges(e for e in self.edges if (e.source, e.target) not in drop)

    def unroll(self, periods: int) -> MechanismMap:
        """Unroll the map over ``periods`` periods into a DAG; see :func:`facmech.maps.unrolling.unroll`."""
        return unroll(self, periods)

    # ------------------------------------------------------------------ conversions
    def to_networkx(self, *, include_lagged: bool = False) -> nx.DiGraph:
        """A networkx ``DiGraph`` with node and edge attributes.

        For a raw map the graph holds the lag-0 edges (one period; acyclic); ``include_lagged=True``
        adds the lag-1 edges as well (the graph may then have cycles: the feedback loops). For an
        unrolled map every edge is included and the graph is acyclic. Node attributes: ``label``,
        ``role``, ``level``, ``time_varying``, ``observed``, ``latent`` and, on unrolled maps,
        ``base`` and ``period``; edge attributes ``arrow``, ``lag``, ``confidence``, ``provenance``.
        """
        graph = nx.DiGraph(title=self.title)
        for n in self.nodes:
            attrs = n.to_dict()
            attrs.pop("id")
            attrs["latent"] = not n.observed
            graph.add_node(n.id, **attrs)
        edges = self.edges if include_lagged else self._dag_edges
        for e in edges:
            attrs = e.to_dict(evidence=False)
            attrs.pop("source")
            attrs.pop("target")
            if graph.has_edge(e.source, e.target):  # same pair at lag 0 and lag 1
                continue
            graph.add_edge(e.source, e.target, **attrs)
        return graph

    @classmethod
    def from_networkx(cls, graph: nx.DiGraph, *, title: str = "") -> MechanismMap:
        """Build a map from a ``DiGraph``; node attributes ``observed``/``latent``/``role``... are read."""
        nodes = []
        for nid, attrs in graph.nodes(data=True):
            observed = attrs.get("observed", not attrs.get("latent", False))
            nodes.append(
                node_from_record({**known_fields(attrs, NODE_KEYS), "id": nid, "observed": observed})
            )
        edges = [
            edge_from_record({**known_fields(attrs, EDGE_KEYS), "source": u, "target": v})
            for u, v, attrs in graph.edges(data=True)
        ]
        return cls(nodes=tuple(nodes), edges=tuple(edges), title=title or graph.graph.get("title", ""))

    def to_pgmpy(self) -> DAG:
        """A pgmpy ``DAG`` (latent nodes passed as ``latents``)."""
        from pgmpy.base import DAG  # lazy: pgmpy (torch-sized) is imported only when asked for

        g = self.to_networkx()
        return DAG(ebunch=list(g.edges()), latents=set(self.latent_ids) & set(g.nodes))

    def to_dict(self, *, evidence: bool = True) -> dict[str, Any]:
        """The map as plain data (the JSON shape of ``facmech map show --format json``)."""
        out: dict[str, Any] = {"title": self.title}
        if self.citation:
            out["citation"] = self.citation
        if self.doi:
            out["doi"] = self.doi
        if self.periods is not None:
            out["periods"] = self.periods
        for name in ("treatment", "outcome", "adjustment"):
            if getattr(self, name):
                out[name] = list(getattr(self, name))
        out["nodes"] = [n.to_dict() for n in self.nodes]
        out["edges"] = [e.to_dict(evidence=evidence) for e in self.edges]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MechanismMap:
        """Build a map from plain data (the YAML document's shape); see :func:`map_from_dict`."""
        return map_from_dict(data)

    def summary(self) -> str:
        """A text summary: nodes by role and the numbered arrows with their confidence."""
        lines = [self.title or "Mechanism map"]
        if self.citation:
            lines.append(self.citation)
        n_lag = sum(1 for e in self.edges if e.lag)
        lines.append(
            f"{len(self.nodes)} nodes, {len(self.edges)} edges ({n_lag} lagged), "
            f"{len(self.latent_ids)} latent"
            + (f", unrolled over {self.periods} periods" if self.periods else "")
        )
        defaults = [f"{k} {', '.join(getattr(self, k))}" for k in ("treatment", "outcome", "adjustment")
                    if getattr(self, k)]
        if defaults:
            lines.append("Defaults: " + "; ".join(defaults))
        lines.append("")
        lines.append("Nodes by role")
        for role, nodes in self.nodes_by_role().items():
            if nodes:
                names = ", ".join(n.id + ("" if n.observed else " (latent)") for n in nodes)
                lines.append(f"  {role.value:<10} {names}")
        if self.arrows:
            lines.append("")
            lines.append("Numbered arrows")
            for e in self.arrows:
                link = f"{e.source} -> {e.target}"
                lines.append(
                    f"  #{e.arrow:<3} {link:<40} confidence {e.confidence!s:<4}"
                    f" {e.provenance.value}, {len(e.evidence)} quote(s)"
                )
        others = [e for e in self.edges if e.arrow is None]
        if others:
            lines.append("")
            lines.append("Other edges")
            for e in others:
                lines.append(f"  {e}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return (
            f"MechanismMap(title={self.title!r}, nodes={len(self.nodes)}, edges={len(self.edges)}"
            + (f", periods={self.periods}" if self.periods else "")
            + ")"
        )


LineOf = Callable[[object], "int | None"]


def _items(items: list[Any], build: Callable[[Any], Any], line_of: LineOf | None) -> tuple:
    out = []
    for item in items:
        try:
            out.append(build(item))
        except MapError as exc:
            line = None if line_of is None else line_of(item)
            if line is None or isinstance(exc, MapFormatError):
                raise
            raise MapFormatError(str(exc), line=line) from None
    return tuple(out)


def _id_list(value: Any, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    return tuple(_text(v, what=f"`{field}`") for v in items)


def map_from_dict(data: Mapping[str, Any], *, line_of: LineOf | None = None) -> MechanismMap:
    """Build a :class:`MechanismMap` from plain data (the YAML document's shape).

    ``line_of(record)`` may give the source line of a node or edge record, for error messages.

    >>> map_from_dict({"nodes": [{"id": "X"}, {"id": "Y"}], "edges": [{"source": "X", "target": "Y"}],
    ...                "treatment": "X"}).treatment
    ('X',)
    >>> map_from_dict({"nodes": [{"id": "a", "measures": 5}]})
    Traceback (most recent call last):
    ...
    facmech.errors.MapError: node 'a' `measures` must be a list of text (got 5)
    """
    if not isinstance(data, Mapping):
        raise MapError(f"a map must be a mapping with `nodes` and `edges` (got {type(data).__name__})")
    _unknown(data, MAP_KEYS, "the map")
    nodes = data.get("nodes")
    if not isinstance(nodes, list) or not nodes:
        raise MapError("a map needs a non-empty `nodes` list")
    edges = data.get("edges")
    if edges is None:
        edges = []
    if not isinstance(edges, list):
        raise MapError(f"`edges` must be a list (got {type(edges).__name__})")
    periods = data.get("periods")
    return MechanismMap(
        nodes=_items(nodes, node_from_record, line_of),
        edges=_items(edges, edge_from_record, line_of),
        title=_text(data.get("title"), what="`title`"),
        citation=_text(data.get("citation"), what="`citation`").strip(),
        doi=_text(data.get("doi"), what="`doi`"),
        periods=None if periods is None else _int(periods, what="`periods`", minimum=1),
        treatment=_id_list(data.get("treatment"), "treatment"),
        outcome=_id_list(data.get("outcome"), "outcome"),
        adjustment=_id_list(data.get("adjustment"), "adjustment"),
    )
