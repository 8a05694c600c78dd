"""``facmech power``: simulated and analytic modes, JSON shape, files, errors (exit 2)."""

import json

import pytest

from facmech.cli import main


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_simulated_json_shape_and_files(capsys, tmp_path):
    out, png = tmp_path / "results.csv", tmp_path / "power.png"
    d = _json(capsys, ["power", "--design", "parallel", "--sites", "8,12", "--patients", "10",
                       "--icc", "0.1", "--effect", "0.2", "--mediator", "trust:0.5:0.4",
                       "--reps", "20", "--seed", "3", "--no-progress", "--json",
                       "--out", str(out), "--plot", str(png)])
    assert d["reps"] == 20 and d["seed"] == 3
    cells = d["cells"]
    assert len(cells) == 2 * 3  # 2 site counts x (total, direct, indirect:trust)
    assert {"sites", "estimand", "power", "bias", "rmse", "coverage", "mc_se"} <= set(cells[0])
    assert out.read_text().startswith("sites,patients,icc,estimand")
    assert png.stat().st_size > 0


def test_analytic_reproduces_swpwr(capsys):
    # swCRTdesign swPwr example (validation-references.md): power 0.786.
    d = _json(capsys, ["power", "--analytic", "--design", "stepped-wedge", "--sites", "24",
                       "--steps", "4", "--patients", "120", "--effect", "-0.015", "--tau", "0.01",
                       "--baseline-risk", "0.05", "--json"])
    assert d["analytic"] is True
    assert d["cells"][0]["power"] == pytest.approx(0.786, abs=5e-4)


def test_analytic_text_and_mediation(capsys):
    assert main(["power", "--analytic", "--design", "parallel", "--sites", "40", "--patients",
                 "100", "--icc", "0.15", "--effect", "0.1", "--mediator", "m:0.6596:0.1891"]) == 0
    text = capsys.readouterr().out
    assert "indirect:m" in text and "total" in text


def test_scenario_mode(capsys):
    d = _json(capsys, ["power", "--scenario", "zambia", "--sites", "8", "--patients", "5",
                       "--reps", "10", "--seed", "1", "--no-progress", "--json"])
    assert {c["estimand"] for c in d["cells"]} == {"total", "direct", "indirect"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--design", "parallel", "--sites", "8", "--reps", "5"], "`reps` must be an integer >= 10"),
        (["--design", "smart", "--sites", "8"], "SMART"),
        (["--design", "parallel", "--sites", "8", "--icc", "1.5"], "`icc` must be in [0, 1)"),
        (["--sites", "8"], "give `--scenario FILE|NAME` or `--design KIND`"),
        (["--design", "parallel", "--sites", "8", "--reps", "10", "--scheduler",
          "tcp://127.0.0.1:9", "--timeout", "1", "--no-progress"], "cannot reach the Dask scheduler"),
        (["--analytic", "--design", "stepped-wedge", "--sites", "8", "--patients", "5",
          "--effect", "0.2", "--icc", "0.1"], "needs `steps`"),
        (["--scenario", "aim", "--sites", "40", "--analysis", "gformula", "--reps", "10"],
         "the `gformula` analysis needs a map scenario"),
        (["--scenario", "zambia", "--sites", "8", "--analysis", "regimes", "--reps", "10"],
         "the `regimes` analysis compares the embedded regimes"),
    ],
)
def test_errors_exit_2(capsys, argv, message):
    pytest.importorskip("dask.distributed")
    assert main(["power", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("facmech power: error:") and message in err
    assert err.count("\n") == 1


def test_smart_and_gformula_analyses(capsys):
    d = _json(capsys, ["power", "--scenario", "aim", "--sites", "40", "--analysis",
                       "total,regimes", "--reps", "10", "--seed", "2", "--no-progress", "--json"])
    assert [c["estimand"] for c in d["cells"]] == ["total", "regimes"]
    assert d["analysis"]["parts"] == ["total", "regimes"]
    d = _json(capsys, ["power", "--scenario", "zambia", "--sites", "12", "--patients", "5",
                       "--analysis", "gformula", "--gformula-se", "sandwich", "--reps", "10",
                       "--seed", "2", "--no-progress", "--json"])
    assert [c["estimand"] for c in d["cells"]] == ["sustained"]
    assert d["analysis"]["gformula_se"] == "sandwich"


def test_unknown_analysis_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["power", "--scenario", "aim", "--sites", "40", "--analysis", "ipw"])
    assert exc.value.code == 2
    assert "unknown analysis 'ipw'" in capsys.readouterr().err
