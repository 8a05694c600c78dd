"""``facmech mediate``: text, --json shape, exit status 2 with one stderr line on bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from facmech.cli import main
from facmech.mediation.synthetic import synthetic_trials


@pytest.fixture(scope="module")
def csv(tmp_path_factory):
    tr = synthetic_trials(replicates=1, sites=24, patients=6, design="stepped_wedge", seed=2)
    df = pd.DataFrame({"site": tr.cluster, "period": np.tile(np.repeat(np.arange(5), 6), 24),
                       "fac": tr.treatment[0].astype(int), "lead": tr.mediators[0, :, 0],
                       "uptake": tr.outcome[0],
                       "region": np.where(tr.cluster % 3 == 0, "rural", "urban")})
    path = tmp_path_factory.mktemp("cli") / "trial.csv"
    df.to_csv(path, index=False)
    return str(path)


def test_json_output(csv, capsys):
    code = main(["mediate", csv, "--treatment", "fac", "--mediator", "lead", "--outcome",
                 "uptake", "--covariate", "region", "--site", "site", "--period", "period",
                 "--draws", "200", "--seed", "1", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_sites"] == 24 and out["n_obs"] == 720
    for key in ("total", "nde", "nie", "nde_control", "nde_treated", "nie_control",
                "nie_treated", "prop_mediated"):
        assert set(out["effects"][key]) == {"estimate", "std_error", "ci_low", "ci_high",
                                            "p_value"}
    assert "period fixed effects" in out["method"]


def test_text_output_and_seed_reproducible(csv, capsys):
    args = ["mediate", csv, "--treatment", "fac", "--mediator", "lead", "--outcome", "uptake",
            "--site", "site", "--period", "period", "--draws", "100", "--seed", "5"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert main(args) == 0
    assert capsys.readouterr().out == first
    assert "natural" not in first.splitlines()[0] and "nie" in first


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--mediator", "leed"], "missing column(s) 'leed'"),
        (["--mediator", "lead", "--outcome-family", "probit"], "must be 0/1"),
        (["--mediator", "lead", "--site", "region"], "2 sites; at least 4"),
    ],
)
def test_bad_input_exit_2(csv, capsys, extra, message):
    code = main(["mediate", csv, "--treatment", "fac", "--outcome", "uptake", *extra])
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_missing_file(capsys):
    assert main(["mediate", "nope.csv", "--treatment", "a", "--mediator", "m", "--outcome",
                 "y"]) == 2
    assert "does not exist" in capsys.readouterr().err
