"""MediationResult: frame, dict (the CLI JSON shape), summary, HTML, plot; refuters."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pandas as pd
import pytest

from facmech.errors import FacmechError
from facmech.estimates import ESTIMATE_COLUMNS
from facmech.mediation import MonteCarlo, mediate
from facmech.mediation.synthetic import synthetic_trials

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def two_mediator_frame() -> pd.DataFrame:
    tr = synthetic_trials(replicates=1, sites=30, patients=12, mediators=2, seed=21)
    return pd.DataFrame({"site": tr.cluster, "fac": tr.treatment[0], "lead": tr.mediators[0, :, 0],
                         "trust": tr.mediators[0, :, 1], "uptake": tr.outcome[0],
                         "x": tr.covariates[0, :, 0]})


@pytest.fixture(scope="module")
def result(two_mediator_frame):
    return mediate(two_mediator_frame, treatment="fac", mediators=["lead", "trust"],
                   outcome="uptake", covariates=["x"], site="site",
                   inference=MonteCarlo(400), seed=3)


def test_effect_names_and_frame(result):
    names = list(result.effects)
    assert names[:8] == ["total", "nde_control", "nde_treated", "nie_control", "nie_treated",
                         "nde", "nie", "prop_mediated"]
    assert {"via:lead", "via:trust", "path:fac>lead>uptake", "path:fac>trust>uptake",
            "path:fac>lead>trust>uptake"} <= set(names)
    frame = result.to_frame()
    assert list(frame.columns) == list(ESTIMATE_COLUMNS)
    assert frame.loc["via:lead", "estimate"] + frame.loc["via:trust", "estimate"] == \
        pytest.approx(frame.loc["nie", "estimate"])
    assert any("linear models without treatment-mediator interaction" in a.text
               for a in result.assumptions)


def test_to_dict_is_the_cli_json_shape(result):
    d = json.loads(json.dumps(result.to_dict()))
    assert set(d) == {"effects", "n_obs", "n_sites", "n_clusters", "method", "assumptions",
                      "warnings"}
    assert d["n_obs"] == 360 and d["n_sites"] == 30 and d["n_clusters"] == 30
    assert set(d["effects"]["nie"]) == set(ESTIMATE_COLUMNS)
    assert "CR2" in d["method"]


def test_summary_html_and_plot(result):
    text = result.summary()
    assert "via:lead" in text and "assumptions:" in text
    assert "<table" in result._repr_html_()
    ax = result.plot()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "total effect" and len(labels) == 3 + 2 + 3
    with pytest.raises(FacmechError, match="unknown effect"):
        result.plot(include=("total", "nonsense"))


def test_result_is_frozen(result):
    with pytest.raises(AttributeError):
        result.n_obs = 3
    with pytest.raises(TypeError):
        result.effects["total"] = None


def test_interaction_versions_differ_and_no_paths(two_mediator_frame):
    res = mediate(two_mediator_frame, treatment="fac", mediators=["lead", "trust"],
                  outcome="uptake", covariates=["x"], site="site", interaction=True,
                  inference=None)
    assert res["nde_control"].estimate != res["nde_treated"].estimate
    assert not any(k.startswith("path:") for k in res.effects)
    assert any("path-specific effects need" in w for w in res.warnings)


def test_refute_placebo_and_perturbations(result):
    ref = result.refute(simulations=20, seed=4)
    frame = ref.to_frame()
    assert set(frame.index.get_level_values(0)) == {"placebo_treatment", "random_common_cause",
                                                    "data_subset"}
    placebo = frame.loc["placebo_treatment"]
    # placebo effects scatter around zero: much smaller than the real total effect
    assert abs(placebo.loc["total", "new_effect"]) < abs(placebo.loc["total", "estimate"]) / 2
    rcc = frame.loc["random_common_cause"]
    assert np.allclose(rcc["new_effect"], rcc["estimate"], atol=0.02)
    assert ref.passed
    with pytest.raises(FacmechError, match="unknown refuter"):
        result.refute(methods=("bootstrap",))
