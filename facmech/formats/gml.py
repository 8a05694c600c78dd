"""Mechanism maps as GML, the graph format DoWhy's ``CausalModel(graph=...)`` takes.

DoWhy reads a GML string with :func:`networkx.parse_gml`, keying nodes by their ``label``, and marks
unmeasured nodes with ``observed "no"``. :func:`to_gml` therefore writes the node id as ``label``,
``observed "yes"``/``"no"``, and facmech's other attributes (``name``: the human-readable label,
``role``, ``level``, ``time_varying`` 0/1, ``stage``, ``provenance``); edges carry ``lag``,
``arrow`` (when numbered), ``confidence`` and ``provenance``; the map's default treatment,
outcome and adjustment are node attributes ``exposure 1``, ``outcome 1``, ``adjusted 1``.
Lag-1 edges are included: DoWhy needs
an acyclic graph, so pass it an unrolled map (or a map without feedback) when the map has loops.

Examples
--------
>>> from facmech.maps import MechanismMap, Node, Edge
>>> m = MechanismMap(nodes=(Node("a"), Node("b", observed=False)), edges=(Edge("a", "b"),))
>>> print(to_gml(m).splitlines()[0])
graph [
>>> import networkx as nx
>>> g = nx.parse_gml(to_gml(m))
>>> list(g.edges), g.nodes["b"]["observed"]
([('a', 'b')], 'no')
>>> from_gml(to_gml(m)).latent_ids
('b',)
"""

from __future__ import annotations

import re
from typing import Any

import networkx as nx

from facmech.errors import MapFormatError
from facmech.formats._graphtext import DEFAULT_FLAGS, MapBuilder
from facmech.formats._limits import MAX_DEPTH, too_deep
from facmech.maps.model import MechanismMap

__all__ = ["from_gml", "to_gml"]


def to_gml(mechanism_map: MechanismMap) -> str:
    """Write ``mechanism_map`` as GML (accepted by DoWhy and :func:`networkx.parse_gml`).

    Parameters
    ----------
    mechanism_map
        Any map; every edge is written, lagged ones with ``lag 1``.

    Returns
    -------
    str
        GML text starting with ``graph [``.
    """
    g = nx.DiGraph()
    g.graph["directed"] = 1
    if mechanism_map.title:
        g.graph["title"] = mechanism_map.title
    if mechanism_map.periods is not None:
        g.graph["periods"] = mechanism_map.periods
    for n in mechanism_map.nodes:
        attrs: dict[str, Any] = {
            "name": n.label or n.id,
            "observed": "yes" if n.observed else "no",
            "role": n.role.value,
            "level": n.level.value,
            "time_varying": int(n.time_varying),
            "provenance": n.provenance.value,
        }
        if n.stage:
            attrs["stage"] = n.stage
        if n.base is not None:
            attrs["base"] = n.base
            attrs["period"] = n.period
        for flag, field in DEFAULT_FLAGS.items():
            if n.id in getattr(mechanism_map, field):
                attrs[flag] = 1
        g.add_node(n.id, **attrs)
    multi = nx.MultiDiGraph(g) if _has_parallel(mechanism_map) else None
    target = multi if multi is not None else g
    for e in mechanism_map.edges:
        attrs = {
            "lag": e.lag,
            "confidence": str(e.confidence),
            "provenance": e.provenance.value,
        }
        if e.arrow is not None:
            attrs["arrow"] = e.arrow
        target.add_edge(e.source, e.target, **attrs)
    return "\n".join(nx.generate_gml(target))


def _has_parallel(mechanism_map: MechanismMap) -> bool:
    pairs = [(e.source, e.target) for e in mechanism_map.edges]
    return len(pairs) != len(set(pairs))


_LINE = re.compile(r"line (\d+)|\((\d+),\s*\d+\)")


def from_gml(text: str) -> MechanismMap:
    """Parse a map from GML (as written by :func:`to_gml`, networkx or DoWhy).

    Nodes are keyed by ``label``; ``observed`` (``"yes"``/``"no"``, 1/0) or ``latent`` set latent
    status, ``name`` the human-readable label; facmech's node and edge attributes are read back.

    Raises
    ------
    MapFormatError
        Malformed GML (with the line number when networkx reports one) or an undirected graph.
    """
    if not isinstance(text, str):
        raise MapFormatError(f"GML text must be a string (got {type(text).__name__})")
    _check_nesting(text)
    try:
        g = nx.parse_gml(text, label="label")
    # networkx's GML parser reports bad documents with whatever its code hits (a list where it
    # expects a value is a TypeError, `node "b"` an AttributeError); all are malformed GML here.
    except (nx.NetworkXError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        msg = " ".join(str(exc).split())
        m = _LINE.search(msg)
        line = None if m is None else int(m.group(1) or m.group(2))
        raise MapFormatError(f"malformed GML: {msg}", line=line) from None
    if not g.is_directed():
        raise MapFormatError("malformed GML: the graph is undirected; add `directed 1`")
    b = MapBuilder(language="GML")
    title = g.graph.get("title")
    if title:
        b.title = _scalar(title, "graph `title`")
    periods = g.graph.get("periods")
    if periods is not None:
        if isinstance(periods, bool) or not isinstance(periods, int) or periods < 1:
            b.fail(f"`periods` must be an integer >= 1 (got {periods!r})", None)
        b.periods = periods
    for nid, attrs in g.nodes(data=True):
        node = b.node(_scalar(nid, "node `label`"), None)
        items: list[tuple[str, str | None, int | None]] = []
        for key, value in attrs.items():
            what = f"node {node!r} `{key}`"
            if key == "name":
                items.append(("label", _scalar(value, what), None))
            elif key in ("observed", "latent", "time_varying", *DEFAULT_FLAGS):
                items.append((key, _yes_no(_scalar(value, what)), None))
            elif key in ("role", "level", "stage", "provenance", "base", "period"):
                items.append((key, _scalar(value, what), None))
        b.node_attrs(node, items)
    for u, v, attrs in g.edges(data=True):
        what = f"edge {u} -> {v}"
        items = [
            (k, _scalar(attrs[k], f"{what} `{k}`"), None)
            for k in ("lag", "arrow", "confidence", "provenance")
            if k in attrs
        ]
        b.edge(b.names[str(u)], b.names[str(v)], items, 0)
    return b.build()


def _scalar(value: Any, what: str) -> str:
    """A GML value as text; a repeated key (which networkx reads as a list) is an error."""
    if isinstance(value, (list, dict)):
        raise MapFormatError(f"malformed GML: {what} is given more than once or as a list")
    return str(value)


def _yes_no(value: str) -> str:
    text = value.strip().lower()
    return {"yes": "1", "no": "0", "true": "1", "false": "0"}.get(text, text)


def _check_nesting(text: str) -> None:
    """Refuse ``[`` nested deeper than MAX_DEPTH outside strings (networkx's parser recurses)."""
    if text.count("[") <= MAX_DEPTH:
        return
    depth, line, in_string = 0, 1, False
    for c in text:
        if c == "\n":
            line += 1
        elif c == '"':
            in_string = not in_string
        elif in_string:
            continue
        elif c == "[":
            depth += 1
            if depth > MAX_DEPTH:
                raise too_deep("GML", line)
        elif c == "]":
            depth -= 1
