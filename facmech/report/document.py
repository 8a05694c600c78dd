"""The report document model: sections made of a few kinds of blocks.

A report is data before it is HTML or Markdown. Each :class:`Section` holds a tuple of blocks
(:class:`Paragraph`, :class:`Bullets`, :class:`Table`, :class:`Figure`, :class:`Callout`,
:class:`Code`); :mod:`facmech.report.render` turns the same blocks into a self-contained HTML page
or into Markdown. Blocks are frozen, so a finished report cannot drift from what was computed.

Text in paragraphs, bullets, callouts and table cells may use two inline marks, as in Markdown:
```code``` spans and ``**bold**``.

>>> t = Table.from_frame(pd.DataFrame({"node": ["trust"], "power": [0.8123]}), digits=2)
>>> t.rows
(('trust', '0.81'),)
>>> Section("power", "Power", (Paragraph("Power for `uptake`."), t)).title
'Power'
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from facmech.errors import FacmechError

__all__ = [
    "Block",
    "Bullets",
    "Callout",
    "CalloutKind",
    "Code",
    "Figure",
    "Paragraph",
    "Section",
    "Table",
    "format_cell",
]


class CalloutKind(str, enum.Enum):
    """Tone of a :class:`Callout`: ``ok`` (a positive verdict), ``warn`` (a problem), ``info``."""

    OK = "ok"
    WARN = "warn"
    INFO = "info"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of text (inline ```code``` and ``**bold**`` allowed)."""

    text: str


@dataclass(frozen=True)
class Bullets:
    """A bulleted (or, with ``ordered=True``, numbered) list of one-line items."""

    items: tuple[str, ...]
    ordered: bool = False


@dataclass(frozen=True)
class Callout:
    """A highlighted box: a verdict, a warning or a note."""

    text: str
    kind: CalloutKind = CalloutKind.INFO
    title: str = ""


@dataclass(frozen=True)
class Code:
    """Preformatted text (a formula, a command line, a model specification); with a ``summary``
    it is folded under that line (HTML ``<details>``), for formulas a reader opens on demand."""

    text: str
    summary: str = ""


def format_cell(value: object, digits: int = 3) -> str:
    """Format one table cell: floats to ``digits`` decimals, ``None``/NaN as an en dash.

    >>> format_cell(0.12345), format_cell(None), format_cell(12), format_cell(True)
    ('0.123', '–', '12', 'yes')
    """
    if value is None:
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(float(value)):
            return "–"
        return f"{float(value):.{digits}f}"
    if isinstance(value, (tuple, list, frozenset, set)):
        return ", ".join(str(v) for v in value) if value else "(none)"
    return str(value)


@dataclass(frozen=True)
class Table:
    """A table of already formatted cells, with an optional caption."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""

    def __post_init__(self) -> None:
        width = len(self.columns)
        for row in self.rows:
            if len(row) != width:
                raise FacmechError(f"table row {row!r} has {len(row)} cells; the header has {width}")

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, *, caption: str = "", index: bool = False, digits: int = 3
    ) -> Table:
        """Build from a DataFrame (the index becomes the first column when ``index=True``)."""
        df = frame.reset_index() if index else frame
        rows = tuple(tuple(format_cell(v, digits) for v in rec) for rec in df.itertuples(index=False))
        return cls(tuple(str(c) for c in df.columns), rows, caption)


@dataclass(frozen=True)
class Figure:
    """A PNG image (bytes) with a caption and alternative text; ``wide`` figures may use more
    than the text column's width in HTML."""

    png: bytes = field(repr=False)
    caption: str = ""
    alt: str = ""
    wide: bool = False

    def __post_init__(self) -> None:
        if not self.png.startswith(b"\x89PNG"):
            raise FacmechError("`png` must hold PNG bytes (they do not start with the PNG signature)")

    @classmethod
    def from_matplotlib(
        cls, fig, *, caption: str = "", alt: str = "", dpi: int = 110, wide: bool = False
    ) -> Figure:
        """Render a matplotlib figure to PNG bytes and close it."""
        import io

        import matplotlib.pyplot as plt

        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
        plt.close(fig)
        return cls(buf.getvalue(), caption, alt or caption, wide)


Block = Paragraph | Bullets | Callout | Code | Table | Figure


@dataclass(frozen=True)
class Section:
    """One numbered section of the report: an anchor id, a title and its blocks."""

    id: str
    title: str
    blocks: tuple[Block, ...]
