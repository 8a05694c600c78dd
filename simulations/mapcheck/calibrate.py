"""Calibration and power of the map check (issue 12, part 4).

For each built-in scenario (zambia, vha, aim, evidencenow) with its own design at 24 and 120 sites,
trials are simulated and the built-in map is checked with ``test_implications(..., time="period")``
exactly as a user would call it, with and without the staff-survey table:

* **calibration**: data from the true map; the family-wise rejection rate (the map declared
  FALSIFIED) must be at most alpha + 2 Monte Carlo SE;
* **power**: data from a wrong map, tested with the built-in map: the truth has an arrow the map
  lacks (a direct ``facilitation -> uptake`` effect, 0.5 on the logit of uptake per unit of dose), or
  the map lacks an arrow of the truth (``trust -> normalization``; the lag-1
  ``acceptance -> leadership_engagement``).

Every replicate has its own seed stream, ``np.random.SeedSequence(ROOT).spawn`` per cell and
replicate. Rows are appended to ``replicates.csv`` as cells finish, so an interrupted run resumes
where it stopped (``--resume``); ``tables`` rebuilds ``calibration.csv``, ``power.csv`` and
``results.md`` from it.

Usage (from the repository root)::

    OPENBLAS_NUM_THREADS=1 python simulations/mapcheck/calibrate.py run --reps 200 --power-reps 100
    python simulations/mapcheck/calibrate.py tables
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from facmech.errors import FewClustersWarning
from facmech.formats import load_map
from facmech.identification import test_implications
from facmech.identification.period_implications import PeriodDesign
from facmech.maps import Edge
from facmech.simulation import SMART, load_design, load_scenario, simulate

HERE = Path(__file__).resolve().parent
ROOT = 20260412
SCENARIOS = ("zambia", "vha", "aim", "evidencenow")
SITES = (24, 120)
ALPHA = 0.05
#: the wrong maps: name -> (how the data differ, how the tested map differs)
CASES = {
    "true map": (None, None),
    "truth adds facilitation -> uptake": (("facilitation", "uptake", 0.5), None),
    "map drops trust -> normalization": (None, ("trust", "normalization", 0)),
    "map drops acceptance -> leadership_engagement (lag 1)": (
        None, ("acceptance", "leadership_engagement", 1)),
}
FIELDS = ["scenario", "sites", "case", "surveys", "rep", "falsified", "tests", "untestable",
          "corrected", "min_p_adjusted", "rejected", "seconds"]


def period_design(scenario, design) -> PeriodDesign:
    """The design node of the check: a SMART's arm (adaptive: it reads stage-1 uptake and acts
    on the dose and the internal facilitator's target), else the stepped-wedge step."""
    if isinstance(design, SMART):
        acts = tuple(n for n in (scenario.strategy, scenario.internal_node) if n)
        return PeriodDesign(columns=("arm",), acts_on=acts,
                            depends_on=((design.response_node, design.stage1_periods - 1),))
    return PeriodDesign(columns=("step",))


def case_inputs(name: str, case: str):
    scenario = load_scenario(name)
    tested = load_map("facilitation")
    added, dropped = CASES[case]
    if added is not None:
        src, tgt, coef = added
        mmap = scenario.map.with_edges([*scenario.map.edges, Edge(src, tgt)])
        coefs = {f"{s}->{t}[lag{lag}]": v for (s, t, lag), v in scenario.coefficients.items()}
        scenario = scenario.replace(map=mmap, coefficients={**coefs, f"{src}->{tgt}": coef})
    if dropped is not None:
        src, tgt, lag = dropped
        tested = tested.with_edges([e for e in tested.edges
                                    if (e.source, e.target, e.lag) != (src, tgt, lag)])
    return scenario, tested


def run_cell(name: str, sites: int, case: str, reps: int, writer, done: set) -> None:
    scenario, tested = case_inputs(name, case)
    design = replace(load_design(name), sites=sites)
    pdesign = period_design(scenario, design)
    seeds = np.random.SeedSequence([ROOT, int(hashlib.sha256(
        f"{name}|{sites}|{case}".encode()).hexdigest()[:8], 16)]).spawn(reps)
    for rep in range(reps):
        if (name, sites, case, rep) in done:
            continue
        trial = simulate(scenario, design, seed=np.random.default_rng(seeds[rep]), truth=False,
                         surveys=True)
        for surveys in (False, True):
            t0 = time.process_time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FewClustersWarning)
                res = test_implications(tested, trial.data, cluster="site", time="period",
                                        design=pdesign, alpha=ALPHA,
                                        surveys=trial.surveys if surveys else None)
            tab = res.table
            writer.writerow({
                "scenario": name, "sites": sites, "case": case, "surveys": surveys, "rep": rep,
                "falsified": int(res.falsified), "tests": len(tab),
                "untestable": len(res.untestable),
                "corrected": int((tab["measurement"] == "corrected").sum()),
                "min_p_adjusted": float(tab["p_adjusted"].min()) if len(tab) else 1.0,
                "rejected": " ; ".join(tab.loc[tab["rejected"], "implication"]),
                "seconds": round(time.process_time() - t0, 3)})


def run(args: argparse.Namespace) -> None:
    out = args.out / "replicates.csv"
    done: set = set()
    if out.exists() and args.resume:
        old = pd.read_csv(out)
        counts = old.groupby(["scenario", "sites", "case", "rep"]).size()
        done = {k for k, v in counts.items() if v == 2}
    elif out.exists():
        sys.exit(f"{out} exists: pass --resume to continue it, or remove it")
    fresh = not out.exists()
    with out.open("a", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        if fresh:
            writer.writeheader()
        plan = [(c, args.reps if c == "true map" else args.power_reps) for c in CASES]
        if args.only:
            plan = [p for p in plan if p[0] in args.only]
        for case, reps in plan:
            for name in args.scenarios:
                for sites in args.sites:
                    t0 = time.time()
                    run_cell(name, sites, case, reps, writer, done)
                    fh.flush()
                    print(f"{case} / {name} / {sites} sites: {time.time() - t0:.0f} s", flush=True)
    tables(args)


def tables(args: argparse.Namespace) -> None:
    rows = pd.read_csv(args.out / "replicates.csv")
    rows["surveys"] = rows["surveys"].map({True: "with surveys", False: "without surveys",
                                           "True": "with surveys", "False": "without surveys"})
    keys = ["case", "scenario", "sites", "surveys"]
    agg = rows.groupby(keys, sort=False).agg(
        reps=("rep", "size"), rejections=("falsified", "sum"), tests=("tests", "mean"),
        corrected=("corrected", "mean"), untestable=("untestable", "mean"),
        seconds=("seconds", "mean")).reset_index()
    agg["rate"] = agg["rejections"] / agg["reps"]
    agg["mc_se"] = np.sqrt(ALPHA * (1 - ALPHA) / agg["reps"])
    cal = agg[agg["case"] == "true map"].drop(columns="case").copy()
    cal["bound"] = ALPHA + 2 * cal["mc_se"]
    cal["calibrated"] = cal["rate"] <= cal["bound"]
    power = agg[agg["case"] != "true map"].copy()
    power["mc_se"] = np.sqrt(power["rate"] * (1 - power["rate"]) / power["reps"])
    cal.to_csv(args.out / "calibration.csv", index=False, float_format="%.4g")
    power.to_csv(args.out / "power.csv", index=False, float_format="%.4g")
    rej = rows[(rows["case"] == "true map") & rows["rejected"].notna()]
    counts = pd.Series([r for v in rej["rejected"] for r in str(v).split(" ; ") if r])
    (args.out / "results.md").write_text(_markdown(cal, power, counts.value_counts(), rows),
                                     encoding="utf-8")


def _fmt(frame: pd.DataFrame, cols: list[str]) -> str:
    head = "| " + " | ".join(cols) + " |\n|" + "---|" * len(cols) + "\n"
    body = ""
    for r in frame[cols].itertuples(index=False):
        cells = []
        for v in r:
            if isinstance(v, (bool, np.bool_)):
                cells.append("yes" if v else "**NO**")
            elif isinstance(v, float):
                cells.append(f"{v:.3f}" if abs(v) < 10 else f"{v:.1f}")
            else:
                cells.append(str(v))
        body += "| " + " | ".join(cells) + " |\n"
    return head + body


def _markdown(cal: pd.DataFrame, power: pd.DataFrame, rejected: pd.Series,
              rows: pd.DataFrame) -> str:
    text = f"""# Calibration and power of the map check (issue 12, part 4)

Generated by `calibrate.py` (`run`, then `tables`) from `replicates.csv` (one row per replicate and
survey mode). Each built-in scenario with its own design (VHA, Zambia, EvidenceNOW: stepped wedges
with the site's `step` as the design node; AIM: a SMART with the `arm` as an adaptive design node
reading stage-1 uptake) at 24 and 120 sites; `test_implications(map, trial.data, cluster="site",
time="period", design=...)` without and with `surveys=trial.surveys`, family-wise alpha {ALPHA}
(Holm). Without surveys, claims that need a survey mean in their conditioning set are reported as
untestable; with them they are tested on the measurement-corrected covariance (`corrected`: mean
number of such tests per trial).

## Calibration: data from the true map

`rate` = share of trials in which the true map was declared FALSIFIED; `bound` = alpha + 2 MC SE
(MC SE = sqrt(alpha (1 - alpha) / reps)); `tests` and `untestable` are means per trial;
`seconds` the mean CPU seconds per check.

{_fmt(cal, ["scenario", "sites", "surveys", "reps", "rejections", "rate", "bound", "calibrated",
            "tests", "corrected", "untestable", "seconds"])}
"""
    if len(rejected):
        text += "\nClaims rejected in the true-map trials (how often, over all cells):\n\n"
        text += "".join(f"* {n} x `{k}`\n" for k, n in rejected.head(15).items())
    text += f"""
## Power: data from a wrong map

`rate` = share of trials in which the built-in map was declared FALSIFIED (MC SE =
sqrt(rate (1 - rate) / reps)).

{_fmt(power, ["case", "scenario", "sites", "surveys", "reps", "rate", "mc_se", "tests",
              "corrected"])}
"""
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--reps", type=int, default=200)
    r.add_argument("--power-reps", type=int, default=100)
    r.add_argument("--resume", action="store_true")
    r.add_argument("--only", nargs="+", choices=list(CASES), help="run only these cases")
    r.add_argument("--scenarios", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    r.add_argument("--sites", nargs="+", type=int, default=list(SITES))
    r.set_defaults(func=run)
    t = sub.add_parser("tables")
    t.set_defaults(func=tables)
    for p in (r, t):
        p.add_argument("--out", type=Path, default=HERE, help="directory of the tables")
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
