"""Reading and writing mechanism maps in Graphviz DOT (a ``digraph``), with no Graphviz dependency.

The writer emits a ``digraph`` that Graphviz draws left to right, with every facmech attribute kept
as a DOT attribute (Graphviz stores attributes it does not know): nodes carry ``label``, ``role``,
``level``, ``time_varying``, ``observed`` (latent nodes are also drawn dashed), ``stage`` and
``provenance``; edges carry ``arrow`` (drawn as the edge label ``#n``), ``lag`` (lag-1 edges are
drawn dashed), ``confidence`` and ``provenance``. The reader is a small tokenizer and recursive
descent parser of the DOT language: ``strict``, graph names, ``graph``/``node``/``edge`` default
attribute statements, ``key=value`` graph attributes, edge chains, ``{a b}`` groups and
``subgraph`` blocks; comments ``//``, ``/* */`` and ``#`` lines. Undirected graphs and ``--``
edges are rejected. Malformed text raises :class:`~facmech.errors.MapFormatError` with the line
number.

Examples
--------
>>> from facmech.maps import MechanismMap, Node, Edge, Role
>>> m = MechanismMap(nodes=(Node("a", role=Role.STRATEGY), Node("b", observed=False)),
...                  edges=(Edge("a", "b", arrow=1), Edge("b", "a", lag=1)))
>>> text = to_dot(m)
>>> m2 = from_dot(text)
>>> [str(e) for e in m2.edges], m2.latent_ids
(['a -> b (#1)', 'b -> a [lag 1]'], ('b',))
>>> from_dot('digraph { "Carry matches" -> cancer; "node" -> cancer }').node_ids
('Carry matches', 'cancer', 'node')
"""

from __future__ import annotations

from typing import Any

from facmech.errors import MapFormatError
from facmech.formats._graphtext import DEFAULT_FLAGS, DOT_KEYWORDS, MapBuilder, quote
from facmech.formats._lexer import TokenStream, tokenize
from facmech.maps.elements import Edge, Node
from facmech.maps.model import MechanismMap

__all__ = ["from_dot", "to_dot"]

_LANG = "DOT"


def _attrs(pairs: list[tuple[str, Any]]) -> str:
    return "[" + ", ".join(f"{k}={quote(v)}" for k, v in pairs) + "]"


def _node_pairs(n: Node, mechanism_map: MechanismMap) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = [
        ("label", n.label or n.id),
        ("role", n.role.value),
        ("level", n.level.value),
        ("time_varying", str(n.time_varying).lower()),
        ("observed", str(n.observed).lower()),
    ]
    if n.stage:
        pairs.append(("stage", n.stage))
    pairs.append(("provenance", n.provenance.value))
    if n.base is not None:
        pairs += [("base", n.base), ("period", n.period)]
    pairs += [
        (flag, "true") for flag, field in DEFAULT_FLAGS.items() if n.id in getattr(mechanism_map, field)
    ]
    if not n.observed:
        pairs.append(("style", "dashed"))
    return pairs


def _edge_pairs(e: Edge) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = []
    if e.arrow is not None:
        pairs += [("arrow", e.arrow), ("label", f"#{e.arrow}")]
    pairs += [
        ("lag", e.lag),
        ("confidence", str(e.confidence)),
        ("provenance", e.provenance.value),
    ]
    if e.lag:
        pairs += [("style", "dashed"), ("constraint", "false")]
    return pairs


def to_dot(mechanism_map: MechanismMap) -> str:
    """Write ``mechanism_map`` as a Graphviz ``digraph`` (readable back with :func:`from_dot`).

    Parameters
    ----------
    mechanism_map
        Any map, raw or unrolled.

    Returns
    -------
    str
        DOT text: ``dot -Tsvg`` draws it left to right; node ``measures``/``description`` and edge
        evidence are not written (use YAML for a lossless copy).
    """
    graph_attrs: list[tuple[str, Any]] = [("rankdir", "LR")]
    if mechanism_map.title:
        graph_attrs.append(("title", mechanism_map.title))
    if mechanism_map.periods is not None:
        graph_attrs.append(("periods", mechanism_map.periods))
    lines = [
        "digraph mechanism_map {",
        f"  graph {_attrs(graph_attrs)};",
        '  node [shape=box, style="rounded"];',
    ]
    for n in mechanism_map.nodes:
        lines.append(f"  {quote(n.id)} {_attrs(_node_pairs(n, mechanism_map))};")
    for e in mechanism_map.edges:
        lines.append(f"  {quote(e.source)} -> {quote(e.target)} {_attrs(_edge_pairs(e))};")
    lines.append("}")
    return "\n".join(lines)


def from_dot(text: str) -> MechanismMap:
    """Parse a map from a Graphviz ``digraph``.

    Parameters
    ----------
    text
        DOT text. Node attributes ``observed`` (or ``latent``), ``role``, ``level``,
        ``time_varying``, ``stage``, ``provenance``, ``label`` and edge attributes ``lag``,
        ``arrow``, ``confidence``, ``provenance`` are read, and ``exposure``/``outcome``/``adjusted``
        (true/false) as the map's defaults; Graphviz styling is ignored. Node names are kept as
        written; DOT keywords (``node``, ``edge``, ``graph``, ...) must be quoted to be node names.

    Returns
    -------
    MechanismMap

    Raises
    ------
    MapFormatError
        Malformed text (with its line number), an undirected ``graph`` or ``--`` edge.

    Examples
    --------
    >>> from_dot("digraph {\\n  a -> b\\n  b -- c\\n}")
    Traceback (most recent call last):
    ...
    facmech.errors.MapFormatError: line 3: malformed DOT: undirected edge '--'; ...
    """
    if not isinstance(text, str):
        raise MapFormatError(f"DOT text must be a string (got {type(text).__name__})")
    ts = TokenStream(tokenize(text, language=_LANG), language=_LANG)
    b = MapBuilder(language=_LANG)
    tok = ts.peek()
    if tok.kind == "id" and tok.value.lower() == "strict":
        ts.next()
        tok = ts.peek()
    if tok.kind == "id" and tok.value.lower() == "graph":
        ts.fail("an undirected `graph`; a mechanism map must be a `digraph`", tok)
    if not (tok.kind == "id" and tok.value.lower() == "digraph"):
        ts.fail(f"expected `digraph`, found {tok.describe()}", tok)
    ts.next()
    if ts.peek().is_name:
        ts.next()
    ts.expect("{", "'{' after `digraph`")
    _Parser(ts, b).block({"node": [], "edge": []})
    end = ts.peek()
    if end.kind != "end":
        ts.fail(f"unexpected {end.describe()} after the closing '}}'", end)
    return b.build()


class _Parser:
    def __init__(self, ts: TokenStream, b: MapBuilder):
        self.ts = ts
        self.b = b

    def block(self, defaults: dict[str, list]) -> list[str]:
        """Statements up to the closing '}' (consumed); returns the node ids mentioned."""
        ts = self.ts
        defaults = {k: list(v) for k, v in defaults.items()}  # scoped to this block
        mentioned: list[str] = []
        while True:
            while ts.accept(";") or ts.accept(","):
                pass
            tok = ts.peek()
            if tok.kind == "}":
                ts.next()
                return mentioned
            if tok.kind == "end":
                ts.fail("missing '}' at the end of the graph", tok)
            low = tok.value.lower() if tok.kind == "id" else ""
            if low in ("graph", "node", "edge") and ts.peek(1).kind == "[":
                ts.next()
                attrs = ts.attributes()
                if low == "graph":
                    self.graph_attrs(attrs)
                else:
                    defaults[low] += attrs
                continue
            if tok.is_name and ts.peek(1).kind == "=":
                key = ts.next()
                ts.next()
                value = ts.name(f"a value for {key.value!r}")
                self.graph_attrs([(key.value, value.value, key.line)])
                continue
            if tok.is_name or tok.kind == "{" or low == "subgraph":
                mentioned += self.statement(defaults)
                continue
            ts.fail(f"unexpected {tok.describe()}", tok)

    def graph_attrs(self, attrs: list[tuple[str, str | None, int]]) -> None:
        for key, value, line in attrs:
            if key == "title" and value is not None:
                self.b.title = value
            elif key == "periods" and value is not None:
                if not value.strip().isascii() or not value.strip().isdigit() or int(value) < 1:
                    self.b.fail(f"`periods` must be an integer >= 1 (got {value!r})", line)
                self.b.periods = int(value)

    def operand(self, defaults: dict[str, list]) -> list[str]:
        ts = self.ts
        tok = ts.peek()
        if tok.kind == "id" and tok.value.lower() == "subgraph":
            ts.next()
            if ts.peek().is_name:
                ts.next()
            ts.expect("{", "'{' after `subgraph`")
            return self.block(defaults)
        if tok.kind == "{":
            ts.next()
            return self.block(defaults)
        name = ts.name()
        if name.kind == "id" and name.value.lower() in DOT_KEYWORDS:
            ts.fail(
                f"{name.value!r} is a DOT keyword; quote it (\"{name.value}\") to use it as a node name",
                name,
            )
        if ts.peek().kind == ":":
            ts.fail("node ports (`node:port`) are not supported", ts.peek())
        is_new = name.value not in self.b.names
        nid = self.b.node(name.value, name.line)
        if is_new and defaults["node"]:  # DOT: `node [...]` defaults apply to nodes created later
            self.b.node_attrs(nid, defaults["node"])
        return [nid]

    def statement(self, defaults: dict[str, list]) -> list[str]:
        ts = self.ts
        operands = [self.operand(defaults)]
        lines = []
        while ts.peek().kind == "edge":
            op = ts.next()
            if op.value == "--":
                ts.fail("undirected edge '--'; a mechanism map is a digraph with '->' edges", op)
            if op.value != "->":
                ts.fail(f"edge {op.value!r} is not DOT; use '->'", op)
            nxt = ts.peek()
            if not (nxt.is_name or nxt.kind == "{"):
                ts.fail(f"expected a node name after '->', found {nxt.describe()}", nxt)
            lines.append(op.line)
            operands.append(self.operand(defaults))
        attrs = ts.attributes()
        if len(operands) == 1:
            for nid in operands[0]:
                self.b.node_attrs(nid, attrs)
            return operands[0]
        for i, line in enumerate(lines):
            for left in operands[i]:
                for right in operands[i + 1]:
                    self.b.edge(left, right, defaults["edge"] + attrs, line)
        return [n for group in operands for n in group]
