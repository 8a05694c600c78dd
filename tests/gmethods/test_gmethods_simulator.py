"""g-methods on facmech.simulation's adaptive-dose Zambia-like scenario, against its truth.

In the simulator facilitation in period t follows last period's leadership engagement (dose rule
with feedback; Kilbourne et al. 2023, Zambia vignette), so confounders are measured *after*
treatment within a period (``timing="after"``), and ``truth["sustained"]`` averages the outcome over
all site-periods (``outcome_at="mean"``). The linear variant (continuous nodes, no dose floor) makes
the g-formula's linear models correctly specified; see simulations/gmethods/ for replicated bias and
coverage, including the default (non-linear) scenario.
"""

from __future__ import annotations

import pytest

from facmech.gmethods import gformula
from facmech.gmethods.naive import naive_regression
from facmech.simulation import DoseRule, ParallelCRT, load_scenario, simulate

KW = dict(site="site", period="period", treatment="facilitation",
          confounders=["leadership_engagement"], outcome="patient_outcomes", patient="patient",
          timing="after", outcome_at="mean")


@pytest.fixture(scope="module")
def trial():
    zambia = load_scenario("zambia")
    linear = zambia.replace(types={}, dose=DoseRule(base=1.5, taper=0.25, sd=0.2, floor=None))
    return simulate(linear, ParallelCRT(sites=300, patients=10, periods=4), seed=7)


@pytest.mark.parametrize("method", ["parametric", "ice"])
def test_sustained_and_dynamic_strategies_recover_the_truth(trial, method):
    truth = trial.truth["sustained"]
    res = gformula(trial.data, **KW, method=method, inference=200, seed=1,
                   strategies=["always:1.5", "never", "dynamic:leadership_engagement>=0:1.5"])
    c = res.contrast
    assert c.ci_low <= truth["contrast"] <= c.ci_high
    assert c.estimate == pytest.approx(truth["contrast"], abs=3 * c.std_error)
    dyn = res.contrasts["dynamic:leadership_engagement>=0:1.5 - never"]
    assert dyn.ci_low <= truth["dynamic_contrast"] <= dyn.ci_high


def test_naive_adjustment_for_leadership_is_biased(trial):
    truth = trial.truth["sustained"]["contrast"]
    naive = naive_regression(trial.data, **KW, level=1.5, inference=200, seed=1)
    assert naive.ci_high < truth  # adjusting for leadership engagement blocks part of the effect
