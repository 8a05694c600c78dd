"""`facmech map show|render|unroll|validate`: outputs, formats, and every bad input of issue 2."""

from __future__ import annotations

import json
import subprocess
import sys

import networkx as nx
import pytest
import yaml

from facmech import load_map
from facmech.cli import main
from facmech.formats.dagitty import from_dagitty
from facmech.formats.dot import from_dot


def run(capsys, *argv):
    code = main(["map", *argv])
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- show / unroll
def test_show_text_summary(capsys):
    code, out, err = run(capsys, "show")
    assert code == 0 and err == ""
    assert out.startswith("Healthcare facilitation mechanism map")
    assert "19 nodes, 30 edges (3 lagged), 3 latent" in out
    assert "#15" in out


def test_show_json_shape(capsys):
    code, out, _ = run(capsys, "show", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert set(data) >= {"title", "nodes", "edges"}
    node = data["nodes"][0]
    assert set(node) >= {"id", "label", "role", "level", "time_varying", "observed"}
    edge = data["edges"][0]
    assert set(edge) >= {"source", "target", "arrow", "lag", "provenance", "confidence"}
    assert len(data["nodes"]) == 19 and len(data["edges"]) == 30
    arrows = {e["arrow"]: (e["source"], e["target"]) for e in data["edges"] if e["arrow"]}
    assert arrows[2] == ("facilitation", "leadership_engagement")
    assert sorted(arrows) == list(range(1, 16))
    code, out2, _ = run(capsys, "show", "--json")
    assert json.loads(out2) == data


@pytest.mark.parametrize("fmt", ["yaml", "dagitty", "dot", "gml"])
def test_show_formats_read_back(capsys, fmt, tmp_path):
    code, out, _ = run(capsys, "show", "--format", fmt)
    assert code == 0
    m = load_map()
    if fmt == "yaml":
        back = yaml.safe_load(out)
        assert [n["id"] for n in back["nodes"]] == list(m.node_ids)
    elif fmt == "dagitty":
        assert {(e.source, e.target, e.lag) for e in from_dagitty(out).edges} == {
            e.key for e in m.edges
        }
    elif fmt == "dot":
        assert {(e.source, e.target, e.lag) for e in from_dot(out).edges} == {e.key for e in m.edges}
    else:
        g = nx.parse_gml(out)
        assert set(g.edges) == {(e.source, e.target) for e in m.edges}
    # and any of these outputs is accepted back by --map (format detected by content)
    if fmt != "gml":
        path = tmp_path / f"map.{fmt}"
        path.write_text(out)
        code, out2, err = run(capsys, "show", "--map", str(path), "--format", "json")
        assert code == 0, err
        assert len(json.loads(out2)["edges"]) == 30


def test_unroll(capsys):
    code, out, _ = run(capsys, "unroll", "--periods", "3", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["periods"] == 3
    ids = {n["id"] for n in data["nodes"]}
    assert {"facilitation_t0", "facilitation_t2", "leadership_engagement_t1"} <= ids
    lagged = {(e["source"], e["target"]) for e in data["edges"] if e["lag"] == 1}
    assert ("leadership_engagement_t0", "facilitation_t1") in lagged
    assert ("acceptance_t1", "leadership_engagement_t2") in lagged
    code, out, _ = run(capsys, "unroll", "--periods", "2")
    assert "unrolled over 2 periods" in out


# --------------------------------------------------------------------------- render / validate
@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_render(capsys, tmp_path, suffix):
    target = tmp_path / f"fig{suffix}"
    code, out, err = run(
        capsys, "render", "--highlight", "facilitation,leadership_engagement,acceptance",
        "--out", str(target), "--dpi", "50",
    )
    assert code == 0, err
    assert out.strip() == str(target)
    assert target.stat().st_size > 1000


def test_render_unrolled(capsys, tmp_path):
    target = tmp_path / "u.svg"
    code, _, err = run(capsys, "render", "--periods", "2", "--out", str(target))
    assert code == 0, err
    assert "facilitation_t1" in target.read_text()


def test_validate_ok(capsys, tmp_path):
    path = tmp_path / "m.dag"
    path.write_text("dag {\n a -> b\n b -> a [lag=1]\n}\n")
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 0
    assert "valid map: 2 nodes" in out and "1 lagged" in out


# --------------------------------------------------------------------------- bad input
BAD_FILES = {
    "cycle.yaml": (
        "nodes: [{id: a}, {id: b}, {id: c}]\n"
        "edges: [{source: a, target: b}, {source: b, target: c}, {source: c, target: a}]\n",
        ["cycle within a period", ("a -> b -> c -> a", "b -> c -> a -> b", "c -> a -> b -> c")],
    ),
    "unknown.yaml": (
        "nodes: [{id: facilitation}, {id: trust}]\nedges: [{source: facilitation, target: trusts}]\n",
        ["unknown target node 'trusts'", "Did you mean 'trust'"],
    ),
    "duplicate.yaml": ("nodes: [{id: a}, {id: a}]\n", ["duplicate node id 'a'"]),
    "arrow.yaml": (
        "nodes: [{id: a}, {id: b}, {id: c}]\n"
        "edges: [{source: a, target: b, arrow: 1}, {source: b, target: c, arrow: 1}]\n",
        ["arrow number 1 is used twice"],
    ),
    "role.yaml": ("nodes: [{id: a, role: boss}]\n", ["must be one of 'context', 'strategy'", "(got 'boss')"]),
    "level.yaml": (
        "nodes: [{id: a, level: region}]\n", ["must be one of 'site', 'staff', 'patient'", "(got 'region')"]
    ),
    "malformed.yaml": ("nodes:\n  - {id: a\nedges: []\n", ["line 3", "malformed YAML"]),
    "malformed.dag": ("dag {\n a -> b\n b -> \n}\n", ["line 4", "malformed dagitty"]),
    "malformed.dot": ("digraph {\n a -> b\n b -- c\n}\n", ["line 3", "undirected edge"]),
    "cycle.dag": (
        "dag {\n a -> b\n b -> a\n}\n", ["cycle within a period", ("a -> b -> a", "b -> a -> b")]
    ),
}


def _assert_one_line_error(code, err, fragments):
    assert code == 2
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("facmech map: error: ")
    for f in fragments:  # a tuple: any of these (a cycle may be named from any of its nodes)
        options = f if isinstance(f, tuple) else (f,)
        assert any(o in lines[0] for o in options), (f, lines[0])


@pytest.mark.parametrize("name", sorted(BAD_FILES))
@pytest.mark.parametrize("action", ["validate", "show", "render", "unroll"])
def test_bad_map_files(capsys, tmp_path, name, action):
    text, fragments = BAD_FILES[name]
    path = tmp_path / name
    path.write_text(text)
    argv = {
        "validate": ["validate", str(path)],
        "show": ["show", "--map", str(path)],
        "render": ["render", "--map", str(path), "--out", str(tmp_path / "x.png")],
        "unroll": ["unroll", "--map", str(path), "--periods", "2"],
    }[action]
    code, _, err = run(capsys, *argv)
    _assert_one_line_error(code, err, fragments)


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["validate", "/no/such/map.yaml"], ["no map file '/no/such/map.yaml'"]),
        (["show", "--map", "/no/such/map.yaml"], ["no map file", "built-in: facilitation"]),
        (["unroll", "--periods", "0"], ["`--periods` must be an integer >= 1 (got 0)"]),
        (["unroll", "--periods", "-3"], ["`--periods` must be an integer >= 1 (got -3)"]),
        (["render", "--periods", "0", "--out", "x.png"], ["`--periods` must be an integer >= 1"]),
        (
            ["render", "--highlight", "facilitation,trust", "--out", "x.png"],
            ["'facilitation' -> 'trust' is not an edge"],
        ),
        (
            ["render", "--highlight", "facilitation,leadership", "--out", "x.png"],
            ["unknown node 'leadership'", "Did you mean 'leadership_engagement'"],
        ),
        (["render", "--out", "x.jpg"], ["`--out` must end in .png, .svg or .pdf"]),
        (["render", "--out", "/no/such/dir/x.png"], ["directory '/no/such/dir' does not exist"]),
    ],
)
def test_bad_arguments(capsys, tmp_path, monkeypatch, argv, fragments):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *argv)
    _assert_one_line_error(code, err, fragments)
    assert not (tmp_path / "x.png").exists()


def test_console_entry_point_exit_status():
    proc = subprocess.run(
        [sys.executable, "-m", "facmech", "map", "unroll", "--periods", "0"],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "facmech map: error: `--periods` must be an integer >= 1 (got 0)"
    )
