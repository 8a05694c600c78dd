"""Time-varying confounders read off the unrolled built-in facilitation map (Kilbourne et al. 2023,
Fig. 2 as reconstructed in facmech/maps): the feedback loop leadership_engagement -> facilitation
(lag 1) and facilitation -> leadership_engagement makes last period's engagement a confounder of
this period's facilitation that earlier facilitation affects."""

from __future__ import annotations

import pytest

from facmech.errors import UnknownNodeError
from facmech.formats import load_map
from facmech.gmethods.confounders import time_varying_confounders


@pytest.fixture(scope="module")
def fmap():
    return load_map("facilitation")


def test_builtin_map_feedback_confounders(fmap):
    rep = time_varying_confounders(fmap, treatment="facilitation", outcome="uptake", periods=3)
    by = rep.by_period()
    assert by[0] == ()  # nothing precedes the first facilitation but context
    assert by[1] == ("leadership_engagement_t0",)
    assert "leadership_engagement_t1" in by[2]
    p1 = rep.periods[1]
    assert p1.affected_by_treatment == ("leadership_engagement_t0",)  # facilitation_t0 -> it
    assert rep.feedback and rep.identified and rep.timing == "after"
    assert "leadership_engagement" in rep.columns
    assert {"inner_context", "outer_context"} <= set(rep.baseline)


def test_unmeasured_leadership_breaks_sequential_exchangeability(fmap):
    rep = time_varying_confounders(fmap.with_latent(["leadership_engagement"]), periods=3)
    assert not rep.identified
    assert "leadership_engagement_t0" in rep.periods[1].latent
    assert rep.periods[0].sequentially_exchangeable  # period 0: only context precedes it


def test_already_unrolled_map_and_unknown_node(fmap):
    rep = time_varying_confounders(fmap.unroll(2), periods=99)
    assert len(rep.periods) == 2
    with pytest.raises(UnknownNodeError, match=r"`outcome` 'uptak'.*Did you mean 'uptake'"):
        time_varying_confounders(fmap, outcome="uptak")


def test_gmethods_consume_the_joint_identification():
    """gformula/msm take identify(unrolled DAG, [A_t0, A_t1], Y): What If (Hernan & Robins 2020,
    Fig. 20.3-like) DAG A_t0 -> L_t1 -> A_t1, unmeasured U -> L_t1, U -> Y: identified by the ID
    algorithm (the g-formula's functional); the estimates are unchanged and carry its assumptions."""
    import networkx as nx
    import numpy as np
    import pandas as pd

    from facmech.errors import ArgumentError, NotIdentifiedError
    from facmech.gmethods import gformula, msm
    from facmech.identification import identify

    rng = np.random.default_rng(0)
    n = 400
    a0 = rng.integers(0, 2, n).astype(float)
    u = rng.normal(size=n)
    l1 = (0.8 * a0 + u + rng.normal(size=n) > 0.5).astype(float)
    a1 = (rng.random(n) < 0.3 + 0.4 * l1).astype(float)
    y = 1.0 + 0.5 * a0 + 0.5 * a1 + u + rng.normal(size=n)
    df = pd.DataFrame({"id": np.repeat(np.arange(n), 2), "t": np.tile([0, 1], n),
                       "A": np.column_stack([a0, a1]).ravel(),
                       "L": np.column_stack([np.zeros(n), l1]).ravel(),
                       "Y": np.column_stack([np.full(n, np.nan), y]).ravel()})
    g = nx.DiGraph([("A_t0", "L_t1"), ("L_t1", "A_t1"), ("U", "L_t1"), ("U", "Y"),
                    ("A_t0", "Y"), ("A_t1", "Y")])
    ident = identify(g, ["A_t0", "A_t1"], "Y", latent=["U"])
    assert ident.identifiable and ident.strategy.value == "id"
    kw = dict(site="id", period="t", treatment="A", confounders="L", outcome="Y", inference=None)
    plain = gformula(df, method="ice", **kw)
    with_id = gformula(df, method="ice", identification=ident, **kw)
    assert with_id.contrast.estimate == pytest.approx(plain.contrast.estimate, abs=1e-12)
    assert with_id.assumptions == ident.assumptions and plain.assumptions == ()
    assert with_id.identification is ident
    assert msm(df, identification=ident, **kw).assumptions == ident.assumptions
    # the sustained contrast (always - never) is the true 0.5 + 0.5 within Monte Carlo error
    assert with_id.contrast.estimate == pytest.approx(1.0, abs=0.35)
    bad = nx.DiGraph([*g.edges, ("U", "A_t1")])  # A_t1 confounded with Y through U
    with pytest.raises(NotIdentifiedError, match="strategies on Y is not identified"):
        gformula(df, identification=identify(bad, ["A_t0", "A_t1"], "Y", latent=["U"]), **kw)
    with pytest.raises(ArgumentError, match="not the copies of 'L'"):
        gformula(df, identification=ident, **{**kw, "treatment": "L", "confounders": "A"})
    with pytest.raises(ArgumentError, match="total-effect record"):
        gformula(df, identification=identify(g, "A_t0", "Y", effect="nie", mediators=["L_t1"],
                                             latent=["U"]), **kw)
