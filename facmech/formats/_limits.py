"""Limits on map files, so that a small hostile file fails fast with a clear error.

A map of a trial has tens of nodes; even unrolled over many periods it stays in the thousands. The
limits sit far above that and far below what exhausts memory or the interpreter's recursion limit:

* :data:`MAX_BYTES` -- size of a map file or text;
* :data:`MAX_NODES`, :data:`MAX_EDGES` -- nodes and edges a file may declare;
* :data:`MAX_DEPTH` -- nesting of ``[``/``{`` (YAML flow collections, DOT subgraphs, GML lists);
* :data:`MAX_ALIASES` -- YAML aliases (``*name``), which can multiply a 1 kB file into gigabytes.
"""

from __future__ import annotations

from facmech.errors import MapFormatError

__all__ = [
    "MAX_ALIASES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_EDGES",
    "MAX_NODES",
    "check_count",
    "check_size",
    "too_deep",
]

MAX_BYTES = 2_000_000
MAX_NODES = 10_000
MAX_EDGES = 100_000
MAX_DEPTH = 100
MAX_ALIASES = 50


def check_size(text: str, *, source: str | None = None) -> None:
    """Refuse map text longer than :data:`MAX_BYTES` characters."""
    if len(text) > MAX_BYTES:
        raise MapFormatError(
            f"the map is {len(text):,} characters long; maps are limited to {MAX_BYTES:,}",
            source=source,
        )


def check_count(what: str, count: int, *, language: str, line: int | None = None) -> None:
    """Refuse more than :data:`MAX_NODES` nodes or :data:`MAX_EDGES` edges."""
    limit = MAX_NODES if what == "nodes" else MAX_EDGES
    if count > limit:
        raise MapFormatError(
            f"malformed {language}: more than {limit:,} {what}; maps are limited to {limit:,} {what}",
            line=line,
        )


def too_deep(language: str, line: int | None) -> MapFormatError:
    """The error for nesting deeper than :data:`MAX_DEPTH`."""
    return MapFormatError(
        f"malformed {language}: brackets nested more than {MAX_DEPTH} levels deep", line=line
    )
