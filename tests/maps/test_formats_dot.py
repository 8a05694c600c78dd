"""DOT reader/writer (own tokenizer, no Graphviz): syntax coverage, round trips, errors."""

from __future__ import annotations

import pytest

from facmech import load_map
from facmech.errors import MapFormatError
from facmech.formats import detect_format, read_map_text
from facmech.formats.dot import from_dot, to_dot


def full_edges(m):
    return sorted(
        (e.source, e.target, e.lag, e.arrow, str(e.confidence), e.provenance.value) for e in m.edges
    )


def full_nodes(m):
    return [
        (n.id, n.label, n.role, n.level, n.time_varying, n.observed, n.stage, n.provenance, n.base,
         n.period)
        for n in m.nodes
    ]


@pytest.mark.parametrize("periods", [None, 1, 3])
def test_builtin_map_round_trips_through_dot(periods):
    m = load_map() if periods is None else load_map().unroll(periods)
    text = to_dot(m)
    assert detect_format(text) == "dot"
    back = read_map_text(text)
    assert full_nodes(back) == full_nodes(m)
    assert full_edges(back) == full_edges(m)
    assert back.periods == m.periods
    assert back.title == m.title


def test_writer_styles_lagged_edges_and_latent_nodes():
    text = to_dot(load_map())
    lines = text.splitlines()
    lag = next(ln for ln in lines if ln.strip().startswith("leadership_engagement -> facilitation"))
    assert "lag=1" in lag and "style=dashed" in lag
    same = next(ln for ln in lines if ln.strip().startswith("facilitation -> acceptance"))
    assert "lag=0" in same and "style=dashed" not in same and 'label="#1"' in same
    latent = next(ln for ln in lines if ln.strip().startswith("socialization ["))
    assert "observed=false" in latent and "style=dashed" in latent
    assert "role=mechanism" in latent


def test_reads_general_dot():
    text = """
    /* a hand-written graph */
    strict digraph "Smoking" {
      graph [rankdir=LR];
      node [shape=box, role=mechanism];
      edge [color=grey];
      # a preprocessor-style line
      "Smoking" [label="Smoking status", role=strategy];
      tar; cancer [role=outcome];
      genotype [observed=false, role=context]
      Smoking -> tar -> cancer;
      Smoking -> cancer [confidence=H, arrow=3]
      genotype -> {Smoking cancer}
      subgraph cluster_a { x -> y }
      y -> cancer [lag=1]
      title = "Tar"
    }
    """
    m = from_dot(text)
    assert m.title == "Tar"
    assert m.node("Smoking").label == "Smoking status"  # ids as written (issue 13)
    assert m.node("Smoking").role.value == "strategy"
    assert m.node("cancer").role.value == "outcome"
    assert m.node("tar").role.value == "mechanism"  # from the `node [...]` defaults
    assert m.latent_ids == ("genotype",)
    assert {(e.source, e.target, e.lag) for e in m.edges} == {
        ("Smoking", "tar", 0), ("tar", "cancer", 0), ("Smoking", "cancer", 0),
        ("genotype", "Smoking", 0), ("genotype", "cancer", 0), ("x", "y", 0), ("y", "cancer", 1),
    }
    assert str(m.arrow(3).confidence) == "H"
    assert m.node("y").time_varying and m.node("cancer").time_varying  # lag endpoints


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("digraph {\n a -> b\n b -- c\n}", 3, "undirected edge '--'"),
        ("graph {\n a -- b\n}", 1, "must be a `digraph`"),
        ("digraph {\n a -> \n}", 3, "expected a node name"),
        ("digraph {\n a -> b [lag=x]\n}", 2, "`lag` must be 0 or 1"),
        ("digraph {\n a [observed=maybe]\n}", 2, "`observed` must be 1/0 or true/false"),
        ("digraph {\n a:port -> b\n}", 2, "ports"),
        ("digraph {\n a -> b\n", 3, "missing '}'"),
        ('digraph {\n a [label="x\n', 2, "unterminated string"),
        ("digraph {\n a [role=boss]\n}", 2, "(got 'boss')"),
    ],
)
def test_malformed_dot_reports_line(text, line, fragment):
    with pytest.raises(MapFormatError) as info:
        from_dot(text)
    assert info.value.line == line
    assert fragment in str(info.value)
