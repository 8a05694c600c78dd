"""Mechanism maps as GML, the graph format DoWhy's ``CausalModel(graph=...)`` takes.

DoWhy reads a GML string with :func:`networkx.parse_gml`, keying nodes by their ``label``, and marks
unmeasured nodes with ``observed "no"``. :func:`to_gml` therefore writes the node id as ``label``,
``observed "yes"``/``"no"``, and facmech's other attributes (``name``: the human-readable label,
``role``, ``level``, ``time_varying`` 0/1, ``stage``, ``provenance``); edges carry ``lag``,
``arrow`` (when numbered), ``confidence`` and ``provenance``. Lag-1 edges are included: DoWhy needs
an acyclic graph, so pass it an unrolled map (or a map without feedback) when the map has loops.

Examples
--------
>>> from facmech.mechanism_map import MechanismMap, Node, Edge
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
from facmech.formats._graphtext import MapBuilder
from facmech.mechanism_map import MechanismMap

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
    try:
        g = nx.parse_gml(text, label="label")
    except (nx.NetworkXError, ValueError, KeyError) as exc:
        msg = " ".join(str(exc).split())
        m = _LINE.search(msg)
        line = None if m is None else int(m.group(1) or m.group(2))
        raise MapFormatError(f"malformed GML: {msg}", line=line) from None
    if not g.is_directed():
        raise MapFormatError("malformed GML: the graph is undirected; add `directed 1`")
    b = MapBuilder(language="GML")
    title = g.graph.get("title")
    if title:
        b.title = str(title)
    if g.graph.get("periods") is not None:
        b.periods = int(g.graph["periods"])
    for nid, attrs in g.nodes(data=True):
        node = b.node(str(nid), 0)
        items: list[tuple[str, str | None, int]] = []
        for key, value in attrs.items():
            if key == "name":
                items.append(("label", str(value), 0))
            elif key == "observed":
                items.append(("observed", _yes_no(value), 0))
            elif key == "latent":
                items.append(("latent", _yes_no(value), 0))
            elif key in ("role", "level", "stage", "provenance", "base", "period"):
                items.append((key, str(value), 0))
            elif key == "time_varying":
                items.append((key, _yes_no(value), 0))
        b.node_attrs(node, items)
    edges = g.edges(data=True)
    for u, v, attrs in edges:
        items = [
            (k, str(attrs[k]), 0) for k in ("lag", "arrow", "confidence", "provenance") if k in attrs
        ]
        b.edge(b.names[str(u)], b.names[str(v)], items, 0)
    return b.build()


def _yes_no(value: Any) -> str:
    text = str(value).strip().lower()
    return {"yes": "1", "no": "0", "true": "1", "false": "0"}.get(text, text)
