"""The identify / paths / measure / implications subcommands (thin wrappers, JSON shape, exit 2)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from facmech.cli import main

DEMO = ("facilitation,leadership_engagement,acceptance,socialization,coherence,capacity,trust,"
        "normalization,uptake")


def _run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_identify_json_shape(capsys):
    code, out, _ = _run(capsys, "identify", "--treatment", "facilitation", "--outcome", "uptake",
                        "--json")
    assert code == 0
    d = json.loads(out)
    assert list(d) == ["identifiable", "effect", "treatment", "outcome", "strategy",
                       "adjustment_sets", "estimand", "assumptions", "reason", "witness"]
    assert d["identifiable"] is True and d["strategy"] == "backdoor"


def test_identify_demo_path_text(capsys):
    code, out, _ = _run(capsys, "identify", "--treatment", "facilitation", "--outcome", "uptake",
                        "--effect", "path", "--path", DEMO)
    assert code == 0
    assert "NOT identified" in out and "witness: leadership_engagement" in out
    assert "{socialization, peer_experience}" in out


def test_identify_nde_with_latent_and_dagitty_map(capsys, tmp_path):
    f = tmp_path / "m.dagitty"
    f.write_text("dag { x -> l -> m -> y  x -> m  l -> y  x -> y }")
    code, out, _ = _run(capsys, "identify", "--map", str(f), "--treatment", "x", "--outcome",
                        "y", "--effect", "nde", "--mediator", "m", "--json")
    d = json.loads(out)
    assert code == 0 and d["witness"] == "l" and d["strategy"] == "interventional"


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["identify", "--treatment", "facilitation", "--outcome", "facilitation"], "same node"),
        (["identify", "--treatment", "facilitaton", "--outcome", "uptake"], "Did you mean"),
        (["identify", "--treatment", "facilitation", "--outcome", "uptake", "--effect", "path",
          "--path", "facilitation,trust,champions,uptake"],
         "no directed path from trust to champions"),
        (["identify", "--treatment", "facilitation", "--outcome", "uptake", "--effect", "nde",
          "--mediator", "readiness"], "lies on no directed path"),
        (["identify", "--treatment", "facilitation", "--outcome", "uptake", "--latent", "trustt"],
         "`latent`"),
        (["paths", "--treatment", "facilitation", "--outcome", "uptake", "--observed", "nope"],
         "`observed`"),
    ],
)
def test_bad_input_exit_2(capsys, argv, needle):
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    assert needle in err and len(err.strip().splitlines()) == 1


def test_paths_and_measure(capsys):
    code, out, _ = _run(capsys, "paths", "--treatment", "facilitation", "--outcome", "uptake",
                        "--json")
    d = json.loads(out)
    assert code == 0 and len(d["paths"]) == 13
    code, out, _ = _run(capsys, "measure", "--treatment", "leadership_engagement", "--outcome",
                        "uptake", "--latent", "outer_context", "--cost", "outer_context=3",
                        "--json")
    d = json.loads(out)
    assert code == 0 and d["possible"] is True


def test_implications_list_and_data(capsys, tmp_path):
    code, out, _ = _run(capsys, "implications", "--json")
    assert code == 0 and len(json.loads(out)["implications"]) > 0
    f = tmp_path / "m.dagitty"
    f.write_text("dag { x -> m -> y }")
    rng = np.random.default_rng(1)
    x = rng.standard_normal(400)
    m = x + rng.standard_normal(400)
    y = m + rng.standard_normal(400)
    data = tmp_path / "d.csv"
    pd.DataFrame({"site": np.repeat(np.arange(40), 10), "x": x, "m": m, "y": y}).to_csv(data)
    code, out, _ = _run(capsys, "implications", "--map", str(f), "--data", str(data),
                        "--site", "site", "--json")
    d = json.loads(out)
    assert code == 0 and d["falsified"] is False and len(d["tests"]) == 1
