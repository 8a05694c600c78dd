"""Reading and writing mechanism maps in dagitty syntax (https://www.dagitty.net).

dagitty describes a causal graph as ``dag { ... }`` with statements separated by newlines or ``;``::

    dag {
      u [latent]                       # a node with flags / attributes
      x [exposure, pos="0,1"]
      a -> b -> c                      # edge chains
      a <- d                           # arrows either way
      {e f} -> g                       # groups
      x <-> y                          # bidirected: an unmeasured common cause
    }

What facmech reads
------------------
* node flags ``latent`` (also ``l``, ``unobserved``, ``u``) -> ``observed: false``; ``exposure``,
  ``outcome`` and ``adjusted`` -> the map's default ``treatment``, ``outcome`` and ``adjustment``
  (used by ``facmech identify`` when ``--treatment``/``--outcome`` are not given); ``exposure`` /
  ``outcome`` also set the role (strategy / outcome) when no ``role`` is given; ``selected`` and
  layout attributes (``pos``, ...) are accepted and ignored;
* node attributes ``label``, ``role``, ``level``, ``time_varying``, ``stage``, ``provenance``
  (facmech's own; dagitty keeps unknown attributes, so files stay valid dagitty);
* edge attributes ``lag`` (0 or 1), ``arrow``, ``confidence``, ``provenance``; others (``beta``,
  ``pos``) are ignored;
* ``x <-> y`` becomes a latent node ``u_x_y`` (names sorted, pgmpy's convention) pointing into both;
* node names are kept exactly as written (``X`` stays ``X``, ``"Carry matches"`` is an id); a
  ``label`` attribute gives the human-readable name separately;
* nodes at either end of a ``[lag=1]`` edge are time-varying unless ``time_varying=0`` says otherwise;
* comments ``// ...``, ``/* ... */`` and lines starting with ``#``.

Malformed text raises :class:`~facmech.errors.MapFormatError` with the line number.

What facmech writes
-------------------
Every node with its facmech attributes (``latent``, ``exposure``, ``outcome`` and ``adjusted``
flags, ``label``, ``role``, ...; names quoted when they are not plain words), then every edge
with ``arrow``, ``lag``, ``confidence`` and ``provenance`` when they differ from the defaults. Map
metadata other than the title, node ``measures``/``description`` and edge evidence are not written
(use YAML for a lossless copy). Lag-1 edges are ordinary arrows for dagitty itself, so a map with a
feedback loop looks cyclic there: unroll it first (:meth:`MechanismMap.unroll`) for dagitty's
analyses.

Examples
--------
>>> m = from_dagitty("dag { a -> b -> c; u [latent]; u -> a; c -> a [lag=1] }")
>>> [str(e) for e in m.edges]
['a -> b', 'b -> c', 'u -> a', 'c -> a [lag 1]']
>>> m.latent_ids, m.node("a").time_varying
(('u',), True)
>>> m = from_dagitty("dag { X [exposure]; Y [outcome]; Z [adjusted]; X -> Y; Z -> X; Z -> Y }")
>>> m.node_ids, m.treatment, m.outcome, m.adjustment
(('X', 'Y', 'Z'), ('X',), ('Y',), ('Z',))
>>> print(to_dagitty(from_dagitty("dag { x -> y }")))
dag {
  x [role=mechanism]
  y [role=mechanism]
  x -> y
}
"""

from __future__ import annotations

import re

from facmech.errors import MapFormatError
from facmech.formats._graphtext import (
    MapBuilder,
    default_flags,
    edge_attributes,
    lagged_endpoints,
    node_attributes,
    quote,
)
from facmech.formats._lexer import TokenStream, tokenize
from facmech.maps.model import MechanismMap

__all__ = ["from_dagitty", "to_dagitty"]

_LANG = "dagitty"
_GRAPH_TYPES = ("dag", "graph", "digraph", "pdag", "mag", "pag")
_HEADER = re.compile(r"^\s*(dag|graph|digraph|pdag|mag|pag)\b", re.IGNORECASE)


def _attr_list(attrs: list[tuple[str, str]]) -> str:
    parts = [k if v is None else f"{k}={quote(v)}" for k, v in attrs]
    return f" [{', '.join(parts)}]" if parts else ""


def to_dagitty(mechanism_map: MechanismMap) -> str:
    """Write ``mechanism_map`` in dagitty syntax (see the module docstring for what is kept).

    Parameters
    ----------
    mechanism_map
        Any map, raw or unrolled.

    Returns
    -------
    str
        ``dag { ... }`` text, one statement per line, readable back with :func:`from_dagitty`.
    """
    lines = ["dag {"]
    if mechanism_map.title:
        lines.append(f"  title={quote(mechanism_map.title)}")
    if mechanism_map.periods is not None:
        lines.append(f"  periods={mechanism_map.periods}")
    lagged = lagged_endpoints(mechanism_map)
    for n in mechanism_map.nodes:
        attrs: list[tuple[str, str | None]] = [] if n.observed else [("latent", None)]
        attrs += [(flag, None) for flag in default_flags(mechanism_map, n.id)]
        attrs += node_attributes(n, lagged_endpoint=n.id in lagged)
        lines.append(f"  {quote(n.id)}{_attr_list(attrs)}")
    for e in mechanism_map.edges:
        lines.append(f"  {quote(e.source)} -> {quote(e.target)}{_attr_list(edge_attributes(e))}")
    lines.append("}")
    return "\n".join(lines)


def from_dagitty(text: str) -> MechanismMap:
    """Parse a map from dagitty syntax.

    Parameters
    ----------
    text
        ``dag { ... }`` (the wrapper may be omitted if the text has at least one arrow, as in
        dagitty itself).

    Returns
    -------
    MechanismMap
        Validated: a cycle among lag-0 edges raises :class:`~facmech.errors.CyclicMapError`.

    Raises
    ------
    MapFormatError
        Malformed text (with its line number), undirected or partially directed edges.

    Examples
    --------
    >>> from_dagitty("dag {\\n a -> b\\n b -> }")
    Traceback (most recent call last):
    ...
    facmech.errors.MapFormatError: line 3: malformed dagitty: expected a node name or '{' after '->', ...
    """
    if not isinstance(text, str):
        raise MapFormatError(f"dagitty text must be a string (got {type(text).__name__})")
    tokens = tokenize(text, language=_LANG)
    ts = TokenStream(tokens, language=_LANG)
    builder = MapBuilder(language=_LANG)
    first = ts.peek()
    wrapped = first.kind == "id" and first.value.lower() in _GRAPH_TYPES
    if not wrapped and first.kind == "id" and first.value.lower() == "strict":
        ts.fail("`strict` graphs are DOT, not dagitty", first)
    if wrapped:
        ts.next()
        if ts.peek().is_name:
            ts.next()  # graph name
        ts.expect("{", "'{' after the graph type")
    elif not any(t.kind == "edge" for t in tokens):
        ts.fail("expected `dag {`", first)
    _statements(ts, builder, closing="}" if wrapped else "end")
    if wrapped:
        ts.expect("}", "'}' closing the graph")
    end = ts.peek()
    if end.kind != "end":
        ts.fail(f"unexpected {end.describe()} after the closing '}}'", end)
    return builder.build()


def _statements(ts: TokenStream, b: MapBuilder, *, closing: str) -> None:
    while True:
        while ts.accept(";") or ts.accept(","):
            pass
        tok = ts.peek()
        if tok.kind == closing:
            return
        if tok.kind == "end":
            ts.fail("missing '}' at the end of the graph", tok)
        if tok.is_name and ts.peek(1).kind == "=":
            _global_option(ts, b)
            continue
        if tok.is_name or tok.kind == "{":
            _statement(ts, b)
            continue
        ts.fail(f"unexpected {tok.describe()}", tok)


def _global_option(ts: TokenStream, b: MapBuilder) -> None:
    key = ts.next()
    ts.next()  # '='
    value = ts.name(f"a value for {key.value!r}")
    if key.value == "title":
        b.title = value.value
    elif key.value == "periods":
        if not re.fullmatch(r"[0-9]+", value.value) or int(value.value) < 1:
            ts.fail(f"`periods` must be an integer >= 1 (got {value.value!r})", value)
        b.periods = int(value.value)
    # bb=..., and other graph options are layout: ignored


def _operand(ts: TokenStream, b: MapBuilder) -> list[str]:
    tok = ts.peek()
    if tok.kind == "{":
        ts.next()
        ids: list[str] = []
        while not ts.accept("}"):
            while ts.accept(",") or ts.accept(";"):
                pass
            if ts.peek().kind == "}":
                continue
            inner = ts.peek()
            if not inner.is_name:
                ts.fail(f"expected a node name or '}}' in a {{...}} group, found "
                        f"{inner.describe()}", inner)
            ts.next()
            ids.append(b.node(inner.value, inner.line))
        if not ids:
            ts.fail("empty {} group", tok)
        return ids
    name = ts.name()
    return [b.node(name.value, name.line)]


def _statement(ts: TokenStream, b: MapBuilder) -> None:
    operands = [_operand(ts, b)]
    ops = []
    while ts.peek().kind == "edge":
        op = ts.next()
        if op.value not in ("->", "<-", "<->"):
            ts.fail(
                f"edge {op.value!r} is not directed; a mechanism map needs '->', '<-' or '<->'", op
            )
        nxt = ts.peek()
        if not (nxt.is_name or nxt.kind == "{"):
            ts.fail(f"expected a node name or '{{' after {op.value!r}, found {nxt.describe()}", nxt)
        ops.append(op)
        operands.append(_operand(ts, b))
    attrs = ts.attributes()
    if not ops:
        for nid in operands[0]:
            b.node_attrs(nid, attrs)
        return
    for i, op in enumerate(ops):
        for left in operands[i]:
            for right in operands[i + 1]:
                if op.value == "->":
                    b.edge(left, right, attrs, op.line)
                elif op.value == "<-":
                    b.edge(right, left, attrs, op.line)
                else:
                    b.bidirected(left, right, op.line)
