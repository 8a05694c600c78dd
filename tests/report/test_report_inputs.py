"""Bad input to the plan: path not in the map, missing data columns, unwritable output."""

from __future__ import annotations

import pandas as pd
import pytest

from facmech.errors import DataError, FacmechError, MapError, UnknownNodeError
from facmech.formats import load_map
from facmech.report.inputs import check_output, check_path, load_data, missing_columns

MAP = load_map()


def test_path_is_completed_and_parsed_from_text():
    assert check_path(MAP, "champions>normalization", treatment="facilitation", outcome="uptake") == (
        "facilitation", "champions", "normalization", "uptake")
    assert check_path(MAP, "facilitation,champions,normalization,uptake", treatment="facilitation",
                      outcome="uptake")[-1] == "uptake"


def test_path_with_unknown_node_suggests_the_closest():
    with pytest.raises(UnknownNodeError, match=r"`path`: unknown node 'leadership'.*leadership_engagement"):
        check_path(MAP, ["facilitation", "leadership", "uptake"], treatment="facilitation",
                   outcome="uptake")


def test_path_that_is_not_a_directed_path_of_the_map():
    # waypoints (issue 13): trust is reached from facilitation, so this is the set of paths through it
    assert check_path(MAP, ["trust"], treatment="facilitation", outcome="uptake") == (
        "facilitation", "trust", "uptake")
    with pytest.raises(MapError, match=r"no arrow trust -> champions.*Arrows out of 'trust'"):
        check_path(MAP, ["trust", "champions"], treatment="facilitation", outcome="uptake")
    with pytest.raises(MapError, match="no arrow normalization -> champions"):
        # a reversed arrow is not a path
        check_path(MAP, ["normalization", "champions"], treatment="normalization",
                   outcome="champions")
    with pytest.raises(MapError, match="no arrow acceptance -> leadership_engagement"):
        # a lagged arrow (to the next period) is not part of a within-period path
        check_path(MAP, ["acceptance", "leadership_engagement", "champions"],
                   treatment="acceptance", outcome="champions")


def test_other_path_errors():
    with pytest.raises(FacmechError, match="same node"):
        check_path(MAP, ["uptake"], treatment="uptake", outcome="uptake")
    with pytest.raises(FacmechError, match="visits a node twice"):
        check_path(MAP, ["facilitation", "champions", "champions", "uptake"],
                   treatment="facilitation", outcome="uptake")
    with pytest.raises(FacmechError, match="empty"):
        check_path(MAP, [], treatment="facilitation", outcome="uptake")
    with pytest.raises(UnknownNodeError, match="`treatment`"):
        check_path(MAP, ["uptake"], treatment="facilitaton", outcome="uptake")


def test_output_checks(tmp_path):
    assert check_output(None) is None
    assert check_output(tmp_path / "r.html") == tmp_path / "r.html"
    assert check_output(tmp_path / "r.md").suffix == ".md"
    with pytest.raises(FacmechError, match=r"`out` must end in \.html"):
        check_output(tmp_path / "r.pdf")
    with pytest.raises(FacmechError, match="does not exist"):
        check_output(tmp_path / "missing" / "r.html")
    (tmp_path / "d.html").mkdir()
    with pytest.raises(FacmechError, match="is a directory"):
        check_output(tmp_path / "d.html")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(FacmechError, match="does not exist"):  # its parent is a file
        check_output(blocker / "r.html")


def test_missing_columns_lists_every_one():
    df = pd.DataFrame({"site": [1], "uptake": [0]})
    with pytest.raises(DataError) as err:
        missing_columns(df, [("exposed", "randomized assignment"), ("uptake", "outcome"),
                             ("trust", "mechanism on the path"), ("period", "period")])
    msg = str(err.value)
    assert "lacks 3 column(s)" in msg
    for col in ("`exposed` (randomized assignment)", "`trust` (mechanism on the path)",
                "`period` (period)"):
        assert col in msg
    assert "Columns present: site, uptake" in msg


def test_load_data(tmp_path):
    df = pd.DataFrame({"a": [1, 2]})
    assert load_data(df) is df and load_data(None) is None
    df.to_csv(tmp_path / "d.csv", index=False)
    assert load_data(tmp_path / "d.csv").equals(df)
    with pytest.raises(DataError, match="no such file"):
        load_data(tmp_path / "nope.csv")
    (tmp_path / "d.txt").write_text("a\n1\n")
    with pytest.raises(DataError, match=r"\.csv or a \.parquet"):
        load_data(tmp_path / "d.txt")
