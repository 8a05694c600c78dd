"""Effect keys: results are keyed by structured, frozen EffectKey records that are their names."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest

from facmech.errors import ArgumentError
from facmech.mediation import Arm, EffectKey, EffectKind, mediate, mediate_arrays
from facmech.mediation.synthetic import synthetic_trials


@pytest.fixture(scope="module")
def result():
    tr = synthetic_trials(replicates=1, sites=30, patients=12, mediators=2, seed=21)
    df = pd.DataFrame({"site": tr.cluster, "fac": tr.treatment[0], "lead": tr.mediators[0, :, 0],
                       "trust": tr.mediators[0, :, 1], "uptake": tr.outcome[0]})
    return mediate(df, treatment="fac", mediators=["lead", "trust"], outcome="uptake",
                   site="site", inference=None)


def test_keys_carry_the_structure(result):
    keys = list(result.effects)
    assert all(isinstance(k, EffectKey) for k in keys)
    by_kind = {kind: [k for k in keys if k.kind is kind] for kind in EffectKind}
    assert [k.mediators for k in by_kind[EffectKind.VIA]] == [("lead",), ("trust",)]
    assert sorted(k.mediators for k in by_kind[EffectKind.PATH]) == [
        ("lead",), ("lead", "trust"), ("trust",)]
    assert {k.ends for k in by_kind[EffectKind.PATH]} == {("fac", "uptake")}
    assert {k.arm for k in by_kind[EffectKind.NDE]} == {None, Arm.CONTROL, Arm.TREATED}
    # a key is its name: lookups by name, frame rows and JSON keys are the names
    key = EffectKey.path(("lead", "trust"), ends=("fac", "uptake"))
    assert result[key] is result["path:fac>lead>trust>uptake"]
    assert result[EffectKey.nie(Arm.TREATED)] is result["nie_treated"]
    assert "path:fac>lead>trust>uptake" in result.to_frame().index
    assert all(type(i) is str for i in result.to_frame().index)
    assert set(json.loads(json.dumps(result.to_dict()))["effects"]) == {str(k) for k in keys}
    # the via effects add up to nie: the decomposition read from the keys, not from names
    via = sum(result[k].estimate for k in by_kind[EffectKind.VIA])
    assert via == pytest.approx(result["nie"].estimate)


def test_key_is_a_frozen_value():
    k = EffectKey.via("trust")
    with pytest.raises(AttributeError, match="frozen"):
        k.mediators = ("lead",)
    assert pickle.loads(pickle.dumps(k)).mediators == ("trust",)
    assert EffectKey.via("trust") == k and hash(k) == hash("via:trust")
    assert EffectKey.total().at(3).exposure == 3 and EffectKey.total().at(3).base == "total"
    with pytest.raises(ArgumentError, match="`arm` must be one of 'control', 'treated'"):
        EffectKey.nde("both")
    with pytest.raises(ArgumentError, match="one mediator"):
        EffectKey(EffectKind.VIA, ("a", "b"))


def test_batched_core_names_mediators_by_position_or_by_name():
    tr = synthetic_trials(replicates=2, sites=12, patients=5, mediators=2, seed=4)
    args = (tr.treatment, tr.mediators, tr.outcome, tr.covariates)
    out = mediate_arrays(*args, site=tr.cluster)
    assert "via:0" in out.names and "path:0>1" in out.names
    from facmech.mediation import Naming

    named = mediate_arrays(*args, site=tr.cluster, naming=Naming(("lead", "trust"), "a", "y"))
    assert "via:trust" in named.names and "path:a>lead>trust>y" in named.names
    assert np.array_equal(out.estimate, named.estimate)


def test_exposure_time_and_risk_ratio_keys():
    tr = synthetic_trials(replicates=1, sites=24, patients=6, design="stepped_wedge", seed=2)
    period = np.tile(np.repeat(np.arange(5), 6), 24)
    df = pd.DataFrame({"site": tr.cluster, "period": period, "fac": tr.treatment[0],
                       "lead": tr.mediators[0, :, 0], "y": tr.outcome[0],
                       "y01": (tr.outcome[0] > np.median(tr.outcome[0])).astype(int)})
    eti = mediate(df, treatment="fac", mediators="lead", outcome="y", site="site",
                  period="period", effect_model="exposure_time", inference=None)
    at = [k for k in eti.effects if k.exposure is not None]
    assert {k.exposure for k in at} == {1, 2, 3, 4}
    assert {k.base for k in at} == {"total", "nde", "nie"}
    assert eti["nie@2"] is eti[EffectKey.nie().at(2)]
    binary = mediate(df, treatment="fac", mediators="lead", outcome="y01", site="site",
                     period="period", outcome_family="binomial", inference=None)
    assert set(binary.risk_ratios) == {"total", "nde", "nie"}
    assert all(not k.ratio for k in binary.risk_ratios)
