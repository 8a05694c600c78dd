"""`facmech simulate`: every design from the command line, files, truth JSON, exit status 2."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from facmech.cli import main


@pytest.mark.parametrize(
    ("args", "rows"),
    [
        (["--design", "parallel", "--sites", "6", "--patients", "3"], 6 * 1 * 3),
        (["--design", "stepped-wedge", "--sites", "6", "--steps", "3", "--patients", "2"], 6 * 4 * 2),
        (["--design", "smart", "--sites", "8", "--patients", "2"], 8 * 4 * 2),
        (["--design", "observational", "--sites", "5", "--periods", "2", "--patients", "2"], 5 * 2 * 2),
        (["--scenario", "zambia", "--patients", "3"], 24 * 5 * 3),
        (["--scenario", "aim", "--sites", "20", "--patients", "4"], 20 * 4 * 4),
    ],
)
def test_each_design(tmp_path, capsys, args, rows) -> None:
    out = tmp_path / "trial.csv"
    truth = tmp_path / "truth.json"
    code = main(["simulate", *args, "--seed", "3", "--out", str(out), "--truth", str(truth)])
    assert code == 0
    data = pd.read_csv(out)
    assert len(data) == rows
    assert {"site", "period", "patient", "exposed", "facilitation"} <= set(data.columns)
    t = json.loads(truth.read_text())
    assert {"total", "nde", "nie", "paths", "sustained"} <= set(t)
    assert {"always", "never", "contrast"} <= set(t["sustained"])
    assert "wrote" in capsys.readouterr().out


def test_parquet_and_json(tmp_path, capsys) -> None:
    out = tmp_path / "trial.parquet"
    code = main(["simulate", "--scenario", "vha", "--seed", "1", "--out", str(out), "--json"])
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["rows"] == 9 * 8 * 30 and payload["design"]["type"] == "stepped-wedge"
    assert payload["truth"]["outcome"] == "patient_outcomes"
    assert len(pd.read_parquet(out)) == payload["rows"]
    # same seed, same file
    out2 = tmp_path / "again.parquet"
    main(["simulate", "--scenario", "vha", "--seed", "1", "--out", str(out2)])
    pd.testing.assert_frame_equal(pd.read_parquet(out), pd.read_parquet(out2))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--design", "stepped-wedge", "--sites", "3", "--steps", "4"],
         "`sites` (3) must be at least `steps` (4)"),
        (["--design", "crossover", "--sites", "3"], "(got 'crossover')"),
        (["--design", "parallel", "--sites", "-4"], "`sites` must be an integer >= 1 (got -4)"),
        (["--scenario", "zambia", "--patients", "-1"], "`patients` must be an integer >= 1"),
        (["--scenario", "nope"], "no built-in scenario by that name"),
        (["--design", "parallel"], "`--sites` is required"),
        (["--design", "parallel", "--sites", "4", "--steps", "2"],
         "`steps` does not apply to the parallel design"),
        ([], "give `--scenario FILE|NAME` or `--design KIND`"),
    ],
)
def test_bad_input_exit_2(tmp_path, capsys, args, message) -> None:
    code = main(["simulate", *args, "--out", str(tmp_path / "x.csv")])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and err.count("\n") == 1


def test_bad_scenario_file_exit_2(tmp_path, capsys) -> None:
    bad = tmp_path / "s.yaml"
    bad.write_text("icc: 1.5\ndesign: {type: parallel, sites: 4, patients: 2}\n")
    assert main(["simulate", "--scenario", str(bad), "--out", str(tmp_path / "x.csv")]) == 2
    assert "`icc` must be in [0, 1) (got 1.5)" in capsys.readouterr().err
    bad.write_text("mediators: [trsut]\ndesign: {type: parallel, sites: 4, patients: 2}\n")
    assert main(["simulate", "--scenario", str(bad), "--out", str(tmp_path / "x.csv")]) == 2
    assert "unknown node 'trsut'" in capsys.readouterr().err
    bad.write_text("coefficients: {'#42': 0.3}\ndesign: {type: parallel, sites: 4, patients: 2}\n")
    assert main(["simulate", "--scenario", str(bad), "--out", str(tmp_path / "x.csv")]) == 2
    assert "no arrow number 42" in capsys.readouterr().err
    assert main(["simulate", "--design", "parallel", "--sites", "4",
                 "--out", str(tmp_path / "x.txt")]) == 2
    assert "must end in .csv or .parquet" in capsys.readouterr().err
