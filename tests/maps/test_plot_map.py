"""plot_map: figure produced and saved, no overlapping text, highlight styling, layout, bad input."""

from __future__ import annotations

import itertools

import matplotlib
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.patches import FancyBboxPatch, PathPatch

from facmech import load_map
from facmech.errors import MapError, UnknownNodeError
from facmech.maps import Edge, MechanismMap, Node, Role
from facmech.plotting import plot_map, save_map_figure
from facmech.plotting._layout import compute_layout, node_columns
from facmech.plotting.map_plot import HIGHLIGHT, MUTED

matplotlib.use("Agg")

PATH = [
    "facilitation", "leadership_engagement", "acceptance", "socialization", "trust",
    "normalization", "uptake",
]


@pytest.fixture(scope="module")
def builtin():
    return load_map()


def _text_boxes(fig: Figure):
    fig.canvas.draw()  # legend entries are positioned at draw time
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    out = []
    texts = list(ax.texts)
    for child in ax.get_children():
        if isinstance(child, Legend):
            texts += child.get_texts()
    for t in texts:
        if t.get_text().strip():
            out.append((t.get_gid() or t.get_text(), t.get_window_extent(renderer)))
    return out


def _assert_no_overlap(fig: Figure):
    boxes = _text_boxes(fig)
    assert len(boxes) > 10
    for (a, ba), (b, bb) in itertools.combinations(boxes, 2):
        assert not ba.overlaps(bb), f"text {a!r} overlaps {b!r}"


def _patches(fig: Figure, prefix: str):
    return {p.get_gid(): p for p in fig.axes[0].patches if (p.get_gid() or "").startswith(prefix)}


@pytest.mark.parametrize(
    "kwargs", [{}, {"highlight": PATH}, {"periods": 3}], ids=["map", "highlight", "unrolled"]
)
def test_figure_has_every_node_and_edge_and_no_overlapping_text(builtin, kwargs):
    fig = plot_map(builtin, **kwargs)
    m = builtin.unroll(3) if "periods" in kwargs else builtin
    nodes = _patches(fig, "node:")
    assert set(nodes) == {f"node:{n}" for n in m.node_ids}
    edges = _patches(fig, "edge:")
    assert len(edges) == len(m.edges)
    numbers = {t.get_text() for t in fig.axes[0].texts if (t.get_gid() or "").startswith("arrowlabel")}
    assert numbers == {str(i) for i in range(1, 16)}
    _assert_no_overlap(fig)


def test_labels_fit_inside_their_boxes(builtin):
    fig = plot_map(builtin, periods=2)
    renderer = fig.canvas.get_renderer()
    nodes = _patches(fig, "node:")
    for t in fig.axes[0].texts:
        gid = t.get_gid() or ""
        if gid.startswith("label:"):
            box = nodes["node:" + gid[len("label:"):]].get_window_extent(renderer)
            tb = t.get_window_extent(renderer)
            assert box.x0 <= tb.x0 and tb.x1 <= box.x1 and box.y0 <= tb.y0 and tb.y1 <= box.y1, gid


def test_node_boxes_do_not_overlap(builtin):
    fig = plot_map(builtin, periods=3)
    renderer = fig.canvas.get_renderer()
    boxes = [(g, p.get_window_extent(renderer)) for g, p in _patches(fig, "node:").items()]
    for (a, ba), (b, bb) in itertools.combinations(boxes, 2):
        assert not ba.overlaps(bb), f"{a} overlaps {b}"


def test_highlighted_path_is_bold_and_coloured_the_rest_greyed(builtin):
    fig = plot_map(builtin, highlight=PATH)
    edges = _patches(fig, "edge:")
    on = {f"edge:{a}->{b}" for a, b in itertools.pairwise(PATH)}
    assert on <= set(edges)
    for gid, patch in edges.items():
        colour, lw = to_hex(patch.get_edgecolor()), patch.get_linewidth()
        if gid in on:
            assert colour == HIGHLIGHT.lower() and lw >= 2.5
        else:
            assert colour == MUTED.lower() and lw < 1.0
    nodes = _patches(fig, "node:")
    assert to_hex(nodes["node:trust"].get_edgecolor()) == HIGHLIGHT.lower()
    assert nodes["node:capacity"].get_alpha() < 1


def test_line_style_follows_confidence_and_latent_nodes_are_dashed(builtin):
    fig = plot_map(builtin)
    edges = _patches(fig, "edge:")
    solid_or_not = {
        gid: patch.get_linestyle() for gid, patch in edges.items()
    }
    # arrow 14 (trust -> normalization) has confidence L, arrow 1 M-H: different dash patterns
    assert solid_or_not["edge:trust->normalization"] != solid_or_not["edge:facilitation->acceptance"]
    nodes = _patches(fig, "node:")
    assert nodes["node:socialization"].get_linestyle() != nodes["node:trust"].get_linestyle()


def test_lagged_edges_are_curves_above_the_boxes(builtin):
    # left-to-right layers (the figure's layout before issue 13 made "auto" pick top to bottom
    # for this map; the vertical counterpart is tested in test_plot_map_journal.py)
    fig = plot_map(builtin, orientation="horizontal")
    edges = _patches(fig, "edge:")
    lagged = {g: p for g, p in edges.items() if g.endswith(":lag")}
    assert set(lagged) == {
        "edge:leadership_engagement->facilitation:lag",
        "edge:acceptance->leadership_engagement:lag",
        "edge:leadership_engagement->leadership_engagement:lag",
    }
    nodes = _patches(fig, "node:")
    top = max(p.get_y() + p.get_height() for p in nodes.values())
    for patch in lagged.values():
        ys = patch.get_path().vertices[:, 1]
        assert ys.max() > top - 1e-9  # the curve rises above the boxes it connects
        assert to_hex(patch.get_edgecolor()) != to_hex(edges["edge:facilitation->acceptance"]
                                                       .get_edgecolor())


def test_every_lag0_edge_points_right_in_the_layout(builtin):
    for m in (builtin, builtin.unroll(3)):
        cols, _, _ = node_columns(m, m.to_networkx())
        for u, v in m.to_networkx().edges:
            assert cols[u] < cols[v], (u, v)


def test_stage_layering_of_the_builtin_map(builtin):
    cols, _, stage_of = node_columns(builtin, builtin.to_networkx())
    order = ["baseline", "strategy", "early", "middle", "late", "end"]
    for a, b in itertools.product(builtin.node_ids, repeat=2):
        if order.index(stage_of[a]) < order.index(stage_of[b]):
            assert cols[a] < cols[b], (a, b)


def test_fallback_to_longest_path_layering_without_stages():
    m = MechanismMap(
        nodes=(Node("a", role=Role.STRATEGY), Node("b"), Node("c"), Node("d", stage="middle")),
        edges=(Edge("a", "b"), Edge("b", "c"), Edge("a", "c"), Edge("d", "c")),
    )
    cols, _, stage_of = node_columns(m, m.to_networkx())
    # longest-path layering: a 0, b 1, c 2; d (a source) 0
    assert cols == {"a": 0, "b": 1, "c": 2, "d": 0}
    assert set(stage_of.values()) == {None}
    sizes = {n: (1.0, 0.4) for n in m.node_ids}
    lay = compute_layout(m, sizes)
    assert lay.routes[("a", "c")]  # the long edge a -> c has a waypoint in b's column
    fig = plot_map(m)
    _assert_no_overlap_loose(fig)


def _assert_no_overlap_loose(fig):
    boxes = _text_boxes(fig)
    for (a, ba), (b, bb) in itertools.combinations(boxes, 2):
        assert not ba.overlaps(bb), f"text {a!r} overlaps {b!r}"


def test_draws_on_a_given_small_axes_without_overlap(builtin):
    fig = Figure(figsize=(8, 3))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    out = plot_map(builtin, ax=ax, highlight=PATH[:3])
    assert out is fig
    _assert_no_overlap(fig)
    labels = [t for t in ax.texts if (t.get_gid() or "").startswith("label:")]
    assert labels[0].get_fontsize() < 9  # shrunk to fit


def test_save_png_and_svg(builtin, tmp_path):
    png = save_map_figure(builtin, tmp_path / "map.png", highlight=PATH, dpi=60)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = save_map_figure(builtin, tmp_path / "map.svg", periods=2)
    text = svg.read_text()
    assert "<svg" in text and 'id="node:facilitation_t1"' in text
    assert "Leadership" in text  # text kept as text (svg.fonttype none)
    with pytest.raises(MapError, match=r"must end in \.png, \.svg or \.pdf"):
        save_map_figure(builtin, tmp_path / "map.jpg")


@pytest.mark.parametrize(
    ("highlight", "error", "fragment"),
    [
        (["facilitation", "trust"], MapError, "'facilitation' -> 'trust' is not an edge"),
        (["facilitation", "leadership"], UnknownNodeError, "Did you mean 'leadership_engagement'"),
        (["facilitation"], MapError, "at least two node ids"),
        (["uptake", "normalization"], MapError, "edges from 'uptake' go to: patient_outcomes"),
    ],
)
def test_bad_highlight(builtin, highlight, error, fragment):
    with pytest.raises(error, match=fragment):
        plot_map(builtin, highlight=highlight)


def test_periods_must_be_positive(builtin):
    with pytest.raises(MapError, match="`periods` must be an integer >= 1"):
        plot_map(builtin, periods=0)


def test_highlight_on_unrolled_map_uses_period_ids(builtin):
    fig = plot_map(
        builtin, periods=2,
        highlight=["leadership_engagement_t0", "facilitation_t1", "acceptance_t1"],
    )
    edges = _patches(fig, "edge:")
    assert to_hex(edges["edge:leadership_engagement_t0->facilitation_t1:lag"].get_edgecolor()) == (
        HIGHLIGHT.lower()
    )
    with pytest.raises(UnknownNodeError, match="facilitation_t0"):
        plot_map(builtin, periods=2, highlight=["facilitation", "acceptance"])


def test_edge_bodies_are_patches(builtin):
    fig = plot_map(builtin)
    assert all(isinstance(p, PathPatch) for p in _patches(fig, "edge:").values())
    assert all(isinstance(p, FancyBboxPatch) for p in _patches(fig, "node:").values())
