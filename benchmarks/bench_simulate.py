"""Benchmark: patient-rows per second of `facmech.simulation.simulate` (one core).

Compares the vectorized simulator (all sites x periods x patients at once) with the obvious
alternative, simulating a few sites at a time in a loop and concatenating the frames, and checks the
issue's bar of one million patient-rows per second. Also times the truth (counterfactual worlds on a
2000-site population) for the Zambia demo scenario, and a small simulation with the truth on its
first call and from the truth cache (issue 15).

    .venv/bin/python benchmarks/bench_simulate.py
"""

from __future__ import annotations

import os
import time

import pandas as pd

os.environ.setdefault("OMP_NUM_THREADS", "1")

from facmech.simulation import Observational, SteppedWedge, load_scenario, simulate
from facmech.simulation.truth import clear_truth_cache


def best_of(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    scenario = load_scenario("zambia")
    sites, periods, patients = 200, 5, 1000  # one million patient-rows
    design = SteppedWedge(sites=sites, steps=4, periods=periods, patients=patients)
    rows = sites * periods * patients
    simulate(scenario, design, seed=0, truth=False)  # warm up
    t_vec = best_of(lambda: simulate(scenario, design, seed=1, truth=False))

    small = Observational(sites=2, periods=periods, patients=patients, confounding=0.0)

    def loop() -> pd.DataFrame:
        return pd.concat([simulate(scenario, small, seed=k, truth=False).data
                          for k in range(sites // 2)], ignore_index=True)

    t_loop = best_of(loop, repeats=1)
    rate = rows / t_vec
    print(f"rows: {rows:,} ({sites} sites x {periods} periods x {patients} patients)")
    print(f"vectorized simulate : {t_vec:8.3f} s  {rate:14,.0f} rows/s")
    print(f"per-site loop+concat: {t_loop:8.3f} s  {rows / t_loop:14,.0f} rows/s")
    print(f"ratio (loop / vectorized time): {t_loop / t_vec:.1f}x")
    print(f"bar >= 1,000,000 rows/s: {'PASS' if rate >= 1e6 else 'FAIL'} ({rate / 1e6:.2f}x the bar)")

    t_demo = best_of(lambda: simulate("zambia", seed=1, truth=False))
    clear_truth_cache()
    t_truth = best_of(lambda: simulate("zambia", seed=1, truth=True), repeats=1)
    print(f"zambia demo trial (24 x 5 x 40): data {t_demo * 1e3:.1f} ms, with truth {t_truth:.2f} s")

    # issue 15: the truth is cached per (scenario, design): repeated small simulations pay it once
    small_sw = SteppedWedge(sites=24, steps=4, patients=20)
    t_data = best_of(lambda: simulate(scenario, small_sw, seed=2, truth=False), repeats=5)
    clear_truth_cache()
    t0 = time.perf_counter()
    simulate(scenario, small_sw, seed=2, truth=True)
    t_first = time.perf_counter() - t0
    t_cached = best_of(lambda: simulate(scenario, small_sw, seed=3, truth=True), repeats=5)
    print(f"small simulate (24 x 5 x 20): data {t_data * 1e3:.1f} ms; with truth, first call "
          f"{t_first * 1e3:.0f} ms ({t_first / t_data:.0f}x), cached {t_cached * 1e3:.1f} ms "
          f"({t_cached / t_data:.2f}x the data-only time; goal: close to 1x)")


if __name__ == "__main__":
    main()
