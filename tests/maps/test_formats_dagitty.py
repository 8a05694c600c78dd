"""dagitty reader/writer: syntax coverage, round trips, cross-checks against pgmpy's dagitty parser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pgmpy.base import DAG

from facmech import load_map
from facmech.errors import CyclicMapError, MapFormatError
from facmech.formats import detect_format, dump_yaml, read_map_text
from facmech.formats.dagitty import from_dagitty, to_dagitty
from facmech.formats.yaml_format import load_yaml
from facmech.maps import Edge, MechanismMap, Node, Role


def edge_set(m: MechanismMap) -> set[tuple[str, str, int]]:
    return {(e.source, e.target, e.lag) for e in m.edges}


def full_edges(m: MechanismMap) -> list[tuple]:
    return sorted(
        (e.source, e.target, e.lag, e.arrow, str(e.confidence), e.provenance.value) for e in m.edges
    )


def full_nodes(m: MechanismMap) -> list[tuple]:
    return [
        (n.id, n.label, n.role, n.level, n.time_varying, n.observed, n.stage, n.provenance, n.base,
         n.period)
        for n in m.nodes
    ]


# --------------------------------------------------------------------------- syntax
def test_chains_reverse_arrows_groups_comments_and_separators():
    text = """
    // a comment line
    dag {
      a -> b -> c ; d <- c   # '#' starts a comment only at the start of a line
    }
    """
    with pytest.raises(MapFormatError, match="line 4"):
        from_dagitty(text)  # '#' mid-line is not a comment in dagitty
    text = """
    # leading comment
    dag {
      /* block
         comment */
      a -> b -> c ; d <- c
      {e f} -> g
      e -> {a b}
      u [latent]; u -> a
    }
    """
    m = from_dagitty(text)
    assert edge_set(m) == {
        ("a", "b", 0), ("b", "c", 0), ("c", "d", 0), ("e", "g", 0), ("f", "g", 0),
        ("e", "a", 0), ("e", "b", 0), ("u", "a", 0),
    }
    assert m.latent_ids == ("u",)


def test_node_flags_and_positions():
    m = from_dagitty('dag { x [exposure, pos="0.1,2"]\n y [outcome]\n z [adjusted]\n x -> y; z -> y }')
    assert m.node("x").role is Role.STRATEGY
    assert m.node("y").role is Role.OUTCOME
    assert m.node("z").role is Role.MECHANISM  # adjusted is an analysis choice: ignored
    assert m.latent_ids == ()


def test_bidirected_edge_becomes_latent_common_cause_named_like_pgmpy():
    m = from_dagitty("dag { y <-> x; x -> y }")
    assert m.latent_ids == ("u_x_y",)
    assert edge_set(m) == {("u_x_y", "y", 0), ("u_x_y", "x", 0), ("x", "y", 0)}


def test_lag_attribute_and_time_varying_inference():
    m = from_dagitty("dag { a -> b; b -> a [lag=1]; c -> a }")
    assert edge_set(m) == {("a", "b", 0), ("b", "a", 1), ("c", "a", 0)}
    assert m.node("a").time_varying and m.node("b").time_varying
    assert not m.node("c").time_varying
    # explicit attributes win over the inference
    m = from_dagitty("dag { a [time_varying=0]; a -> b; b -> a [lag=1] }")
    assert not m.node("a").time_varying


def test_unwrapped_statements_are_accepted_as_in_dagitty():
    m = from_dagitty("a -> b\nb -> c")
    assert edge_set(m) == {("a", "b", 0), ("b", "c", 0)}


def test_node_names_are_kept_exactly_as_written():
    # issue 13: ids as dagitty writes them (before: snake_cased, "Carry matches" -> carry_matches)
    m = from_dagitty('dag { "Carry matches" [latent]; Smoking -> "Carry matches"; Smoking -> Cancer }')
    assert m.node_ids == ("Carry matches", "Smoking", "Cancer")
    assert m.node("Carry matches").label == ""
    assert m.latent_ids == ("Carry matches",)


def test_detected_by_content():
    assert detect_format("// map\ndag {\n a -> b\n}") == "dagitty"
    assert edge_set(read_map_text("dag { a -> b }")) == {("a", "b", 0)}


# --------------------------------------------------------------------------- external reader
# pgmpy's own dagitty parser (pgmpy.utils.parser.parse_dagitty, pgmpy 1.1) is an implementation
# no one here wrote; on the syntax both understand, both must read the same graph.
PGMPY_CASES = [
    "dag { a -> b -> c\n d <- c }",
    "dag {\n x [exposure]\n y [outcome]\n u [latent]\n u -> x\n u -> y\n x -> y\n}",
    "dag { {e f} -> g\n g -> h }",
    "dag { x <-> y\n x -> z\n y -> z }",
    "dag { smoking -> tar -> cancer\n smoking -> cancer\n genotype [latent]\n genotype -> smoking\n"
    " genotype -> cancer }",
]


@pytest.mark.parametrize("text", PGMPY_CASES)
def test_same_graph_as_pgmpy_parser(text):
    ours = from_dagitty(text)
    ref = DAG.from_dagitty(text)
    assert {(e.source, e.target) for e in ours.edges} == set(ref.edges())
    assert set(ours.latent_ids) == set(ref.latents)
    assert set(ours.node_ids) == set(ref.nodes())


def test_reads_pgmpy_writer_output():
    ref = DAG([("smoking", "tar"), ("tar", "cancer"), ("smoking", "cancer")])
    ref.add_node("isolated")
    m = from_dagitty(ref.to_dagitty())
    assert {(e.source, e.target) for e in m.edges} == set(ref.edges())
    assert set(m.node_ids) == set(ref.nodes())


def test_our_output_of_a_lag_free_map_is_read_by_pgmpy():
    # pgmpy's parser understands only single bare node flags, so compare on a minimal map.
    m = MechanismMap(
        nodes=(Node("x"), Node("m"), Node("y"), Node("u", observed=False)),
        edges=(Edge("x", "m"), Edge("m", "y"), Edge("u", "m"), Edge("u", "y")),
    )
    text = "dag {\n" + "\n".join(
        f"  {n.id}" + ("" if n.observed else " [latent]") for n in m.nodes
    ) + "\n" + "\n".join(line for line in to_dagitty(m).splitlines() if "->" in line) + "\n}"
    ref = DAG.from_dagitty(text)
    assert set(ref.edges()) == {(e.source, e.target) for e in m.edges}
    assert set(ref.latents) == {"u"}


# --------------------------------------------------------------------------- round trips
def test_builtin_map_round_trips_through_dagitty():
    m = load_map()
    back = from_dagitty(to_dagitty(m))
    assert full_nodes(back) == full_nodes(m)
    assert full_edges(back) == full_edges(m)
    assert back.title == m.title
    # the 15 numbered arrows survive with their numbers and endpoints
    assert [(e.arrow, e.source, e.target) for e in back.arrows] == [
        (e.arrow, e.source, e.target) for e in m.arrows
    ]
    assert len(back.arrows) == 15


def test_unrolled_map_round_trips_through_dagitty():
    u = load_map().unroll(3)
    back = from_dagitty(to_dagitty(u))
    assert back.periods == 3
    assert full_nodes(back) == full_nodes(u)
    assert full_edges(back) == full_edges(u)


def test_yaml_dagitty_networkx_pgmpy_chain_preserves_nodes_edges_latents_lags():
    m = load_map()
    via_yaml = load_yaml(dump_yaml(m))
    via_dagitty = from_dagitty(to_dagitty(via_yaml))
    g = via_dagitty.to_networkx(include_lagged=True)
    via_nx = MechanismMap.from_networkx(g, title=m.title)
    assert full_nodes(via_nx) == full_nodes(m)
    assert full_edges(via_nx) == full_edges(m)
    back = load_yaml(dump_yaml(via_nx))
    assert edge_set(back) == edge_set(m)
    assert back.latent_ids == m.latent_ids
    pg = from_dagitty(to_dagitty(m)).to_pgmpy()
    assert set(pg.edges()) == {(e.source, e.target) for e in m.edges if e.lag == 0}
    assert set(pg.latents) == set(m.latent_ids)
    pu = from_dagitty(to_dagitty(m.unroll(2))).to_pgmpy()
    assert set(pu.edges()) == {(e.source, e.target) for e in m.unroll(2).edges}


def test_hand_written_map_round_trips():
    text = """dag {
      title="Two-period loop"
      strategy [role=strategy, label="The strategy", stage=strategy]
      engagement [role=mechanism, level=staff, time_varying=1]
      hidden [latent, role=context]
      outcome [role=outcome, level=patient, time_varying=0]
      strategy -> engagement [arrow=1, confidence="M-H"]
      engagement -> outcome [arrow=2, confidence=L, provenance=stated]
      engagement -> strategy [lag=1]
      hidden -> engagement; hidden -> outcome
    }"""
    m = from_dagitty(text)
    assert m.title == "Two-period loop"
    assert m.node("strategy").label == "The strategy"
    assert m.node("engagement").level.value == "staff"
    assert m.node("strategy").time_varying  # lag endpoint
    assert m.edge("engagement", "strategy").lag == 1
    assert str(m.arrow(1).confidence) == "M-H"
    back = from_dagitty(to_dagitty(m))
    assert full_nodes(back) == full_nodes(m)
    assert full_edges(back) == full_edges(m)
    assert edge_set(load_yaml(dump_yaml(back))) == edge_set(m)


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("dag {\n a -> b\n b -> \n}", 4, "expected a node name"),
        ("dag {\n a -> b\n c [latnet]\n}", 3, "unknown flag 'latnet'. Did you mean 'latent'"),
        ("dag {\n a -> b [lag=2]\n}", 2, "`lag` must be 0 or 1"),
        ('dag {\n a [label="oops]\n}', 2, "unterminated string"),
        ("dag {\n a -- b\n}", 2, "not directed"),
        ("dag {\n a -> b\n", 3, "missing '}'"),
        ("dag {\n a -> b\n} extra", 3, "after the closing"),
        ("dag {\n a -> b ! c\n}", 2, "unexpected character '!'"),
        ("dag {\n a [role=banana]\n}", 2, "`role` must be one of 'context', 'strategy'"),
        ("dag {\n a [level=region]\n}", 2, "must be one of 'site', 'staff', 'patient' (got 'region')"),
        ("dag {\n Ab -> b\n a <-> a\n}", 3, "a node cannot share a hidden cause with itself"),
        ("dag {\n a -> b [arrow=1]\n a -> b [arrow=2]\n}", 3, "given twice"),
    ],
)
def test_malformed_dagitty_reports_line(text, line, fragment):
    with pytest.raises(MapFormatError) as info:
        from_dagitty(text)
    assert info.value.line == line
    assert str(info.value).startswith(f"line {line}: ")
    assert fragment in str(info.value)


def test_cycle_within_a_period_names_its_nodes():
    with pytest.raises(CyclicMapError) as info:
        from_dagitty("dag { a -> b -> c -> a }")
    assert set(info.value.cycle) == {"a", "b", "c"}
    # the cycle is named, starting at any of its nodes
    rotations = ["a -> b -> c -> a", "b -> c -> a -> b", "c -> a -> b -> c"]
    assert any(r in str(info.value) for r in rotations)


def test_arrow_number_used_twice_is_rejected():
    with pytest.raises(Exception, match="arrow number 1 is used twice"):
        from_dagitty("dag { a -> b [arrow=1]; b -> c [arrow=1] }")


# --------------------------------------------------------------------------- dagitty's own grammar
# tests/maps/data/dagitty_reference.json: each text parsed by dagitty's official grammar
# (jslib/parser/GraphDotParser.pegjs of github.com/jtextor/dagitty, compiled with pegjs 0.10) and
# expanded into edges as dagitty's GraphParser does; regenerate with make_dagitty_reference.py.
REFERENCE = json.loads((Path(__file__).parent / "data" / "dagitty_reference.json").read_text())


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_agrees_with_dagitty_grammar(name):
    text, ref = REFERENCE[name]["text"], REFERENCE[name]["dagitty"]
    if "error" in ref:
        with pytest.raises(MapFormatError) as info:
            from_dagitty(text)
        assert info.value.line == ref["line"]  # same line as dagitty's parser reports
        return
    ours = from_dagitty(text)
    ids = {raw: raw for raw in ref["nodes"]}  # node names kept exactly as dagitty reads them
    expected = set()
    latent = {ids[n] for n in ref["latent"]}
    for a, b, op in ref["edges"]:
        if op == "->":
            expected.add((ids[a], ids[b]))
        else:  # '<->': our latent common cause u_<a>_<b>
            x, y = sorted((ids[a], ids[b]))
            expected |= {(f"u_{x}_{y}", ids[a]), (f"u_{x}_{y}", ids[b])}
            latent.add(f"u_{x}_{y}")
    assert {(e.source, e.target) for e in ours.edges} == expected
    assert set(ours.latent_ids) == latent
    # edge attributes as dagitty stores them: lag and arrow numbers survive
    for a, b, attrs in ref["edge_attrs"]:
        if (ids[a], ids[b]) not in expected:
            continue  # a bidirected edge: no edge of ours carries its attributes
        edge = ours.edge(ids[a], ids[b])
        assert edge.lag == int(attrs.get("lag", 0))
        if "arrow" in attrs:
            assert edge.arrow == int(attrs["arrow"])
    for raw, attrs in ref["node_attrs"].items():
        if "label" in attrs:
            assert ours.node(ids[raw]).label == attrs["label"]
        if "role" in attrs:
            assert ours.node(ids[raw]).role.value == attrs["role"]


def test_reference_covers_the_builtin_map_as_written_today():
    # the stored text is our writer's output; if the built-in map changes, regenerate the file
    m = load_map()
    ref = REFERENCE["builtin"]["dagitty"]
    assert len(ref["edges"]) == len(m.edges) and set(ref["latent"]) == set(m.latent_ids)
