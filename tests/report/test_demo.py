"""The end-to-end demo (``make demo``): every stage runs, writes its files and prints its numbers."""

from __future__ import annotations

import io
import json

import pytest

from facmech.cli import main
from facmech.demo import DEMO_PATH, run_demo, sustained_truth
from facmech.simulation import simulate


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    buf = io.StringIO()
    res = run_demo(out, quick=True, seed=7, stream=buf)
    return res, buf.getvalue()


def test_demo_stages_and_files(demo):
    res, text = demo
    for k in range(1, 10):
        assert f"\n== {k}. " in text
    assert "== Where everything is" in text
    assert "#15  socialization -> trust" in text  # the 15 numbered arrows with confidence
    assert " -> ".join(DEMO_PATH) in text
    for name in ("map", "data", "surveys", "truth", "power", "power_table", "report",
                 "report_md"):
        path = res.files[name]
        assert path.exists() and path.stat().st_size > 0, name
        assert str(path.resolve()) in text
    assert res.files["report"].read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    truth = json.loads(res.files["truth"].read_text(encoding="utf-8"))
    assert truth["total"] == pytest.approx(res.numbers["truth.total"])


def test_demo_numbers(demo):
    res, _ = demo
    n = res.numbers
    # leadership_engagement recants: no measurement identifies the path nonparametrically, the
    # linear-SEM answer needs socialization and peer_experience measured
    assert n["identification.identified"] == 0 and n["identification.possible"] == 0
    assert n["identification.n_measure"] == 2
    # total = nde + nie in the simulator's truth
    assert n["truth.total"] == pytest.approx(n["truth.nde"] + n["truth.nie"], abs=1e-9)
    # g-formula recovers the sustained-dose truth (600 sites, correctly specified linear variant);
    # adjusting for the treatment-affected confounder does not (What If, ch. 20)
    assert n["gformula.ci_low"] <= n["truth.sustained"] <= n["gformula.ci_high"]
    assert n["naive.ci_high"] < n["truth.sustained"]
    assert all(0 <= v <= 1 for k, v in n.items() if k.startswith("power."))
    # mediation stage: exposure-time (ETI) estimand and its truth; nde + nie = total in the truth
    assert n["truth.total_eti"] == pytest.approx(n["truth.nde_eti"] + n["truth.nie_eti"], abs=1e-9)
    for k in ("total", "nde", "nie"):
        assert n[f"mediation.{k}.ci_low"] < n[f"mediation.{k}"] < n[f"mediation.{k}.ci_high"]


def test_demo_map_check(demo):
    # the map check on the simulated (true-map) trial: claims given survey means are untestable
    # without the staff surveys and tested on the corrected covariance with them
    res, text = demo
    n = res.numbers
    assert n["mapcheck.claims"] == n["mapcheck.tested"] + n["mapcheck.untestable"] > 200
    assert n["mapcheck.untestable"] > 100 and n["mapcheck.corrected"] > 100
    assert n["mapcheck.tested_surveys"] > n["mapcheck.tested"]
    assert "measurement-corrected covariance" in text and "unrolled over the trial's 5" in text


def test_demo_asks_the_map_before_mediating(demo):
    _, text = demo
    assert "natural indirect effect via champions: NOT identified (leadership_engagement" in text
    assert "natural indirect effect via leadership_engagement, champions: identified" in text
    assert "exposure-time indicators" in text


def test_sustained_truth_reproduces_the_simulator():
    # with start=0 the helper is the simulator's own truth["sustained"]["contrast"] (same population)
    t = simulate("zambia", seed=1)
    own = sustained_truth(t.scenario, t.design, start=0, level=t.scenario.dose.base)
    assert own == pytest.approx(t.truth["sustained"]["contrast"], abs=1e-12)
    later = sustained_truth(t.scenario, t.design, start=1, level=t.scenario.dose.base)
    assert 0 < later < own  # one period less of facilitation
    # period 0 is identical in both worlds, so averaging from period 1 rescales by T / (T - 1)
    from1 = sustained_truth(t.scenario, t.design, start=1, level=t.scenario.dose.base,
                            average_from=1)
    assert from1 == pytest.approx(later * 5 / 4, rel=1e-12)


def test_demo_cli_unwritable_out(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["demo", "--quick", "--out", str(blocker / "sub")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("facmech demo: error: `out`: cannot create directory")


def test_readme_demo_blocks_have_the_shape_the_demo_prints(demo):
    # the README shows two pieces of `make demo` output (full sizes, seed 20231127); the quick
    # demo here prints other numbers but the same lines: labels, columns, files, in order
    import re
    from pathlib import Path

    _, text = demo
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```text\n(.*?)^```", readme, re.S | re.M)
    files = next(b for b in blocks if b.startswith("== Where everything is"))
    sustained = next(b for b in blocks if b.lstrip().startswith("estimator"))
    number = r"-?\d+\.\d+"
    for line in sustained.rstrip("\n").splitlines():
        pattern = re.escape(line)
        for x in re.findall(number, line):
            pattern = pattern.replace(re.escape(x), number, 1)
        pattern = re.sub(r"(\\ )+", r"\\s+", pattern)
        assert re.search(pattern, text), line
    shown = [line.split()[0] for line in files.splitlines()[1:] if line.startswith("  ")]
    printed = text[text.index("== Where everything is"):].splitlines()[1:len(shown) + 1]
    assert [line.split()[0] for line in printed] == shown
    assert "Open the report in a browser: file://" in text and "Open the report in a browser" \
        in files
