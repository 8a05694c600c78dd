"""Replicated bias and coverage of facmech's g-methods (bigger than the CI tests).

Writes simulations/gmethods/results.csv and results.md. Run (about 5-10 minutes on one core):

    .venv/bin/python simulations/gmethods/study_gmethods.py [--reps 1000]

Studies
-------
A. facmech.gmethods.simulate.adaptive_dose_data (200 sites x 4 periods, binary facilitation driven
   by leadership engagement, engagement driven by earlier facilitation; exact truth): parametric
   g-formula, ICE, IPW MSM (stabilized, untruncated) and regression adjusting for engagement.
B. Same generator with an unmeasured site trait driving engagement every period and the outcome:
   full-history vs last-period-only (history=1) models.
C. facmech.simulation's Zambia-like scenario, parallel design (100 sites x 4 periods x 10 patients),
   confounders measured after treatment, outcome averaged over periods, truth["sustained"]:
   linear variant (continuous nodes, no dose floor) and the default scenario (binary uptake node,
   dose floor at 0: the g-formula's linear models are then misspecified).
D. The default Zambia-like scenario in its stepped-wedge design (no site facilitated in period 0),
   24 sites (the vignette's size) and 200 sites: "from:1:1.5" vs never against
   truth["sustained_from_period_1"].
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from facmech.errors import FacmechWarning
from facmech.gmethods import gformula, msm
from facmech.gmethods.naive import naive_regression
from facmech.gmethods.simulate import adaptive_dose_data
from facmech.report.render import markdown_table
from facmech.simulation import DoseRule, ParallelCRT, load_scenario, simulate

HERE = Path(__file__).parent
KW = dict(site="site", period="period", treatment="facilitation",
          confounders=["leadership_engagement"], outcome="uptake")


def summarize(rows: list[dict], study: str, estimator: str, truth: float) -> dict:
    est = np.array([r["estimate"] for r in rows])
    cover = np.array([r["ci_low"] <= truth <= r["ci_high"] for r in rows])
    se = np.array([r["std_error"] for r in rows])
    return {
        "study": study, "estimator": estimator, "reps": len(rows), "truth": truth,
        "mean_estimate": est.mean(), "bias": est.mean() - truth,
        "mc_se_bias": est.std(ddof=1) / np.sqrt(len(est)), "empirical_sd": est.std(ddof=1),
        "mean_se": se.mean(), "coverage_95": cover.mean(),
    }


def as_row(e) -> dict:
    return {"estimate": e.estimate, "std_error": e.std_error, "ci_low": e.ci_low,
            "ci_high": e.ci_high}


def study_a(reps: int, draws: int) -> list[dict]:
    res: dict[str, list] = {k: [] for k in ("parametric", "ice", "ipw", "naive (adjusts for L)")}
    truth = None
    for r in range(reps):
        df, t = adaptive_dose_data(sites=200, periods=4, adapt=0.5, seed=10_000 + r)
        truth = t["always - never"]
        res["parametric"].append(as_row(gformula(df, **KW, inference=draws, seed=r).contrast))
        res["ice"].append(as_row(gformula(df, **KW, method="ice", inference=draws,
                                          seed=r).contrast))
        res["ipw"].append(as_row(msm(df, **KW, inference=draws, seed=r).contrast))
        res["naive (adjusts for L)"].append(as_row(naive_regression(df, **KW, inference=draws,
                                                                    seed=r)))
    return [summarize(v, "A adaptive dose (own DGP)", k, truth) for k, v in res.items()]


def study_b(reps: int, draws: int) -> list[dict]:
    res: dict[str, list] = {"history=all": [], "history=1": []}
    truth = None
    for r in range(reps):
        df, t = adaptive_dose_data(sites=500, periods=4, adapt=0.5, trait_sd=1.0,
                                   trait_outcome=1.0, rho=0.2, seed=20_000 + r)
        truth = t["always - never"]
        for h, key in ((None, "history=all"), (1, "history=1")):
            res[key].append(as_row(gformula(df, **KW, history=h, inference=draws, seed=r,
                                            monte_carlo=500).contrast))
    return [summarize(v, "B unmeasured site trait", f"parametric {k}", truth)
            for k, v in res.items()]


def study_c(reps: int, draws: int) -> list[dict]:
    zambia = load_scenario("zambia")
    variants = {
        "linear": zambia.replace(types={}, dose=DoseRule(base=1.5, taper=0.25, sd=0.2, floor=None)),
        "default": zambia,
    }
    kw = dict(site="site", period="period", treatment="facilitation",
              confounders=["leadership_engagement"], outcome="patient_outcomes",
              patient="patient", timing="after", outcome_at="mean")
    design = ParallelCRT(sites=100, patients=10, periods=4)
    out = []
    for name, sc in variants.items():
        truth = simulate(sc, design, seed=0).truth["sustained"]["contrast"]
        res: dict[str, list] = {"parametric (= ICE here)": [], "naive (adjusts for L)": []}
        for r in range(reps):
            data = simulate(sc, design, seed=30_000 + r, truth=False).data
            res["parametric (= ICE here)"].append(as_row(gformula(
                data, **kw, strategies=["always:1.5", "never"], inference=draws, seed=r).contrast))
            res["naive (adjusts for L)"].append(as_row(naive_regression(
                data, **kw, level=1.5, inference=draws, seed=r)))
        out += [summarize(v, f"C simulator zambia ({name})", k, truth) for k, v in res.items()]
    return out


def study_d(reps: int, draws: int) -> list[dict]:
    from facmech.simulation import SteppedWedge

    zambia = load_scenario("zambia")
    kw = dict(site="site", period="period", treatment="facilitation",
              confounders=["leadership_engagement"], outcome="patient_outcomes",
              patient="patient", timing="after", outcome_at="mean")
    out = []
    for sites in (24, 200):
        design = SteppedWedge(sites=sites, steps=4, patients=40)
        truth = simulate(zambia, design, seed=0).truth["sustained_from_period_1"]["contrast"]
        res: dict[str, list] = {"parametric (= ICE here)": [], "naive (adjusts for L)": []}
        for r in range(reps):
            data = simulate(zambia, design, seed=40_000 + r, truth=False).data
            res["parametric (= ICE here)"].append(as_row(gformula(
                data, **kw, strategies=["from:1:1.5", "never"], inference=draws, seed=r).contrast))
            res["naive (adjusts for L)"].append(as_row(naive_regression(
                data, **kw, level=1.5, inference=draws, seed=r)))
        out += [summarize(v, f"D zambia stepped wedge, {sites} sites", k, truth)
                for k, v in res.items()]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--draws", type=int, default=200)
    ap.add_argument("--studies", default="ABCD", help="which studies to run (default ABCD)")
    args = ap.parse_args()
    warnings.simplefilter("ignore", FacmechWarning)
    t0 = time.time()
    half = max(args.reps // 2, 2)
    runs = {"A": lambda: study_a(args.reps, args.draws), "B": lambda: study_b(half, args.draws),
            "C": lambda: study_c(half, args.draws), "D": lambda: study_d(half, args.draws)}
    rows = [row for key in args.studies.upper() for row in runs[key]()]
    frame = pd.DataFrame(rows)
    frame.to_csv(HERE / "results.csv", index=False, float_format="%.5f")
    lines = [
        "# g-methods simulation study (simulations/gmethods/study_gmethods.py)",
        "",
        f"Replicates: {args.reps} (A), {half} (B, C, D); bootstrap draws "
        f"{args.draws} over sites; percentile 95% intervals. Runtime {time.time() - t0:.0f} s.",
        "",
        markdown_table(frame, digits=4),
    ]
    (HERE / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
