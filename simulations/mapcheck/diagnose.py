"""Why the true map was rejected: the old check with each data feature switched off, and the new one
with each of its parts taken away (issue 12, part 4).

Zambia-like stepped wedges from the built-in map at 120 sites (its design otherwise). The **old
check** is what ``facmech implications --data trial.csv --cluster site`` did before: the rolled map's
dagitty implications, each a regression on the rows as given (patient rows, or site-period means),
CR2 by site, Holm. It is run on data with the simulator's features switched off one after another
(``facmech.simulation.switch_off``: survey measurement error; then also the period trend of the
outcome; then the dose feedback; then the lagged edges and the exposure-time build-up; then the
binary uptake). The **new check** (``time="period"``) is run on the unchanged data in full and
without each of its parts: without the staff surveys (claims given survey means untestable), with
the survey means taken as error-free (``error_free``: tested uncorrected), and without the design
node (an unmeasured schedule instead), and with neither (what ``facmech implications --data
trial.csv --cluster site`` now runs: the data's ``period`` column is used, no design, no surveys).

Usage: ``OPENBLAS_NUM_THREADS=1 python simulations/mapcheck/diagnose.py --reps 100``; writes
``diagnosis.csv`` and ``diagnosis.md`` here.
"""

from __future__ import annotations

import argparse
import collections
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from facmech.errors import FewClustersWarning
from facmech.formats import load_map
from facmech.identification import test_implications
from facmech.simulation import load_design, load_scenario, simulate
from facmech.simulation.sources import switch_off

HERE = Path(__file__).resolve().parent
ROOT = 20260413
SURVEYED = ["outer_context", "inner_context", "readiness", "leadership_engagement", "acceptance",
            "champions", "role_clarity", "problem_solving", "coherence", "capacity", "trust",
            "normalization", "sustainment"]


def _scenarios():
    base = load_scenario("zambia")
    steps = [("as simulated", base)]
    s = switch_off(base, "measurement")
    steps.append(("survey error off", s))
    s = s.replace(trend=0.0)
    steps.append(("+ outcome period trend off", s))
    s = switch_off(s, "feedback")
    steps.append(("+ dose feedback off", s))
    s = switch_off(s, "lagged", "buildup")
    steps.append(("+ lagged edges and build-up off", s))
    s = switch_off(s, "binary")
    steps.append(("+ binary uptake off", s))
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--sites", type=int, default=120)
    args = parser.parse_args()
    mmap = load_map("facilitation")
    design = replace(load_design("zambia"), sites=args.sites)
    rows = []
    for k, (label, scenario) in enumerate(_scenarios()):
        seeds = np.random.SeedSequence([ROOT, k]).spawn(args.reps)
        tallies = {lvl: [0, collections.Counter()] for lvl in ("patient rows", "site-period means")}
        new = {m: [0, collections.Counter()] for m in (
            ["full (design, surveys)", "without surveys", "survey means taken as error-free",
             "without the design node", "neither design nor surveys (the bare CLI command)"]
            if k == 0 else [])}
        t0 = time.time()
        for rep in range(args.reps):
            trial = simulate(scenario, design, seed=np.random.default_rng(seeds[rep]),
                             truth=False, surveys=k == 0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FewClustersWarning)
                for lvl, data in (("patient rows", trial.data),
                                  ("site-period means", trial.site_periods)):
                    res = test_implications(mmap, data, cluster="site")
                    _tally(tallies[lvl], res)
                kw = dict(cluster="site", time="period")
                for mode, extra in (
                        ("full (design, surveys)", dict(design="step", surveys=trial.surveys)),
                        ("without surveys", dict(design="step")),
                        ("survey means taken as error-free", dict(design="step",
                                                                   error_free=SURVEYED)),
                        ("without the design node", dict(surveys=trial.surveys)),
                        ("neither design nor surveys (the bare CLI command)", {})):
                    if mode in new:
                        _tally(new[mode], test_implications(mmap, trial.data, **kw, **extra))
        for lvl, (rej, cnt) in tallies.items():
            rows.append(_row("old check (rolled map)", label, lvl, rej, cnt, args.reps))
        for mode, (rej, cnt) in new.items():
            rows.append(_row("new check (time='period')", label, mode, rej, cnt, args.reps))
        print(f"{label}: {time.time() - t0:.0f} s", flush=True)
    frame = pd.DataFrame(rows)
    frame.to_csv(HERE / "diagnosis.csv", index=False)
    (HERE / "diagnosis.md").write_text(_markdown(frame, args), encoding="utf-8")


def _tally(slot: list, res) -> None:
    slot[0] += res.falsified
    tab = res.to_frame()
    for imp in tab.loc[tab["rejected"], "implication"]:
        slot[1][imp] += 1


def _row(check: str, data: str, variant: str, rej: int, cnt: collections.Counter,
         reps: int) -> dict:
    rate = rej / reps
    return {"check": check, "data": data, "variant": variant, "reps": reps, "rate": rate,
            "mc_se": float(np.sqrt(max(rate * (1 - rate), 0.05 * 0.95) / reps)),
            "most_rejected": " ; ".join(f"{k} ({v})" for k, v in cnt.most_common(3))}


def _markdown(frame: pd.DataFrame, args: argparse.Namespace) -> str:
    lines = [
        "# Why the true map was rejected (issue 12, part 4)", "",
        f"Generated by `diagnose.py --reps {args.reps} --sites {args.sites}`: Zambia-like stepped "
        f"wedges simulated from the built-in map at {args.sites} sites; `rate` = share of trials "
        "in which the map was declared FALSIFIED at family-wise 5% (Holm); `most rejected` = the "
        "claims rejected most often (count over the trials). See the module docstring of "
        "`diagnose.py` for the variants.", "",
        "| check | data | variant | reps | rate | MC SE | most rejected |", "|---|---|---|---|---|---|---|"]
    for r in frame.itertuples(index=False):
        lines.append(f"| {r.check} | {r.data} | {r.variant} | {r.reps} | {r.rate:.2f} | "
                     f"{r.mc_se:.3f} | {r.most_rejected.replace('|', chr(92) + '|')} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
