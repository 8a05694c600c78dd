"""The publishable figure of a mechanism map: :func:`plot_map`.

The map is drawn in layers (baseline context, strategy, early, middle and late mechanisms,
outcomes; on an unrolled map, one shaded band per period), left to right or top to bottom:
``orientation="auto"`` takes the one whose labels print largest in a journal's two-column width
(180 mm, :data:`JOURNAL_WIDTH`, and at most :data:`JOURNAL_HEIGHT` tall), so a long causal chain
such as the built-in map's runs down the page, its labels printing at 7.5 pt instead of 3 pt
across it. Boxes are sized to their wrapped labels and filled by role; latent (unmeasured) nodes
have a dashed outline and grey italic text. Edges are routed between the boxes as smooth
splines; the line style gives the confidence in
the arrow (solid H, long dashes M-H, dashes M, dash-dot L-M, dots L); numbered arrows carry their
number in a circle; lagged edges (period *t* -> *t + 1*) are purple curves. A highlighted path is
drawn bold in colour and everything else greyed. matplotlib is imported only when drawing.

Every artist has a ``gid`` (``node:<id>``, ``edge:<source>-><target>``, ``arrow:<n>``), which
also names the elements of an SVG export.

>>> from facmech import load_map
>>> fig = plot_map(load_map(), highlight=["facilitation", "acceptance", "socialization"])
>>> fig.axes[0].get_title()
''
>>> plot_map(load_map(), highlight=["facilitation", "trust"])
Traceback (most recent call last):
...
facmech.errors.MapError: `highlight`: 'facilitation' -> 'trust' is not an edge of the map; ...
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx

from facmech.errors import MapError
from facmech.formats import load_map
from facmech.maps import MechanismMap
from facmech.plotting._layout import Layout, compute_layout

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["JOURNAL_HEIGHT", "JOURNAL_WIDTH", "check_highlight", "highlight_edges", "plot_map",
           "printed_scale", "save_map_figure"]

ROLE_FILL = {  # light tints of the Okabe-Ito palette (colour-blind safe)
    "context": "#E8E8E8",
    "strategy": "#FBD9A6",
    "component": "#FFF3B0",
    "mechanism": "#CFE6F5",
    "outcome": "#C9EBDD",
}
ROLE_NAME = {
    "context": "Context",
    "strategy": "Strategy",
    "component": "Strategy component",
    "mechanism": "Mechanism",
    "outcome": "Outcome",
}
CONFIDENCE_STYLE = {
    "H": "solid",
    "M-H": (0, (8, 2.5)),
    "M": (0, (2.8, 2.4)),
    "L-M": (0, (6, 2, 1.2, 2)),
    "L": (0, (1, 1.6)),
}
STAGE_NAME = {
    "baseline": "Baseline context",
    "strategy": "Strategy",
    "early": "Early mechanisms",
    "middle": "Middle mechanisms",
    "late": "Late mechanisms",
    "end": "Outcomes",
}
#: A journal's full (two-column) figure width, 180 mm, and the usable page height, in inches.
JOURNAL_WIDTH = 180 / 25.4
JOURNAL_HEIGHT = 230 / 25.4
HIGHLIGHT = "#D55E00"
LAG_COLOUR = "#7B3294"
EDGE_COLOUR = "#333333"
MUTED = "#B5B5B5"


def highlight_edges(mechanism_map: MechanismMap, path: Sequence[str]) -> set[tuple[str, str]]:
    """The arrows to highlight: the path's own, or every arrow of the paths through waypoints.

    >>> from facmech import load_map
    >>> sorted(highlight_edges(load_map(), ["champions", "trust"]))[:2]
    [('capacity', 'trust'), ('champions', 'role_clarity')]
    """
    g = nx.DiGraph((e.source, e.target) for e in mechanism_map.edges if e.lag == 0)
    pairs = {(e.source, e.target) for e in mechanism_map.edges}
    out: set[tuple[str, str]] = set()
    for a, b in itertools.pairwise(path):
        if (a, b) in pairs or a not in g or b not in g:
            out.add((a, b))
            continue
        keep = (nx.descendants(g, a) | {a}) & (nx.ancestors(g, b) | {b})
        out |= set(g.subgraph(keep).edges)
    return out


def check_highlight(
    mechanism_map: MechanismMap, highlight: Sequence[str], *, waypoints: bool = False
) -> tuple[str, ...]:
    """Validate a highlighted path: known node ids, each consecutive pair an edge of the map or
    waypoints (the second reached from the first by a directed path: every such path is drawn).

    >>> from facmech import load_map
    >>> check_highlight(load_map(), ["facilitation", "leadership_engagement"])
    ('facilitation', 'leadership_engagement')
    >>> check_highlight(load_map(), ["facilitation", "leadership"])
    Traceback (most recent call last):
    ...
    facmech.errors.UnknownNodeError: `highlight`: unknown node 'leadership'. Did you mean ...
    """
    if isinstance(highlight, str):
        highlight = [h for h in highlight.replace(">", ",").split(",") if h.strip()]
    path = tuple(str(h).strip() for h in highlight)
    if len(path) < 2:
        raise MapError(
            f"`highlight` must be a path of at least two node ids (got {list(path)!r})"
        )
    mechanism_map.check_nodes(path, argument="highlight")
    pairs = {(e.source, e.target) for e in mechanism_map.edges}
    g = nx.DiGraph((e.source, e.target) for e in mechanism_map.edges if e.lag == 0)
    for a, b in itertools.pairwise(path):
        if (a, b) not in pairs and not (waypoints and a in g and b in g and nx.has_path(g, a, b)):
            children = sorted({e.target for e in mechanism_map.edges if e.source == a})
            raise MapError(
                f"`highlight`: {a!r} -> {b!r} is not an edge of the map; edges from {a!r} go to: "
                f"{', '.join(children) or 'nothing'}"
            )
    return path


def _wrap(label: str, width: int) -> str:
    return "\n".join(textwrap.wrap(label, width=width, break_long_words=False)) or label


def printed_scale(width: float, height: float, *, page_width: float = JOURNAL_WIDTH,
                  page_height: float = JOURNAL_HEIGHT) -> float:
    """How much a ``width`` x ``height`` inch figure shrinks when printed on a journal page (1 if
    it fits): its fonts print at ``fontsize * printed_scale``.

    >>> round(printed_scale(19.7, 5.4), 2), printed_scale(6, 8)
    (0.36, 1.0)
    """
    return min(1.0, page_width / width, page_height / height)


def plot_map(
    mechanism_map: MechanismMap | str,
    *,
    highlight: Sequence[str] | None = None,
    waypoints: bool = False,
    ax: Axes | None = None,
    periods: int | None = None,
    title: str | None = None,
    fontsize: float = 9.0,
    wrap: int | None = None,
    legend: bool = True,
    orientation: str = "auto",
) -> Figure:
    """Draw a mechanism map as a publication figure.

    Parameters
    ----------
    mechanism_map
        A :class:`MechanismMap` (raw or unrolled), or a built-in map name / map file path.
    waypoints
        Accept consecutive highlighted nodes that are not adjacent (waypoints): every directed
        path between them is highlighted.
    highlight
        A directed path of node ids (``["facilitation", "acceptance", ...]``), drawn bold in
        colour with the rest greyed. Each consecutive pair must be an edge of the (plotted) map.
    ax
        Axes to draw on; by default a new figure sized to the map is made. On a smaller axes the
        font shrinks so the drawing fits.
    periods
        Unroll the map over this many periods first (one band per period).
    title
        An optional title above the map.
    fontsize
        Font size of node labels in points (arrow numbers and legend are slightly smaller).
    wrap
        Wrap node labels at about this many characters (default 15 left to right, 20 top to
        bottom, where width is cheaper than height).
    legend
        Draw the legend (roles, latent nodes, confidence line styles, lag, highlight) below.
        Line styles for confidence appear only when the map's arrows differ in confidence.
    orientation : {"auto", "horizontal", "vertical"}
        Layers left to right or top to bottom. ``"auto"`` picks the one printing the labels
        largest at 180 mm wide (or on ``ax``).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    MapError
        A bad ``highlight`` (not a path, or unknown node with the closest ids suggested), a bad
        ``orientation``, or ``periods`` < 1.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from facmech.plotting._draw import legend_height

    if orientation not in ("auto", "horizontal", "vertical"):
        raise MapError("`orientation` must be one of 'auto', 'horizontal', 'vertical' (got "
                       f"{orientation!r})")
    mmap = load_map(mechanism_map)
    if periods is not None:
        mmap = mmap.unroll(periods)
    path = check_highlight(mmap, highlight, waypoints=waypoints) if highlight is not None else ()

    if ax is None:
        fig = Figure(figsize=(8, 6), layout=None)
        FigureCanvasAgg(fig)
    else:
        fig = ax.figure
    def labels_for(width: int) -> dict[str, str]:
        return {n.id: _wrap(n.label or n.id, width) for n in mmap.nodes}
    has_loops = any(e.lag for e in mmap.edges) and not mmap.is_unrolled
    pinned = frozenset(
        x for e in mmap.edges if e.lag and not mmap.is_unrolled for x in (e.source, e.target)
    )

    def frame(fs: float, vertical: bool, width: int) -> tuple[Layout, float, dict[str, float]]:
        """The layout at font size ``fs`` (labels wrapped at ``width``) and the room around it."""
        sizes = _measure(fig, labels_for(width), fs)
        scale = fs / 9.0
        lay = compute_layout(
            mmap, sizes, col_gap=(0.27 if vertical else 0.62) * scale,
            row_gap=(0.22 if vertical else 0.30) * scale,
            dummy_size=(0.04 if vertical else 0.10) * scale,
            pin_top=pinned, vertical=vertical,
            band_gap=(fs / 72 * 1.3 + 0.08 * scale) if vertical else 0.0,
        )
        room = {
            "header": (0.0 if vertical else 0.38) * scale,
            "gutter": (0.18 if vertical else 0.0) * scale,  # left of a vertical drawing
            "loops": 0.45 * scale if has_loops else 0.0,  # above (horizontal) or right
            "title": 0.35 * scale if title else 0.0,
            "margin": 0.25 * scale,
        }
        if vertical:  # each band's name sits in the gap above its first row
            room["header"] = fs / 72 * 1.3 + 0.1 * scale
        room["legend"] = legend_height(mmap, lay.width, fs, scale, highlight=bool(path)) \
            if legend else 0.0
        return lay, scale, room

    def extent(lay: Layout, room: dict[str, float]) -> tuple[float, float]:
        if lay.vertical:
            w = lay.width + room["gutter"] + room["loops"] + 2 * room["margin"]
            h = lay.height + room["header"] + room["legend"] + room["title"] + 2 * room["margin"]
        else:
            w = lay.width + 2 * room["margin"]
            h = (lay.height + room["header"] + room["loops"] + room["legend"] + room["title"]
                 + 2 * room["margin"])
        return w, h

    if ax is not None:
        bbox = ax.get_position()
        fw, fh = fig.get_size_inches()
        page = (bbox.width * fw, bbox.height * fh)
    else:
        page = (JOURNAL_WIDTH, JOURNAL_HEIGHT)
    options = [False, True] if orientation == "auto" else [orientation == "vertical"]
    candidates = []
    for vertical in options:
        # top to bottom, width is cheaper than height: also try wider label lines
        for width in ([wrap] if wrap is not None else [15, 20] if vertical else [15]):
            lay, scale, room = frame(fontsize, vertical, width)
            w, h = extent(lay, room)
            candidates.append((printed_scale(w, h, page_width=page[0], page_height=page[1]),
                               vertical, width, lay, scale, room))
    shrink, vertical, width, layout, scale, room = max(candidates, key=lambda c: c[:3])
    total_w, total_h = extent(layout, room)
    if ax is None:
        fig.set_size_inches(max(total_w, 4.0), total_h)
        ax = fig.add_axes((0, 0, 1, 1))
    elif shrink < 1.0:
        fontsize = fontsize * shrink * 0.97
        layout, scale, room = frame(fontsize, vertical, width)
        total_w, total_h = extent(layout, room)
    fw, fh = fig.get_size_inches()
    bbox = ax.get_position()
    aw, ah = bbox.width * fw, bbox.height * fh
    margin, legend_h = room["margin"], room["legend"]
    # data units are inches; centre the drawing in the axes
    left = room["gutter"] if vertical else 0.0
    x_lo = -margin - left - (aw - total_w) / 2
    y_lo = -legend_h - margin - (ah - total_h) / 2
    ax.set_xlim(x_lo, x_lo + aw)
    ax.set_ylim(y_lo, y_lo + ah)
    ax.set_axis_off()

    from facmech.plotting._draw import Drawer

    edges = highlight_edges(mmap, path)
    on = tuple(dict.fromkeys([*path, *(n for e in sorted(edges) for n in e)]))
    drawer = Drawer(ax, mmap, layout, path=on, fontsize=fontsize, scale=scale,
                    labels=labels_for(width), path_edges=edges)
    drawer.bands(header=room["gutter"] if vertical else room["header"],
                 loop_room=0.0 if vertical else room["loops"])
    drawer.nodes()
    drawer.edges()
    drawer.arrow_numbers()
    if legend:
        drawer.legend(top=-0.15 * scale, has_lag=any(e.lag for e in mmap.edges))
    if title:
        top = layout.height + (room["header"] if vertical else room["header"] + room["loops"])
        ax.text(
            layout.width / 2, top + 0.15 * scale, title,
            ha="center", va="bottom", fontsize=fontsize * 1.25, fontweight="bold", gid="title",
        )
    return fig


def _measure(fig: Any, labels: dict[str, str], fontsize: float) -> dict[str, tuple[float, float]]:
    """Box sizes (inches) for the wrapped labels at ``fontsize``.

    Text is measured on a scratch Agg figure, so the caller's figure and canvas are untouched.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    scratch = Figure(dpi=fig.dpi)
    renderer = FigureCanvasAgg(scratch).get_renderer()
    dpi = scratch.dpi
    out = {}
    for nid, text in labels.items():
        t = scratch.text(0, 0, text, fontsize=fontsize, ha="left", va="bottom", linespacing=1.15)
        bb = t.get_window_extent(renderer=renderer)
        t.remove()
        pad_x, pad_y = 0.11 * fontsize / 9.0, 0.075 * fontsize / 9.0
        out[nid] = (bb.width / dpi + 2 * pad_x, bb.height / dpi + 2 * pad_y)
    return out


def save_map_figure(
    mechanism_map: MechanismMap | str,
    out: str | Path,
    *,
    highlight: Sequence[str] | None = None,
    periods: int | None = None,
    dpi: int = 200,
    title: str | None = None,
    orientation: str = "auto",
) -> Path:
    """Draw the map with :func:`plot_map` and save it (``.png``, ``.svg`` or ``.pdf``).

    SVG text stays text (editable in a vector editor); PNG is written at ``dpi``.
    """
    import matplotlib

    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg", ".pdf"):
        raise MapError(f"`out` must end in .png, .svg or .pdf (got {str(out)!r})")
    fig = plot_map(mechanism_map, highlight=highlight, periods=periods, title=title,
                   orientation=orientation)
    with matplotlib.rc_context({"svg.fonttype": "none", "pdf.fonttype": 42}):
        fig.savefig(path, dpi=dpi, facecolor="white")
    return path

