"""`columns={node: column}` / `--column node=col` (issue 13): map nodes held by data columns with
other names. Reference: the same analysis on a copy whose columns were renamed by hand (results
identical to the last digit), for mediate, test_implications, gformula/msm and plan, from the API
and the CLI; the caller's frame is never modified."""

from __future__ import annotations

import json
import warnings

import pandas as pd
import pytest

import facmech
from facmech._columns import ColumnMap, parse_column_option
from facmech.cli import main
from facmech.errors import ArgumentError, DataError
from facmech.gmethods import gformula, msm
from facmech.gmethods.simulate import adaptive_dose_data
from facmech.identification import test_implications
from facmech.simulation import SteppedWedge, simulate

NAMES = {"facilitation": "arm", "leadership_engagement": "ILS_mean", "champions": "champ",
         "patient_outcomes": "qol", "site": "clinic"}


@pytest.fixture(scope="module")
def trial():
    t = simulate("zambia", SteppedWedge(sites=12, steps=4, patients=10), seed=3, truth=False)
    ours = t.data.drop(columns=["facilitation"]).rename(columns={"exposed": "facilitation"})
    theirs = ours.rename(columns=NAMES)
    return ours, theirs


def _quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


def test_mediate_with_a_map_and_renamed_columns(trial):
    ours, theirs = trial
    before = theirs.copy()
    m = facmech.load_map()
    kw = dict(mediators=["leadership_engagement", "champions"], covariates=["inner_context"],
              time="period", graph=m, seed=2)
    ref = _quiet(facmech.mediate, ours, treatment="facilitation", outcome="patient_outcomes",
                 cluster="site", **kw)
    # arguments by node id or by column name: the same analysis
    for treat, cl in (("facilitation", "site"), ("arm", "clinic")):
        res = _quiet(facmech.mediate, theirs, treatment=treat, outcome="qol", cluster=cl,
                     columns=NAMES, **kw)
        pd.testing.assert_frame_equal(res.to_frame(), ref.to_frame())
    pd.testing.assert_frame_equal(theirs, before)  # the caller's frame is untouched
    # without the mapping the map's node ids are not columns: the error says so
    with pytest.raises(facmech.FacmechError):
        _quiet(facmech.mediate, theirs, treatment="arm", outcome="qol", cluster="clinic",
               **{**kw, "mediators": ["ILS_mean", "champ"]})


def test_implications_with_renamed_columns(trial):
    ours, _ = trial
    m = facmech.load_map()
    means = ours.groupby(["site", "period"]).mean(numeric_only=True).reset_index()
    renamed = means.rename(columns=NAMES)
    ref = _quiet(test_implications, m, means, cluster="site").to_frame()
    got = _quiet(test_implications, m, renamed, cluster="clinic", columns=NAMES).to_frame()
    pd.testing.assert_frame_equal(got, ref)


def test_gformula_and_msm_with_renamed_columns():
    df, _ = adaptive_dose_data(n_units=60, n_periods=3, adapt=0.5, seed=4)
    names = {"facilitation": "hours", "leadership_engagement": "ils", "uptake": "adopted",
             "site": "clinic"}
    theirs = df.rename(columns=names)
    kw = dict(time="period", inference=30, seed=3)
    for fn in (gformula, msm):
        ref = fn(df, unit="site", treatment="facilitation", confounders="leadership_engagement",
                 outcome="uptake", **kw)
        got = fn(theirs, unit="clinic", treatment="hours", confounders=["ils"], outcome="adopted",
                 columns=names, **kw)
        assert got.contrast.estimate == ref.contrast.estimate
        assert got.contrast.ci_low == ref.contrast.ci_low


def test_plan_with_renamed_columns():
    from facmech.report import PowerAssumptions

    t = simulate("zambia", SteppedWedge(sites=12, steps=4, patients=10), seed=3, truth=False)
    names = {"leadership_engagement": "ILS_mean", "champions": "champ", "uptake": "adopted",
             "site": "clinic"}
    small = PowerAssumptions(reps=10)
    path = "facilitation,leadership_engagement,champions,normalization,uptake"
    kw = dict(path=path, time="period", exposure="exposed", sites=(12,), assumptions=small, seed=4)
    ref = _quiet(facmech.plan, data=t.data, cluster="site", **kw)
    got = _quiet(facmech.plan, data=t.data.rename(columns=names), cluster="clinic",
                 columns=names, **kw)
    assert got.estimates is not None
    for k in ("total", "nie", "via:leadership_engagement", "via:champions"):
        assert got.estimates.effects[k].estimate == ref.estimates.effects[k].estimate
    # the reproduce command carries the mapping
    code = got.sections[-1].blocks[0].text
    assert "--column champions=champ" in code and "--column site=clinic" in code


def test_cli_column_option(trial, tmp_path, capsys):
    _, theirs = trial
    csv = tmp_path / "t.csv"
    theirs.to_csv(csv, index=False)
    cols = [a for n, c in NAMES.items() for a in ("--column", f"{n}={c}")]
    assert main(["mediate", str(csv), "--treatment", "arm", "--mediator", "ILS_mean",
                 "--mediator", "champ", "--outcome", "qol", "--cluster", "clinic", "--time",
                 "period", "--map", "facilitation", "--draws", "50", "--seed", "1", "--json",
                 *cols]) == 0
    d = json.loads(capsys.readouterr().out)
    assert "via:leadership_engagement" in d["effects"]
    means = theirs.groupby(["clinic", "period"]).mean(numeric_only=True).reset_index()
    mcsv = tmp_path / "m.csv"
    means.to_csv(mcsv, index=False)
    assert main(["implications", "--data", str(mcsv), "--cluster", "clinic", "--json",
                 *cols]) == 0
    assert len(json.loads(capsys.readouterr().out)["tests"]) > 100
    assert main(["mediate", str(csv), "--treatment", "arm", "--mediator", "ILS", "--outcome",
                 "qol", "--column", "leadership_engagement=ILS"]) == 2
    err = capsys.readouterr().err
    assert "column 'ILS', which the data do not have. Did you mean 'ILS_mean'?" in err
    assert main(["mediate", str(csv), "--treatment", "arm", "--mediator", "ILS_mean",
                 "--outcome", "qol", "--column", "leadership_engagement"]) == 2
    assert "takes NODE=COLUMN" in capsys.readouterr().err


def test_bad_mappings():
    df = pd.DataFrame({"arm": [0, 1], "trust": [1, 2], "t2": [3, 4]})
    with pytest.raises(ArgumentError, match="maps both 'a' and 'b' to column 'arm'"):
        ColumnMap.build({"a": "arm", "b": "arm"}, df)
    with pytest.raises(DataError, match="also have a column named 'trust'"):
        ColumnMap.build({"trust": "t2"}, df)
    with pytest.raises(ArgumentError, match="must be a mapping"):
        ColumnMap.build(["arm"], df)
    with pytest.raises(ArgumentError, match="gives node 'x' twice"):
        parse_column_option(["x=a", "x=b"])
    # a node mapped to its own name, and swapping two names, are fine
    assert list(ColumnMap.build({"arm": "arm"}, df).rename(df).columns) == ["arm", "trust", "t2"]
    swapped = ColumnMap.build({"trust": "t2", "t2": "trust"}, df).rename(df)
    assert list(swapped.columns) == ["arm", "t2", "trust"]
