"""plan(): the analysis-plan report end to end, from Python and from the CLI, and its bad input."""

from __future__ import annotations

import json
import re
import warnings

import pandas as pd
import pytest

from facmech.cli import main
from facmech.errors import DataError, FacmechError, MapError, UnknownNodeError
from facmech.mediation import mediate
from facmech.report import PowerAssumptions, plan
from facmech.simulation import SteppedWedge, simulate

PATH = ("facilitation", "leadership_engagement", "acceptance", "socialization", "coherence",
        "capacity", "trust", "normalization", "uptake")
SMALL = PowerAssumptions(reps=20)


@pytest.fixture(scope="module")
def trial():
    return simulate("zambia", SteppedWedge(sites=12, steps=4, patients=10), seed=11, truth=False)


@pytest.fixture(scope="module")
def report(trial):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return plan(treatment="facilitation", outcome="uptake", path=PATH, sites=(8, 12),
                    data=trial.data, site="site", period="period", exposure="exposed",
                    assumptions=SMALL, seed=5)


def test_plan_sections_and_verdicts(report):
    ids = [s.id for s in report.sections]
    assert ids == ["hypothesis", "map", "identification", "measurement", "implications",
                   "estimator", "power", "results", "reproduce"]
    # leadership_engagement recants (Avin, Shpitser & Pearl 2005): not identified nonparametrically
    assert not report.identification.identifiable
    assert report.identification.witness == "leadership_engagement"
    assert report.total.identifiable
    sched = report.schedule.set_index("node")
    # the linear-SEM answer needs the two unmeasured mechanisms between acceptance and coherence
    assert sched.loc["socialization", "status"] == "latent: add a measure"
    assert sched.loc["peer_experience", "why"] == "needed for identification"
    assert set(report.power.frame["sites"]) == {8, 12}


def test_plan_estimates_are_the_planned_mediation(report, trial):
    est = report.estimates
    # every measured mechanism between strategy and outcome, in the map's causal order; the
    # unmeasured socialization and peer_experience are absent from the data, so dropped
    meds = ["leadership_engagement", "acceptance", "champions", "role_clarity", "problem_solving",
            "coherence", "capacity", "trust", "normalization"]
    assert list(est.mediators) == meds
    assert list(est.covariates) == ["outer_context", "inner_context", "readiness"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # FewClustersWarning: 12 sites, as the plan notes
        direct = mediate(trial.data, treatment="exposed", mediators=meds, outcome="uptake",
                         covariates=["outer_context", "inner_context", "readiness"],
                         site="site", period="period", seed=5,
                         effect_model="exposure_time")  # stepped wedge: Kenny et al. 2022 ETI
    chain = ("path:exposed>leadership_engagement>acceptance>coherence>capacity>trust>"
             "normalization>uptake")
    for k in ("total", "nie", chain):
        assert est.effects[k].estimate == pytest.approx(direct.effects[k].estimate, rel=1e-12)
        assert est.effects[k].ci_low == pytest.approx(direct.effects[k].ci_low, rel=1e-12)
    assert report.implication_tests is not None and len(report.implication_tests.table) > 100


def test_html_is_self_contained(report):
    page = report.to_html()
    assert not re.search(r"https?://", page) and "<link" not in page and "<script" not in page
    assert page.count("data:image/png;base64,") >= 3  # map, power curve, sensitivity curve
    for text in ("Not identified.", "leadership_engagement", "NoMAD", "Hussey &amp; Hughes",
                 "Results on the trial data", "Map check."):
        assert text in page
    assert "nan" not in re.sub(r"<[^>]+>", " ", page).split()


def test_save_html_and_markdown(report, tmp_path):
    out = report.save(tmp_path / "plan.html")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    md = report.save(tmp_path / "plan.md").read_text(encoding="utf-8")
    figs = sorted(p.name for p in (tmp_path / "plan_figures").iterdir())
    assert figs[:2] == ["figure-1.png", "figure-2.png"]
    assert "](plan_figures/figure-1.png)" in md and "## 3. Identification" in md
    d = report.to_dict()
    json.dumps(d)  # JSON-ready
    assert d["path"] == list(PATH) and d["identification"]["identifiable"] is False
    assert d["estimates"]["total"]["estimate"] == report.estimates.effects["total"].estimate


def test_plan_without_data_on_a_parallel_design(tmp_path):
    r = plan(treatment="facilitation", outcome="uptake", path="champions,normalization",
             design="parallel", sites=(12, 24), out=tmp_path / "p.md")
    assert r.path == ("facilitation", "champions", "normalization", "uptake")
    assert r.estimates is None and "results" not in [s.id for s in r.sections]
    assert (tmp_path / "p.md").exists()
    assert "2-2-1" in " ".join(r.power.frame["method"])


def test_plan_on_a_user_dagitty_map(tmp_path):
    # a map without roles or stages: timing and covariates come from the graph itself
    dag = tmp_path / "my.dag"
    dag.write_text("dag {\n facilitation -> engagement -> trust -> uptake\n facilitation -> uptake\n"
                   " context -> engagement\n context -> uptake\n context [latent]\n}\n")
    r = plan(dag, treatment="facilitation", outcome="uptake", path="engagement,trust",
             design="parallel", sites=(12,))
    assert not r.identification.identifiable  # the latent context confounds engagement and uptake
    sched = r.schedule.set_index("node")
    assert sched.loc["context", "status"] == "latent: add a measure"
    assert sched.loc["context", "when"].startswith("baseline")
    assert r.estimator.covariates == ("context",) and r.estimator.mediators == ("engagement", "trust")
    assert "user map with 5 nodes" in r.to_html()


def test_bad_input(trial, tmp_path):
    with pytest.raises(MapError, match="no arrow trust -> champions"):
        plan(treatment="facilitation", outcome="uptake", path=["trust", "champions"])
    with pytest.raises(UnknownNodeError, match="Did you mean 'leadership_engagement'"):
        plan(treatment="facilitation", outcome="uptake", path=["leadership", "acceptance"])
    with pytest.raises(FacmechError, match="does not exist"):
        plan(treatment="facilitation", outcome="uptake", path=PATH, out=tmp_path / "no" / "r.html")
    with pytest.raises(FacmechError, match="`site` is required"):
        plan(treatment="facilitation", outcome="uptake", path=PATH, data=trial.data)
    thin = trial.data.drop(columns=["trust", "period"])
    with pytest.raises(DataError) as err:
        plan(treatment="facilitation", outcome="uptake", path=PATH, data=thin, site="site",
             period="period", exposure="exposed", sites=(8,), assumptions=SMALL)
    assert "`trust` (mechanism on the path)" in str(err.value)
    assert "`period` (period)" in str(err.value)
    with pytest.raises(DataError, match="pass `exposure=`"):
        plan(treatment="facilitation", outcome="uptake", path=PATH, data=trial.data, site="site",
             period="period", sites=(8,), assumptions=SMALL)


def test_caller_frame_untouched(trial):
    df = trial.data.copy()
    before = df.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan(treatment="facilitation", outcome="uptake", path="champions,normalization", data=df,
             site="site", period="period", exposure="exposed", sites=(8,), assumptions=SMALL)
    pd.testing.assert_frame_equal(df, before)


def test_cli_plan(trial, tmp_path, capsys):
    csv = tmp_path / "trial.csv"
    trial.data.to_csv(csv, index=False)
    out = tmp_path / "r.html"
    code = main(["plan", "--treatment", "facilitation", "--outcome", "uptake", "--path",
                 "champions,normalization", "--sites", "8,12", "--data", str(csv), "--site",
                 "site", "--period", "period", "--exposure", "exposed", "--out", str(out), "--json"])
    assert code == 0 and out.exists()
    payload = json.loads(capsys.readouterr().out)
    assert payload["path"] == ["facilitation", "champions", "normalization", "uptake"]
    assert payload["out"] == str(out) and "total" in payload["estimates"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--path", "trust,champions"], "no arrow trust -> champions"),
        (["--path", "champions,normalization", "--out", "/nonexistent-dir/r.html"], "does not exist"),
        (["--path", "champions,normalization", "--out", "r.pdf"], "must end in .html"),
        (["--path", "champions,normalization", "--data", "DATA", "--site", "site"],
         "lacks 1 column(s) the plan needs: `period`"),
    ],
)
def test_cli_plan_errors(args, message, trial, tmp_path, capsys):
    csv = tmp_path / "t.csv"
    trial.data.drop(columns=["period"]).assign(exposed=trial.data["exposed"]).to_csv(csv, index=False)
    args = [str(csv) if a == "DATA" else a for a in args]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "r.html")]
    if "--data" in args:
        args += ["--period", "period", "--exposure", "exposed"]
    code = main(["plan", "--treatment", "facilitation", "--outcome", "uptake", "--sites", "8",
                 *args])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("facmech plan: error: ") and err.count("\n") == 1
    assert message in err
