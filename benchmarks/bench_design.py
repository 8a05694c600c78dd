"""Benchmark: batched design-study estimation vs a per-replicate statsmodels loop.

Workload (issue 7): 1000 replicates of a 24-site stepped-wedge trial (4 steps, 5 periods, 20 patients
per site-period) with a three-mediator analysis (total effect, direct effect and three indirect
effects with Monte Carlo intervals).

* facmech: ``design_study`` (simulation + batched FGLS), serial and on 2 processes.
* statsmodels loop: per replicate, the same five random-intercept models fitted one by one with
  ``MixedLM`` (REML) on the site-period means, as one would write it by hand; timed on a subset of
  replicates and scaled to 1000.

Second workload (analysis only, on pre-drawn data): the sustained-dose g-formula of 1000 Zambia-like
24-site stepped-wedge trials, batched ICE (:func:`facmech.gmethods.ice.ice_contrast`, sandwich and
jackknife SEs) vs ``facmech.gmethods.gformula(method="ice")`` per replicate (point estimate only,
and with its default-style site bootstrap of 200 draws); and the SMART analysis of 1000 AIM trials
(:func:`facmech.design.smart.smart_batch`: total, mediation with 1000 MC draws, regimes) vs
statsmodels OLS per replicate for the same four models.

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


def _stack(trial, n: int) -> dict:
    draws = [trial.draw_data(np.random.default_rng(r)) for r in range(n)]
    return {k: np.stack([d[k] for d in draws]) for k in draws[0]}


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def gformula_and_smart() -> None:
    from facmech.design import MapTrial
    from facmech.design.analysis import Analysis, analyze_batch
    from facmech.gmethods import gformula
    from facmech.gmethods.ice import ice_contrast

    trial = MapTrial("zambia", sites=24, steps=4, patients=40)
    data = _stack(trial, REPS)
    treat, control = trial.sustained_strategy()
    args = (data["dose"], data["confounders"], data["y"])
    sandwich = _timed(lambda: ice_contrast(*args, treat=treat, control=control,
                                           std_error="sandwich"))
    jack = _timed(lambda: ice_contrast(*args, treat=treat, control=control,
                                       std_error="jackknife"))
    n, t = data["y"].shape[1:]
    kw = dict(site="site", period="period", treatment="facilitation",
              confounders=["leadership_engagement"], outcome="y", timing="after",
              outcome_at="mean", method="ice", strategies=["from:1:1.5", "never"])

    def frame(r):
        return pd.DataFrame({"site": np.repeat(np.arange(n), t), "period": np.tile(np.arange(t), n),
                             "facilitation": data["dose"][r].ravel(),
                             "leadership_engagement": data["confounders"][r, ..., 0].ravel(),
                             "y": data["y"][r].ravel()})

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        point = _timed(lambda: [gformula(frame(r), **kw, inference=None)
                                for r in range(LOOP_REPS * 5)]) * REPS / (LOOP_REPS * 5)
        boot = _timed(lambda: [gformula(frame(r), **kw, inference=200, seed=r)
                               for r in range(LOOP_REPS)]) * REPS / LOOP_REPS
    print(f"\nworkload: sustained-dose ICE g-formula, {REPS} Zambia-like 24-site stepped wedges "
          "(analysis only)")
    print(f"facmech batched ICE, sandwich SE  : {sandwich:7.2f} s")
    print(f"facmech batched ICE, jackknife SE : {jack:7.2f} s")
    print(f"gformula(ice) loop, point only    : {point:7.2f} s  ratio {point / sandwich:6.1f}x")
    print(f"gformula(ice) loop, 200 bootstrap : {boot:7.2f} s  ratio {boot / sandwich:6.1f}x "
          f"(vs jackknife {boot / jack:5.1f}x)")

    aim = MapTrial("aim")
    sd = _stack(aim, REPS)
    ana = Analysis(parts=("total", "mediation", "regimes"))
    rngs = [np.random.default_rng(r) for r in range(REPS)]
    batched = _timed(lambda: analyze_batch(aim, ana, sd["x"], sd["y"], sd["m"], rngs, extra=sd))

    def loop(n_reps: int) -> None:
        s1 = aim.design.stage1_periods
        for r in range(n_reps):
            nr = ~sd["responder"][r]
            f = pd.DataFrame({"arm": sd["x"][r, nr, s1:].mean(axis=1),
                              "y2": sd["y"][r, nr, s1:].mean(axis=1),
                              "y1": sd["y"][r, nr, :s1].mean(axis=1),
                              "m2": sd["m"][r, 0, nr, s1:].mean(axis=1),
                              "m1": sd["m"][r, 0, nr, :s1].mean(axis=1)})
            smf.ols("y2 ~ arm + y1", f).fit()
            smf.ols("m2 ~ arm + m1", f).fit()
            smf.ols("y2 ~ arm + m2 + y1", f).fit()
            smf.ols("y2 ~ arm", f).fit()

    per = _timed(lambda: loop(LOOP_REPS * 5)) * REPS / (LOOP_REPS * 5)
    print(f"\nworkload: SMART analysis (total, mediation, regimes) of {REPS} AIM trials")
    print(f"facmech smart_batch               : {batched:7.2f} s")
    print(f"statsmodels OLS loop (4 models)   : {per:7.2f} s  ratio {per / batched:6.1f}x")


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
    gformula_and_smart()


if __name__ == "__main__":
    main()
