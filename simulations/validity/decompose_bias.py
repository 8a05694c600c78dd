"""Where the design-study bias comes from: each source switched off in turn (issue 12, part 1).

For every built-in scenario (zambia, vha, aim, evidencenow) at 24 sites, the default design-study
analysis (``design_study(MapTrial(...))``, as ``facmech power --scenario ...`` runs it: random-intercept
model with period effects and a constant exposure effect, product-of-coefficients mediation on the
scenario's mediator pair) is run on data from

* the scenario as shipped (``baseline``);
* the scenario with one source of bias switched off (:func:`facmech.simulation.switch_off`):
  ``measurement``, ``feedback``, ``lagged``, ``buildup``, ``binary``;
* ``all_off``: every data source off;
* ``mediate_constant`` and ``mediate_exposure_time`` (stepped wedges only; a SMART has no exposure
  time): :func:`facmech.mediate` on each replicate's site-period table (the same replicates), with
  a constant exposure effect and with exposure-time indicators (Kenny et al. 2022), the latter
  against the time-averaged ``total_eti``/``nde_eti``/``nie_eti`` of the truth; and the same two
  with every data source off (``..._all_off``). This isolates the effect model of the analysis.

Each row reports the truth, bias, its Monte Carlo SE, bias in MC SEs, relative bias, and the 95%
interval coverage with its MC SE. Same seed and replicate streams for every variant.

Run (a few minutes on one core): ``nice python simulations/validity/decompose_bias.py --reps 500``.
Writes ``bias_sources.csv`` and ``bias_sources.md`` next to this file.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from facmech import mediate
from facmech.design import MapTrial, design_study
from facmech.design.results import operating_characteristics
from facmech.report.render import markdown_table
from facmech.simulation import SteppedWedge, simulate, switch_off, true_effects

HERE = Path(__file__).resolve().parent
SCENARIOS = ("zambia", "vha", "aim", "evidencenow")
SOURCES = ("measurement", "feedback", "lagged", "buildup", "binary")
ALPHA = 0.05


def mediate_analysis(trial: MapTrial, reps: int, seed: int, effect_model: str) -> dict:
    """``mediate`` on each replicate's site-period table (the replicates ``design_study`` draws:
    same streams), with ``effect_model`` ``"constant"`` or ``"exposure_time"``."""
    cols: dict[str, dict[str, list]] = {k: {c: [] for c in ("estimate", "std_error", "ci_low",
                                                            "ci_high", "reject")}
                                        for k in ("total", "direct", "indirect")}
    for r in range(reps):
        g = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0, r)))
        sp = simulate(trial.scenario, trial.design, seed=g, truth=False).site_periods
        res = mediate(sp, treatment="exposed", mediators=list(trial.mediators),
                      outcome=trial.scenario.outcome, site="site", period="period",
                      effect_model=effect_model, seed=g, alpha=ALPHA).to_frame()
        for key, name in (("total", "total"), ("direct", "nde"), ("indirect", "nie")):
            row = res.loc[name]
            for c in ("estimate", "std_error", "ci_low", "ci_high"):
                cols[key][c].append(float(row[c]))
            cols[key]["reject"].append(bool(row["p_value"] < ALPHA))
    return {k: {c: np.asarray(v) for c, v in d.items()} for k, d in cols.items()}


def _rows(scenario: str, variant: str, table: dict[str, dict], truth: dict[str, float]) -> list:
    rows = []
    for estimand, cols in table.items():
        oc = operating_characteristics(cols, truth[estimand])
        rows.append({
            "scenario": scenario, "variant": variant, "estimand": estimand,
            "truth": oc["truth"], "bias": oc["bias"], "bias_mc_se": oc["bias_mc_se"],
            "bias_in_mc_se": oc["bias"] / oc["bias_mc_se"] if oc["bias_mc_se"] > 0 else np.nan,
            "relative_bias": oc["bias"] / oc["truth"] if oc["truth"] else np.nan,
            "coverage": oc["coverage"], "coverage_mc_se": oc["coverage_mc_se"],
            "empirical_se": oc["empirical_se"], "model_se": oc["model_se"], "reps": oc["reps"],
        })
    return rows


def run_scenario(name: str, *, sites: int, reps: int, mediate_reps: int, seed: int) -> list[dict]:
    base = MapTrial(name, sites=sites)
    rows = []
    variants = {"baseline": ()} | {s: (s,) for s in SOURCES} | {"all_off": SOURCES}
    for variant, sources in variants.items():
        t0 = time.perf_counter()
        scenario = switch_off(base.scenario, *sources)
        trial = MapTrial(scenario, base.design, mediators=base.mediators)
        res = design_study(trial, reps=reps, seed=seed, progress=False)
        rows.extend(_rows_from_study(name, variant, res))
        if isinstance(base.design, SteppedWedge) and variant in ("baseline", "all_off"):
            truth = true_effects(scenario.replace(mediators=base.mediators), base.design)
            eti_truth = {"total": truth["total_eti"], "direct": truth["nde_eti"],
                         "indirect": truth["nie_eti"]}
            suffix = "" if variant == "baseline" else "_all_off"
            rows.extend(_rows(name, f"mediate_constant{suffix}",
                              mediate_analysis(trial, mediate_reps, res.seed, "constant"),
                              {"total": truth["total"], "direct": truth["nde"],
                               "indirect": truth["nie"]}))
            rows.extend(_rows(name, f"mediate_exposure_time{suffix}",
                              mediate_analysis(trial, mediate_reps, res.seed, "exposure_time"),
                              eti_truth))
        print(f"{name:12s} {variant:13s} {time.perf_counter() - t0:6.1f} s", flush=True)
    return rows


def _rows_from_study(scenario: str, variant: str, res) -> list[dict]:
    tab = res.to_frame()
    rows = []
    for _, r in tab.iterrows():
        rows.append({
            "scenario": scenario, "variant": variant, "estimand": r["estimand"],
            "truth": r["truth"], "bias": r["bias"], "bias_mc_se": r["bias_mc_se"],
            "bias_in_mc_se": r["bias"] / r["bias_mc_se"] if r["bias_mc_se"] > 0 else np.nan,
            "relative_bias": r["bias"] / r["truth"] if r["truth"] else np.nan,
            "coverage": r["coverage"], "coverage_mc_se": r["coverage_mc_se"],
            "empirical_se": r["empirical_se"], "model_se": r["model_se"], "reps": int(r["reps"]),
        })
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=500)
    parser.add_argument("--mediate-reps", type=int, default=300)
    parser.add_argument("--sites", type=int, default=24)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    args = parser.parse_args()
    rows = []
    for name in args.scenarios.split(","):
        rows.extend(run_scenario(name, sites=args.sites, reps=args.reps,
                                 mediate_reps=args.mediate_reps, seed=args.seed))
    frame = pd.DataFrame(rows)
    frame.to_csv(HERE / "bias_sources.csv", index=False, float_format="%.6g")
    show = frame[["scenario", "variant", "estimand", "truth", "bias", "bias_mc_se", "bias_in_mc_se",
                  "relative_bias", "coverage", "coverage_mc_se"]]
    (HERE / "bias_sources.md").write_text(
        "# Sources of design-study bias, switched off one at a time\n\n" + markdown_table(
            show, digits=3, caption=f"{args.reps} replicates ({args.mediate_reps} for the "
            f"mediate rows), {args.sites} sites, seed {args.seed}; reading: README.md") + "\n",
        encoding="utf-8")


if __name__ == "__main__":
    main()
