"""The hand-over of facmech's identification to DoWhy: CausalModel + IdentifiedEstimand, estimated
and refuted by DoWhy itself.

References are independent of the hand-over: statsmodels OLS (the regression the identification
implies), facmech.mediate's total effect (its own batched fit), the closed-form Wald ratio and
statsmodels' 2SLS, and the true effects of the simulated linear structural models (each checked
within 4 standard errors).
"""

from __future__ import annotations

import copy
import logging

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from facmech.errors import ArgumentError, DataError, NotIdentifiedError
from facmech.identification import identify

pytest.importorskip("dowhy")
smf = pytest.importorskip("statsmodels.formula.api")


@pytest.fixture(scope="module")
def backdoor_data() -> tuple[nx.DiGraph, pd.DataFrame]:
    """c -> x, c -> y, x -> m -> y, x -> y; total effect of x = 0.3 + 0.6 * 0.5 = 0.6."""
    rng = np.random.default_rng(11)
    n = 3000
    c = rng.normal(size=n)
    x = (0.8 * c + rng.normal(size=n) > 0).astype(float)
    m = 0.6 * x + 0.4 * c + rng.normal(size=n)
    y = 0.3 * x + 0.5 * m + 0.7 * c + rng.normal(size=n)
    g = nx.DiGraph([("c", "x"), ("c", "m"), ("c", "y"), ("x", "m"), ("m", "y"), ("x", "y")])
    return g, pd.DataFrame({"c": c, "x": x, "m": m, "y": y})


def test_backdoor_estimate_equals_facmech_total(backdoor_data):
    from facmech.mediation import mediate

    g, df = backdoor_data
    before = df.copy()
    ident = identify(g, "x", "y")
    assert ident.adjustment_sets == (("c",),)
    h = ident.to_dowhy(df)
    assert h.estimand.get_backdoor_variables() == ["c"]
    # DoWhy runs on facmech's estimand exactly as on its own
    est = h.model.estimate_effect(copy.deepcopy(h.estimand),
                                  method_name="backdoor.linear_regression")
    total = mediate(df, treatment="x", mediators="m", outcome="y", covariates=["c"], graph=g,
                    inference=None)["total"].estimate
    ols = smf.ols("y ~ x + c", data=df).fit()
    assert est.value == pytest.approx(total, abs=1e-8)
    assert est.value == pytest.approx(ols.params["x"], abs=1e-8)
    assert abs(est.value - 0.6) < 4 * ols.bse["x"]
    assert h.estimate().value == pytest.approx(est.value, abs=1e-12)
    pd.testing.assert_frame_equal(df, before)  # the caller's frame is not modified


def test_estimand_carries_facmechs_assumptions(backdoor_data):
    g, df = backdoor_data
    ident = identify(g, "x", "y")
    h = ident.to_dowhy(df)
    texts = set(h.estimand.estimands["backdoor"]["assumptions"].values())
    assert texts == {a.text for a in ident.assumptions}
    assert "no-unmeasured-confounding" in h.estimand.estimands["backdoor"]["assumptions"]
    assert "no unmeasured confounding of x and y given {c}" in str(h.estimand)


def test_dowhy_refuters_run_on_the_handover(backdoor_data):
    g, df = backdoor_data
    h = identify(g, "x", "y").to_dowhy(df)
    est = h.estimate()
    # DoWhy's own call on facmech's estimand
    rcc = h.model.refute_estimate(copy.deepcopy(h.estimand), est, method_name="random_common_cause",
                                  num_simulations=10, random_state=1)
    assert rcc.new_effect == pytest.approx(est.value, abs=0.01)
    ref = h.refute(est, simulations=20, seed=3)
    frame = ref.to_frame()
    assert list(frame.index.get_level_values("refuter")) == [
        "placebo_treatment_refuter", "random_common_cause", "data_subset_refuter"]
    se = smf.ols("y ~ x + c", data=df).fit().bse["x"]
    assert abs(frame.loc[("placebo_treatment_refuter", "total"), "new_effect"]) < 4 * se
    assert frame.loc[("random_common_cause", "total"), "new_effect"] == pytest.approx(
        est.value, abs=0.01)
    assert frame.loc[("data_subset_refuter", "total"), "new_effect"] == pytest.approx(
        est.value, abs=2 * se)
    assert ref.passed
    again = h.refute(est, simulations=20, seed=3).to_frame()
    pd.testing.assert_frame_equal(frame, again)  # the seed fixes DoWhy's random states


def test_calls_leave_the_users_logging_alone(backdoor_data):
    g, df = backdoor_data
    root = logging.getLogger()
    dowhy_log = logging.getLogger("dowhy.causal_refuter")
    dowhy_log.setLevel(logging.INFO)
    state = (root.level, list(root.handlers), logging.root.manager.disable, dowhy_log.level)
    h = identify(g, "x", "y", cross_check="dowhy").to_dowhy(df)
    h.refute(simulations=10, methods=["data_subset_refuter"], seed=1)
    assert state == (root.level, list(root.handlers), logging.root.manager.disable,
                     dowhy_log.level)
    dowhy_log.setLevel(logging.NOTSET)


def test_frontdoor_estimate_equals_the_implied_regressions():
    from facmech.mediation import mediate

    rng = np.random.default_rng(5)
    n = 4000
    u = rng.normal(size=n)
    x = (u + rng.normal(size=n) > 0).astype(float)
    m = 0.8 * x + rng.normal(size=n)
    y = 0.5 * m + u + rng.normal(size=n)  # total effect of x: 0.8 * 0.5 = 0.4
    df = pd.DataFrame({"x": x, "m": m, "y": y, "u": u})  # u in the data but latent in the map
    g = nx.DiGraph([("u", "x"), ("u", "y"), ("x", "m"), ("m", "y")])
    ident = identify(g, "x", "y", latent=["u"])
    assert ident.strategy.value == "frontdoor"
    h = ident.to_dowhy(df)
    assert "u" not in h.model._data.columns  # latent nodes are not handed over as observed
    est = h.model.estimate_effect(h.copy_estimand(), method_name="frontdoor.two_stage_regression")
    a = smf.ols("m ~ x", data=df).fit().params["x"]
    b = smf.ols("y ~ m + x", data=df).fit().params["m"]
    assert est.value == pytest.approx(a * b, abs=1e-8)
    # the front-door functional in a linear model is facmech's indirect effect through m
    nie = mediate(df, treatment="x", mediators="m", outcome="y", inference=None)["nie"].estimate
    assert est.value == pytest.approx(nie, abs=1e-8)
    assert est.value == pytest.approx(0.4, abs=0.05)
    naive = smf.ols("y ~ x", data=df).fit().params["x"]
    assert abs(naive - 0.4) > 0.5  # confounded: the front door is what gets it right


def test_iv_estimate_equals_wald_ratio_and_2sls():
    from statsmodels.sandbox.regression.gmm import IV2SLS

    rng = np.random.default_rng(9)
    n = 5000
    z = rng.integers(0, 2, n).astype(float)
    u = rng.normal(size=n)
    x = 0.9 * z + u + rng.normal(size=n)
    y = 0.7 * x + 1.2 * u + rng.normal(size=n)
    df = pd.DataFrame({"z": z, "x": x, "y": y})
    g = nx.DiGraph([("z", "x"), ("x", "y"), ("u", "x"), ("u", "y")])
    ident = identify(g, "x", "y", latent=["u"])
    assert not ident.identifiable and ident.strategy.value == "iv"
    h = ident.to_dowhy(df)
    assert h.method == "iv.instrumental_variable"
    est = h.model.estimate_effect(copy.deepcopy(h.estimand), method_name=h.method)
    wald = (df.y[z == 1].mean() - df.y[z == 0].mean()) / (df.x[z == 1].mean() - df.x[z == 0].mean())
    exog = np.column_stack([np.ones(n), x])
    tsls = IV2SLS(y, exog, np.column_stack([np.ones(n), z])).fit()
    assert est.value == pytest.approx(wald, abs=1e-10)
    assert est.value == pytest.approx(tsls.params[1], abs=1e-8)
    assert abs(est.value - 0.7) < 4 * tsls.bse[1]
    assert "parametric" in h.estimand.estimands["iv"]["assumptions"]


def test_unrolled_map_handover():
    """Effect of the second period's facilitation on uptake in the built-in map unrolled over two
    periods, confounded by the first period's leadership engagement; a linear SEM on the unrolled
    DAG gives the truth ((I - B)^-1)."""
    from facmech.formats import load_map

    mmap = load_map("facilitation").unroll(2)
    g = mmap.to_networkx()
    order = list(nx.topological_sort(g))
    rng = np.random.default_rng(2)
    coef = {e: rng.uniform(0.3, 0.8) for e in g.edges}
    n = 4000
    values: dict[str, np.ndarray] = {}
    for v in order:
        values[v] = rng.normal(size=n) + sum(coef[(p, v)] * values[p] for p in g.predecessors(v))
    df = pd.DataFrame(values)
    B = np.zeros((len(order), len(order)))
    idx = {v: i for i, v in enumerate(order)}
    for (a, b), c in coef.items():
        B[idx[b], idx[a]] = c
    truth = np.linalg.inv(np.eye(len(order)) - B)[idx["uptake"], idx["facilitation_t1"]]
    ident = identify(mmap, "facilitation_t1", "uptake")
    z = list(ident.adjustment_sets[0])
    assert "leadership_engagement_t0" in z
    h = ident.to_dowhy(df)
    assert not set(h.model._data.columns) & set(mmap.latent_ids)
    est = h.estimate()  # the adjustment regression (no effect modifiers)
    ols = smf.ols("uptake ~ facilitation_t1 + " + " + ".join(z), data=df).fit()
    assert est.value == pytest.approx(ols.params["facilitation_t1"], abs=1e-8)
    assert abs(est.value - truth) < 4 * ols.bse["facilitation_t1"]
    # DoWhy's default adds treatment-by-modifier terms (no modifier main effects) for the
    # outcome's ancestors off the treatment's causal paths; its average effect is that model's
    mods = sorted(m for m in h.model._graph.get_effect_modifiers(["facilitation_t1"], ["uptake"])
                  if m in h.model._data.columns)  # DoWhy keeps the measured ones
    assert mods
    full = h.model.estimate_effect(h.copy_estimand(), method_name="backdoor.linear_regression")
    inter = smf.ols("uptake ~ facilitation_t1 + " + " + ".join(z) + " + "
                    + " + ".join(f"facilitation_t1:{m}" for m in mods), data=df).fit()
    ate = inter.params["facilitation_t1"] + sum(
        inter.params[f"facilitation_t1:{m}"] * df[m].mean() for m in mods)
    assert full.value == pytest.approx(ate, abs=1e-8)


def test_custom_adjustment_set_and_invalid_one(backdoor_data):
    g, df = backdoor_data
    g2 = g.copy()
    g2.add_edges_from([("d", "c")])
    df2 = df.assign(d=df["c"] + np.random.default_rng(0).normal(size=len(df)))
    ident = identify(g2, "x", "y")
    h = ident.to_dowhy(df2, adjustment=["d", "c"])
    assert sorted(h.estimand.get_backdoor_variables()) == ["c", "d"]
    with pytest.raises(NotIdentifiedError, match=r"not a valid adjustment set.*x - c - y"):
        ident.to_dowhy(df2, adjustment=["d"])
    with pytest.raises(ArgumentError, match="not a measured node"):
        ident.to_dowhy(df2, adjustment=["nope"])


def test_refusals(backdoor_data, napkin_graph):
    g, df = backdoor_data
    with pytest.raises(DataError, match="missing column"):
        identify(g, "x", "y").to_dowhy(df.drop(columns="c"))
    with pytest.raises(ArgumentError, match="total effects"):
        identify(g, "x", "y", effect="nie", mediators=["m"]).to_dowhy(df)
    nap, latent = napkin_graph
    with pytest.raises(NotIdentifiedError, match="no estimator for that functional"):
        identify(nap, "x", "y", latent=latent).to_dowhy(pd.DataFrame({"x": [0.0]}))
    bow = nx.DiGraph([("u", "x"), ("u", "y"), ("x", "y")])
    with pytest.raises(NotIdentifiedError, match="nothing to hand over"):
        identify(bow, "x", "y", latent=["u"]).to_dowhy(df)
    h = identify(g, "x", "y").to_dowhy(df)
    with pytest.raises(ArgumentError, match="`method`"):
        h.estimate(method="iv.instrumental_variable")
    with pytest.raises(ArgumentError, match="`methods`"):
        h.refute(methods=["bootstrap_refuter"])
