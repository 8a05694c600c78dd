"""A corpus of hostile and careless map files (issue 14, points 5-7 for maps; issue 13 for ids).

One case per finding: each must give a map that is right, or a :class:`~facmech.errors.MapError`
(a :class:`~facmech.errors.MapFormatError` naming the file and line where there is one) -- never
another exception, a RecursionError, a MemoryError or a silently wrong map.
"""

from __future__ import annotations

import time

import pytest

from facmech.cli import main
from facmech.errors import MapError, MapFormatError, UnknownNodeError
from facmech.formats import (
    dump_yaml,
    load_map,
    load_yaml,
    read_map_text,
    to_dagitty,
    to_dot,
    to_gml,
)
from facmech.formats._limits import MAX_BYTES, MAX_NODES
from facmech.maps import Edge, MechanismMap, Node

WRITERS = {"yaml": dump_yaml, "dagitty": to_dagitty, "dot": to_dot, "gml": to_gml}

# A "billion laughs" (issue 14 used a 727-byte one): nine levels of nine aliases, 9**9 strings
# once expanded.
ALIAS_BOMB = (
    "nodes:\n  - {id: a, measures: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]}\n"
    + "".join(
        f"  - {{id: {c}, measures: &{c} [{', '.join(['*' + p] * 9)}]}}\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
)


def _fails(text, fragment, *, line=None, kind=MapError, source="m.txt"):
    with pytest.raises(kind) as info:
        read_map_text(text, source=source)
    assert fragment in str(info.value)
    assert str(info.value).startswith(source)  # names the file
    if line is not None:
        assert info.value.line == line
    return info.value


# --------------------------------------------------------------------------- point 5: resources
def test_yaml_alias_bomb_fails_fast():
    assert len(ALIAS_BOMB.encode()) < 1024
    start = time.perf_counter()
    _fails(ALIAS_BOMB, "more than 50 aliases", kind=MapFormatError, line=8)
    assert time.perf_counter() - start < 5  # generous; it takes milliseconds


def test_yaml_deep_nesting_is_an_error_not_a_recursion_error():
    _fails("nodes: " + "[" * 50_000, "nested more than 100 levels", kind=MapFormatError, line=1)


@pytest.mark.parametrize("opening", ["{", "subgraph {"])
def test_dot_deep_nesting(opening):
    text = "digraph {\n" + opening * 20_000
    _fails(text, "nested more than 100 levels", kind=MapFormatError, line=2)


def test_dagitty_and_gml_deep_nesting():
    _fails("dag {\n" + "{" * 20_000, "nested more than", kind=MapFormatError, line=2)
    _fails("graph [\n" + "a [" * 20_000, "nested more than", kind=MapFormatError, line=2)


def test_node_count_and_size_limits(tmp_path):
    text = "digraph {\n" + "\n".join(f"n{i}" for i in range(MAX_NODES + 1)) + "\n}"
    _fails(text, f"more than {MAX_NODES:,} nodes", kind=MapFormatError, line=MAX_NODES + 2)
    big = tmp_path / "big.yaml"
    big.write_text("#" * (MAX_BYTES + 1))
    with pytest.raises(MapError, match="maps are limited to"):
        load_map(big)
    _fails("#" * (MAX_BYTES + 1), "maps are limited to")


# --------------------------------------------------------------------------- point 6: tracebacks
def test_measures_left_empty_is_no_measures():
    m = load_yaml("nodes:\n  - id: a\n    measures:\n")
    assert m.node("a").measures == ()


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("nodes:\n  - {id: a}\n  - {id: b, measures: 5}", 3, "`measures` must be a list of text (got 5)"),
        ("nodes:\n  - {id: a, measures: [{x: 1}]}", 2, "`measures`: expected text (got dict"),
        ("nodes: [{id: a}, {id: b}]\nedges:\n  - {source: a, target: b, evidence: 5}", 3,
         "`evidence` must be a list"),
        ("nodes:\n  - {id: a, base: a0, period: x}", 2, "`period` must be an integer >= 0 (got 'x')"),
        ("nodes: [{id: a}, {id: b}]\nedges:\n  - {source: a, target: b, arrow: ²}", 3,
         "`arrow` must be an integer >= 1 (got '²')"),
        ("nodes:\n  - {id: a, 1: x}", 2, "unknown field(s) ['1']"),
        ("nodes:\n  - {id: [a]}", 2, "node id ['a'] must be non-empty text"),
    ],
)
def test_bad_yaml_records_name_file_and_line(text, line, fragment):
    _fails(text, fragment, kind=MapFormatError, line=line)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("periods: abc\nnodes: [{id: a}]", "`periods` must be an integer >= 1 (got 'abc')"),
        ("periods: 0\nnodes: [{id: a}]", "`periods` must be an integer >= 1 (got 0)"),
        ("1: x\nnodes: [{id: a}]", "unknown field(s) ['1']"),
        ("nodes: [{id: a}]\nedges: 5", "`edges` must be a list (got int)"),
        ("nodes: [{id: a}]\ntitle: [x]", "`title`: expected text (got list"),
        ("nodes: [{id: a}]\ntreatment: b", "`treatment`: unknown node 'b'"),
    ],
)
def test_bad_yaml_maps(text, fragment):
    _fails(text, fragment)


def test_arrow_superscript_in_dagitty():
    _fails('dag {\n a -> b [arrow="²"]\n}', "`arrow` must be a positive integer", line=2,
           kind=MapFormatError)


def test_map_without_edges_round_trips_in_every_format():
    m = MechanismMap(nodes=(Node("a"), Node("b", observed=False)))
    for name, write in WRITERS.items():
        back = read_map_text(write(m))
        assert back.node_ids == ("a", "b"), name
        assert back.edges == () and back.latent_ids == ("b",), name


@pytest.mark.parametrize(
    "text",
    [
        'graph [\n directed 1\n node [ id 0 label "a" label "b" ]\n]',
        'graph [ node "b" ]',
        'graph [\n directed 1\n node [ id 0 label "a" role "x" role "y" ]\n]',
        'graph [\n directed 1\n periods "x"\n node [ id 0 label "a" ]\n]',
    ],
)
def test_malformed_gml(text):
    _fails(text, "GML", kind=MapError)


def test_base_without_period_is_refused_when_built():
    with pytest.raises(MapError, match="`base` and `period` go together"):
        Node("a_t0", base="a")
    with pytest.raises(MapError, match="`base` and `period` go together"):
        load_yaml("nodes: [{id: a_t0, base: a}]")


# --------------------------------------------------------------------------- point 7: silent
@pytest.mark.parametrize("bad", ["a\n", "a\t", "", " a", "a "])
def test_node_ids_that_no_format_can_carry(bad):
    with pytest.raises(MapError, match="node id"):
        MechanismMap(nodes=(Node(bad),))


def test_newline_in_a_dagitty_name_is_refused_with_its_line():
    _fails('dag {\n "a\\n" -> b\n}', "control character", kind=MapFormatError, line=2)


def test_dagitty_self_bidirected_edge():
    _fails("dag {\n a <-> a\n}", "cannot share a hidden cause with itself", line=2,
           kind=MapFormatError)


@pytest.mark.parametrize("keyword", ["node", "edge", "graph", "Node", "subgraph", "strict"])
def test_dot_keywords_as_node_names_survive(keyword):
    m = MechanismMap(nodes=(Node(keyword), Node("x")), edges=(Edge(keyword, "x"),))
    for name, write in WRITERS.items():
        back = read_map_text(write(m))
        assert back.node_ids == (keyword, "x"), name
        assert [(e.source, e.target) for e in back.edges] == [(keyword, "x")], name


def test_bare_dot_keyword_as_node_is_an_error():
    _fails("digraph {\n node -> x\n}", "is a DOT keyword; quote it", line=2, kind=MapFormatError)


def test_periods_zero_refused_everywhere_and_unrolled_output_read_back_everywhere():
    _fails("periods: 0\nnodes: [{id: a}]", "`periods` must be an integer >= 1")
    _fails('graph [\n directed 1\n periods 0\n node [ id 0 label "a" ]\n]', "`periods` must be")
    _fails("dag { periods=0; a }", "`periods` must be an integer >= 1")
    _fails("digraph { periods=0; a }", "`periods` must be an integer >= 1")
    u = load_map().unroll(2)
    for name, write in WRITERS.items():
        back = read_map_text(write(u))
        assert back.periods == 2 and back.node_ids == u.node_ids, name
        assert {(e.source, e.target) for e in back.edges} == {(e.source, e.target) for e in u.edges}


def test_render_dpi_zero(capsys, tmp_path):
    code = main(["map", "render", "--dpi", "0", "--out", str(tmp_path / "m.png")])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.strip() == "facmech map: error: `--dpi` must be an integer of at least 1 (got 0)"
    assert not (tmp_path / "m.png").exists()


def test_errors_from_a_file_name_the_file_and_line(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("nodes:\n  - {id: a}\n  - {id: b, period: x, base: a}\n")
    with pytest.raises(MapFormatError) as info:
        load_map(bad)
    assert str(info.value).startswith(f"{bad}, line 3: node 'b' `period`")
    code = main(["map", "validate", str(bad)])
    assert code == 2
    assert capsys.readouterr().err.startswith(f"facmech map: error: {bad}, line 3:")
    cyclic = tmp_path / "cyclic.dagitty"
    cyclic.write_text("dag { a -> b; b -> a }")
    with pytest.raises(MapError, match=f"^{cyclic}: the map has a cycle"):
        load_map(cyclic)


# --------------------------------------------------------------------------- issue 13: ids
def test_ids_kept_as_written_and_hints_ignore_case():
    m = read_map_text("dag { X [exposure]; Y [outcome]; X -> M -> Y }")
    assert m.node_ids == ("X", "Y", "M")
    with pytest.raises(UnknownNodeError, match="Did you mean 'X'"):
        m.node("x")
    with pytest.raises(UnknownNodeError, match=r"`treatment`: unknown node 'm'\. Did you mean 'M'"):
        m.check_nodes(["m"], argument="treatment")


# --------------------------------------------------------------------------- issue 13: defaults
DAGITTY = """dag {
  X [exposure]
  Y [outcome]
  Z [adjusted]
  U [latent]
  Z -> X -> M -> Y
  Z -> Y
  U -> M
  U -> Y
}
"""


def test_dagitty_flags_become_typed_defaults_and_are_written_back():
    m = read_map_text(DAGITTY)
    assert (m.treatment, m.outcome, m.adjustment, m.latent_ids) == (("X",), ("Y",), ("Z",), ("U",))
    assert m.node("X").role.value == "strategy" and m.node("Y").role.value == "outcome"
    for name, write in WRITERS.items():
        back = read_map_text(write(m))
        assert (back.treatment, back.outcome, back.adjustment) == (("X",), ("Y",), ("Z",)), name
    assert "X [exposure, role=strategy]" in to_dagitty(m)


def test_identify_uses_the_map_defaults(tmp_path, capsys):
    f = tmp_path / "f.dagitty"
    f.write_text(DAGITTY)
    assert main(["identify", "--map", str(f), "--json"]) == 0
    import json

    res = json.loads(capsys.readouterr().out)
    assert res["treatment"] == "X" and res["outcome"] == "Y"
    # X -> M -> Y with U confounding M and Y: the total effect is identified by adjusting for Z
    assert res["identifiable"] is True
    assert ["Z"] in res["adjustment_sets"]


def test_identify_without_defaults_asks_for_treatment(capsys):
    assert main(["identify", "--outcome", "uptake"]) == 2
    err = capsys.readouterr().err
    assert "required: --treatment (the map names no default treatment" in err


def test_validate_takes_a_positional_file_or_map(tmp_path, capsys):
    f = tmp_path / "f.dagitty"
    f.write_text(DAGITTY)
    assert main(["map", "validate", str(f)]) == 0
    first = capsys.readouterr().out
    assert main(["map", "validate", "--map", str(f)]) == 0
    assert capsys.readouterr().out == first
    assert "valid map: 5 nodes (1 latent), 6 edges" in first
    assert main(["map", "validate"]) == 2
    assert "needs a map file: PATH or `--map PATH`" in capsys.readouterr().err
