"""Renamed power arguments: one vocabulary (sites, patients per site and period, periods)."""

from __future__ import annotations

import pytest

from facmech.errors import ArgumentError
from facmech.power import (
    crt_mdes,
    crt_power,
    design_effect,
    mediation_211_power,
    mediation_221_power,
    stepped_wedge_power,
)


def test_clusters_and_cluster_size_are_deprecated_aliases():
    # PowerUpR power.cra2(es = .629, rho2 = .17, n = 15, J = 20) = 0.80, under either spelling
    new = crt_power(sites=20, patients=15, effect=0.629, icc=0.17)
    with pytest.warns(FutureWarning) as record:
        old = crt_power(clusters=20, cluster_size=15, effect=0.629, icc=0.17)
    assert {str(w.message) for w in record} == {
        "`clusters` is deprecated and will be removed in the next release; use `sites` instead",
        "`cluster_size` is deprecated and will be removed in the next release; use `patients` "
        "instead",
    }
    assert old == new and round(new.power, 2) == 0.8 and "df = sites - 2" in new.method
    with pytest.warns(FutureWarning, match="use `patients` instead"):
        assert crt_mdes(sites=20, cluster_size=15, icc=0.17) == crt_mdes(sites=20, patients=15,
                                                                         icc=0.17)
    with pytest.warns(FutureWarning, match="use `patients` instead"):
        assert design_effect(cluster_size=10, icc=0.017) == design_effect(10, 0.017)
    with pytest.warns(FutureWarning, match="use `patients` instead"):
        sw = stepped_wedge_power(sites=24, steps=4, cluster_size=120, effect=-0.015, tau=0.01,
                                 baseline_risk=0.05)
    assert sw == stepped_wedge_power(sites=24, steps=4, patients=120, effect=-0.015, tau=0.01,
                                     baseline_risk=0.05)
    with pytest.raises(ArgumentError, match="give `sites` only"):
        crt_power(sites=20, clusters=20, patients=15, effect=0.5, icc=0.1)


def test_mediation_power_aliases_and_parameter_names():
    kw = dict(a=0.6596, b=0.1891, cprime=0.1, icc=0.15, mc_sims=0)
    new = mediation_221_power(**kw, sites=40, patients=100)
    with pytest.warns(FutureWarning, match="use `sites` instead"):
        old = mediation_221_power(**kw, clusters=40, patients=100)
    assert old.joint == new.joint
    assert new.parameters["sites"] == 40 and new.parameters["patients"] == 100
    with pytest.warns(FutureWarning, match="use `patients` instead"):
        mediation_211_power(a=0.4135, b_within=0.067, b_between=0.3595, cprime=0.1, icc=0.3,
                            icc_m=0.3, sites=80, cluster_size=30, p=0.1, mc_sims=0)
