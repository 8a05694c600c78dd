"""power_table / plot_power_table: grids of closed-form power."""

import pytest

from facmech.errors import DesignError
from facmech.power import (
    crt_power,
    mediation_221_power,
    plot_power_table,
    power_table,
    stepped_wedge_power,
)


def test_rows_equal_the_single_calls():
    frame = power_table(design="stepped-wedge", sites=[12, 24], patients=[10, 20], steps=[3],
                        effect=0.3, icc=[0.1])
    assert len(frame) == 4
    row = frame[(frame["sites"] == 24) & (frame["patients"] == 20)].iloc[0]
    ref = stepped_wedge_power(sites=24, steps=3, patients=20, effect=0.3, icc=0.1)
    assert row["power"] == ref.power


def test_parallel_with_mediator_total_is_direct_plus_indirect():
    frame = power_table(design="parallel", sites=[40], patients=[100], icc=[0.15], effect=0.1,
                        mediators=[("m", 0.6596, 0.1891)])
    total = frame[frame["estimand"] == "total"].iloc[0]
    assert total["power"] == crt_power(sites=40, patients=100, icc=0.15,
                                       effect=0.1 + 0.6596 * 0.1891).power
    ind = frame[frame["estimand"] == "indirect:m"].iloc[0]
    ref = mediation_221_power(a=0.6596, b=0.1891, cprime=0.1, icc=0.15, sites=40,
                              patients=100, mc_sims=0)
    assert ind["power"] == ref.joint


def test_plot(tmp_path):
    frame = power_table(design="parallel", sites=[10, 20, 40], patients=[15], effect=0.5,
                        icc=[0.05, 0.17])
    fig = plot_power_table(frame, path=tmp_path / "p.png")
    assert len(fig.axes[0].get_lines()) >= 2 and (tmp_path / "p.png").stat().st_size > 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"design": "smart"}, "no closed form exists for SMART"),
        ({"design": "stepped-wedge", "mediators": [("m", 0.1, 0.1)], "steps": 3},
         "no closed form exists for mediated paths in a stepped-wedge"),
        ({"design": "stepped-wedge"}, "needs `steps`"),
        ({"steps": 3}, "apply to the stepped-wedge design only"),
        ({"icc": None}, "give `icc`"),
        ({"sites": []}, "`sites` is an empty list"),
    ],
)
def test_bad_input(kwargs, match):
    base = {"design": "parallel", "sites": [20], "patients": [10], "effect": 0.3, "icc": [0.1]}
    with pytest.raises(DesignError, match=match):
        power_table(**{**base, **kwargs})
