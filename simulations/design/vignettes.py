"""Design study over the four vignette scenarios of Kilbourne et al. (2023).

For each vignette scenario of facmech.simulation (VHA, EvidenceNOW NYC, Zambia: stepped wedge; AIM:
SMART), vary the number of sites around the trial's size and estimate power, bias, RMSE and coverage
of the total effect, the direct effect and the indirect effect through the scenario's mediator
(product of coefficients on the staff-survey site-period means, random-intercept FGLS with period
effects; for the AIM SMART: EF+IF vs EF among non-responders, site-level ANCOVA on stage-2 means,
facmech.design.smart), plus the AIM SMART's embedded-regime contrast and, for Zambia, the
sustained-dose contrast by the batched ICE g-formula (jackknife SE, facmech.gmethods.ice). Truth: the
simulator's counterfactual total, NDE and NIE (over non-responders' stage-2 site-periods for the
SMART), the regime contrast on the same truth population, and truth["sustained_from_period_1"].

Run (about 2 minutes on 2 cores):
    .venv/bin/python simulations/design/vignettes.py [--reps 1000] [--workers 2]
Writes results/vignettes.csv, results/vignettes.md and results/vignettes_power.png; checkpoints in
results/checkpoints/ let an interrupted run resume (removed once the run completes).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from facmech.design import MapTrial, Processes, design_study
from facmech.report.render import markdown_table

OUT = Path(__file__).resolve().parent / "results"

BOTH = ("total", "mediation")
VIGNETTES = {
    "vha": (MapTrial("vha"), [6, 9, 12, 18], BOTH),
    "evidencenow": (MapTrial("evidencenow"), [20, 40, 60], BOTH),
    "zambia": (MapTrial("zambia"), [12, 24, 36], (*BOTH, "gformula")),
    "aim (SMART)": (MapTrial("aim"), [40, 58, 80], (*BOTH, "regimes")),
}


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, cwd=OUT, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20230553)
    args = parser.parse_args()
    (OUT / "checkpoints").mkdir(parents=True, exist_ok=True)
    frames = []
    for name, (trial, sites, analysis) in VIGNETTES.items():
        t0 = time.perf_counter()
        res = design_study(
            trial, grid={"sites": sites}, analysis=analysis, reps=args.reps, seed=args.seed,
            backend=Processes(workers=args.workers), progress=True,
            checkpoint=OUT / "checkpoints" / f"{name.split()[0]}.jsonl",
        )
        frame = res.to_frame()
        frame.insert(0, "vignette", name)
        frames.append(frame)
        print(f"{name}: {time.perf_counter() - t0:.0f} s")
    table = pd.concat(frames, ignore_index=True)
    table.to_csv(OUT / "vignettes.csv", index=False)
    cols = ["vignette", "sites", "estimand", "truth", "power", "power_mc_se", "bias", "rmse",
            "coverage", "width"]
    with (OUT / "vignettes.md").open("w") as fh:
        fh.write(f"# Vignette design study ({args.reps} replicates per cell, seed {args.seed})\n\n"
                 f"Simulator at git commit {_commit()}; see README.md for how to read it.\n\n")
        fh.write(markdown_table(table[cols]) + "\n")
    fig, axes = plt.subplots(1, len(VIGNETTES), figsize=(4 * len(VIGNETTES), 3.6), sharey=True)
    for ax, (name, sub) in zip(axes, table.groupby("vignette", sort=False), strict=True):
        for est, s in sub.groupby("estimand", sort=False):
            ax.errorbar(s["sites"], s["power"], yerr=1.96 * s["power_mc_se"], marker="o",
                        capsize=3, label=est)
        ax.axhline(0.8, color="grey", lw=0.8, ls="--")
        ax.set_title(name)
        ax.set_xlabel("sites")
        ax.set_ylim(0, 1.02)
        ax.legend(fontsize=7, loc="upper left")
    axes[0].set_ylabel("power")
    fig.tight_layout()
    fig.savefig(OUT / "vignettes_power.png", dpi=120)
    shutil.rmtree(OUT / "checkpoints")  # the run is complete; checkpoints only serve resumption


if __name__ == "__main__":
    main()
