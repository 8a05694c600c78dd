"""test_implications on period data (time=): calibration on trials simulated from the true map,
power against a wrong one, the result's content, and bad input.

The calibration reference is the simulator itself: data drawn from the built-in map must satisfy
every claim of the map, so the family-wise rejection rate must stay at alpha (plus Monte Carlo error).
The full tables (each built-in scenario, 24 and 120 sites, 200 trials) are in
simulations/mapcheck/results.md; this is the CI-sized version.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from facmech import load_map
from facmech.cli import main
from facmech.errors import ArgumentError, DataError, FacmechError, FewClustersWarning, MapError
from facmech.identification import test_implications
from facmech.identification.period_implications import PeriodDesign
from facmech.maps import Edge
from facmech.simulation import SteppedWedge, load_scenario, simulate


def _check(trial, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        return test_implications(load_map(), trial.data, site="site", period="period", **kw)


@pytest.fixture(scope="module")
def trial():
    return simulate("zambia", SteppedWedge(sites=24, steps=4, patients=10), seed=12, truth=False,
                    surveys=True)


def test_old_check_rejects_the_true_map_new_one_does_not():
    # issue 12: the rolled map's implications tested on the rows as given reject data simulated
    # from the map itself at 120 sites; unrolled over the periods, with the design, they do not.
    # The same 8 trials (fixed seeds) for both.
    old = new = 0
    for seed in range(8):
        tr = simulate("zambia", SteppedWedge(sites=120, steps=4, patients=20), seed=100 + seed,
                      truth=False)
        old += test_implications(load_map(), tr.data, site="site").falsified
        new += test_implications(load_map(), tr.data, site="site", period="period",
                                 design="step").falsified
    assert old >= 4  # 0.67-0.77 in 30-trial runs (simulations/mapcheck/diagnosis.md)
    assert new <= 1


def test_calibrated_on_the_true_map_ci_sized():
    # 40 Zambia-like trials at 24 sites, both modes: family-wise rate <= alpha + 2 MC SE (0.119)
    reps = 40
    bound = 0.05 + 2 * np.sqrt(0.05 * 0.95 / reps)
    rej = {"without": 0, "with": 0}
    corrected = []
    for r in range(reps):
        tr = simulate("zambia", SteppedWedge(sites=24, steps=4, patients=10), seed=700 + r,
                      truth=False, surveys=True)
        rej["without"] += _check(tr, design="step").falsified
        res = _check(tr, design="step", surveys=tr.surveys)
        rej["with"] += res.falsified
        corrected.append(int((res.table["measurement"] == "corrected").sum()))
    assert rej["without"] / reps <= bound and rej["with"] / reps <= bound
    assert min(corrected) > 100  # the surveys make the claims given survey means testable


def test_power_against_a_direct_facilitation_to_uptake_effect():
    # the truth has facilitation -> uptake (0.8 on the logit per unit of dose) that the map lacks;
    # with the staff surveys, facilitation[t] _||_ uptake[t] | normalization[t] is tested on the
    # corrected covariance and rejects
    sc = load_scenario("zambia")
    coefs = {f"{s}->{t}[lag{lag}]": v for (s, t, lag), v in sc.coefficients.items()}
    wrong = sc.replace(map=sc.map.with_edges([*sc.map.edges, Edge("facilitation", "uptake")]),
                       coefficients={**coefs, "facilitation->uptake": 0.8})
    hits = 0
    for seed in range(4):
        tr = simulate(wrong, SteppedWedge(sites=120, steps=4, patients=40), seed=300 + seed,
                      truth=False, surveys=True)
        res = _check(tr, design="step", surveys=tr.surveys)
        hits += res.falsified
        row = res.table.set_index("implication").loc[
            "facilitation[t] _||_ uptake[t] | design, normalization[t]"]
        assert row["measurement"] == "corrected" and row["estimate"] > 0
    assert hits >= 3


def test_result_content(trial):
    res = _check(trial, design="step")
    tab = res.to_frame()
    assert {"periods", "n_obs", "sites", "measurement", "p_adjusted", "rejected"} <= set(tab)
    assert (tab["measurement"] == "as measured").all()
    # claims given survey means are listed with the nodes they need and why
    un = res.untestable
    assert len(un) > 50 and un["needs"].str.len().gt(0).all()
    assert un["reason"].str.contains("measurement error").all()
    text = res.summary()
    assert "unrolled over 5 periods" in text and "cannot be tested" in text
    d = json.loads(json.dumps(res.to_dict()))
    assert d["time"] == "period" and d["periods"] == 5 and len(d["untestable"]) == len(un)
    with_s = _check(trial, design="step", surveys=trial.surveys)
    assert with_s.reliability is not None and "trust" in with_s.reliability.index
    assert "reliability of the site-period survey means" in with_s.summary()
    # error_free: survey means declared error-free are tested as measured, none untestable for it
    free = _check(trial, design="step", error_free=["normalization", "champions", "trust"])
    assert len(free.table) > len(tab)


def test_data_not_modified(trial):
    before, sbefore = trial.data.copy(), trial.surveys.copy()
    _check(trial, design="step", surveys=trial.surveys)
    pd.testing.assert_frame_equal(trial.data, before)
    pd.testing.assert_frame_equal(trial.surveys, sbefore)


def test_site_period_table_gives_the_same_tests(trial):
    # patient rows are reduced to site-period means: the site-period table gives the same numbers
    a = _check(trial, design="step").table
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        b = test_implications(load_map(), trial.site_periods, site="site", period="period",
                              design="step").table
    np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(("kwargs", "error", "needle"), [
    (dict(period="period"), ArgumentError, "`period` needs `site`"),
    (dict(site="site", design="step"), ArgumentError, "`design` needs `period`"),
    (dict(site="site", error_free=["trust"]), ArgumentError, "`error_free` needs `period`"),
    (dict(site="site", period="period", design="nope"), DataError, "nope"),
    (dict(site="site", period="period", design=3), ArgumentError, "`design` must be"),
    (dict(site="site", period="period", error_free=["trsut"]), FacmechError, "trust"),
    (dict(site="site", period="when"), DataError, "when"),
    (dict(site="site", period="period",
          design=PeriodDesign(columns=("step",), depends_on=(("uptake", 9),))),
     ArgumentError, "period index 9"),
])
def test_bad_arguments(trial, kwargs, error, needle):
    with pytest.raises(error, match=needle):
        test_implications(load_map(), trial.data, **kwargs)


def test_bad_survey_input(trial):
    kw = dict(site="site", period="period", design="step")
    with pytest.raises(DataError, match="item columns"):
        test_implications(load_map(), trial.data, surveys=trial.surveys[["site", "period"]], **kw)
    with pytest.raises(DataError, match="`survey_items`: construct 'trsut'"):
        test_implications(load_map(), trial.data, surveys=trial.surveys,
                          survey_items={"trsut": ["trust_i1"]}, **kw)
    bad = trial.data.copy()
    bad.loc[bad["period"] == 2, "trust"] += 1.0
    with pytest.raises(DataError, match="column `trust` of `data` is not the site-period mean"):
        test_implications(load_map(), bad, surveys=trial.surveys, **kw)
    moved = trial.surveys.copy()
    moved.loc[moved.index[:3], "site"] = 999
    with pytest.raises(DataError, match="not in the patient data"):
        test_implications(load_map(), trial.data, surveys=moved, **kw)
    varying = trial.data.copy()
    varying.loc[varying.index[0], "step"] = 99
    with pytest.raises(DataError, match="design column 'step' takes several values"):
        test_implications(load_map(), varying, **kw)
    text = trial.data.assign(trust="high")
    with pytest.raises(DataError, match="'trust' must be numeric"):
        test_implications(load_map(), text, **kw)
    with pytest.raises(MapError, match="already unrolled"):
        test_implications(load_map().unroll(5), trial.data, **kw)


def test_cli_period_data(tmp_path, capsys, trial):
    data, staff = tmp_path / "trial.csv", tmp_path / "staff.csv"
    trial.data.to_csv(data, index=False)
    trial.surveys.to_csv(staff, index=False)
    # `period` in the data and --cluster: the check unrolls the map over the data's periods
    code = main(["implications", "--data", str(data), "--site", "site", "--design", "step",
                 "--surveys", str(staff), "--json"])
    out = capsys.readouterr()
    d = json.loads(out.out)
    assert code == 0 and d["time"] == "period" and d["periods"] == 5
    assert any(t["measurement"] == "corrected" for t in d["tests"])
    code = main(["implications", "--data", str(data), "--site", "site", "--period", "none"])
    assert code == 0 and "unrolled" not in capsys.readouterr().out
    for argv, needle in [
        (["--site", "site", "--design", "nope"], "nope"),
        (["--site", "site", "--surveys", str(tmp_path / "missing.csv")], "missing.csv"),
        (["--site", "site", "--error-free", "trsut"], "trsut"),
        (["--site", "site", "--periods", "3", "--period", "period"], "--periods"),
    ]:
        code = main(["implications", "--data", str(data), *argv])
        err = capsys.readouterr().err
        assert code == 2 and needle in err and len(err.strip().splitlines()) == 1, err
    code = main(["implications", "--design", "step"])
    err = capsys.readouterr().err
    assert code == 2 and "`--design` needs `--data`" in err


def _lag_panel(rng, sites, periods, carry):
    """x -> m -> y within a period, m -> m from one period to the next; ``carry`` adds an
    x[t-1] -> y[t] effect the map does not have."""
    x = rng.standard_normal((sites, periods))
    m = np.zeros((sites, periods))
    for t in range(periods):
        m[:, t] = x[:, t] + (0.5 * m[:, t - 1] if t else 0.0) + rng.standard_normal(sites)
    y = m + rng.standard_normal((sites, periods))
    y[:, 1:] += carry * x[:, :-1]
    return pd.DataFrame({"site": np.repeat(np.arange(sites), periods),
                         "period": np.tile(np.arange(periods), sites),
                         "x": x.ravel(), "m": m.ravel(), "y": y.ravel()})


def test_networkx_graph_with_lagged_edge():
    # a DiGraph with a `lag` edge attribute is unrolled over the data's periods; its claims hold
    # on data from it, and a cross-period effect it lacks (x[t-1] -> y[t]) is detected
    import networkx as nx

    g = nx.DiGraph()
    g.add_node("m", time_varying=True)
    g.add_edge("x", "m", lag=0)
    g.add_edge("m", "y", lag=0)
    g.add_edge("m", "m", lag=1)
    rng = np.random.default_rng(8)
    ok = test_implications(g, _lag_panel(rng, 300, 4, 0.0), site="site", period="period",
                           error_free=["x", "m", "y"])
    claims = set(ok.table["implication"])
    assert "x[t] _||_ y[t] | m[t]" in claims and "x[t-1] _||_ y[t] | m[t]" in claims
    assert not ok.falsified and len(ok.untestable) == 0
    bad = test_implications(g, _lag_panel(rng, 300, 4, 0.5), site="site", period="period",
                            error_free=["x", "m", "y"])
    row = bad.table.set_index("implication").loc["x[t-1] _||_ y[t] | m[t]"]
    assert bad.falsified and row["rejected"] and row["ci_low"] < 0.5 < row["ci_high"]


def test_missing_site_periods(trial):
    # a site-period without data: the claims of that period lose its row, the lagged claims of
    # the next period lose theirs too (no earlier value), nothing else changes
    data = trial.data[~((trial.data["site"] == 3) & (trial.data["period"] == 2))]
    full = _check(trial, design="step").table.set_index("implication")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        part = test_implications(load_map(), data, site="site", period="period",
                                 design="step").table.set_index("implication")
    assert set(part.index) == set(full.index)
    same = "acceptance[t] _||_ patient_outcomes[t] | design, uptake[t]"
    lagged = "acceptance[t-1] _||_ patient_outcomes[t] | design, uptake[t]"
    assert part.loc[same, "n_obs"] == full.loc[same, "n_obs"] - 1
    assert part.loc[lagged, "n_obs"] == full.loc[lagged, "n_obs"] - 2
