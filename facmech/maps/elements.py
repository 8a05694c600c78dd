"""The elements of a mechanism map: :class:`Node`, :class:`Edge`, :class:`Evidence`, and their
construction from plain data (a YAML document's node and edge records).

Node ids are kept exactly as written in the source file (``X``, ``Carry matches`` and
``leadership_engagement`` are all ids); :func:`check_node_id` refuses only what no format can carry
back: empty ids, ids with surrounding spaces, and control characters such as a newline.

>>> node_from_record({"id": "X", "role": "strategy"}).role
<Role.STRATEGY: 'strategy'>
>>> check_node_id("a\\n")
Traceback (most recent call last):
...
facmech.errors.MapError: node id 'a\\n' contains a control character ...
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from facmech.errors import MapError
from facmech.maps.vocabulary import Confidence, Level, Provenance, Role

__all__ = [
    "EDGE_KEYS",
    "NODE_KEYS",
    "Edge",
    "Evidence",
    "Node",
    "check_node_id",
    "edge_from_record",
    "node_from_record",
]

NODE_KEYS = (
    "id", "label", "role", "level", "time_varying", "observed", "measures", "provenance", "stage",
    "description", "base", "period",
)
EDGE_KEYS = (
    "source", "target", "arrow", "lag", "provenance", "confidence", "evidence", "description",
    "direction_uncertain",
)
_DIGITS = re.compile(r"[0-9]+")


def check_node_id(node_id: object) -> str:
    """Return ``node_id`` if it can be a node id, else raise :class:`~facmech.errors.MapError`.

    Any non-empty text without control characters and without leading or trailing white space.
    """
    if not isinstance(node_id, str) or not node_id:
        raise MapError(f"node id {node_id!r} must be non-empty text")
    if not node_id.isprintable():
        bad = next(c for c in node_id if not c.isprintable())
        raise MapError(
            f"node id {node_id!r} contains a control character ({bad!r}); ids must be printable text"
        )
    if node_id != node_id.strip():
        raise MapError(f"node id {node_id!r} has leading or trailing white space")
    return node_id


@dataclass(frozen=True)
class Evidence:
    """A quotation from a vignette that cites an arrow."""

    vignette: str
    quote: str

    def __post_init__(self) -> None:
        if isinstance(self.quote, str):  # as every reader strips it: round trips are identities
            object.__setattr__(self, "quote", self.quote.strip())

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
        # normalized as the readers normalize, so that write -> read is the identity
        if isinstance(self.description, str):
            object.__setattr__(self, "description", self.description.strip())
        if self.stage == "":
            object.__setattr__(self, "stage", None)
        if isinstance(self.measures, str):
            object.__setattr__(self, "measures", (self.measures,))
        else:
            object.__setattr__(self, "measures", tuple(self.measures))
        if (self.base is None) != (self.period is None):
            raise MapError(
                f"{what}: `base` and `period` go together (set on unrolled maps); got "
                f"base={self.base!r}, period={self.period!r}"
            )
        if self.period is not None and (
            isinstance(self.period, bool) or not isinstance(self.period, int) or self.period < 0
        ):
            raise MapError(f"{what}: `period` must be an integer >= 0 (got {self.period!r})")

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
        if isinstance(self.description, str):  # as the readers do
            object.__setattr__(self, "description", self.description.strip())

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



# ---------------------------------------------------------------------- building from plain data
def known_fields(attrs: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """The items of ``attrs`` whose key is in ``keys`` and whose value is not None."""
    return {k: v for k, v in attrs.items() if k in keys and v is not None}


def _bool(value: Any, *, what: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "1", "false", "no", "0"):
        return value.strip().lower() in ("true", "yes", "1")
    raise MapError(f"{what}: expected true or false (got {value!r})")


def _text(value: Any, *, what: str) -> str:
    """A scalar as text ("" for None); a list or mapping is an error, not its repr."""
    if value is None:
        return ""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise MapError(f"{what}: expected text (got {type(value).__name__} {_short(value)})")


def _short(value: Any) -> str:
    text = repr(value) if isinstance(value, (str, int, float, bool)) else type(value).__name__
    return text if len(text) <= 60 else text[:57] + "..."


def _unknown(data: Mapping[Any, Any], allowed: Iterable[str], what: str) -> None:
    unknown = [k for k in data if k not in allowed]
    if unknown:
        names = sorted(repr(k) if not isinstance(k, str) else k for k in unknown)
        raise MapError(f"{what}: unknown field(s) {names}; allowed: {', '.join(allowed)}")


def _int(value: Any, *, what: str, minimum: int) -> int:
    if isinstance(value, bool) or not (
        isinstance(value, int) or (isinstance(value, str) and _DIGITS.fullmatch(value.strip()))
    ):
        raise MapError(f"{what} must be an integer >= {minimum} (got {_short(value)})")
    out = int(value)
    if out < minimum:
        raise MapError(f"{what} must be an integer >= {minimum} (got {out})")
    return out


def _measures(value: Any, *, what: str) -> tuple[str, ...]:
    if value is None:  # `measures:` left empty
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list):
        raise MapError(f"{what} `measures` must be a list of text (got {_short(value)})")
    return tuple(_text(m, what=f"{what} `measures`") for m in value)


def node_from_record(data: Mapping[str, Any]) -> Node:
    """A :class:`Node` from a mapping with the YAML format's node fields."""
    if not isinstance(data, Mapping):
        raise MapError(f"each node must be a mapping with at least `id` (got {_short(data)})")
    nid = data.get("id")
    if nid is None:
        raise MapError(f"a node has no `id` (fields: {sorted(map(str, data))})")
    if isinstance(nid, int) and not isinstance(nid, bool):
        nid = str(nid)
    nid = check_node_id(nid)
    what = f"node {nid!r}"
    _unknown(data, NODE_KEYS, what)
    period = data.get("period")
    base = data.get("base")
    return Node(
        id=nid,
        label=_text(data.get("label"), what=f"{what} `label`"),
        role=Role.parse(data.get("role", "mechanism"), argument=f"{what} `role`"),
        level=Level.parse(data.get("level", "site"), argument=f"{what} `level`"),
        time_varying=_bool(data.get("time_varying", False), what=f"{what} `time_varying`"),
        observed=_bool(data.get("observed", True), what=f"{what} `observed`"),
        measures=_measures(data.get("measures"), what=what),
        provenance=Provenance.parse(
            data.get("provenance", "reconstructed"), argument=f"{what} `provenance`"
        ),
        stage=None if data.get("stage") is None else _text(data["stage"], what=f"{what} `stage`"),
        description=_text(data.get("description"), what=f"{what} `description`").strip(),
        base=None if base is None else _text(base, what=f"{what} `base`"),
        period=None if period is None else _int(period, what=f"{what} `period`", minimum=0),
    )


def edge_from_record(data: Mapping[str, Any]) -> Edge:
    """An :class:`Edge` from a mapping with the YAML format's edge fields."""
    if not isinstance(data, Mapping) or "source" not in data or "target" not in data:
        raise MapError(f"each edge needs `source` and `target` (got {_short(data)})")
    ends = [str(data[k]) if isinstance(data[k], int) else data[k] for k in ("source", "target")]
    source, target = (_text(v, what="edge end") for v in ends)
    what = f"edge {source} -> {target}"
    _unknown(data, EDGE_KEYS, what)
    arrow = data.get("arrow")
    lag = data.get("lag", 0)
    if isinstance(lag, bool) or str(lag).strip() not in ("0", "1"):
        raise MapError(f"{what}: `lag` must be 0 or 1 (got {_short(lag)})")
    items = data.get("evidence")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise MapError(f"{what}: `evidence` must be a list of {{vignette, quote}} (got {_short(items)})")
    evidence = []
    for item in items:
        if not isinstance(item, Mapping) or "quote" not in item:
            raise MapError(f"{what}: each evidence item needs `vignette` and `quote` (got {_short(item)})")
        evidence.append(
            Evidence(
                _text(item.get("vignette"), what=f"{what} evidence `vignette`"),
                _text(item["quote"], what=f"{what} evidence `quote`").strip(),
            )
        )
    return Edge(
        source=source,
        target=target,
        arrow=None if arrow is None else _int(arrow, what=f"{what}: `arrow`", minimum=1),
        lag=int(str(lag).strip()),
        provenance=Provenance.parse(
            data.get("provenance", "reconstructed"), argument=f"{what} `provenance`"
        ),
        confidence=Confidence.parse(data.get("confidence", "M"), argument=f"{what} `confidence`"),
        evidence=tuple(evidence),
        description=_text(data.get("description"), what=f"{what} `description`").strip(),
        direction_uncertain=_bool(
            data.get("direction_uncertain", False), what=f"{what} `direction_uncertain`"
        ),
    )
