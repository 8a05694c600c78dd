"""Renamed arguments of the g-methods (site, period, patient; inference): old names warned."""

from __future__ import annotations

import pytest

from facmech.cli import main
from facmech.errors import ArgumentError
from facmech.gmethods import (
    Bootstrap,
    gformula,
    mediational_gformula,
    msm,
    naive_regression,
)
from facmech.gmethods.simulate import adaptive_dose_data, mediation_data

NEW = dict(site="site", period="period")
OLD = dict(unit="site", time="period")
REST = dict(treatment="facilitation", confounders=["leadership_engagement"], outcome="uptake")


@pytest.fixture(scope="module")
def df():
    return adaptive_dose_data(sites=80, periods=3, adapt=0.5, seed=4)[0]


@pytest.mark.parametrize("fn", [gformula, msm])
def test_unit_time_nested_are_deprecated_aliases(df, fn):
    new = fn(df, **NEW, **REST, inference=None, seed=1)
    with pytest.warns(FutureWarning) as record:
        old = fn(df, **OLD, **REST, nested=None, inference=None, seed=1)
    messages = {str(w.message) for w in record}
    for old_name, new_name in (("unit", "site"), ("time", "period"), ("nested", "patient")):
        assert (f"`{old_name}` is deprecated and will be removed in the next release; use "
                f"`{new_name}` instead") in messages
    assert old.to_frame().equals(new.to_frame())
    assert new.n_sites == 80
    with pytest.warns(FutureWarning, match="use `n_sites` instead"):
        assert new.n_units == 80
    d = new.to_dict()
    assert d["n_sites"] == d["n_units"] == 80
    with pytest.raises(ArgumentError, match="give `site` only"):
        fn(df, **NEW, unit="site", **REST, inference=None)


def test_mediational_gformula_and_simulators_aliases():
    with pytest.warns(FutureWarning, match="use `sites` instead"):
        small, _ = mediation_data(n_units=300, periods=2, seed=3)
    assert small.equals(mediation_data(sites=300, periods=2, seed=3)[0])
    kw = dict(treatment="facilitation", mediator="trust", confounders=["leadership_engagement"],
              outcome="uptake", inference=None, seed=1)
    new = mediational_gformula(small, **NEW, **kw)
    with pytest.warns(FutureWarning, match="use `period` instead"):
        old = mediational_gformula(small, site="site", time="period", **kw)
    assert old.to_frame().equals(new.to_frame()) and new.n_sites == 300


def test_naive_regression_draws_is_inference(df):
    new = naive_regression(df, **NEW, **REST, inference=30, seed=2)
    with pytest.warns(FutureWarning, match="`draws` is deprecated .*use `inference` instead"):
        old = naive_regression(df, **NEW, **REST, draws=30, seed=2)
    assert old == new
    point = naive_regression(df, **NEW, **REST, inference=None)
    # batched with the draws or alone: the same least squares up to rounding
    assert point.estimate == pytest.approx(new.estimate, rel=1e-12) and point.std_error is None


@pytest.mark.parametrize("bad", ["bootstrap", 1, 2.5, True])
def test_one_inference_argument(df, bad):
    with pytest.raises(ArgumentError, match=r"`inference` must be Bootstrap\(\.\.\.\), a "
                       r"number of draws \(an integer of at least 2\) or None"):
        gformula(df, **NEW, **REST, inference=bad)
    assert gformula(df, **NEW, **REST, inference=Bootstrap(20), seed=3).to_frame().equals(
        gformula(df, **NEW, **REST, inference=20, seed=3).to_frame())


def test_cli_old_flags(df, tmp_path, capsys):
    path = tmp_path / "long.csv"
    df.to_csv(path, index=False)
    rest = ["--treatment", "facilitation", "--confounder", "leadership_engagement", "--outcome",
            "uptake", "--draws", "0"]
    assert main(["gformula", str(path), "--site", "site", "--period", "period", *rest]) == 0
    new = capsys.readouterr()
    assert main(["gformula", str(path), "--unit", "site", "--time", "period", *rest]) == 0
    old = capsys.readouterr()
    assert old.out == new.out and "`--unit` is deprecated" in old.err
    assert "use `--period` instead" in old.err
    with pytest.raises(SystemExit):
        main(["gformula", str(path), *rest])
    assert "required: --site, --period" in capsys.readouterr().err
