"""Renamed arguments of mediation (site, period): the old names work for one release, warned."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from facmech.cli import main
from facmech.errors import ArgumentError
from facmech.mediation import mediate, mediate_arrays
from facmech.mediation.synthetic import synthetic_trials


@pytest.fixture(scope="module")
def trial() -> pd.DataFrame:
    tr = synthetic_trials(replicates=1, sites=24, patients=6, design="stepped_wedge", seed=2)
    return pd.DataFrame({"site": tr.cluster, "period": np.tile(np.repeat(np.arange(5), 6), 24),
                         "fac": tr.treatment[0].astype(int), "lead": tr.mediators[0, :, 0],
                         "uptake": tr.outcome[0]})


KW = dict(treatment="fac", mediators="lead", outcome="uptake", inference=None)


def test_cluster_and_time_are_deprecated_aliases_of_site_and_period(trial):
    new = mediate(trial, site="site", period="period", **KW)
    with pytest.warns(FutureWarning, match="`cluster` is deprecated .* use `site` instead"):
        old = mediate(trial, cluster="site", period="period", **KW)
    with pytest.warns(FutureWarning, match="`time` is deprecated .* use `period` instead"):
        old_time = mediate(trial, site="site", time="period", **KW)
    assert old.to_frame().equals(new.to_frame()) and old_time.to_frame().equals(new.to_frame())
    assert new.site == "site" and new.period == "period" and new.n_sites == 24


def test_both_old_and_new_names_raise(trial):
    with pytest.raises(ArgumentError, match=r"give `site` only .* `cluster`"):
        mediate(trial, site="site", cluster="site", **KW)
    with pytest.raises(ArgumentError, match=r"give `period` only .* `time`"):
        mediate(trial, site="site", period="period", time="period", **KW)


def test_old_result_attributes_warn(trial):
    res = mediate(trial, site="site", period="period", **KW)
    with pytest.warns(FutureWarning, match="use `n_sites` instead"):
        assert res.n_clusters == 24
    with pytest.warns(FutureWarning, match="use `site` instead"):
        assert res.cluster == "site"
    with pytest.warns(FutureWarning, match="use `period` instead"):
        assert res.time == "period"


def test_mediate_arrays_cluster_alias():
    tr = synthetic_trials(replicates=2, sites=12, patients=5, seed=4)
    args = (tr.treatment, tr.mediators, tr.outcome, tr.covariates)
    new = mediate_arrays(*args, site=tr.cluster)
    with pytest.warns(FutureWarning, match="`cluster` is deprecated"):
        old = mediate_arrays(*args, cluster=tr.cluster)
    assert np.array_equal(new.estimate, old.estimate)


def test_cli_old_flags_are_hidden_warned_aliases(trial, tmp_path, capsys):
    path = tmp_path / "trial.csv"
    trial.to_csv(path, index=False)
    base = ["mediate", str(path), "--treatment", "fac", "--mediator", "lead", "--outcome",
            "uptake", "--draws", "50", "--seed", "1"]
    assert main([*base, "--site", "site", "--period", "period"]) == 0
    new = capsys.readouterr()
    assert main([*base, "--cluster", "site", "--time", "period"]) == 0
    old = capsys.readouterr()
    assert old.out == new.out
    lines = old.err.splitlines()
    assert ("facmech mediate: warning: `--cluster` is deprecated and will be removed in the next "
            "release; use `--site` instead") in lines
    assert any("`--time` is deprecated" in line and "`--period`" in line for line in lines)
    with pytest.raises(SystemExit) as exc:
        main([*base, "--cluster", "site", "--site", "site"])
    assert exc.value.code == 2
    assert "give --site only (got both --cluster and --site" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["mediate", "--help"])
    text = capsys.readouterr().out
    assert "--site" in text and "--cluster" not in text and "--time " not in text
