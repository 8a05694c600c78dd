"""The plan's estimator speaks the one vocabulary: site and period, in code, commands and names."""

from __future__ import annotations

import pytest

from facmech.errors import ArgumentError
from facmech.formats import load_map
from facmech.report.results import estimation_plan

PATH = ("facilitation", "champions", "normalization", "uptake")


def test_estimation_plan_site_period_and_deprecated_aliases():
    mmap = load_map()
    new = estimation_plan(mmap, PATH, design="stepped-wedge", site="clinic", period="wave")
    with pytest.warns(FutureWarning, match="`cluster` is deprecated .* use `site` instead"):
        old = estimation_plan(mmap, PATH, design="stepped-wedge", cluster="clinic", period="wave")
    assert old == new and new.site == "clinic" and new.period == "wave"
    with pytest.warns(FutureWarning, match="use `period` instead"):
        assert new.time == "wave"
    with pytest.raises(ArgumentError, match="give `site` only"):
        estimation_plan(mmap, PATH, design="parallel", site="a", cluster="a")
    code = new.code()
    assert "site='clinic', period='wave'" in code and "cluster=" not in code
    assert "site_periods, site='clinic', period='wave'" in code and "unit=" not in code
    cmd = new.command(map_arg=None, sites=(12, 24), data="trial.csv", site="clinic",
                      period="wave")
    assert "--site clinic" in cmd and "--period wave" in cmd and "--cluster" not in cmd
