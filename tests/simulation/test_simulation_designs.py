"""Design structure: stepped wedge, parallel CRT, SMART re-randomization, observational uptake."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from facmech.errors import DesignError
from facmech.simulation import (
    SMART,
    Observational,
    ParallelCRT,
    Scenario,
    SteppedWedge,
    load_scenario,
    make_design,
    simulate,
)


@pytest.mark.parametrize(("sites", "steps", "periods"), [(24, 4, 5), (9, 3, 8), (10, 3, 4), (7, 7, 8)])
def test_stepped_wedge_structure(sites: int, steps: int, periods: int) -> None:
    design = SteppedWedge(sites=sites, steps=steps, periods=periods, patients=3)
    trial = simulate(Scenario(), design, seed=11, truth=False)
    x = trial.site_periods.pivot(index="site", columns="period", values="exposed").to_numpy()
    assert x.shape == (sites, periods)
    assert (np.diff(x, axis=1) >= 0).all()  # once exposed, always exposed
    assert (x[:, 0] == 0).all() and (x[:, -1] == 1).all()
    crossings = periods - x.sum(axis=1)  # period of crossover per site
    counts = np.unique(crossings, return_counts=True)[1]
    assert len(counts) == steps and counts.max() - counts.min() <= 1  # balanced steps
    assert set(crossings) == set(design.crossover_periods)
    # unexposed site-periods receive no facilitation; exposed ones follow the dose rule
    sp = trial.site_periods
    assert (sp.loc[sp.exposed == 0, "facilitation"] == 0).all()
    assert (sp.loc[sp.exposed == 1, "facilitation"] > 0).mean() > 0.8


def test_stepped_wedge_randomizes_sites_to_steps() -> None:
    d = SteppedWedge(sites=12, steps=3, patients=2)
    a = simulate(Scenario(), d, seed=1, truth=False).site_periods
    b = simulate(Scenario(), d, seed=2, truth=False).site_periods
    assert not np.array_equal(a["step"].to_numpy(), b["step"].to_numpy())


def test_parallel_arms_balanced_and_constant() -> None:
    trial = simulate(Scenario(), ParallelCRT(sites=21, patients=4, periods=3), seed=5, truth=False)
    x = trial.site_periods.pivot(index="site", columns="period", values="exposed").to_numpy()
    assert (x == x[:, :1]).all()
    assert x[:, 0].sum() == round(21 * 0.5)


def test_smart_rerandomizes_only_non_responders() -> None:
    trial = simulate("aim", seed=3, truth=False)
    sp = trial.site_periods
    stage1 = sp[sp.stage == 1]
    assert (stage1.exposed == 0).all() and (stage1.arm == "low").all()
    assert (stage1.facilitation == 0).all()  # low-intensity start: no facilitation (REP)
    stage2 = sp[sp.stage == 2]
    resp = stage2[stage2.responder == 1]
    nonresp = stage2[stage2.responder == 0]
    assert len(resp) > 0 and len(nonresp) > 0
    assert (resp.exposed == 0).all() and (resp.arm == "low").all() and (resp.facilitation == 0).all()
    assert set(nonresp.arm) == {"external", "external+internal"}
    assert ((nonresp.arm == "external+internal") == (nonresp.exposed == 1)).all()
    per_site = nonresp.groupby("site")["exposed"].agg(["min", "max"])
    assert (per_site["min"] == per_site["max"]).all()  # one arm per site
    n_if, n_nr = int(per_site["min"].sum()), len(per_site)
    assert n_if in ((n_nr + 1) // 2, n_nr // 2)  # balanced re-randomization
    # responders are exactly the sites whose stage-1-end uptake (site-period mean) reached threshold
    design = trial.design
    last1 = sp[sp.period == design.stage1_periods - 1].set_index("site")
    responded = last1["uptake"] >= design.threshold
    assert (responded.astype(int) == last1["responder"]).all()


def test_observational_uptake_depends_on_context() -> None:
    trial = simulate(Scenario(), Observational(sites=600, patients=2, confounding=2.0), seed=9,
                     truth=False)
    sp = trial.site_periods
    ctx = sp[["outer_context_true", "inner_context_true", "facilitator_skills_true",
              "readiness_true"]].sum(axis=1)
    assert ctx[sp.exposed == 1].mean() - ctx[sp.exposed == 0].mean() > 1.0


def test_design_bad_input() -> None:
    with pytest.raises(DesignError, match=r"`sites` \(3\) must be at least `steps` \(4\)"):
        SteppedWedge(sites=3, steps=4, patients=5)
    with pytest.raises(DesignError, match=r"`patients` must be an integer >= 1 \(got -1\)"):
        ParallelCRT(sites=10, patients=-1)
    with pytest.raises(DesignError, match=r"`sites` must be an integer >= 1 \(got 0\)"):
        ParallelCRT(sites=0, patients=10)
    with pytest.raises(DesignError, match=r"`periods` \(3\) must be at least `steps` \+ 1"):
        SteppedWedge(sites=10, steps=4, periods=3, patients=5)
    with pytest.raises(DesignError, match=r"`design` must be one of 'parallel', .* \(got 'crossover'\)"):
        make_design("crossover", sites=4)
    with pytest.raises(DesignError, match="`stage1_periods` \\(4\\) must be less than"):
        SMART(sites=10, patients=5, periods=4, stage1_periods=4)
    with pytest.raises(DesignError, match="`response_node` 'uptak' is not a node"):
        simulate(Scenario(), SMART(sites=10, patients=2, response_node="uptak"), seed=1,
                 truth=False)


def test_vignette_sizes_from_the_paper() -> None:
    # Kilbourne et al. 2023: VHA 9 clinics; AIM 58 clinics (SMART); Zambia 24 facilities (SW)
    for name, sites, kind in (("vha", 9, "stepped-wedge"), ("aim", 58, "smart"),
                              ("zambia", 24, "stepped-wedge"), ("evidencenow", 60, "stepped-wedge")):
        trial = simulate(name, seed=1, truth=False)
        assert trial.design.sites == sites and trial.design.name == kind
        assert trial.data["site"].nunique() == sites
        assert load_scenario(name).name == name


def test_stepped_wedge_steps_default_to_periods_minus_one():
    # issue 13: `--design stepped-wedge --sites 24 --periods 5` failed ("needs `steps`"); the
    # complete design has one step per period after the baseline period (Hussey & Hughes 2007;
    # swCRTdesign's swDsn(c(6, 6, 6, 6)) gives 5 periods for 4 steps)
    from facmech.simulation.designs import make_design

    d = SteppedWedge(sites=24, periods=5, patients=20)
    assert (d.steps, d.periods, d.crossover_periods) == (4, 5, (1, 2, 3, 4))
    assert make_design("stepped-wedge", sites=24, periods=5).steps == 4
    assert SteppedWedge(sites=24, steps=4, patients=20) == d
    with pytest.raises(DesignError, match="needs `steps` or `periods`"):
        make_design("stepped-wedge", sites=24)
    with pytest.raises(DesignError, match="`periods` must be an integer >= 2"):
        SteppedWedge(sites=24, periods=1, patients=20)


def test_simulate_cli_stepped_wedge_from_periods(tmp_path, capsys):
    from facmech.cli import main

    out = tmp_path / "sw.csv"
    assert main(["simulate", "--design", "stepped-wedge", "--sites", "24", "--periods", "5",
                 "--seed", "1", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "24 sites x 5 periods x 20 patients = 2400 rows" in text
    data = pd.read_csv(out)
    assert data.groupby("site")["step"].first().nunique() == 4
