"""One vocabulary for bad arguments: every bad option value, count, level or inference scheme is an
ArgumentError with one wording, whichever function receives it (facmech._choice, _inference,
_validation, errors)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from facmech._choice import Choice, DesignChoice
from facmech.design.analysis import Analysis
from facmech.design.backends import Backend
from facmech.design.model import LinearTrial, TrialDesign
from facmech.errors import ArgumentError, DesignError
from facmech.gmethods import gformula, msm
from facmech.gmethods.simulate import adaptive_dose_data
from facmech.mediation import Bootstrap, Clustered, MonteCarlo, mediate
from facmech.power import crt_power
from facmech.simulation import make_design


@pytest.fixture(scope="module")
def trial() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    site = np.repeat(np.arange(12), 15)
    a = (site % 2).astype(float)
    m = 0.5 * a + rng.normal(size=site.size)
    return pd.DataFrame({"site": site, "a": a, "m": m, "y": 0.5 * m + rng.normal(size=site.size)})


@pytest.fixture(scope="module")
def long() -> pd.DataFrame:
    return adaptive_dose_data(sites=40, periods=3, seed=1)[0]


G = dict(site="site", period="period", treatment="facilitation",
         confounders=["leadership_engagement"], outcome="uptake", inference=None)


def test_every_bad_choice_is_an_argument_error_in_one_wording(trial, long):
    cases = [
        (lambda: mediate(trial, treatment="a", mediators="m", outcome="y", outcome_family="x"),
         "`outcome_family` must be one of 'gaussian', 'binomial', 'probit' (got 'x')."),
        (lambda: gformula(long, **G, method="x"), "`method` must be one of 'parametric', 'ice'"),
        (lambda: msm(long, **G, form="x"), "`form` must be one of 'each', 'cumulative' (got 'x')."),
        (lambda: crt_power(sites=20, patients=10, effect=0.3, icc=0.1, reference="x"),
         "`reference` must be one of 'between', 'effective', 'normal' (got 'x')."),
        (lambda: Backend.parse("x"), "`backend` must be one of 'serial', 'processes', 'dask'"),
        (lambda: make_design("x", sites=10), "`design` must be one of 'parallel', 'stepped-wedge'"),
        (lambda: Analysis.parse("x"), "`analysis` must be one of 'total', 'mediation'"),
        (lambda: Clustered(small_sample="cr3"), "`small_sample` must be one of 'none', 'cr1', "
         "'cr2' (got 'cr3'). Did you mean"),
        (lambda: LinearTrial(design="smart"), "The linear trial model has no SMART"),
    ]
    for call, message in cases:
        with pytest.raises(ArgumentError) as err:
            call()
        assert message in str(err.value)


def test_design_errors_are_argument_errors():
    assert issubclass(DesignError, ArgumentError)
    assert issubclass(TrialDesign, DesignChoice) and issubclass(DesignChoice, Choice)
    with pytest.raises(ArgumentError, match="`sites` must be even"):
        crt_power(sites=21, patients=10, effect=0.3, icc=0.1)


def test_one_alpha_check(trial, long):
    for call in (
        lambda: mediate(trial, treatment="a", mediators="m", outcome="y", alpha=2),
        lambda: gformula(long, **G, alpha=2),
        lambda: crt_power(sites=20, patients=10, effect=0.3, icc=0.1, alpha=2),
    ):
        with pytest.raises(ArgumentError, match="`alpha` must be in"):
            call()


@pytest.mark.parametrize("bad", ["bootstrap", 1, 0.5, True, object()])
def test_mediate_inference_family(trial, bad):
    with pytest.raises(ArgumentError, match=r"`inference` must be MonteCarlo\(\.\.\.\), "
                       r"Bootstrap\(\.\.\.\), a number of draws \(an integer of at least 2\) or "
                       r"None \(got "):
        mediate(trial, treatment="a", mediators="m", outcome="y", site="site", inference=bad)


def test_mediate_inference_integer_is_monte_carlo_draws(trial):
    kw = dict(treatment="a", mediators="m", outcome="y", site="site", seed=3)
    with pytest.warns(Warning):  # 12 sites: FewClustersWarning
        as_int = mediate(trial, **kw, inference=200)
        as_obj = mediate(trial, **kw, inference=MonteCarlo(draws=200))
    assert as_int.to_frame().equals(as_obj.to_frame())
    assert "(200 draws)" in as_int.method
    with pytest.raises(ArgumentError, match="`draws` must be an integer of at least 2"):
        Bootstrap(draws=1)
