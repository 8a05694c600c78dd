"""The truth: closed forms by hand, analytic vs shared-noise simulation, feedback, SMART."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from facmech.errors import DesignError
from facmech.mechanism_map import Edge
from facmech.simulation import (
    DoseRule,
    Observational,
    ParallelCRT,
    Scenario,
    SteppedWedge,
    analytic_effects,
    default_paths,
    simulate,
    true_effects,
)

from .conftest import small_map

LINEAR = DoseRule(base=1.0, taper=0.2, sd=0.2, floor=None)


def _small(**kw):
    base = dict(outcome="y", mediators=("m",), dose=DoseRule(base=2.0, sd=0.0, floor=None),
                patient_covariates={"age": 0.2}, feedback=0.0)
    base.update(kw)
    return Scenario(**base)


def test_hand_computed_chain() -> None:
    # f -> m -> y with dose 2: total = 2 * a * b (Wright's path tracing), all of it indirect
    s = _small(map=small_map(), coefficients={"f->m": 0.5, "m->y": 0.8})
    t = true_effects(s, ParallelCRT(sites=10, patients=4), sites=400)
    assert t["total"] == pytest.approx(2 * 0.5 * 0.8, abs=1e-12)  # homogeneous: no MC error
    assert t["nde"] == pytest.approx(0.0, abs=1e-12)
    assert t["nie"] == pytest.approx(0.8, abs=1e-12)
    assert t["analytic"]["total"] == pytest.approx(0.8, abs=1e-12)
    assert t["paths"] == {"f>m>y": pytest.approx(0.8, abs=1e-12)}
    assert t["total_exposed"] == pytest.approx(0.8, abs=1e-12)  # homogeneous effect
    assert t["sustained_from_period_1"] is None  # one period


def test_hand_computed_sustained_from_period_1() -> None:
    # dose 2 from period 1 on, chain 0.5 x 0.8: contrast 0 in period 0 and 0.8 in period 1
    s = _small(map=small_map(), coefficients={"f->m": 0.5, "m->y": 0.8})
    t = true_effects(s, SteppedWedge(sites=4, steps=1, patients=3), sites=300)
    assert t["sustained_from_period_1"]["contrast"] == pytest.approx(0.4, abs=1e-12)
    assert t["sustained"]["contrast"] == pytest.approx(0.8, abs=1e-12)
    assert t["sustained_final"]["contrast"] == pytest.approx(0.8, abs=1e-12)
    # the stepped wedge (1 step: everyone crosses at period 1) exposes period 1 only
    assert t["total_exposed"] == pytest.approx(0.8, abs=1e-12)


def test_hand_computed_direct_and_lagged() -> None:
    # add f -> y (0.3) and m -> y at lag 1 (0.25), two periods, dose 2 each period:
    # period 0: 2*(0.5*0.8 + 0.3) = 1.4; period 1: 1.4 + 2*0.5*0.25 = 1.65; mean 1.525
    m = small_map(direct=0.3, lagged=True)
    s = _small(map=m, coefficients={"f->m": 0.5, "m->y[lag0]": 0.8, "f->y": 0.3, "m->y[lag1]": 0.25})
    t = true_effects(s, ParallelCRT(sites=10, patients=4, periods=2), sites=400)
    assert t["total"] == pytest.approx(1.525, abs=1e-12)
    assert t["by_period"]["total"] == pytest.approx([1.4, 1.65], abs=1e-12)
    assert t["nde"] == pytest.approx(0.6, abs=1e-12)  # 2 * 0.3 in both periods
    assert t["nie"] == pytest.approx(0.925, abs=1e-12)
    assert t["paths"]["f>y"] == pytest.approx(0.6, abs=1e-12)
    assert t["paths"]["f>m>y"] == pytest.approx(0.925, abs=1e-12)
    a = t["analytic"]
    assert (a["total"], a["nde"], a["nie"]) == pytest.approx((1.525, 0.6, 0.925), abs=1e-12)


@pytest.mark.parametrize(
    "design",
    [ParallelCRT(sites=10, patients=5, periods=4), SteppedWedge(sites=12, steps=3, patients=6),
     Observational(sites=10, patients=5, periods=3)],
    ids=["parallel", "stepped-wedge", "observational"],
)
def test_analytic_agrees_with_simulated_truth(design) -> None:
    # feedback on: the dose depends on last period's leadership engagement (heterogeneous effects)
    s = Scenario(dose=LINEAR, feedback=0.5, trend=0.1, mediators=("trust",))
    t = true_effects(s, design, sites=3000)
    a, se = t["analytic"], t["mc_se"]
    assert a["available"] is True
    assert min(se["total"], se["nde"], se["nie"]) > 0
    for key in ("total", "nde", "nie"):
        assert abs(t[key] - a[key]) < 4 * se[key], key
    assert t["sustained"]["contrast"] == pytest.approx(a["sustained"]["contrast"], abs=1e-10)
    for path, value in a["paths"].items():
        assert abs(t["paths"][path] - value) < 4 * se["paths"][path] + 1e-12, path
    # the design's rollout in its exposed site-periods: heterogeneous (feedback), different mixture
    assert se["total_exposed"] > 0
    if design.name == "parallel":  # randomized sites, all periods: same estimand as total
        assert abs(t["total_exposed"] - t["total"]) < 4 * np.hypot(se["total"], se["total_exposed"])
    # every simple path from facilitation to the outcome is reported
    assert set(a["paths"]) == set(default_paths(s))


def test_paths_sum_to_total_without_feedback_in_one_period() -> None:
    # linear SEM, one period, no feedback: the total effect is the sum over all directed paths
    s = Scenario(dose=LINEAR, feedback=0.0)
    a = analytic_effects(s, ParallelCRT(sites=4, patients=2), mediators=("trust",),
                         paths=[tuple(p.split(">")) for p in default_paths(s)])
    assert sum(a.paths.values()) == pytest.approx(a.total, rel=1e-12)


def test_nde_plus_nie_is_total_and_json() -> None:
    t = simulate("zambia", seed=1).truth
    assert t["nde"] + t["nie"] == pytest.approx(t["total"], abs=1e-12)
    d = t.to_dict()
    for key in ("total", "nde", "nie", "paths", "sustained"):
        assert key in d
    assert set(d["sustained"]) >= {"always", "never", "contrast"}
    assert all(">" in k for k in d["paths"])
    assert d["analytic"]["available"] is False  # binary uptake, dose floor
    assert t["total"] > 0


def test_patient_level_mediator_and_frame() -> None:
    # every path from facilitation to patient_outcomes runs through uptake (built-in map): with
    # uptake as the mediator the natural direct effect is exactly 0 (shared noise)
    s = Scenario()
    t = true_effects(s, ParallelCRT(sites=4, patients=3, periods=2), mediators=("uptake",),
                     sites=300)
    assert t["nde"] == 0.0 and t["nie"] == pytest.approx(t["total"], abs=1e-12)
    frame = t.to_frame()
    assert list(frame.columns) == ["truth", "mc_se"]
    assert frame.loc["total", "truth"] == t["total"]
    assert len([i for i in frame.index if i.startswith("path:")]) == len(t["paths"])


def test_truth_same_for_every_trial_seed() -> None:
    a = simulate("vha", seed=1).truth.to_dict()
    b = simulate("vha", seed=2).truth.to_dict()
    assert a == b


def test_feedback_changes_regression_bias_not_the_truth() -> None:
    """With feedback on, adjusting for leadership engagement is biased for the sustained effect."""
    # sites randomized to facilitation from period 0 (confounding 0); the dose adapts within site
    design = Observational(sites=1000, patients=10, periods=6, confounding=0.0)
    truths, adjusted_z, randomized_z = {}, {}, {}
    for fb in (0.0, 1.0):
        s = Scenario(dose=DoseRule(base=1.0, sd=0.3, floor=None), feedback=fb, icc=0.05)
        truths[fb] = true_effects(s, design, sites=1000, analytic=False)["sustained"]["contrast"]
        sp = simulate(s, design, seed=4, truth=False).site_periods.sort_values(["site", "period"])
        # the usual "adjust for the confounder" analysis: outcome on cumulative dose and current
        # measured leadership engagement, period effects, cluster-robust SEs
        sp = sp.assign(cum_dose=sp.groupby("site")["facilitation"].cumsum())
        X = sm.add_constant(sp[["cum_dose", "leadership_engagement"]].assign(
            **{f"p{t}": (sp.period == t).astype(float) for t in range(1, 6)}))
        fit = sm.OLS(sp["patient_outcomes"], X).fit(cov_type="cluster",
                                                    cov_kwds={"groups": sp["site"]})
        scale = np.mean(np.arange(1, 7))  # always-vs-never: mean cumulative dose over periods
        adjusted_z[fb] = (fit.params["cum_dose"] * scale - truths[fb]) / (fit.bse["cum_dose"] * scale)
        # the randomized comparison of site means
        site = sp.groupby("site")[["patient_outcomes", "exposed"]].mean()
        rfit = sm.OLS(site["patient_outcomes"], sm.add_constant(site["exposed"])).fit(cov_type="HC1")
        randomized_z[fb] = (rfit.params["exposed"] - truths[fb]) / rfit.bse["exposed"]
    assert truths[0.0] == pytest.approx(truths[1.0], abs=1e-12)  # strategies fix the dose
    assert abs(adjusted_z[1.0]) > 4  # measured: z = -6.6 (adjustment blocks mediated effects)
    # without feedback the dose does not respond to leadership: the randomized comparison of the
    # natural rule (mean dose = dose.base) recovers the always-vs-never contrast (measured z = 0.4)
    assert abs(randomized_z[0.0]) < 3
    # with feedback the natural rule's dose grows with engagement: the comparison no longer targets it
    assert randomized_z[1.0] > 4  # measured z = 7.3


def test_smart_truth_among_non_responders() -> None:
    # AIM: sites receiving external facilitation did better than external + internal
    # (Kilbourne et al. 2023, vignette 2); the scenario encodes it, the truth must show it
    t = simulate("aim", seed=1).truth
    assert t["total"] < 0
    assert t["nde"] + t["nie"] == pytest.approx(t["total"], abs=1e-12)
    assert t["analytic"]["available"] is False


def test_truth_bad_input() -> None:
    s = Scenario()
    d = ParallelCRT(sites=4, patients=2)
    with pytest.raises(Exception, match="unknown node 'trsut'"):
        true_effects(s, d, mediators=("trsut",), sites=10)
    with pytest.raises(DesignError, match="cannot be a mediator"):
        true_effects(s, d, mediators=("facilitation",), sites=10)
    with pytest.raises(DesignError, match="no map edge trust -> uptake"):
        true_effects(s, d, paths=("facilitation>problem_solving>capacity>trust>uptake",), sites=10)
    with pytest.raises(DesignError, match="`sites` of the truth population"):
        true_effects(s, d, sites=1)


@pytest.mark.parametrize("draw", [0, 1, 2])
def test_analytic_agrees_on_random_linear_scenarios(draw) -> None:
    # random coefficients on every edge of the built-in map (seeded), random dose rule and feedback
    rng = np.random.default_rng(100 + draw)
    base = Scenario()
    # magnitudes 0.4-0.9 (lag 0) and 0.2-0.4 (lag 1), random signs: effects of a visible size
    coefs = {f"{e.source}->{e.target}[lag{e.lag}]":
             float(rng.choice([-1, 1]) * (rng.uniform(0.4, 0.9) if e.lag == 0
                                          else rng.uniform(0.2, 0.4)))
             for e in base.map.edges}
    s = Scenario(coefficients=coefs, feedback=float(rng.uniform(0, 1)),
                 dose=DoseRule(base=float(rng.uniform(0.5, 2)), taper=float(rng.uniform(0, 0.5)),
                               sd=0.3, floor=None),
                 mediators=("trust",), trend=0.05)
    design = ParallelCRT(sites=10, patients=3, periods=int(rng.integers(2, 5)))
    t = true_effects(s, design, sites=2000)
    a, se = t["analytic"], t["mc_se"]
    assert min(abs(a["nde"]), abs(a["nie"])) > 0.005  # both parts non-trivial
    for key in ("total", "nde", "nie"):
        assert abs(t[key] - a[key]) < 4 * se[key] + 1e-12, key
    for path, value in a["paths"].items():
        assert abs(t["paths"][path] - value) < 4 * se["paths"][path] + 1e-12, path
    assert t["sustained"]["contrast"] == pytest.approx(a["sustained"]["contrast"], abs=1e-10)


def test_truth_cache_same_numbers_keyed_on_content_and_bounded(monkeypatch) -> None:
    """The cached truth equals the uncached computation; any change of what the truth depends on
    (a coefficient, the map, the design, the mediators) misses the cache; the cache is bounded."""
    from facmech.simulation import truth as truth_mod
    from facmech.simulation.truth import Truth, _true_effects, clear_truth_cache

    sc, design = Scenario(), SteppedWedge(sites=8, steps=4, patients=3)
    clear_truth_cache()
    first = true_effects(sc, design, sites=60, paths=())
    direct = _true_effects(sc, design, mediators=None, paths=(), sites=60, seed=20230553,
                           analytic=True)
    assert first.to_json() == Truth(direct).to_json()
    again = true_effects(sc, design, sites=60, paths=())
    assert again.to_json() == first.to_json() and again is not first
    again.values["total"] = 99.0  # a caller's copy: the cache is not touched
    assert true_effects(sc, design, sites=60, paths=())["total"] == first["total"]
    assert len(truth_mod._CACHE) == 1
    changed = [
        true_effects(sc.replace(feedback=0.1), design, sites=60, paths=()),
        true_effects(sc.replace(coefficients={"facilitation->problem_solving": 0.9}), design,
                     sites=60, paths=()),
        true_effects(sc, SteppedWedge(sites=8, steps=4, patients=4), sites=60, paths=()),
        true_effects(sc, design, sites=60, paths=(), mediators=("trust",)),
        true_effects(Scenario(map=sc.map.with_edges(
            (*sc.map.edges, Edge("facilitation", "trust")))), design, sites=60, paths=()),
    ]
    assert len(truth_mod._CACHE) == 6
    assert len({(c["total"], c["nie"]) for c in changed} | {(first["total"], first["nie"])}) == 6
    monkeypatch.setattr(truth_mod, "TRUTH_CACHE_SIZE", 2)
    true_effects(sc, design, sites=60, paths=())  # a hit: now the most recent
    true_effects(sc, design, sites=61, paths=())  # a miss: the others but the last 2 dropped
    assert len(truth_mod._CACHE) == 2
    assert _key(sc, design, 60) in truth_mod._CACHE and _key(sc, design, 61) in truth_mod._CACHE
    clear_truth_cache()
    assert not truth_mod._CACHE


def _key(sc, design, sites):
    from facmech.simulation.truth import _cache_key

    return _cache_key(sc, design, None, (), sites, 20230553, True)
