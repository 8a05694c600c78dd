"""Benchmark: batched design-study estimation vs a per-replicate statsmodels loop.

Workload (issue 7): 1000 replicates of a 24-site stepped-wedge trial (4 steps, 5 periods, 20 patients
per site-period) with a three-mediator analysis (total effect, direct effect and three indirect
effects with Monte Carlo intervals).

* facmech: ``design_study`` (simulation + batched FGLS), serial and on 2 processes.
* statsmodels loop: per replicate, the same five random-intercept models fitted one by one with
  ``MixedLM`` (REML) on the site-period means, as one would write it by hand; timed on a subset of
  replicates and scaled to 1000.

Prints wall times and the ratio. Run: ``.venv/bin/python benchmarks/bench_design.py``.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

from facmech.design import LinearTrial, Mediator, Processes, design_study

REPS = 1000
LOOP_REPS = 20

TRIAL = LinearTrial(
    design="stepped-wedge", sites=24, steps=4, patients=20, icc=0.05, effect=0.1,
    mediators=(Mediator("leadership_engagement", 0.4, 0.3), Mediator("acceptance", 0.3, 0.2),
               Mediator("trust", 0.2, 0.2)),
)


def statsmodels_loop(n: int) -> float:
    start = time.perf_counter()
    names = TRIAL.mediator_names
    for r in range(n):
        x, y, m = TRIAL.draw(np.random.default_rng(r))
        sites, periods = np.indices(y.shape)
        frame = pd.DataFrame({"site": sites.ravel(), "period": periods.ravel(), "x": x.ravel(),
                              "y": y.ravel(), **{k: m[j].ravel() for j, k in enumerate(names)}})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            smf.mixedlm("y ~ C(period) + x", frame, groups="site").fit(reml=True)
            for k in names:
                smf.mixedlm(f"{k} ~ C(period) + x", frame, groups="site").fit(reml=True)
            smf.mixedlm("y ~ C(period) + x + " + " + ".join(names), frame,
                        groups="site").fit(reml=True)
    return time.perf_counter() - start


def main() -> None:
    t0 = time.perf_counter()
    design_study(TRIAL, reps=REPS, seed=1, progress=False)
    serial = time.perf_counter() - t0
    t0 = time.perf_counter()
    design_study(TRIAL, reps=REPS, seed=1, backend=Processes(workers=2), progress=False)
    procs = time.perf_counter() - t0
    loop = statsmodels_loop(LOOP_REPS) * REPS / LOOP_REPS
    print(f"workload: {REPS} replicates, 24-site stepped wedge, 3 mediators (5 models each)")
    print(f"facmech design_study, serial      : {serial:7.2f} s")
    print(f"facmech design_study, 2 processes : {procs:7.2f} s")
    print(f"statsmodels MixedLM loop (scaled from {LOOP_REPS} reps): {loop:7.1f} s")
    print(f"ratio loop / facmech serial       : {loop / serial:7.1f}x")
    print(f"ratio loop / facmech 2 processes  : {loop / procs:7.1f}x")


if __name__ == "__main__":
    main()
