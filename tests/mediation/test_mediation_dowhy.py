"""Linear single-mediator case against DoWhy's two-stage regression estimator (Baron & Kenny
product of coefficients, `mediation.two_stage_regression`)."""

from __future__ import annotations

import warnings

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from facmech.mediation import mediate


@pytest.fixture(scope="module")
def linear_data() -> pd.DataFrame:
    rng = np.random.default_rng(2024)
    n = 600
    x = rng.normal(size=n)
    a = rng.integers(0, 2, n).astype(float)
    m = 0.5 * a + 0.3 * x + rng.normal(size=n)
    y = 0.2 * a + 0.7 * m + 0.4 * x + rng.normal(size=n)
    return pd.DataFrame({"x": x, "a": a, "m": m, "y": y})


def test_matches_dowhy_two_stage_regression(linear_data):
    from dowhy import CausalModel
    from dowhy.causal_estimators.linear_regression_estimator import LinearRegressionEstimator

    G = nx.DiGraph([("x", "a"), ("x", "m"), ("x", "y"), ("a", "m"), ("m", "y"), ("a", "y")])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = CausalModel(data=linear_data, treatment="a", outcome="y", graph=G)
        values = {}
        for name, kind in (("nie", "nonparametric-nie"), ("nde", "nonparametric-nde")):
            estimand = model.identify_effect(estimand_type=kind)
            values[name] = model.estimate_effect(
                estimand, method_name="mediation.two_stage_regression",
                confidence_intervals=False, test_significance=False,
                method_params={"first_stage_model": LinearRegressionEstimator,
                               "second_stage_model": LinearRegressionEstimator},
            ).value
    res = mediate(linear_data, treatment="a", mediators="m", outcome="y", covariates=["x"],
                  inference=None, graph=G)
    assert res["nie"].estimate == pytest.approx(values["nie"], abs=1e-8)
    assert res["nde"].estimate == pytest.approx(values["nde"], abs=1e-8)


def test_linear_effects_equal_ols_products(linear_data):
    import statsmodels.formula.api as smf

    a_hat = smf.ols("m ~ a + x", data=linear_data).fit().params["a"]
    out = smf.ols("y ~ a + m + x", data=linear_data).fit().params
    total = smf.ols("y ~ a + x", data=linear_data).fit().params["a"]
    res = mediate(linear_data, treatment="a", mediators="m", outcome="y", covariates=["x"],
                  inference=None)
    assert res["nie"].estimate == pytest.approx(a_hat * out["m"], abs=1e-10)
    assert res["nde"].estimate == pytest.approx(out["a"], abs=1e-10)
    # linear case: total = c + a*b equals the total-effect regression coefficient exactly
    assert res["total"].estimate == pytest.approx(total, abs=1e-10)
