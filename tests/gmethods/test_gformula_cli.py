"""`facmech gformula`: thin CLI over gformula/msm; JSON shape from issue 6; errors exit 2."""

from __future__ import annotations

import json

import pytest

from facmech.cli import main
from facmech.gmethods import gformula
from facmech.gmethods.simulate import adaptive_dose_data

BASE = ["--site", "site", "--period", "period", "--treatment", "facilitation",
        "--confounder", "leadership_engagement", "--outcome", "uptake"]


@pytest.fixture(scope="module")
def csv(tmp_path_factory):
    df, _ = adaptive_dose_data(sites=80, periods=3, adapt=0.5, seed=4)
    path = tmp_path_factory.mktemp("gf") / "trial.csv"
    df.to_csv(path, index=False)
    return path, df


@pytest.mark.parametrize("method", ["parametric", "ice", "ipw"])
def test_json_shape_and_values(csv, capsys, method):
    path, df = csv
    code = main(["gformula", str(path), *BASE, "--method", method, "--draws", "50", "--seed", "3",
                 "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["strategies"]) == {"always", "never"}
    for e in [*out["strategies"].values(), out["contrast"]]:
        assert set(e) == {"estimate", "std_error", "ci_low", "ci_high", "p_value"}
    assert out["method"] == method and isinstance(out["warnings"], list)
    s = out["strategies"]
    assert out["contrast"]["estimate"] == pytest.approx(
        s["always"]["estimate"] - s["never"]["estimate"])
    if method != "ipw":  # the CLI prints what the library returns
        lib = gformula(df, site="site", period="period", treatment="facilitation",
                       confounders="leadership_engagement", outcome="uptake", method=method,
                       inference=50, seed=3)
        assert out["contrast"]["estimate"] == pytest.approx(lib.contrast.estimate, rel=1e-12)
        assert out["contrast"]["ci_low"] == pytest.approx(lib.contrast.ci_low, rel=1e-12)


def test_text_output_with_dynamic_strategy(csv, capsys):
    path, _ = csv
    code = main(["gformula", str(path), *BASE, "--strategy", "dynamic:leadership_engagement<0",
                 "--strategy", "never", "--draws", "0"])
    assert code == 0
    text = capsys.readouterr().out
    assert "dynamic:leadership_engagement<0 - never" in text and "models:" in text


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--strategy", "dynamic:leadership<0", "--strategy", "never"], "Did you mean"),
        (["--strategy", "sometimes"], "unknown strategy"),
        (["--draws", "1"], "--draws"),
        (["--truncate", "0.99"], "--method ipw"),
    ],
)
def test_errors_exit_2_with_one_line(csv, capsys, extra, message):
    path, _ = csv
    assert main(["gformula", str(path), *BASE, *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("facmech gformula: error:") and message in err
    assert err.count("\n") == 1


def test_duplicate_rows_and_missing_file(csv, tmp_path, capsys):
    _, df = csv
    dup = tmp_path / "dup.csv"
    df.iloc[[0, *range(len(df))]].to_csv(dup, index=False)
    assert main(["gformula", str(dup), *BASE]) == 2
    assert "share a (site, period) pair" in capsys.readouterr().err
    assert main(["gformula", str(tmp_path / "nope.csv"), *BASE]) == 2


def test_simulated_trial_csv_with_patients(tmp_path, capsys):
    from facmech.simulation import ParallelCRT, simulate

    trial = simulate("zambia", ParallelCRT(sites=40, patients=5, periods=3), seed=2, truth=False)
    path = tmp_path / "zambia.csv"
    trial.data.to_csv(path, index=False)
    code = main(["gformula", str(path), "--site", "site", "--period", "period", "--treatment",
                 "facilitation", "--confounder", "leadership_engagement", "--outcome",
                 "patient_outcomes", "--patient", "patient", "--timing", "after", "--outcome-at",
                 "mean", "--strategy", "always:1.5", "--strategy", "never", "--method", "ice",
                 "--draws", "20", "--seed", "1", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["outcome_at"] == "mean" and set(out["by_period"]) == {"0", "1", "2"}
