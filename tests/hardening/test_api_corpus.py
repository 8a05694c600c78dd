"""Issue 14 from the API: each point raises a FacmechError subclass naming the argument, column,
file or line (the CLI side is test_cli_corpus.py)."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest

from facmech._files import check_output, read_table, write_atomic
from facmech.design import LinearTrial, MapTrial, design_study
from facmech.design.checkpoint import Checkpoint
from facmech.errors import ArgumentError, DataError, DesignError
from facmech.mediation import Bootstrap, mediate
from facmech.power.stepped_wedge import stepped_wedge_power
from facmech.report import plan
from facmech.report.power_curve import power_curve
from facmech.report.render import markdown_text, render_markdown
from facmech.simulation import SteppedWedge, simulate

pytestmark = pytest.mark.filterwarnings("ignore")

TRIAL = LinearTrial(design="parallel", sites=12, patients=10, icc=0.05, effect=0.3)


# ---- 2. checkpoints --------------------------------------------------------------------------

@pytest.fixture
def checkpoint(tmp_path):
    """A finished 2-task study's checkpoint and the study's table."""
    path = tmp_path / "ck.jsonl"
    res = design_study(TRIAL, reps=200, seed=3, checkpoint=path, progress=False, analysis="total")
    return path, res.to_frame()


def _rewrite(path, line, edit):
    lines = path.read_text().splitlines()
    lines[line - 1] = edit(lines[line - 1])
    path.write_text("\n".join(lines) + "\n")


def _study(path):
    return design_study(TRIAL, reps=200, seed=3, checkpoint=path, progress=False,
                        analysis="total").to_frame()


@pytest.mark.parametrize(("edit", "match"), [
    (lambda r: {**r, "task": "abc"}, "task id must be a non-negative integer"),
    (lambda r: {**r, "task": 7}, "task id 7 is out of range"),
    (lambda r: {"task": r["task"]}, "keys task, result, sha256"),
    (lambda r: [1, 2], "got list"),
    (lambda r: {**r, "result": {"bogus": r["result"]["total"]}}, r"estimands \['bogus'\]"),
    (lambda r: {**r, "result": {"total": {k: v[:50] for k, v in r["result"]["total"].items()}}},
     "has 50 values; the task has 100 replicates"),
    (lambda r: {**r, "result": {"total": {**r["result"]["total"],
                                          "estimate": [None] * 100}}}, "None, not a finite number"),
    (lambda r: {**r, "result": {"total": {**r["result"]["total"], "estimate": [
        v + 0.05 for v in r["result"]["total"]["estimate"]]}}}, "checksum does not match"),
])
def test_damaged_record_refused_with_its_line(checkpoint, edit, match):
    path, _ = checkpoint
    _rewrite(path, 2, lambda text: json.dumps(edit(json.loads(text))))
    before = path.read_bytes()
    with pytest.raises(DesignError, match=rf"`checkpoint` '.*ck.jsonl' line 2: .*{match}"):
        _study(path)
    assert path.read_bytes() == before  # a refused checkpoint is left as it was


def test_nan_value_refused(checkpoint):
    path, _ = checkpoint
    def nan(text):
        rec = json.loads(text)
        rec["result"]["total"]["estimate"][4] = float("nan")
        return json.dumps(rec)  # writes NaN, which json reads back

    _rewrite(path, 3, nan)
    with pytest.raises(DesignError, match=r"line 3: total\.estimate holds nan, not a finite number"):
        _study(path)


def test_binary_garbage_names_the_file(checkpoint):
    path, _ = checkpoint
    path.write_bytes(b"\x80\xff\x00garbage" * 10)
    with pytest.raises(DesignError, match=r"ck.jsonl' is not a facmech checkpoint \(not UTF-8"):
        _study(path)


def test_cut_last_line_is_recomputed_and_repeats_tolerated(checkpoint):
    path, table = checkpoint
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], lines[1], lines[1], lines[2][:30]]))  # no final newline
    assert _study(path).equals(table)  # the cut task was recomputed: same numbers
    assert len(path.read_text().splitlines()) == 4  # header, repeated task 0, recomputed task 1


def test_old_format_refused(checkpoint):
    path, _ = checkpoint
    _rewrite(path, 1, lambda text: text.replace('"facmech_checkpoint": 2', '"facmech_checkpoint": 1'))
    with pytest.raises(DesignError, match="has format 1, this facmech writes format 2"):
        _study(path)


def test_checkpoint_layout_is_optional(tmp_path):
    ck = Checkpoint(tmp_path / "c.jsonl", fingerprint="f")
    ck.load()
    ck.save(5, {"x": {"estimate": np.array([1.0, 2.0]), "reject": np.array([True, False])}})
    got = Checkpoint(tmp_path / "c.jsonl", fingerprint="f").load()
    assert got[5]["x"]["estimate"].tolist() == [1.0, 2.0] and got[5]["x"]["reject"].dtype == bool


# ---- 3-4. outputs --------------------------------------------------------------------------

def test_output_never_an_input(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("a\n1\n")
    os.symlink(data, tmp_path / "link.md")
    with pytest.raises(ArgumentError, match=r"`out` .* is the same file as `data`"):
        check_output(tmp_path / "link.md", inputs={"data": data})
    os.link(data, tmp_path / "hard.csv")
    with pytest.raises(ArgumentError, match="same file as `data`"):
        check_output(tmp_path / "hard.csv", inputs={"data": str(data)})
    with pytest.raises(ArgumentError, match="exists; pass --force"):
        check_output(data, force=False)
    with pytest.raises(ArgumentError, match=r"`--plot` must end in \.png or \.svg"):
        check_output(tmp_path / "x.xyz", argument="--plot", suffixes=(".png", ".svg"))
    with pytest.raises(ArgumentError, match="directory 'nodir' does not exist"):
        check_output("nodir/x.csv")


def test_plan_refuses_to_write_over_its_map(tmp_path):
    from pathlib import Path

    import facmech

    m = tmp_path / "m.md"
    m.write_text((Path(facmech.__file__).parent / "maps" / "facilitation.yaml").read_text())
    with pytest.raises(ArgumentError, match=r"`out` .* is the same file as `map`"):
        plan(m, treatment="facilitation", outcome="uptake", path=["champions"], out=m)


def test_write_atomic_keeps_old_file_on_failure(tmp_path):
    out = tmp_path / "r.csv"
    out.write_text("old")

    def fail(p):
        p.write_text("half")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        write_atomic(out, fail)
    assert out.read_text() == "old" and sorted(os.listdir(tmp_path)) == ["r.csv"]
    assert write_atomic(out, lambda p: p.write_text("new")) is True and out.read_text() == "new"


# ---- 5. resource exhaustion ----------------------------------------------------------------

def test_memory_refused_with_the_figure():
    with pytest.raises(ArgumentError, match=r"simulating 200,000 sites .* needs about [\d,.]+ GB"):
        simulate("zambia", SteppedWedge(sites=200_000, steps=4, patients=2000), truth=False)
    with pytest.raises(ArgumentError, match=r"needs about [\d,.]+ GB of memory"):
        design_study(MapTrial("zambia", sites=100_000, steps=4, patients=5000), reps=10,
                     progress=False)
    with pytest.raises(DesignError, match=r"`sites` must be at most 100,000"):
        power_curve(sites=[100_000_000])


# ---- 6-7. unreadable and silently wrong input ----------------------------------------------

@pytest.mark.parametrize(("text", "match"), [
    ("", "is empty"),
    ("a,b\n1,2\n3,4,5\n", "not a rectangular CSV: Expected 2 fields in line 3, saw 3"),
    (b"\x89PNG\r\n\x1a\n\x00\xff", r"not a UTF-8 text CSV \(byte 0x89 at position 0\)"),
    ("x,y,x\n1,2,3\n", "duplicated column name.* `x`"),
])
def test_read_table(tmp_path, text, match):
    p = tmp_path / "d.csv"
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(DataError, match=rf"`data` file '.*d.csv' .*{match}"):
        read_table(p)


def test_gformula_text_periods_named():
    from facmech.gmethods import gformula

    f = pd.DataFrame({"site": [0, 0, 1, 1], "period": ["a", "b", "a", "b"], "a": [0, 1, 0, 1],
                      "l": [0.1, 0.2, 0.3, 0.4], "y": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(DataError, match=r"`period` column `period` must hold integer periods .*'a'"):
        gformula(f, site="site", period="period", treatment="a", confounders=["l"], outcome="y",
                 inference=None)


def test_silent_sizes_refused():
    with pytest.raises(DesignError, match=r"`periods` must be an integer >= 1 \(got 0\)"):
        SteppedWedge(sites=4, steps=2, patients=5, periods=0)
    assert SteppedWedge(sites=4, steps=2, patients=5).periods == 3  # the default is still steps + 1
    with pytest.raises(DesignError, match=r"`tau` is a standard deviation and must be >= 0"):
        stepped_wedge_power(sites=12, steps=4, patients=20, effect=0.3, tau=-1)


def test_bootstrap_prop_mediated_never_nan_without_warning():
    rng = np.random.default_rng(6)  # the corpus's 6-site rare-event data (zero totals in resamples)
    site = np.repeat(np.arange(6), 4)
    x = site % 2
    m = rng.normal(size=site.size) + 0.5 * x
    y = (rng.random(site.size) < 0.2).astype(int)
    res = mediate(pd.DataFrame({"site": site, "x": x, "m": m, "y": y}), treatment="x",
                  mediators=["m"], outcome="y", site="site", inference=Bootstrap(draws=200),
                  seed=1)
    assert "prop_mediated" not in res.effects
    assert any("proportion mediated not reported" in w for w in res.warnings)
    assert np.isfinite(res.to_frame()[["estimate", "std_error", "ci_low", "ci_high"]]).all().all()


# ---- 9. Markdown escaping ------------------------------------------------------------------

def test_markdown_escapes_html_outside_code_spans():
    from facmech.report.document import Bullets, Code, Paragraph, Section, Table

    evil = "<img src=x onerror=alert(1)>"
    md = render_markdown(f"<script>{evil}", [Section("s", evil, (
        Paragraph(f"`ok` {evil} `{evil}`"), Bullets((evil,)), Table(("c",), ((evil,),)),
        Code("```\n<script>"),
    ))], subtitle=evil, footer=evil)
    outside = md.replace(f"`{evil}`", "").split("````")[0]  # drop the code span and code block
    assert "<img" not in outside and "<script" not in outside
    assert "````\n```\n<script>\n````" in md  # a fence longer than any backtick run inside
    assert markdown_text("``a`<b>") == "``a`&lt;b&gt;"  # unmatched runs open no code span
    assert markdown_text("`a``<b>`") == "`a``<b>`"  # one span: the `` run inside is content
