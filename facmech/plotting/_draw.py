"""Drawing a laid-out mechanism map on matplotlib axes (used by :func:`~facmech.plotting.plot_map`).

Coordinates are inches (the axes are set up so that one data unit is one inch).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Patch, PathPatch, Rectangle
from matplotlib.path import Path

from facmech.maps import Edge, MechanismMap
from facmech.plotting._layout import STAGES, Layout
from facmech.plotting.map_plot import (
    CONFIDENCE_STYLE,
    EDGE_COLOUR,
    HIGHLIGHT,
    LAG_COLOUR,
    MUTED,
    ROLE_FILL,
    ROLE_NAME,
    STAGE_NAME,
)

__all__ = ["ARROW_FONT", "LEGEND_FONT", "Drawer"]

#: Legend text and arrow numbers (one digit, two digits) relative to the node labels' size: at
#: 180 mm the labels print at 7 pt or more, the legend too, the numbers at 5 pt or more.
LEGEND_FONT = 1.0
ARROW_FONT = (0.8, 0.72)

Point = tuple[float, float]


def _bezier(p0: Point, c1: Point, c2: Point, p3: Point, t: float) -> Point:
    u = 1 - t
    return (
        u**3 * p0[0] + 3 * u * u * t * c1[0] + 3 * u * t * t * c2[0] + t**3 * p3[0],
        u**3 * p0[1] + 3 * u * u * t * c1[1] + 3 * u * t * t * c2[1] + t**3 * p3[1],
    )


class Drawer:
    """Draws bands, nodes, edges, arrow numbers and the legend; records what it drew."""

    def __init__(
        self,
        ax: Any,
        mmap: MechanismMap,
        layout: Layout,
        *,
        path: tuple[str, ...],
        fontsize: float,
        scale: float,
        labels: dict[str, str],
        path_edges: set[tuple[str, str]] | None = None,
    ):
        self.ax = ax
        self.mmap = mmap
        self.lay = layout
        self.path = path
        self.path_edges = set(itertools.pairwise(path)) if path_edges is None else path_edges
        self.fs = fontsize
        self.s = scale
        self.labels = labels
        self.occupied: list[tuple[float, float, float, float]] = []  # x0, y0, x1, y1
        # one confidence level on every arrow (e.g. a dagitty map, which has none): line
        # styles would carry no information, so every arrow is solid and the legend omits them
        self.uniform = len({str(e.confidence) for e in mmap.edges}) < 2
        self.segments: dict[tuple[str, str, int], list[tuple[Point, Point, Point, Point]]] = {}
        self.edge_artists: dict[tuple[str, str, int], Any] = {}

    # ------------------------------------------------------------------ geometry helpers
    def box(self, nid: str) -> tuple[float, float, float, float]:
        (cx, cy), (w, h) = self.lay.centers[nid], self.lay.sizes[nid]
        return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2

    def _style(self, e: Edge) -> dict[str, Any]:
        on_path = (e.source, e.target) in self.path_edges
        colour = LAG_COLOUR if e.lag else EDGE_COLOUR
        lw = 1.15
        if self.path:
            colour, lw = (HIGHLIGHT, 2.6) if on_path else (MUTED, 0.9)
        style = "solid" if self.uniform else CONFIDENCE_STYLE.get(str(e.confidence), "solid")
        return {"color": colour, "lw": lw * self.s, "ls": style, "zorder": 3 if on_path else 2}

    # ------------------------------------------------------------------ bands and headers
    def bands(self, *, header: float, loop_room: float) -> None:
        if self.lay.vertical:
            self._bands_vertical(header=header)
            return
        lay, ax, s = self.lay, self.ax, self.s
        y_top = lay.height + loop_room
        y_text = y_top + header * 0.45
        spans: dict[Any, list[float]] = {}
        for nid, _col in lay.columns.items():
            x0, _, x1, _ = self.box(nid)
            key = lay.groups[nid] if self.mmap.is_unrolled else lay.stage_of[nid]
            if key is None:
                continue
            lo, hi = spans.get(key, [math.inf, -math.inf])
            spans[key] = [min(lo, x0), max(hi, x1)]
        if self.mmap.is_unrolled:
            periods = self.mmap.periods or 0
            for g, (x0, x1) in sorted(spans.items()):
                name = self._group_name(g, periods)
                if 1 <= g <= periods:
                    ax.add_patch(Rectangle(
                        (x0 - 0.18 * s, -0.12 * s), x1 - x0 + 0.36 * s, y_top + 0.12 * s,
                        facecolor="#F3F0F7" if g % 2 else "#EEF3F7", edgecolor="none", zorder=0,
                        gid=f"band:{g}",
                    ))
                ax.text((x0 + x1) / 2, y_text, name, ha="center", va="center",
                        fontsize=self.fs * 0.95, fontweight="bold", color="#444444",
                        gid=f"header:{g}")
            return
        order = [st for st in STAGES if st in spans]
        for st in order:
            x0, x1 = spans[st]
            ax.text((x0 + x1) / 2, y_text, STAGE_NAME[st], ha="center", va="center",
                    fontsize=self.fs * 0.95, fontweight="bold", color="#444444",
                    gid=f"header:{st}")
            ax.plot([x0, x1], [y_top + header * 0.12] * 2, color="#999999", lw=0.8 * s,
                    solid_capstyle="butt", gid=f"rule:{st}")

    @staticmethod
    def _group_name(g: int, periods: int) -> str:
        return ("Baseline" if g == 0 else "End of follow-up" if g == periods + 1
                else f"Period t = {g - 1}")

    def _bands_vertical(self, *, header: float) -> None:
        """Layers run top to bottom: each stage (or period) is a horizontal band whose name sits
        at its top left, in the gap above its first row."""
        lay, ax, s = self.lay, self.ax, self.s
        spans: dict[Any, list[float]] = {}
        for nid in lay.columns:
            _, y0, _, y1 = self.box(nid)
            key = lay.groups[nid] if self.mmap.is_unrolled else lay.stage_of[nid]
            if key is None:
                continue
            lo, hi = spans.get(key, [math.inf, -math.inf])
            spans[key] = [min(lo, y0), max(hi, y1)]
        left, right = -header, lay.width + 0.1 * s
        periods = self.mmap.periods or 0
        keys = sorted(spans) if self.mmap.is_unrolled else [st for st in STAGES if st in spans]
        for i, key in enumerate(keys):
            y0, y1 = spans[key]
            name = self._group_name(key, periods) if self.mmap.is_unrolled else STAGE_NAME[key]
            top = y1 + 0.07 * s + self.fs / 72 * 1.3  # in the band gap above its first row
            if self.mmap.is_unrolled and 1 <= key <= periods:
                ax.add_patch(Rectangle(
                    (left, y0 - 0.12 * s), right - left, top - y0 + 0.06 * s,
                    facecolor="#F3F0F7" if key % 2 else "#EEF3F7", edgecolor="none", zorder=0,
                    gid=f"band:{key}"))
            elif i:
                ax.plot([left, right], [top + 0.04 * s] * 2, color="#C8C8C8", lw=0.7 * s,
                        solid_capstyle="butt", zorder=0, gid=f"rule:{key}")
            ax.text(left + 0.04 * s, top - 0.02 * s, name, ha="left", va="top",
                    fontsize=self.fs, fontweight="bold", color="#555555", zorder=1,
                    gid=f"header:{key}")
            em = self.fs / 72  # keep arrow numbers off the band's name
            self.occupied.append((left, top - 0.02 * s - 1.3 * em,
                                  left + 0.04 * s + 0.62 * em * len(name), top))

    # ------------------------------------------------------------------ nodes
    def nodes(self) -> None:
        ax, s = self.ax, self.s
        on_path = set(self.path)
        for n in self.mmap.nodes:
            x0, y0, x1, y1 = self.box(n.id)
            self.occupied.append((x0, y0, x1, y1))
            muted = bool(self.path) and n.id not in on_path
            edge_colour = HIGHLIGHT if n.id in on_path else ("#9A9A9A" if muted else "#444444")
            fill = ROLE_FILL[n.role.value]
            patch = FancyBboxPatch(
                (x0, y0), x1 - x0, y1 - y0,
                boxstyle=f"round,pad=0,rounding_size={0.06 * s}",
                facecolor=fill, edgecolor=edge_colour,
                lw=(2.2 if n.id in on_path else 0.9) * s,
                ls=(0, (3, 2)) if not n.observed else "solid",
                alpha=0.55 if muted else 1.0, zorder=4, gid=f"node:{n.id}",
            )
            ax.add_patch(patch)
            colour = "#777777" if (muted or not n.observed) else "#111111"
            ax.text(
                (x0 + x1) / 2, (y0 + y1) / 2, self.labels[n.id], ha="center", va="center",
                fontsize=self.fs, color=colour, linespacing=1.15, zorder=5,
                fontstyle="italic" if not n.observed else "normal",
                fontweight="bold" if n.id in on_path else "normal", gid=f"label:{n.id}",
            )

    # ------------------------------------------------------------------ edges
    def edges(self) -> None:
        forward = [e for e in self.mmap.edges if not (e.lag and not self.mmap.is_unrolled)]
        lagged = [e for e in self.mmap.edges if e.lag and not self.mmap.is_unrolled]
        same = set(self.lay.same_layer)
        in_row = [e for e in forward if (e.source, e.target) in same]
        forward = [e for e in forward if (e.source, e.target) not in same]
        for e in in_row:
            self._draw(e, self._within_row(e))
        ports_out = self._ports(forward, out=True)
        ports_in = self._ports(forward, out=False)
        for e in forward:
            pts = [ports_out[e.key], *self.lay.routes[(e.source, e.target)], ports_in[e.key]]
            segs = []
            for p, q in itertools.pairwise(pts):
                if self.lay.vertical:  # leave downwards, arrive from above
                    dy = (q[1] - p[1]) * 0.5
                    segs.append((p, (p[0], p[1] + dy), (q[0], q[1] - dy), q))
                else:
                    dx = (q[0] - p[0]) * 0.5
                    segs.append((p, (p[0] + dx, p[1]), (q[0] - dx, q[1]), q))
            self._draw(e, segs)
        self._lagged(lagged)

    def _within_row(self, e: Edge) -> list[tuple[Point, Point, Point, Point]]:
        """An edge between two boxes of one row (a period's): a short horizontal arrow when
        nothing stands between them, else an arc over the boxes in between."""
        sx0, sy0, sx1, sy1 = self.box(e.source)
        tx0, ty0, tx1, ty1 = self.box(e.target)
        cy = (sy0 + sy1) / 2
        lo, hi = min(sx1, tx1), max(sx0, tx0)
        between = [n for n, (cx, y) in self.lay.centers.items()
                   if n not in (e.source, e.target) and abs(y - cy) < 1e-6 and lo < cx < hi]
        if not between:
            p = (sx1, cy) if tx0 >= sx1 else (sx0, cy)
            q = (tx0, (ty0 + ty1) / 2) if tx0 >= sx1 else (tx1, (ty0 + ty1) / 2)
            mid = ((p[0] + q[0]) / 2, (p[1] + q[1]) / 2)
            return [(p, mid, mid, q)]
        top = max(self.box(n)[3] for n in [e.source, e.target, *between]) + 0.22 * self.s
        p = (sx0 + 0.7 * (sx1 - sx0), sy1)
        q = (tx0 + 0.3 * (tx1 - tx0), ty1)
        return [(p, (p[0], top), (q[0], top), q)]

    def _ports(self, edges: list[Edge], *, out: bool) -> dict[tuple[str, str, int], Point]:
        """Attachment points spread along the side of each box facing the edge: right (out) and
        left (in) when layers run left to right, bottom (out) and top (in) when they run down."""
        vertical = self.lay.vertical
        axis = 0 if vertical else 1  # the coordinate ports are spread along
        by_node: dict[str, list[Edge]] = {}
        for e in edges:
            by_node.setdefault(e.source if out else e.target, []).append(e)
        ports = {}
        for nid, es in by_node.items():
            x0, y0, x1, y1 = self.box(nid)

            def other(e: Edge) -> float:
                route = self.lay.routes[(e.source, e.target)]
                if route:
                    return route[0][axis] if out else route[-1][axis]
                return self.lay.centers[e.target if out else e.source][axis]

            es = sorted(es, key=other, reverse=not vertical)
            k = len(es)
            for i, e in enumerate(es):
                if vertical:
                    frac = 0.5 if k == 1 else 0.12 + 0.76 * i / (k - 1)
                    ports[e.key] = (x0 + frac * (x1 - x0), y0 if out else y1)
                else:
                    frac = 0.5 if k == 1 else 0.8 - 0.6 * i / (k - 1)
                    ports[e.key] = (x1 if out else x0, y0 + frac * (y1 - y0))
        return ports

    def _draw(self, e: Edge, segs: list[tuple[Point, Point, Point, Point]]) -> None:
        style = self._style(e)
        verts: list[Point] = [segs[0][0]]
        codes = [Path.MOVETO]
        for _, c1, c2, q in segs:
            verts += [c1, c2, q]
            codes += [Path.CURVE4] * 3
        gid = f"edge:{e.source}->{e.target}" + (":lag" if e.lag else "")
        body = PathPatch(
            Path(verts, codes), fill=False, edgecolor=style["color"], lw=style["lw"],
            ls=style["ls"], zorder=style["zorder"], gid=gid, capstyle="butt",
        )
        self.ax.add_patch(body)
        # a solid arrowhead along the final tangent
        p0, c1, c2, p3 = segs[-1]
        tail = _bezier(p0, c1, c2, p3, 0.93)
        d = math.hypot(p3[0] - tail[0], p3[1] - tail[1]) or 1.0
        L = 0.09 * self.s
        tail = (p3[0] - (p3[0] - tail[0]) / d * L, p3[1] - (p3[1] - tail[1]) / d * L)
        head = FancyArrowPatch(
            tail, p3, arrowstyle="-|>", mutation_scale=9 * self.s * (1.15 if style["lw"] > 2 else 1),
            color=style["color"], lw=min(style["lw"], 1.2 * self.s), shrinkA=0, shrinkB=0,
            zorder=style["zorder"], gid=f"head:{e.source}->{e.target}",
        )
        self.ax.add_patch(head)
        self.segments[e.key] = segs
        self.edge_artists[e.key] = body

    def _lagged(self, lagged: list[Edge]) -> None:
        """Lag-1 edges of a raw map: curves above the boxes (a small loop for self-persistence),
        or at their right when layers run top to bottom."""
        if not lagged:
            return
        if self.lay.vertical:
            self._lagged_right(lagged)
            return
        attach: dict[str, list[tuple[float, Edge, str]]] = {}
        for e in lagged:
            sx, tx = self.lay.centers[e.source][0], self.lay.centers[e.target][0]
            if e.source == e.target:
                attach.setdefault(e.source, []).append((0.0, e, "self"))
                continue
            attach.setdefault(e.source, []).append((tx - sx, e, "out"))
            attach.setdefault(e.target, []).append((sx - tx, e, "in"))
        xs: dict[tuple[tuple[str, str, int], str], float] = {}
        for nid, items in attach.items():
            x0, _, x1, _ = self.box(nid)
            items.sort(key=lambda t: (t[0], t[2]))
            k = len(items)
            for i, (_, e, role) in enumerate(items):
                frac = 0.5 if k == 1 else 0.18 + 0.64 * i / (k - 1)
                xs[(e.key, role)] = x0 + frac * (x1 - x0)
        top_all = max(self.box(n)[3] for n in self.lay.centers)
        for e in lagged:
            if e.source == e.target:
                x0, _, x1, y1 = self.box(e.source)
                cx = xs[(e.key, "self")]
                w = min(0.22 * self.s, (x1 - x0) * 0.25)
                p0, p3 = (cx - w / 2, y1), (cx + w / 2, y1)
                lift = 0.38 * self.s
                segs = [(p0, (cx - w * 1.6, y1 + lift), (cx + w * 1.6, y1 + lift), p3)]
            else:
                sx, tx = xs[(e.key, "out")], xs[(e.key, "in")]
                sy, ty = self.box(e.source)[3], self.box(e.target)[3]
                lo, hi = min(sx, tx), max(sx, tx)
                tops = [self.box(n)[3] for n, (cx, _) in self.lay.centers.items() if lo <= cx <= hi]
                peak = max([sy, ty, *tops]) + (0.3 + 0.08 * min(hi - lo, 3.0)) * self.s
                peak = min(peak, top_all + 0.36 * self.s)
                segs = [((sx, sy), (sx, peak + 0.1 * self.s), (tx, peak + 0.1 * self.s), (tx, ty))]
            self._draw(e, segs)

    def _lagged_right(self, lagged: list[Edge]) -> None:
        attach: dict[str, list[tuple[float, Edge, str]]] = {}
        for e in lagged:
            sy, ty = self.lay.centers[e.source][1], self.lay.centers[e.target][1]
            if e.source == e.target:
                attach.setdefault(e.source, []).append((0.0, e, "self"))
                continue
            attach.setdefault(e.source, []).append((ty - sy, e, "out"))
            attach.setdefault(e.target, []).append((sy - ty, e, "in"))
        ys: dict[tuple[tuple[str, str, int], str], float] = {}
        for nid, items in attach.items():
            _, y0, _, y1 = self.box(nid)
            items.sort(key=lambda t: (-t[0], t[2]))
            k = len(items)
            for i, (_, e, role) in enumerate(items):
                frac = 0.5 if k == 1 else 0.8 - 0.6 * i / (k - 1)
                ys[(e.key, role)] = y0 + frac * (y1 - y0)
        right_all = max(self.box(n)[2] for n in self.lay.centers)
        for e in lagged:
            if e.source == e.target:
                _, y0, x1, y1 = self.box(e.source)
                cy = ys[(e.key, "self")]
                h = min(0.16 * self.s, (y1 - y0) * 0.35)
                p0, p3 = (x1, cy + h / 2), (x1, cy - h / 2)
                reach = 0.34 * self.s
                segs = [(p0, (x1 + reach, cy + h * 1.8), (x1 + reach, cy - h * 1.8), p3)]
            else:
                sy, ty = ys[(e.key, "out")], ys[(e.key, "in")]
                sx, tx = self.box(e.source)[2], self.box(e.target)[2]
                lo, hi = min(sy, ty), max(sy, ty)
                rights = [self.box(n)[2] for n, (_, cy) in self.lay.centers.items()
                          if lo - 0.2 <= cy <= hi + 0.2]
                peak = max([sx, tx, *rights]) + (0.25 + 0.06 * min(hi - lo, 3.0)) * self.s
                peak = min(peak, right_all + 0.4 * self.s)
                segs = [((sx, sy), (peak + 0.1 * self.s, sy), (peak + 0.1 * self.s, ty), (tx, ty))]
            self._draw(e, segs)

    # ------------------------------------------------------------------ arrow numbers
    def arrow_numbers(self) -> None:
        """Number circles on numbered edges, placed where they clear boxes, other numbers and,
        as far as possible, other edges (so each number sits unambiguously on its own edge)."""
        r = 0.095 * self.s
        placed: list[tuple[float, float, float, float]] = []
        samples = {
            key: [_bezier(*seg, t / 8) for seg in segs for t in range(9)]
            for key, segs in self.segments.items()
        }
        for e in sorted(self.mmap.edges, key=lambda e: (e.arrow is None, e.arrow)):
            if e.arrow is None or e.key not in self.segments:
                continue
            segs = self.segments[e.key]
            n = len(segs)
            others = [p for k, pts in samples.items() if k != e.key for p in pts]
            best, best_score = _bezier(*segs[n // 2], 0.5), -math.inf
            for i in range(n):
                for t in (0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78):
                    c = _bezier(*segs[i], t)
                    bb = (c[0] - r, c[1] - r, c[0] + r, c[1] + r)
                    if any(_overlap(bb, o, pad=0.04 * self.s) for o in self.occupied + placed):
                        continue
                    clear = min((math.hypot(c[0] - p[0], c[1] - p[1]) for p in others),
                                default=1.0)
                    centre = abs(i + t - n / 2) / max(n, 1)
                    score = min(clear, 3 * r) - 0.3 * r * centre
                    if score > best_score:
                        best, best_score = c, score
            placed.append((best[0] - r, best[1] - r, best[0] + r, best[1] + r))
            on_path = (e.source, e.target) in self.path_edges
            muted = bool(self.path) and not on_path
            ring = HIGHLIGHT if on_path else ("#AAAAAA" if muted else "#333333")
            self.ax.add_patch(Circle(best, r, facecolor="white", edgecolor=ring,
                                     lw=(1.3 if on_path else 0.8) * self.s, zorder=6,
                                     gid=f"arrow:{e.arrow}"))
            self.ax.text(best[0], best[1], str(e.arrow), ha="center", va="center",
                         fontsize=self.fs * ARROW_FONT[e.arrow >= 10],
                         color="#222222" if not muted else "#888888", zorder=7,
                         fontweight="bold" if on_path else "normal", gid=f"arrowlabel:{e.arrow}")

    # ------------------------------------------------------------------ legend
    def legend(self, *, top: float, has_lag: bool) -> None:
        ax, s = self.ax, self.s
        roles = [r for r in ROLE_FILL if any(n.role.value == r for n in self.mmap.nodes)]
        node_handles = [
            Patch(facecolor=ROLE_FILL[r], edgecolor="#444444", lw=0.8 * s, label=ROLE_NAME[r])
            for r in roles
        ]
        if self.mmap.latent_ids:
            node_handles.append(Patch(facecolor="white", edgecolor="#444444", lw=0.8 * s,
                                      ls=(0, (3, 2)), label="Latent (unmeasured)"))
        confs = [c for c in CONFIDENCE_STYLE if any(str(e.confidence) == c for e in self.mmap.edges)]
        if len(confs) < 2:  # one level everywhere (a dagitty map says none): no information
            confs = []
        edge_handles: list[Any] = [
            Line2D([], [], color=EDGE_COLOUR, lw=1.2 * s, ls=CONFIDENCE_STYLE[c],
                   label=f"Confidence {c}")
            for c in confs
        ]
        if has_lag:
            edge_handles.append(Line2D([], [], color=LAG_COLOUR, lw=1.2 * s,
                                       label="Lagged (period t \u2192 t+1)"))
        if any(e.arrow is not None for e in self.mmap.edges):
            edge_handles.append(Line2D([], [], color="#333333", marker="o", ls="none",
                                       markerfacecolor="white", markersize=7 * s, markeredgewidth=0.8 * s,
                                       label="Arrow number"))
        if self.path:
            edge_handles.append(
                Line2D([], [], color=HIGHLIGHT, lw=2.6 * s, label="Highlighted path")
            )
        width = self.lay.width
        kw = {"frameon": False, "fontsize": self.fs * LEGEND_FONT, "handlelength": 2.6,
              "columnspacing": 1.4, "handletextpad": 0.5, "borderaxespad": 0.0}
        per_row = legend_columns(width, self.fs)
        rows1 = math.ceil(len(node_handles) / per_row)
        leg1 = ax.legend(handles=node_handles, loc="upper center",
                         ncol=math.ceil(len(node_handles) / rows1),
                         bbox_to_anchor=(width / 2, top), bbox_transform=ax.transData, **kw)
        if not edge_handles:  # leg1 is the axes' legend
            return
        ax.add_artist(leg1)
        rows2 = math.ceil(len(edge_handles) / per_row)
        ax.legend(handles=edge_handles, loc="upper center",
                  ncol=math.ceil(len(edge_handles) / rows2),
                  bbox_to_anchor=(width / 2, top - legend_row_height(self.fs, s) * rows1
                                  - 0.08 * s),
                  bbox_transform=ax.transData, **kw)


def legend_columns(width: float, fontsize: float) -> int:
    """Legend entries per row that fit ``width`` inches (entries are about 14 characters)."""
    em = fontsize * LEGEND_FONT / 72
    entry = (2.6 + 0.5 + 1.4) * em + 14 * 0.55 * em
    return max(2, min(6, int(width // entry)))


def legend_row_height(fontsize: float, scale: float) -> float:
    """Height of one legend row (inches): a line of legend text and matplotlib's spacing."""
    return fontsize * LEGEND_FONT / 72 * 1.75


def legend_height(mmap: MechanismMap, width: float, fontsize: float, scale: float, *,
                  highlight: bool) -> float:
    """Height (inches) the legend takes below a drawing ``width`` inches wide."""
    nodes = len({n.role.value for n in mmap.nodes}) + bool(mmap.latent_ids)
    confs = {str(e.confidence) for e in mmap.edges}
    edges = (len(confs) if len(confs) > 1 else 0) + any(e.lag for e in mmap.edges) \
        + any(e.arrow is not None for e in mmap.edges) + bool(highlight)
    per_row = legend_columns(width, fontsize)
    rows = math.ceil(nodes / per_row) + (math.ceil(edges / per_row) if edges else 0)
    return rows * legend_row_height(fontsize, scale) + 0.35 * scale


def _overlap(a: tuple[float, ...], b: tuple[float, ...], *, pad: float = 0.0) -> bool:
    return not (a[2] + pad <= b[0] or b[2] + pad <= a[0] or a[3] + pad <= b[1] or b[3] + pad <= a[1])
