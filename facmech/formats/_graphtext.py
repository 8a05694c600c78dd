"""Pieces shared by the dagitty, DOT and GML readers/writers: quoting, attribute values, and
:class:`MapBuilder`, which collects node and edge records with their lines and builds the map.

Node ids are kept exactly as written (``X`` stays ``X``); only ids no format can carry (empty, with
control characters or surrounding spaces) are refused, with the line.
"""

from __future__ import annotations

import re
from typing import Any, NoReturn

from facmech.errors import MapError, MapFormatError, closest
from facmech.formats._limits import check_count
from facmech.maps.elements import Edge, Node, check_node_id
from facmech.maps.model import MechanismMap, map_from_dict
from facmech.maps.vocabulary import Confidence, Level, Provenance, Role

__all__ = [
    "DEFAULT_FLAGS",
    "DOT_KEYWORDS",
    "MapBuilder",
    "default_flags",
    "edge_attributes",
    "lagged_endpoints",
    "node_attributes",
    "quote",
]

_SAFE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DIGITS = re.compile(r"[0-9]+")
_TRUE = ("1", "true", "yes")
_FALSE = ("0", "false", "no")
#: Words that are keywords of the DOT language (case-insensitive): never written bare.
DOT_KEYWORDS = ("node", "edge", "graph", "digraph", "subgraph", "strict")
#: dagitty's node flags for the map's defaults, and the map field each fills.
DEFAULT_FLAGS = {"exposure": "treatment", "outcome": "outcome", "adjusted": "adjustment"}


def quote(value: Any) -> str:
    """A bare word if safe, otherwise a double-quoted string with escapes.

    >>> quote("trust"), quote("Carry matches"), quote("node")
    ('trust', '"Carry matches"', '"node"')
    """
    text = str(value)
    if text.lower() in DOT_KEYWORDS:
        return f'"{text}"'
    if _SAFE.match(text) or re.fullmatch(r"-?[0-9]+", text):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def default_flags(mechanism_map: MechanismMap, node_id: str) -> list[str]:
    """dagitty flags (``exposure``, ``outcome``, ``adjusted``) for the map's defaults on a node."""
    return [flag for flag, field in DEFAULT_FLAGS.items() if node_id in getattr(mechanism_map, field)]


def node_attributes(node: Node, *, lagged_endpoint: bool) -> list[tuple[str, str]]:
    """facmech attributes of a node, in writing order (defaults omitted)."""
    out: list[tuple[str, str]] = []
    if node.label and node.label != node.id:
        out.append(("label", node.label))
    out.append(("role", node.role.value))
    if node.level is not Level.SITE:
        out.append(("level", node.level.value))
    if node.time_varying != lagged_endpoint:
        out.append(("time_varying", "1" if node.time_varying else "0"))
    if node.stage:
        out.append(("stage", node.stage))
    if node.provenance is not Provenance.RECONSTRUCTED:
        out.append(("provenance", node.provenance.value))
    if node.base is not None:
        out.append(("base", node.base))
        out.append(("period", str(node.period)))
    return out


def edge_attributes(edge: Edge) -> list[tuple[str, str]]:
    """facmech attributes of an edge, in writing order (defaults omitted)."""
    out: list[tuple[str, str]] = []
    if edge.arrow is not None:
        out.append(("arrow", str(edge.arrow)))
    if edge.lag:
        out.append(("lag", str(edge.lag)))
    if str(edge.confidence) != "M":
        out.append(("confidence", str(edge.confidence)))
    if edge.provenance is not Provenance.RECONSTRUCTED:
        out.append(("provenance", edge.provenance.value))
    return out


class MapBuilder:
    """Collects nodes and edges (with the line each came from) and builds a validated map."""

    #: Bare node flags understood (dagitty's and facmech's).
    LATENT_FLAGS = ("latent", "l", "unobserved", "u")
    EXPOSURE_FLAGS = ("exposure", "e", "source")
    OUTCOME_FLAGS = ("outcome", "o", "target")
    ADJUSTED_FLAGS = ("adjusted", "a")
    IGNORED_FLAGS = ("selected", "s")

    def __init__(self, *, language: str):
        self.language = language
        self.nodes: dict[str, dict[str, Any]] = {}
        self.names: dict[str, str] = {}  # raw name -> id
        self.edges: dict[tuple[str, str, int], dict[str, Any]] = {}
        self.edge_lines: dict[tuple[str, str, int], int] = {}
        self.explicit_tv: set[str] = set()
        self.title = ""
        self.periods: int | None = None
        self.defaults: dict[str, list[str]] = {field: [] for field in DEFAULT_FLAGS.values()}
        self.bidirected_ids: set[str] = set()

    def fail(self, message: str, line: int | None) -> NoReturn:
        raise MapFormatError(f"malformed {self.language}: {message}", line=line)

    def node(self, raw: str, line: int) -> str:
        """Declare (or look up) a node by its raw name; returns its facmech id."""
        if raw in self.names:
            return self.names[raw]
        try:
            nid = check_node_id(raw)
        except MapError as exc:
            self.fail(str(exc), line)
        check_count("nodes", len(self.nodes) + 1, language=self.language, line=line)
        self.names[raw] = nid
        self.nodes[nid] = {"id": nid}
        return nid

    def flag_default(self, nid: str, field: str, on: bool = True) -> None:
        """Mark ``nid`` as (or, ``on=False``, not as) a default treatment/outcome/adjustment."""
        ids = self.defaults[field]
        if on and nid not in ids:
            ids.append(nid)
        elif not on and nid in ids:
            ids.remove(nid)

    def node_attrs(self, nid: str, attrs: list[tuple[str, str | None, int]]) -> None:
        rec = self.nodes[nid]
        for key, value, line in attrs:
            k = key.lower()
            try:
                self._node_attr(rec, nid, k, value, line)
            except MapError as exc:
                if isinstance(exc, MapFormatError):
                    raise
                self.fail(str(exc), line)

    def _node_attr(self, rec: dict[str, Any], nid: str, k: str, value: str | None, line: int) -> None:
        what = f"node {nid!r}"
        if value is None:
            if k in self.LATENT_FLAGS:
                rec["observed"] = False
            elif k in self.EXPOSURE_FLAGS:
                rec.setdefault("role", Role.STRATEGY.value)
                self.flag_default(nid, "treatment")
            elif k in self.OUTCOME_FLAGS:
                rec.setdefault("role", Role.OUTCOME.value)
                self.flag_default(nid, "outcome")
            elif k in self.ADJUSTED_FLAGS:
                self.flag_default(nid, "adjustment")
            elif k in self.IGNORED_FLAGS:
                pass
            else:
                known = (*self.LATENT_FLAGS, "exposure", "outcome", "adjusted", *self.IGNORED_FLAGS)
                self.fail(
                    f"{what}: unknown flag {k!r}.{closest(k, known)} Allowed flags: latent, "
                    "exposure, outcome, adjusted, selected",
                    line,
                )
            return
        if k == "label":
            rec["label"] = value
        elif k == "role":
            rec["role"] = Role.parse(value, argument=f"{what} `role`").value
        elif k == "level":
            rec["level"] = Level.parse(value, argument=f"{what} `level`").value
        elif k in ("time_varying", "observed"):
            v = value.strip().lower()
            if v not in _TRUE + _FALSE:
                self.fail(f"{what}: `{k}` must be 1/0 or true/false (got {value!r})", line)
            rec[k] = v in _TRUE
            if k == "time_varying":
                self.explicit_tv.add(nid)
        elif k == "latent":
            v = value.strip().lower()
            if v not in _TRUE + _FALSE:
                self.fail(f"{what}: `latent` must be 1/0 or true/false (got {value!r})", line)
            rec["observed"] = v not in _TRUE
        elif k == "stage":
            rec["stage"] = value
        elif k == "provenance":
            rec["provenance"] = Provenance.parse(value, argument=f"{what} `provenance`").value
        elif k == "description":
            rec["description"] = value
        elif k == "base":
            rec["base"] = value
        elif k == "period":
            if not _DIGITS.fullmatch(value.strip()):
                self.fail(f"{what}: `period` must be a non-negative integer (got {value!r})", line)
            rec["period"] = int(value)
        elif k in DEFAULT_FLAGS:  # exposure=1, outcome=true, adjusted=0 (DOT, GML)
            v = value.strip().lower()
            if v not in _TRUE + _FALSE:
                self.fail(f"{what}: `{k}` must be 1/0 or true/false (got {value!r})", line)
            self.flag_default(nid, DEFAULT_FLAGS[k], v in _TRUE)
        # anything else (pos, color, shape, width, ...) is layout or styling: accepted, ignored

    def edge(
        self, source: str, target: str, attrs: list[tuple[str, str | None, int]], line: int
    ) -> None:
        rec: dict[str, Any] = {"source": source, "target": target}
        for key, value, aline in attrs:
            k = key.lower()
            what = f"edge {source} -> {target}"
            if value is None:
                continue  # bare edge flags carry no meaning for facmech
            try:
                if k == "lag":
                    if value.strip() not in ("0", "1"):
                        self.fail(f"{what}: `lag` must be 0 or 1 (got {value!r})", aline)
                    rec["lag"] = int(value)
                elif k == "arrow":
                    if not _DIGITS.fullmatch(value.strip()) or int(value) < 1:
                        self.fail(
                            f"{what}: `arrow` must be a positive integer (got {value!r})", aline
                        )
                    rec["arrow"] = int(value)
                elif k == "confidence":
                    rec["confidence"] = str(Confidence.parse(value, argument=f"{what} `confidence`"))
                elif k == "provenance":
                    rec["provenance"] = Provenance.parse(value, argument=f"{what} `provenance`").value
                elif k == "description":
                    rec["description"] = value
            except MapError as exc:
                if isinstance(exc, MapFormatError):
                    raise
                self.fail(str(exc), aline)
        key = (source, target, rec.get("lag", 0))
        if key in self.edges:
            old = self.edges[key]
            for k, v in rec.items():
                if k in old and old[k] != v:
                    self.fail(
                        f"edge {source} -> {target} is given twice with different `{k}` "
                        f"({old[k]!r} on line {self.edge_lines[key]}, {v!r} here)",
                        line,
                    )
            old.update(rec)
            return
        check_count("edges", len(self.edges) + 1, language=self.language, line=line)
        self.edges[key] = rec
        self.edge_lines[key] = line

    def bidirected(self, a: str, b: str, line: int) -> None:
        """``a <-> b``: an unmeasured common cause ``u_<a>_<b>`` (names sorted, as pgmpy does)."""
        if a == b:
            self.fail(f"bidirected edge {a} <-> {b}: a node cannot share a hidden cause with itself", line)
        x, y = sorted((a, b))
        uid = f"u_{x}_{y}"
        if uid in self.nodes and uid not in self.bidirected_ids:
            self.fail(
                f"bidirected edge {a} <-> {b} needs the latent node {uid!r}, but a node of that "
                "name is already declared; rename it",
                line,
            )
        if uid not in self.nodes:
            self.bidirected_ids.add(uid)
            self.names.setdefault(uid, uid)
            self.nodes[uid] = {
                "id": uid,
                "label": f"Unmeasured common cause of {x} and {y}",
                "role": Role.CONTEXT.value,
                "observed": False,
                "description": f"Latent common cause from the bidirected edge {a} <-> {b}.",
            }
        self.edge(uid, a, [], line)
        self.edge(uid, b, [], line)

    def build(self) -> MechanismMap:
        lagged = {n for (s, t, lag) in self.edges for n in (s, t) if lag}
        nodes = []
        for nid, rec in self.nodes.items():
            rec = dict(rec)
            if nid not in self.explicit_tv and nid in lagged:
                rec["time_varying"] = True
            nodes.append(rec)
        if not nodes:
            raise MapFormatError(f"malformed {self.language}: the graph has no nodes")
        data: dict[str, Any] = {"nodes": nodes, "edges": list(self.edges.values())}
        if self.title:
            data["title"] = self.title
        if self.periods is not None:
            data["periods"] = self.periods
        data.update({field: ids for field, ids in self.defaults.items() if ids})
        return map_from_dict(data)


def lagged_endpoints(mechanism_map: MechanismMap) -> set[str]:
    """Nodes at either end of a lag-1 edge (read back as time-varying unless stated otherwise)."""
    return {n for e in mechanism_map.edges if e.lag for n in (e.source, e.target)}
