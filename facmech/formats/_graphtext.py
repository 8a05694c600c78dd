"""Pieces shared by the dagitty and DOT readers/writers: ids, attribute values, node/edge records."""

from __future__ import annotations

import re
from typing import Any

from facmech.errors import MapError, MapFormatError
from facmech.mechanism_map import (
    Confidence,
    Edge,
    Level,
    MechanismMap,
    Node,
    Provenance,
    Role,
    map_from_dict,
)

__all__ = ["MapBuilder", "edge_attributes", "node_attributes", "quote", "snake_id"]

_SAFE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TRUE = ("1", "true", "yes")
_FALSE = ("0", "false", "no")


def snake_id(name: str) -> str:
    """A facmech node id from any name: ``"Carry matches"`` -> ``"carry_matches"``."""
    out = re.sub(r"[^a-z0-9_]+", "_", name.strip().lower()).strip("_")
    out = re.sub(r"_+", "_", out)
    if not out:
        return "v"
    return out if out[0].isalpha() else f"v_{out}"


def quote(value: Any) -> str:
    """A bare word if safe, otherwise a double-quoted string with escapes."""
    text = str(value)
    if _SAFE.match(text) or re.fullmatch(r"-?[0-9]+", text):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


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
    IGNORED_FLAGS = ("adjusted", "a", "selected", "s")

    def __init__(self, *, language: str):
        self.language = language
        self.nodes: dict[str, dict[str, Any]] = {}
        self.names: dict[str, str] = {}  # raw name -> id
        self.edges: dict[tuple[str, str, int], dict[str, Any]] = {}
        self.edge_lines: dict[tuple[str, str, int], int] = {}
        self.explicit_tv: set[str] = set()
        self.title = ""
        self.periods: int | None = None

    def fail(self, message: str, line: int) -> None:
        raise MapFormatError(f"malformed {self.language}: {message}", line=line)

    def node(self, raw: str, line: int) -> str:
        """Declare (or look up) a node by its raw name; returns its facmech id."""
        if raw in self.names:
            return self.names[raw]
        nid = snake_id(raw)
        clash = [r for r, i in self.names.items() if i == nid]
        if clash:
            self.fail(
                f"node names {clash[0]!r} and {raw!r} both become the id {nid!r}; rename one", line
            )
        self.names[raw] = nid
        record: dict[str, Any] = {"id": nid}
        if nid != raw:
            record["label"] = raw
        self.nodes[nid] = record
        return nid

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
            elif k in ("exposure", "e", "source"):
                rec.setdefault("role", Role.STRATEGY.value)
            elif k in ("outcome", "o", "target"):
                rec.setdefault("role", Role.OUTCOME.value)
            elif k in self.IGNORED_FLAGS:
                pass
            else:
                from facmech.errors import closest

                known = (*self.LATENT_FLAGS, "exposure", "outcome", *self.IGNORED_FLAGS)
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
            if not value.isdigit():
                self.fail(f"{what}: `period` must be a non-negative integer (got {value!r})", line)
            rec["period"] = int(value)
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
                    if not value.strip().isdigit():
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
        self.edges[key] = rec
        self.edge_lines[key] = line

    def bidirected(self, a: str, b: str, line: int) -> None:
        """``a <-> b``: an unmeasured common cause ``u_<a>_<b>`` (names sorted, as pgmpy does)."""
        x, y = sorted((a, b))
        uid = f"u_{x}_{y}"
        if uid not in self.nodes:
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
        return map_from_dict(data)


def lagged_endpoints(mechanism_map: MechanismMap) -> set[str]:
    """Nodes at either end of a lag-1 edge (read back as time-varying unless stated otherwise)."""
    return {n for e in mechanism_map.edges if e.lag for n in (e.source, e.target)}
