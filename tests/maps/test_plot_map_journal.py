"""The map figure at a journal's two-column width (issue 13): printed at 180 mm wide (and at most
230 mm tall) the built-in map, its highlighted path and the map unrolled over 2-3 periods keep
node labels, band names and legend text at 7 pt or more and arrow numbers at 5 pt or more, with
no overlapping text or boxes; arrowheads into one node do not stack; a map whose arrows carry no
confidence (dagitty) draws solid arrows and no confidence legend. (Before: 3939 x 1081 px, 3.6:1,
labels at 3 pt when printed at 180 mm.)"""

from __future__ import annotations

import itertools
import math

import matplotlib
import pytest
from matplotlib.legend import Legend
from matplotlib.patches import FancyBboxPatch, PathPatch

from facmech import load_map
from facmech.formats import read_map_text
from facmech.plotting import plot_map
from facmech.plotting.map_plot import JOURNAL_HEIGHT, JOURNAL_WIDTH, printed_scale

matplotlib.use("Agg")

PATH = ["facilitation", "leadership_engagement", "acceptance", "socialization", "coherence",
        "capacity", "trust", "normalization", "uptake"]
CASES = {
    "map": {},
    "highlight": {"highlight": PATH, "waypoints": True},
    "unrolled-2": {"periods": 2},
    "unrolled-3": {"periods": 3},
}


@pytest.fixture(scope="module")
def builtin():
    return load_map()


def _texts(fig):
    fig.canvas.draw()
    ax = fig.axes[0]
    texts = [t for t in ax.texts if t.get_text().strip()]
    for child in ax.get_children():
        if isinstance(child, Legend):
            texts += [t for t in child.get_texts() if t.get_text().strip()]
    return texts


@pytest.mark.parametrize("case", list(CASES))
def test_printed_at_180_mm_text_is_at_least_7_pt(builtin, case):
    fig = plot_map(builtin, **CASES[case])
    w, h = fig.get_size_inches()
    k = printed_scale(w, h)
    assert w * k <= JOURNAL_WIDTH + 1e-9 and h * k <= JOURNAL_HEIGHT + 1e-9
    sizes = {"label": [], "arrow": [], "other": []}
    for t in _texts(fig):
        gid = t.get_gid() or ""
        kind = "label" if gid.startswith("label:") else "arrow" if gid.startswith("arrowlabel") \
            else "other"
        sizes[kind].append(t.get_fontsize() * k)
    assert min(sizes["label"]) >= 7.0, (case, min(sizes["label"]), (w, h))
    assert min(sizes["other"]) >= 7.0, (case, min(sizes["other"]))
    assert min(sizes["arrow"]) >= 5.0, (case, min(sizes["arrow"]))


@pytest.mark.parametrize("case", list(CASES))
def test_no_overlapping_text_or_boxes(builtin, case):
    fig = plot_map(builtin, **CASES[case])
    renderer = fig.canvas.get_renderer()
    texts = [(t.get_gid() or t.get_text(), t.get_window_extent(renderer)) for t in _texts(fig)]
    for (a, ba), (b, bb) in itertools.combinations(texts, 2):
        assert not ba.overlaps(bb), f"{case}: text {a!r} overlaps {b!r}"
    boxes = [(p.get_gid(), p.get_window_extent(renderer)) for p in fig.axes[0].patches
             if isinstance(p, FancyBboxPatch) and (p.get_gid() or "").startswith("node:")]
    for (a, ba), (b, bb) in itertools.combinations(boxes, 2):
        assert not ba.overlaps(bb), f"{case}: {a} overlaps {b}"
    labels = {t.get_gid()[len("label:"):]: t.get_window_extent(renderer)
              for t in fig.axes[0].texts if (t.get_gid() or "").startswith("label:")}
    for gid, box in boxes:
        tb = labels[gid[len("node:"):]]
        assert box.x0 <= tb.x0 and tb.x1 <= box.x1 and box.y0 <= tb.y0 and tb.y1 <= box.y1, gid


def test_arrowheads_into_one_node_do_not_stack(builtin):
    # issue 13: five arrowheads stacked on "Acceptance"; now spread along the box's side
    fig = plot_map(builtin)
    ax = fig.axes[0]
    into = [p for p in ax.patches if isinstance(p, PathPatch)
            and (p.get_gid() or "").endswith("->acceptance")]
    assert len(into) == 5
    ends = [tuple(p.get_path().vertices[-1]) for p in into]
    for a, b in itertools.combinations(ends, 2):
        assert math.dist(a, b) >= 0.15, (a, b)  # inches apart at full size


def test_auto_orientation_runs_the_long_chain_down_the_page(builtin):
    vertical = plot_map(builtin)
    horizontal = plot_map(builtin, orientation="horizontal")
    assert printed_scale(*vertical.get_size_inches()) > 2 * printed_scale(
        *horizontal.get_size_inches())
    w, h = vertical.get_size_inches()
    assert h > w  # top to bottom
    nodes = {p.get_gid(): p for p in vertical.axes[0].patches
             if (p.get_gid() or "").startswith("node:")}
    # layers run down: the outcome is below the strategy, the strategy below the context
    y = {k: p.get_y() for k, p in nodes.items()}
    assert y["node:outer_context"] > y["node:facilitation"] > y["node:uptake"]
    # the feedback loop's lagged edges leave and enter the boxes' right sides
    lagged = [p for p in vertical.axes[0].patches if (p.get_gid() or "").endswith(":lag")]
    assert len(lagged) == 3
    for p in lagged:
        src = (p.get_gid() or "")[len("edge:"):].split("->")[0]
        box = nodes[f"node:{src}"]
        start = p.get_path().vertices[0]
        assert start[0] == pytest.approx(box.get_x() + box.get_width())


def test_unrolled_map_has_one_row_per_period(builtin):
    fig = plot_map(builtin, periods=3)
    nodes = {p.get_gid()[len("node:"):]: p for p in fig.axes[0].patches
             if (p.get_gid() or "").startswith("node:")}
    for k in range(3):
        ys = {round(nodes[f"{b}_t{k}"].get_y() + nodes[f"{b}_t{k}"].get_height() / 2, 6)
              for b in ("facilitation", "leadership_engagement", "acceptance")}
        assert len(ys) == 1, k  # the period's nodes share one row
    rows = [nodes[f"facilitation_t{k}"].get_y() for k in range(3)]
    assert rows[0] > rows[1] > rows[2]  # periods run down the page
    assert sum(1 for n in nodes if not n.rsplit("_t", 1)[-1].isdigit()) == 16  # context once


def test_map_without_confidence_has_no_confidence_legend():
    m = read_map_text("dag { X [exposure]; Y [outcome]; X -> M -> Y; X -> Y; C -> X; C -> Y }")
    fig = plot_map(m)
    texts = [t.get_text() for t in _texts(fig)]
    assert not any(t.startswith("Confidence") for t in texts)
    styles = {p.get_linestyle() for p in fig.axes[0].patches
              if (p.get_gid() or "").startswith("edge:")}
    assert styles == {"solid"}
    builtin = plot_map(load_map())
    confs = {t for t in (x.get_text() for x in _texts(builtin)) if t.startswith("Confidence")}
    assert confs == {"Confidence M-H", "Confidence M", "Confidence L-M", "Confidence L"}
