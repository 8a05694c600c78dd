"""Node labels for report prose: readers see "leadership engagement", not ``leadership_engagement``.

A map node has an id (the data column, the name in formulas and code) and a label (the
construct's name, e.g. "Leadership engagement"). The report's sentences and tables name nodes by
label; formulas, code and result keys keep the ids they are computed with. :class:`NodeNames`
does both jobs: :meth:`~NodeNames.name` gives one node's label as it reads inside a sentence, and
:meth:`~NodeNames.prose` rewrites the ids in a sentence produced by the library (a reason, an
alternative's name) in one pass, leaving code spans alone. Nodes without a label (dagitty and DOT
maps) keep their id, and unrolled ids (``trust_t1``) read "trust (period 1)".

>>> from facmech.formats import load_map
>>> names = NodeNames(load_map())
>>> names.name("leadership_engagement"), names.name("facilitation")
('leadership engagement', 'healthcare facilitation')
>>> names.prose("champions is a recanting witness; see `champions`")
'champions / internal facilitators is a recanting witness; see `champions`'
>>> names.chain(["facilitation", "trust", "uptake"])
'healthcare facilitation → trust → uptake'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["NodeNames", "sentence_case"]

_PERIOD = re.compile(r"^(?P<base>.+)_t(?P<k>\d+)$")
_CODE = re.compile(r"(`[^`]*`)")


def sentence_case(text: str) -> str:
    """Capitalize the first letter (for a label starting a sentence)."""
    return text[:1].upper() + text[1:]


def _in_sentence(label: str) -> str:
    """``"Leadership engagement"`` -> ``"leadership engagement"``; acronyms (``"ORIC scale"``)
    and labels whose first word has capitals inside (``"NoMAD"``) stay as written."""
    first = label.split(" ", 1)[0]
    if len(first) > 1 and (first.isupper() or any(c.isupper() for c in first[1:])):
        return label
    return label[:1].lower() + label[1:]


class NodeNames:
    """How the report names the nodes of one map (labels in prose, ids in code)."""

    def __init__(self, mmap: Any | None = None, *, extra: Iterable[str] = ()) -> None:
        labels: dict[str, str] = {}
        if mmap is not None:
            for node in mmap.nodes:
                labels[node.id] = _in_sentence(node.label) if node.label else node.id
        self._labels = labels
        ids = sorted({*labels, *extra}, key=len, reverse=True)
        self._pattern = (re.compile(r"(?<![\w'])(" + "|".join(map(re.escape, ids)) + r")(?![\w'])")
                         if ids else None)

    def name(self, node: str) -> str:
        """The node's label as it reads inside a sentence (its id when it has none)."""
        if node in self._labels:
            return self._labels[node]
        m = _PERIOD.match(node)
        if m and m["base"] in self._labels:
            return f"{self._labels[m['base']]} (period {m['k']})"
        return node

    def names(self, nodes: Iterable[str]) -> str:
        """``"a, b and c"``."""
        items = [self.name(n) for n in nodes]
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] \
            if items else ""

    def chain(self, path: Sequence[str], arrow: str = " → ") -> str:
        """A path as labels joined by arrows."""
        return arrow.join(self.name(n) for n in path)

    def prose(self, text: str) -> str:
        """``text`` with every node id outside code spans replaced by its label (one pass)."""
        if self._pattern is None or not text:
            return text
        parts = _CODE.split(text)
        return "".join(p if p.startswith("`") and p.endswith("`") and len(p) > 1
                       else self._pattern.sub(lambda m: self.name(m.group(1)), p) for p in parts)
