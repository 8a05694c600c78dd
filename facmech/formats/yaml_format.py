"""facmech's YAML map format (documented in :mod:`facmech.maps`).

Parsed with PyYAML's safe loader only, under limits (:mod:`facmech.formats._limits`): at most
``MAX_ALIASES`` aliases (a 1 kB "billion laughs" file would otherwise expand to gigabytes) and
nesting at most ``MAX_DEPTH`` deep (deeper input would exhaust the recursion limit). Syntax errors and
bad node or edge records report their line number.
"""

from __future__ import annotations

from typing import Any

import yaml

from facmech.errors import MapFormatError
from facmech.formats._limits import MAX_ALIASES, MAX_DEPTH, check_count, check_size, too_deep
from facmech.maps.model import MechanismMap, map_from_dict

__all__ = ["dump_yaml", "load_yaml"]


class _LimitedLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that counts aliases and nesting depth while composing, and remembers the
    line of every mapping (for error messages)."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0
        self.lines: dict[int, int] = {}

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise MapFormatError(
                    f"malformed YAML: more than {MAX_ALIASES} aliases (`*name`); a map needs none",
                    line=mark.line + 1,
                )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise too_deep("YAML", self.peek_event().start_mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_map(self, node: Any) -> Any:
        data: dict[Any, Any] = {}
        self.lines[id(data)] = node.start_mark.line + 1
        yield data
        data.update(self.construct_mapping(node))


_LimitedLoader.add_constructor("tag:yaml.org,2002:map", _LimitedLoader.construct_yaml_map)


def _parse(text: str) -> tuple[Any, dict[int, int]]:
    loader = _LimitedLoader(text)
    try:
        return loader.get_single_data(), loader.lines
    finally:
        loader.dispose()


def load_yaml(text: str, *, source: str | None = None) -> MechanismMap:
    """Parse a map from facmech YAML.

    >>> m = load_yaml("nodes: [{id: a, role: strategy}, {id: b}]\\nedges: [{source: a, target: b}]")
    >>> [str(e) for e in m.edges]
    ['a -> b']
    >>> load_yaml("nodes: [{id: a}\\nedges: []")
    Traceback (most recent call last):
    ...
    facmech.errors.MapFormatError: line 2: malformed YAML: ...
    >>> load_yaml("nodes:\\n  - {id: a}\\n  - {id: b, period: x, base: a}")
    Traceback (most recent call last):
    ...
    facmech.errors.MapFormatError: line 3: node 'b' `period` must be an integer >= 0 (got 'x')
    """
    if not isinstance(text, str):
        raise MapFormatError(f"YAML text must be a string (got {type(text).__name__})", source=source)
    check_size(text, source=source)
    try:
        data, lines = _parse(text)
    except MapFormatError as exc:
        raise MapFormatError(exc.message, line=exc.line, source=source) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = None if mark is None else mark.line + 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise MapFormatError(f"malformed YAML: {problem}", line=line, source=source) from None
    except RecursionError:  # pragma: no cover - the depth limit stops this first
        raise too_deep("YAML", None) from None
    if not isinstance(data, dict):
        raise MapFormatError(
            "a facmech YAML map must be a mapping with `nodes` and `edges` (or use dagitty "
            "`dag { ... }` or DOT `digraph { ... }`)",
            source=source,
        )
    for key in ("nodes", "edges"):
        if isinstance(data.get(key), list):
            check_count(key, len(data[key]), language="YAML")
    return map_from_dict(data, line_of=lambda record: lines.get(id(record)))


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"vignette", "quote"}:  # an evidence item keeps both, even if empty
            return dict(value)
        return {k: _clean(v) for k, v in value.items() if v not in (None, "", [], ())}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def dump_yaml(mechanism_map: MechanismMap) -> str:
    """Write a map as facmech YAML (round-trips through :func:`load_yaml`).

    >>> from facmech.maps import MechanismMap, Node
    >>> print(dump_yaml(MechanismMap(nodes=(Node("X"),))).strip().splitlines()[-1])
    edges: []
    """
    data = _clean(mechanism_map.to_dict())
    for node in data["nodes"]:
        node.setdefault("observed", True)
        node.setdefault("time_varying", False)
    data["edges"] = data.get("edges", [])  # a map without edges still says so
    for edge in data["edges"]:
        edge.setdefault("lag", 0)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
