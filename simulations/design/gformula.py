"""Design study of the sustained-dose effect by the batched ICE g-formula (facmech.gmethods.ice).

The default Zambia-like scenario of facmech.simulation (facilitation dose reacting to last period's
leadership engagement, which earlier facilitation moves: time-varying confounding), in

* its stepped-wedge design (4 steps, 5 periods, 40 patients per site-period): "dose 1.5 from period
  1 on" vs "never", truth ``truth["sustained_from_period_1"]["contrast"]``;
* a 4-period parallel design (20 patients per site-period): "dose 1.5 every period" vs "never",
  truth ``truth["sustained"]["contrast"]``;

with 12 to 96 sites and both standard errors of the contrast (influence-function sandwich and
delete-one-site jackknife; same seed, so the same estimates). The linear ICE is slightly misspecified
here (binary uptake node, dose floor at 0), as in simulations/gmethods study C/D.

Run (about 2 minutes on 2 cores):
    .venv/bin/python simulations/design/gformula.py [--reps 1000] [--workers 2]
Writes results/gformula.csv and results/gformula.md.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from facmech.design import Analysis, MapTrial, Processes, design_study
from facmech.report.render import markdown_table

OUT = Path(__file__).resolve().parent / "results"

DESIGNS = {
    "stepped wedge": (MapTrial("zambia", steps=4, patients=40), [12, 24, 48, 96]),
    "parallel, 4 periods": (MapTrial("zambia", design="parallel", periods=4, patients=20),
                            [12, 24, 48, 96]),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    frames = []
    t_all = time.perf_counter()
    for name, (trial, sites) in DESIGNS.items():
        for se in ("sandwich", "jackknife"):
            t0 = time.perf_counter()
            res = design_study(trial, grid={"sites": sites},
                               analysis=Analysis(parts=("gformula",), gformula_se=se),
                               reps=args.reps, seed=args.seed,
                               backend=Processes(workers=args.workers), progress=False)
            frame = res.to_frame()
            frame.insert(0, "std_error", se)
            frame.insert(0, "design", name)
            frames.append(frame)
            print(f"{name}, {se}: {time.perf_counter() - t0:.0f} s", flush=True)
    table = pd.concat(frames, ignore_index=True)
    OUT.mkdir(exist_ok=True)
    table.to_csv(OUT / "gformula.csv", index=False)
    cols = ["design", "std_error", "sites", "truth", "bias", "bias_mc_se", "empirical_se",
            "model_se", "coverage", "coverage_mc_se", "power"]
    with (OUT / "gformula.md").open("w") as fh:
        fh.write(f"# Sustained-dose g-formula design study ({args.reps} replicates per cell, seed "
                 f"{args.seed}, {time.perf_counter() - t_all:.0f} s on {args.workers} "
                 "processes)\n\nZambia-like scenario; see simulations/design/README.md.\n\n")
        fh.write(markdown_table(table[cols]) + "\n")


if __name__ == "__main__":
    main()
