"""Mechanism maps: typed causal DAGs of how an implementation strategy is hypothesized to work.

A *mechanism map* (Kilbourne et al. 2023, Implement Sci Commun 4:53) draws the path from a strategy
(healthcare facilitation) through mechanisms (leadership engagement, acceptance, role clarity,
sense-making, capacity, trust, normalization) to implementation and patient outcomes, with context
pointing in. facmech stores one as a :class:`MechanismMap`: an immutable set of typed :class:`Node`\\ s
and :class:`Edge`\\ s.

Edges carry a ``lag``: 0 for an effect within a period, 1 for an effect from period *t* to *t + 1*.
Lag-1 edges express feedback loops (leadership engagement permits next period's facilitation, which
earns acceptance, which grows leadership engagement). Within a period the map must be acyclic;
:meth:`MechanismMap.unroll` turns the loop into a DAG over periods, where it appears as time-varying
confounding.

The YAML format
---------------
::

    title: My map
    citation: Author et al. (2024)
    doi: 10.xxxx/yyyy
    nodes:
      - id: facilitation            # snake_case, unique
        label: Healthcare facilitation
        role: strategy              # context | strategy | component | mechanism | outcome
        level: site                 # site | staff | patient
        time_varying: true          # unrolled into facilitation_t0, facilitation_t1, ...
        observed: true              # false = latent (not measured)
        measures: [facilitator time logs]
        provenance: stated          # stated | reconstructed
        stage: strategy             # optional layout stage: baseline, strategy, early, middle, late, end
        description: ...
    edges:
      - source: facilitation
        target: acceptance
        arrow: 1                    # the figure's arrow number (optional, unique)
        lag: 0                      # 0 within a period, 1 from period t to t + 1
        provenance: reconstructed
        confidence: M-H             # H | M | L, or a range such as M-H
        direction_uncertain: false  # true: map variants also try target -> source
        evidence:
          - {vignette: VHA, quote: "..."}

>>> m = load_map()
>>> m.arrow(2).source, m.arrow(2).target
('facilitation', 'leadership_engagement')
>>> len([e for e in m.edges if e.arrow is not None])
15
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx

from facmech._choice import Choice
from facmech.errors import CyclicMapError, MapError, UnknownNodeError, closest

if TYPE_CHECKING:  # pragma: no cover
    from pgmpy.base import DAG

__all__ = [
    "Confidence",
    "ConfidenceLevel",
    "Edge",
    "Evidence",
    "Level",
    "MechanismMap",
    "Node",
    "Provenance",
    "Role",
    "load_map",
]

_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class _Choice(Choice):
    """Map vocabularies: unknown values are :class:`~facmech.errors.MapError`."""

    @classmethod
    def error_class(cls) -> type[MapError]:
        return MapError


class Role(_Choice):
    """What a node is in the logic model."""

    CONTEXT = "context"
    STRATEGY = "strategy"
    COMPONENT = "component"
    MECHANISM = "mechanism"
    OUTCOME = "outcome"


class Level(_Choice):
    """The level at which a construct varies (and is measured)."""

    SITE = "site"
    STAFF = "staff"
    PATIENT = "patient"


class Provenance(_Choice):
    """Whether the paper's text states it, or it is our reconstruction of the figure."""

    STATED = "stated"
    RECONSTRUCTED = "reconstructed"


class ConfidenceLevel(_Choice):
    """Confidence in an arrow: low, medium, high (ordered)."""

    L = "l"
    M = "m"
    H = "h"

    @property
    def rank(self) -> int:
        return {"l": 0, "m": 1, "h": 2}[self.value]

    def __str__(self) -> str:
        return self.value.upper()


@dataclass(frozen=True, order=False)
class Confidence:
    """Confidence in an arrow, a level (``"H"``) or a range (``"M-H"``).

    >>> c = Confidence.parse("M-H")
    >>> str(c), c.low.rank, c.high.rank, c.meets("M"), c.meets("H"), c.meets("H", strict=True)
    ('M-H', 1, 2, True, True, False)
    """

    low: ConfidenceLevel = ConfidenceLevel.M
    high: ConfidenceLevel = ConfidenceLevel.M

    def __post_init__(self) -> None:
        if self.low.rank > self.high.rank:
            lo, hi = self.high, self.low
            object.__setattr__(self, "low", lo)
            object.__setattr__(self, "high", hi)

    @classmethod
    def parse(cls, value: Any, *, argument: str = "`confidence`") -> Confidence:
        if isinstance(value, Confidence):
            return value
        text = str(value).strip()
        parts = [p for p in re.split(r"\s*[-–/]\s*", text) if p]
        if len(parts) not in (1, 2):
            raise MapError(
                f"{argument}: cannot read {value!r}; use H, M, L or a range such as M-H"
            )
        levels = [ConfidenceLevel.parse(p, argument=argument) for p in parts]
        return cls(levels[0], levels[-1])

    def meets(self, threshold: str | ConfidenceLevel, *, strict: bool = False) -> bool:
        """Whether the arrow reaches ``threshold``: its upper end does (or, ``strict``, its lower end)."""
        t = ConfidenceLevel.parse(threshold, argument="min_confidence")
        return (self.low if strict else self.high).rank >= t.rank

    def __str__(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}-{self.high}"


@dataclass(frozen=True)
class Evidence:
    """A quotation from a vignette that cites an arrow."""

    vignette: str
    quote: str

    def to_dict(self) -> dict[str, str]:
        return {"vignette": self.vignette, "quote": self.quote}


@dataclass(frozen=True)
class Node:
    """A construct of the map.

    ``base`` and ``period`` are set on unrolled maps: ``leadership_engagement_t2`` has base
    ``leadership_engagement`` and period 2.
    """

    id: str
    label: str = ""
    role: Role = Role.MECHANISM
    level: Level = Level.SITE
    time_varying: bool = False
    observed: bool = True
    measures: tuple[str, ...] = ()
    provenance: Provenance = Provenance.RECONSTRUCTED
    stage: str | None = None
    description: str = ""
    base: str | None = None
    period: int | None = None

    def __post_init__(self) -> None:
        what = f"node {self.id!r}"
        object.__setattr__(self, "role", Role.parse(self.role, argument=f"{what} `role`"))
        object.__setattr__(self, "level", Level.parse(self.level, argument=f"{what} `level`"))
        object.__setattr__(
            self, "provenance", Provenance.parse(self.provenance, argument=f"{what} `provenance`")
        )
        if isinstance(self.measures, str):
            object.__setattr__(self, "measures", (self.measures,))
        else:
            object.__setattr__(self, "measures", tuple(self.measures))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "label": self.label or self.id,
            "role": self.role.value,
            "level": self.level.value,
            "time_varying": self.time_varying,
            "observed": self.observed,
            "measures": list(self.measures),
            "provenance": self.provenance.value,
        }
        if self.stage is not None:
            out["stage"] = self.stage
        if self.description:
            out["description"] = self.description
        if self.base is not None:
            out["base"] = self.base
            out["period"] = self.period
        return out


@dataclass(frozen=True)
class Edge:
    """A hypothesized causal arrow ``source -> target``."""

    source: str
    target: str
    arrow: int | None = None
    lag: int = 0
    provenance: Provenance = Provenance.RECONSTRUCTED
    confidence: Confidence = field(default_factory=Confidence)
    evidence: tuple[Evidence, ...] = ()
    description: str = ""
    direction_uncertain: bool = False

    def __post_init__(self) -> None:
        what = f"edge {self.source} -> {self.target}"
        object.__setattr__(
            self, "provenance", Provenance.parse(self.provenance, argument=f"{what} `provenance`")
        )
        object.__setattr__(
            self, "confidence", Confidence.parse(self.confidence, argument=f"{what} `confidence`")
        )
        object.__setattr__(self, "evidence", tuple(self.evidence))

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.source, self.target, self.lag)

    def to_dict(self, *, evidence: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "source": self.source,
            "target": self.target,
            "arrow": self.arrow,
            "lag": self.lag,
            "provenance": self.provenance.value,
            "confidence": str(self.confidence),
        }
        if self.direction_uncertain:
            out["direction_uncertain"] = True
        if self.description:
            out["description"] = self.description
        if evidence:
            out["evidence"] = [e.to_dict() for e in self.evidence]
        return out

    def __str__(self) -> str:
        tag = f" (#{self.arrow})" if self.arrow is not None else ""
        lag = " [lag 1]" if self.lag else ""
        return f"{self.source} -> {self.target}{tag}{lag}"


@dataclass(frozen=True)
class MechanismMap:
    """An immutable mechanism map: typed nodes, typed (possibly lagged) edges and metadata.

    Construction validates: unique snake_case node ids, edges between known nodes (with "did you
    mean" hints), each arrow number used once, no duplicate edges, lags 0 or 1, and no cycle among
    the lag-0 edges. Build from YAML with :func:`load_map`, from dagitty with :meth:`from_dagitty`.

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

    def __post_init__(self) -> None:
        object.__setattr__(self, "nodes", tuple(self.nodes))
        object.__setattr__(self, "edges", tuple(self.edges))
        self._validate()

    # ------------------------------------------------------------------ validation
    def _validate(self) -> None:
        seen: set[str] = set()
        for n in self.nodes:
            if not isinstance(n.id, str) or not _ID.match(n.id):
                raise MapError(
                    f"node id {n.id!r} is not snake_case (lowercase letters, digits and underscores, "
                    "starting with a letter)"
                )
            if n.id in seen:
                raise MapError(f"duplicate node id {n.id!r}: each node id must be unique")
            seen.add(n.id)
        arrows: dict[int, Edge] = {}
        keys: set[tuple[str, str, int]] = set()
        for e in self.edges:
            for end, name in (("source", e.source), ("target", e.target)):
                if name not in seen:
                    hint = closest(name, seen)
                    known = hint or f" known nodes: {', '.join(sorted(seen)[:25])}"
                    raise UnknownNodeError(
                        f"edge {e.source} -> {e.target}: unknown {end} node {name!r};{known}"
                    )
            if e.lag not in (0, 1):
                raise MapError(f"edge {e}: `lag` must be 0 or 1 (got {e.lag!r})")
            if e.source == e.target and e.lag == 0:
                raise CyclicMapError(
                    f"edge {e}: a node cannot cause itself within a period (use lag: 1 for "
                    "persistence over periods)",
                    cycle=(e.source,),
                )
            if e.key in keys:
                raise MapError(f"duplicate edge {e.source} -> {e.target} (lag {e.lag})")
            keys.add(e.key)
            if e.arrow is not None and self.periods is None:
                if e.arrow in arrows:
                    raise MapError(
                        f"arrow number {e.arrow} is used twice: {arrows[e.arrow]} and {e}"
                    )
                arrows[e.arrow] = e
        graph = nx.DiGraph()
        graph.add_nodes_from(n.id for n in self.nodes)
        graph.add_edges_from((e.source, e.target) for e in self._dag_edges)
        try:
            cycle = nx.find_cycle(graph)
        except nx.NetworkXNoCycle:
            return
        nodes_on = [u for u, _ in cycle] + [cycle[0][0]]
        where = "in the unrolled map" if self.periods else "within a period (lag-0 edges)"
        raise CyclicMapError(
            f"the map has a cycle {where}: {' -> '.join(nodes_on)}; mark the feedback edge as "
            "`lag: 1` (from period t to t+1) or remove it",
            cycle=nodes_on[:-1],
        )

    @property
    def _dag_edges(self) -> tuple[Edge, ...]:
        if self.periods is not None:
            return self.edges
        return tuple(e for e in self.edges if e.lag == 0)

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
                f"unknown node {node_id!r}.{closest(str(node_id), self._index)}"
            ) from None

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._index

    def check_nodes(self, ids: Iterable[str], *, argument: str) -> tuple[str, ...]:
        """Validate that every id is a node; raise naming ``argument`` and suggesting the closest."""
        out = tuple(ids)
        for i in out:
            if i not in self._index:
                raise UnknownNodeError(
                    f"`{argument}`: unknown node {i!r}.{closest(str(i), self._index)}"
                )
        return out

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
        """Unroll the map over ``periods`` periods into a DAG; see :func:`facmech.unroll.unroll`."""
        from facmech.unroll import unroll

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
                _node_from_mapping({**_known(attrs, _NODE_KEYS), "id": nid, "observed": observed})
            )
        edges = [
            _edge_from_mapping({**_known(attrs, _EDGE_KEYS), "source": u, "target": v})
            for u, v, attrs in graph.edges(data=True)
        ]
        return cls(nodes=tuple(nodes), edges=tuple(edges), title=title or graph.graph.get("title", ""))

    def to_pgmpy(self) -> DAG:
        """A pgmpy ``DAG`` (latent nodes passed as ``latents``)."""
        from pgmpy.base import DAG

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
        out["nodes"] = [n.to_dict() for n in self.nodes]
        out["edges"] = [e.to_dict(evidence=evidence) for e in self.edges]
        return out

    def to_yaml(self) -> str:
        """The map in facmech's YAML format."""
        from facmech.formats.yaml_format import dump_yaml

        return dump_yaml(self)

    def to_dagitty(self) -> str:
        """The map in dagitty syntax (latent nodes marked ``[latent]``, lags as ``[lag=1]``)."""
        from facmech.formats.dagitty import to_dagitty

        return to_dagitty(self)

    @classmethod
    def from_dagitty(cls, text: str) -> MechanismMap:
        """Parse dagitty syntax (``dag { a -> b; u [latent]; x <-> y }``)."""
        from facmech.formats.dagitty import from_dagitty

        return from_dagitty(text)

    def to_dot(self) -> str:
        """The map in Graphviz DOT."""
        from facmech.formats.dot import to_dot

        return to_dot(self)

    @classmethod
    def from_dot(cls, text: str) -> MechanismMap:
        """Parse Graphviz DOT (a ``digraph``)."""
        from facmech.formats.dot import from_dot

        return from_dot(text)

    def to_gml(self) -> str:
        """The map as GML, the graph format DoWhy's ``CausalModel(graph=...)`` takes."""
        from facmech.formats.gml import to_gml

        return to_gml(self)

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


# ---------------------------------------------------------------------- building from data
_NODE_KEYS = (
    "id", "label", "role", "level", "time_varying", "observed", "measures", "provenance", "stage",
    "description", "base", "period",
)
_EDGE_KEYS = (
    "source", "target", "arrow", "lag", "provenance", "confidence", "evidence", "description",
    "direction_uncertain",
)


def _known(attrs: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    return {k: v for k, v in attrs.items() if k in keys and v is not None}


def _bool(value: Any, *, what: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "1", "false", "no", "0"):
        return value.strip().lower() in ("true", "yes", "1")
    raise MapError(f"{what}: expected true or false (got {value!r})")


def _node_from_mapping(data: Mapping[str, Any]) -> Node:
    if not isinstance(data, Mapping):
        raise MapError(f"each node must be a mapping with at least `id` (got {data!r})")
    unknown = set(data) - set(_NODE_KEYS)
    nid = data.get("id")
    if nid is None:
        raise MapError(f"a node has no `id`: {dict(data)!r}")
    what = f"node {nid!r}"
    if unknown:
        raise MapError(
            f"{what}: unknown field(s) {sorted(unknown)}; allowed: {', '.join(_NODE_KEYS)}"
        )
    measures = data.get("measures", ())
    if isinstance(measures, str):
        measures = (measures,)
    period = data.get("period")
    return Node(
        id=str(nid),
        label=str(data.get("label", "") or ""),
        role=Role.parse(data.get("role", "mechanism"), argument=f"{what} `role`"),
        level=Level.parse(data.get("level", "site"), argument=f"{what} `level`"),
        time_varying=_bool(data.get("time_varying", False), what=f"{what} `time_varying`"),
        observed=_bool(data.get("observed", True), what=f"{what} `observed`"),
        measures=tuple(str(m) for m in measures),
        provenance=Provenance.parse(
            data.get("provenance", "reconstructed"), argument=f"{what} `provenance`"
        ),
        stage=None if data.get("stage") is None else str(data["stage"]),
        description=str(data.get("description", "") or "").strip(),
        base=None if data.get("base") is None else str(data["base"]),
        period=None if period is None else int(period),
    )


def _edge_from_mapping(data: Mapping[str, Any]) -> Edge:
    if not isinstance(data, Mapping) or "source" not in data or "target" not in data:
        raise MapError(f"each edge needs `source` and `target` (got {data!r})")
    what = f"edge {data['source']} -> {data['target']}"
    unknown = set(data) - set(_EDGE_KEYS)
    if unknown:
        raise MapError(
            f"{what}: unknown field(s) {sorted(unknown)}; allowed: {', '.join(_EDGE_KEYS)}"
        )
    arrow = data.get("arrow")
    if arrow is not None and (isinstance(arrow, bool) or not str(arrow).isdigit()):
        raise MapError(f"{what}: `arrow` must be a positive integer (got {arrow!r})")
    lag = data.get("lag", 0)
    if isinstance(lag, bool) or str(lag) not in ("0", "1"):
        raise MapError(f"{what}: `lag` must be 0 or 1 (got {lag!r})")
    evidence = []
    for item in data.get("evidence", ()) or ():
        if not isinstance(item, Mapping) or "quote" not in item:
            raise MapError(f"{what}: each evidence item needs `vignette` and `quote` (got {item!r})")
        evidence.append(Evidence(str(item.get("vignette", "")), str(item["quote"]).strip()))
    return Edge(
        source=str(data["source"]),
        target=str(data["target"]),
        arrow=None if arrow is None else int(arrow),
        lag=int(lag),
        provenance=Provenance.parse(
            data.get("provenance", "reconstructed"), argument=f"{what} `provenance`"
        ),
        confidence=Confidence.parse(data.get("confidence", "M"), argument=f"{what} `confidence`"),
        evidence=tuple(evidence),
        description=str(data.get("description", "") or "").strip(),
        direction_uncertain=_bool(
            data.get("direction_uncertain", False), what=f"{what} `direction_uncertain`"
        ),
    )


def map_from_dict(data: Mapping[str, Any]) -> MechanismMap:
    """Build a :class:`MechanismMap` from plain data (the YAML document's shape)."""
    if not isinstance(data, Mapping):
        raise MapError(f"a map must be a mapping with `nodes` and `edges` (got {type(data).__name__})")
    allowed = {"title", "citation", "doi", "nodes", "edges", "periods"}
    unknown = set(data) - allowed
    if unknown:
        raise MapError(f"unknown top-level field(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
    nodes = data.get("nodes")
    if not isinstance(nodes, list) or not nodes:
        raise MapError("a map needs a non-empty `nodes` list")
    edges = data.get("edges") or []
    if not isinstance(edges, list):
        raise MapError("`edges` must be a list")
    periods = data.get("periods")
    return MechanismMap(
        nodes=tuple(_node_from_mapping(n) for n in nodes),
        edges=tuple(_edge_from_mapping(e) for e in edges),
        title=str(data.get("title", "") or ""),
        citation=str(data.get("citation", "") or "").strip(),
        doi=str(data.get("doi", "") or ""),
        periods=None if periods is None else int(periods),
    )


_BUILTIN = Path(__file__).parent / "maps"


def builtin_maps() -> tuple[str, ...]:
    """Names of the maps shipped with facmech."""
    return tuple(sorted(p.stem for p in _BUILTIN.glob("*.yaml")))


def load_map(name_or_path: str | Path | MechanismMap = "facilitation") -> MechanismMap:
    """Load a built-in map by name, or a user map from a facmech YAML, dagitty or DOT file.

    The format of a file is detected from its content.

    Parameters
    ----------
    name_or_path
        ``"facilitation"`` (the default, Kilbourne et al. 2023) or a path. A
        :class:`MechanismMap` is returned unchanged.

    Examples
    --------
    >>> load_map().node("trust").role
    <Role.MECHANISM: 'mechanism'>
    >>> load_map("no_such_map")
    Traceback (most recent call last):
    ...
    facmech.errors.MapError: no map file 'no_such_map' (and no built-in map by that name; ...)
    """
    from facmech.formats import read_map_text

    if isinstance(name_or_path, MechanismMap):
        return name_or_path
    text_name = str(name_or_path)
    path = Path(text_name)
    if not path.is_file() and (_BUILTIN / f"{text_name}.yaml").is_file():
        path = _BUILTIN / f"{text_name}.yaml"
    if not path.exists():
        raise MapError(
            f"no map file {text_name!r} (and no built-in map by that name; built-in: "
            f"{', '.join(builtin_maps())})"
        )
    if path.is_dir():
        raise MapError(f"map path {text_name!r} is a directory, not a file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MapError(f"cannot read map file {text_name!r}: {exc}") from None
    return read_map_text(text, source=str(path))
