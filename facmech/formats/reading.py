"""Reading a map from text in any format, detected by content.

:func:`read_map_text` detects the format from the content: a document starting with ``dag`` or
``pdag`` (optionally after a comment) is dagitty, one starting with ``digraph``/``strict digraph`` is
DOT, one starting with ``graph [`` is GML, anything else is parsed as facmech YAML.
:func:`~facmech.formats.loader.load_map` reads a file (or a built-in map) with it.
"""

from __future__ import annotations

import re

from facmech.errors import MapError, MapFormatError
from facmech.formats._limits import check_size
from facmech.formats.dagitty import from_dagitty
from facmech.formats.dot import from_dot
from facmech.formats.gml import from_gml
from facmech.formats.yaml_format import load_yaml
from facmech.maps.model import MechanismMap

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


_READERS = {"gml": from_gml, "dot": from_dot, "dagitty": from_dagitty}


def read_map_text(text: str, *, source: str | None = None) -> MechanismMap:
    """Parse a map from text in any supported format (detected by content).

    Errors name ``source`` (the file) and, where the problem has one, the line.

    >>> read_map_text("dag { X -> Y }").node_ids
    ('X', 'Y')
    >>> read_map_text("dag { a <-> a }", source="m.dagitty")
    Traceback (most recent call last):
    ...
    facmech.errors.MapFormatError: m.dagitty, line 1: malformed dagitty: bidirected edge a <-> a: ...
    """
    if not isinstance(text, str):
        raise MapFormatError(f"map text must be a string (got {type(text).__name__})", source=source)
    if not text.strip():
        raise MapFormatError("the map is empty", source=source)
    check_size(text, source=source)
    fmt = detect_format(text)
    try:
        if fmt == "yaml":
            return load_yaml(text, source=source)
        return _READERS[fmt](text)
    except MapFormatError as exc:
        if source and exc.source is None:
            raise MapFormatError(exc.message, line=exc.line, source=source) from None
        raise
    except MapError as exc:  # a structural error (cycle, unknown node): name the file too
        if source and not str(exc).startswith(source):
            exc.args = (f"{source}: {exc}", *exc.args[1:])
        raise
