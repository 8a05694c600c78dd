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
