"""facmech's YAML map format (documented in :mod:`facmech.mechanism_map`).

Parsed with ``yaml.safe_load`` only; syntax errors report their line number.
"""

from __future__ import annotations

from typing import Any

import yaml

from facmech.errors import MapFormatError
from facmech.mechanism_map import MechanismMap, map_from_dict

__all__ = ["dump_yaml", "load_yaml"]


def load_yaml(text: str, *, source: str | None = None) -> MechanismMap:
    """Parse a map from facmech YAML.

    >>> m = load_yaml("nodes: [{id: a, role: strategy}, {id: b}]\\nedges: [{source: a, target: b}]")
    >>> [str(e) for e in m.edges]
    ['a -> b']
    >>> load_yaml("nodes: [{id: a}\\nedges: []")
    Traceback (most recent call last):
    ...
    facmech.errors.MapFormatError: line 2: malformed YAML: ...
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = None if mark is None else mark.line + 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise MapFormatError(f"malformed YAML: {problem}", line=line, source=source) from None
    if not isinstance(data, dict):
        raise MapFormatError(
            "a facmech YAML map must be a mapping with `nodes` and `edges` (or use dagitty "
            "`dag { ... }` or DOT `digraph { ... }`)",
            source=source,
        )
    return map_from_dict(data)


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v not in (None, "", [], ())}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def dump_yaml(mechanism_map: MechanismMap) -> str:
    """Write a map as facmech YAML (round-trips through :func:`load_yaml`)."""
    data = _clean(mechanism_map.to_dict())
    for node in data["nodes"]:
        node.setdefault("observed", True)
        node.setdefault("time_varying", False)
    for edge in data["edges"]:
        edge.setdefault("lag", 0)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
