"""The publishable figure of a mechanism map: :func:`plot_map`.

The map is drawn left to right in layers (baseline context, strategy, early, middle and late
mechanisms, outcomes; on an unrolled map, one shaded band per period). Boxes are sized to their
wrapped labels and filled by role; latent (unmeasured) nodes have a dashed outline and grey italic
text. Edges are routed between the boxes as smooth splines; the line style gives the confidence in
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

__all__ = ["check_highlight", "highlight_edges", "plot_map", "save_map_figure"]

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


def plot_map(
    mechanism_map: MechanismMap | str,
    *,
    highlight: Sequence[str] | None = None,
    waypoints: bool = False,
    ax: Axes | None = None,
    periods: int | None = None,
    title: str | None = None,
    fontsize: float = 9.0,
    wrap: int = 15,
    legend: bool = True,
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
        Unroll the map over this many periods first (laid out left to right).
    title
        An optional title above the map.
    fontsize
        Font size of node labels in points (arrow numbers and legend are slightly smaller).
    wrap
        Wrap node labels at about this many characters.
    legend
        Draw the legend (roles, latent nodes, confidence line styles, lag, highlight) below.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    MapError
        A bad ``highlight`` (not a path, or unknown node with the closest ids suggested), or
        ``periods`` < 1.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    mmap = load_map(mechanism_map)
    if periods is not None:
        mmap = mmap.unroll(periods)
    path = check_highlight(mmap, highlight, waypoints=waypoints) if highlight is not None else ()

    if ax is None:
        fig = Figure(figsize=(8, 6), layout=None)
        FigureCanvasAgg(fig)
    else:
        fig = ax.figure
    labels = {n.id: _wrap(n.label or n.id, wrap) for n in mmap.nodes}
    pinned = frozenset(
        x for e in mmap.edges if e.lag and not mmap.is_unrolled for x in (e.source, e.target)
    )

    def layout_at(fs: float) -> tuple[Layout, float]:
        sizes = _measure(fig, labels, fs)
        scale = fs / 9.0
        return compute_layout(
            mmap, sizes, col_gap=0.62 * scale, row_gap=0.30 * scale, dummy_size=0.10 * scale,
            pin_top=pinned,
        ), scale

    layout, scale = layout_at(fontsize)
    header = 0.38 * scale
    legend_h = (0.95 if legend else 0.0) * scale + (0.35 * scale if title else 0.0)
    margin = 0.25 * scale
    lagged = [e for e in mmap.edges if e.lag and not mmap.is_unrolled]
    loop_room = 0.45 * scale if lagged else 0.0
    total_w = layout.width + 2 * margin
    total_h = layout.height + header + loop_room + legend_h + 2 * margin
    if ax is None:
        fig.set_size_inches(max(total_w, 7.0), total_h)
        ax = fig.add_axes((0, 0, 1, 1))
    else:
        bbox = ax.get_position()
        fw, fh = fig.get_size_inches()
        avail_w, avail_h = bbox.width * fw, bbox.height * fh
        shrink = min(1.0, avail_w / total_w, avail_h / total_h)
        if shrink < 1.0:
            layout, scale = layout_at(fontsize * shrink * 0.97)
            fontsize = fontsize * shrink * 0.97
            header, legend_h, margin, loop_room = (
                v * shrink * 0.97 for v in (header, legend_h, margin, loop_room)
            )
            total_w = layout.width + 2 * margin
            total_h = layout.height + header + loop_room + legend_h + 2 * margin
    fw, fh = fig.get_size_inches()
    bbox = ax.get_position()
    aw, ah = bbox.width * fw, bbox.height * fh
    # data units are inches; centre the drawing in the axes
    x_lo = -margin - (aw - total_w) / 2
    y_lo = -legend_h - margin - (ah - total_h) / 2
    ax.set_xlim(x_lo, x_lo + aw)
    ax.set_ylim(y_lo, y_lo + ah)
    ax.set_axis_off()

    from facmech.plotting._draw import Drawer

    edges = highlight_edges(mmap, path)
    on = tuple(dict.fromkeys([*path, *(n for e in sorted(edges) for n in e)]))
    drawer = Drawer(ax, mmap, layout, path=on, fontsize=fontsize, scale=scale, labels=labels,
                    path_edges=edges)
    drawer.bands(header=header, loop_room=loop_room)
    drawer.nodes()
    drawer.edges()
    drawer.arrow_numbers()
    if legend:
        drawer.legend(top=-0.15 * scale, has_lag=any(e.lag for e in mmap.edges))
    if title:
        ax.text(
            layout.width / 2, layout.height + header + loop_room + 0.15 * scale, title,
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
) -> Path:
    """Draw the map with :func:`plot_map` and save it (``.png``, ``.svg`` or ``.pdf``).

    SVG text stays text (editable in a vector editor); PNG is written at ``dpi``.
    """
    import matplotlib

    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg", ".pdf"):
        raise MapError(f"`out` must end in .png, .svg or .pdf (got {str(out)!r})")
    fig = plot_map(mechanism_map, highlight=highlight, periods=periods, title=title)
    with matplotlib.rc_context({"svg.fonttype": "none", "pdf.fonttype": 42}):
        fig.savefig(path, dpi=dpi, facecolor="white")
    return path

