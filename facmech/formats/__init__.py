"""Reading and writing mechanism maps: facmech YAML, dagitty, Graphviz DOT and GML.

:func:`read_map_text` detects the format from the content: a document starting with ``dag`` or
``pdag`` (optionally after a comment) is dagitty, one starting with ``digraph``/``strict digraph`` is
DOT, one starting with ``graph [`` is GML, anything else is parsed as facmech YAML.
"""

from __future__ import annotations

import re

from facmech.errors import MapFormatError
from facmech.mechanism_map import MechanismMap

__all__ = ["detect_format", "read_map_text"]

_DAGITTY = re.compile(r"^\s*(dag|pdag|mag|graph)\s*(\w+\s*)?\{", re.IGNORECASE)
_DOT = re.compile(r"^\s*(strict\s+)?digraph\b", re.IGNORECASE)
_GML = re.compile(r"^\s*graph\s*\[", re.IGNORECASE)


def _strip_comments(text: str) -> str:
    lines = [ln for ln in text.splitlines() if not ln.strip().startswith(("#", "//"))]
    return "\n".join(lines)


def detect_format(text: str) -> str:
    """``"dagitty"``, ``"dot"``, ``"gml"`` or ``"yaml"``, from the content.

    >>> detect_format("dag { a -> b }"), detect_format("digraph { a -> b }"), detect_format("nodes: []")
    ('dagitty', 'dot', 'yaml')
    """
    body = _strip_comments(text)
    if _GML.match(body):
        return "gml"
    if _DOT.match(body):
        return "dot"
    if _DAGITTY.match(body):
        return "dagitty"
    return "yaml"


def read_map_text(text: str, *, source: str | None = None) -> MechanismMap:
    """Parse a map from text in any supported format (detected by content)."""
    if not text.strip():
        raise MapFormatError("the map is empty", source=source)
    fmt = detect_format(text)
    try:
        if fmt == "gml":
            from facmech.formats.gml import from_gml

            return from_gml(text)
        if fmt == "dot":
            from facmech.formats.dot import from_dot

            return from_dot(text)
        if fmt == "dagitty":
            from facmech.formats.dagitty import from_dagitty

            return from_dagitty(text)
        from facmech.formats.yaml_format import load_yaml

        return load_yaml(text, source=source)
    except MapFormatError as exc:
        if source and exc.source is None:
            raise MapFormatError(exc.message, line=exc.line, source=source) from None
        raise
