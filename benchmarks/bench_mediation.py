"""Benchmark: facmech mediation vs statsmodels ``Mediation`` and per-draw refits.

1. framing (R ``mediation`` vignette model: OLS mediator, probit outcome), 1000 quasi-Bayesian
   draws: ``facmech.mediation.mediate`` vs ``statsmodels.stats.mediation.Mediation.fit(n_rep=1000)``
   (which refits both models per draw). Target ratio >= 50.
2. Cluster bootstrap, 2000 draws, 60 sites x 50 patients, three ordered mediators, Gaussian and
   probit outcomes: facmech's batched refits vs a per-draw loop of statsmodels OLS/GLM refits
   (timed on 20 draws, scaled to 2000). Target: a few seconds.
3. Design-study use: ``mediate_arrays`` on 1000 simulated 40-site trials at once.
4. The cost of statsmodels models: the same three-mediator analysis (60 sites x 50 patients, 1000
   Monte Carlo draws, CR2) through the batched core (``covariates=``) and through statsmodels fits
   (``mediator_formula=``/``outcome_formula=``: OLS fits, then the same draws), and with random
   intercepts (``random_intercept=True``: statsmodels ``MixedLM`` REML fits); ratios to the batched
   path. (The outcome gets a site effect here so that its random intercept has a variance to fit.)

Run: ``.venv/bin/python benchmarks/bench_mediation.py [--quick]`` (``--quick`` times statsmodels on
100 draws and scales to 1000).
"""

from __future__ import annotations

import os
import sys
import time
import warnings

import numpy as np
import pandas as pd
import statsmodels
import statsmodels.api as sm
import statsmodels.formula.api as smf
from statsmodels.stats.mediation import Mediation

from facmech.mediation import Bootstrap, MonteCarlo, Robust, mediate, mediate_arrays
from facmech.mediation.synthetic import synthetic_trials

FRAMING = os.path.join(os.path.dirname(statsmodels.__file__), "stats", "tests", "results",
                       "framing.csv")


def _best(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def bench_framing(quick: bool) -> None:
    df = pd.read_csv(FRAMING, index_col=0)
    covs = ["age", "educ", "gender", "income"]
    t_fm, res = _best(lambda: mediate(df, treatment="treat", mediators="emo", outcome="cong_mesg",
                                      covariates=covs, outcome_family="probit",
                                      inference=MonteCarlo(1000, Robust("HC3")), seed=1))
    reps = 100 if quick else 1000
    om = smf.glm("cong_mesg ~ emo + treat + age + educ + gender + income", data=df,
                 family=sm.families.Binomial(link=sm.families.links.Probit()))
    mm = smf.ols("emo ~ treat + age + educ + gender + income", data=df)
    t = time.perf_counter()
    sm_res = Mediation(om, mm, "treat", "emo").fit(n_rep=reps)
    t_sm = (time.perf_counter() - t) * (1000 / reps)
    print("1. framing, 1000 quasi-Bayesian draws (probit outcome)")
    print(f"   facmech     {t_fm * 1000:8.1f} ms   ACME(avg) {res['nie'].estimate:.4f}")
    scaled = " (scaled from 100 draws)" if quick else ""
    print(f"   statsmodels {t_sm * 1000:8.1f} ms{scaled}   ACME(avg) "
          f"{sm_res.summary().loc['ACME (average)', 'Estimate']:.4f}")
    print(f"   ratio       {t_sm / t_fm:8.0f}x  (target >= 50x)")


def _trial_frame(seed: int, binary: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    G, m = 60, 50
    site = np.repeat(np.arange(G), m)
    a = (rng.permutation(G) < G // 2)[site].astype(float)
    x = rng.normal(size=site.size)
    u = rng.normal(scale=0.4, size=(3, G))[:, site]
    m1 = 0.5 * a + 0.3 * x + u[0] + rng.normal(size=site.size)
    m2 = 0.3 * a + 0.5 * m1 + u[1] + rng.normal(size=site.size)
    m3 = 0.2 * a + 0.4 * m2 + 0.2 * m1 + u[2] + rng.normal(size=site.size)
    y = 0.2 * a + 0.3 * m1 + 0.2 * m2 + 0.3 * m3 + 0.2 * x + rng.normal(size=site.size)
    if binary:
        y = (y > 0.8).astype(float)
    return pd.DataFrame({"site": site, "fac": a, "x": x, "lead": m1, "trust": m2, "norm": m3,
                         "y": y})


def _loop_bootstrap(df: pd.DataFrame, draws: int, binary: bool, seed: int) -> float:
    """Per-draw refits with statsmodels (models only; effects would add more)."""
    rng = np.random.default_rng(seed)
    sites = {arm: df.loc[df.fac == arm, "site"].unique() for arm in (0.0, 1.0)}
    groups = dict(tuple(df.groupby("site")))
    t = time.perf_counter()
    for _ in range(draws):
        pick = np.concatenate([rng.choice(s, s.size) for s in sites.values()])
        boot = pd.concat([groups[g] for g in pick], ignore_index=True)
        smf.ols("lead ~ fac + x", boot).fit()
        smf.ols("trust ~ fac + lead + x", boot).fit()
        smf.ols("norm ~ fac + lead + trust + x", boot).fit()
        f = "y ~ fac + lead + trust + norm + x"
        if binary:
            smf.glm(f, boot, family=sm.families.Binomial(sm.families.links.Probit())).fit()
        else:
            smf.ols(f, boot).fit()
    return time.perf_counter() - t


def bench_bootstrap() -> None:
    print("2. cluster bootstrap, 2000 draws, 60 sites x 50 patients, 3 ordered mediators")
    for binary in (False, True):
        df = _trial_frame(1, binary)
        fam = "probit" if binary else "gaussian"
        t_fm, res = _best(lambda df=df, fam=fam: mediate(
            df, treatment="fac", mediators=["lead", "trust", "norm"], outcome="y",
            covariates=["x"], site="site", outcome_family=fam, inference=Bootstrap(2000),
            seed=2), repeat=2)
        t_loop = _loop_bootstrap(df, 20, binary, 3) * 100
        print(f"   {fam:8s} facmech {t_fm:6.2f} s   statsmodels loop {t_loop:7.1f} s "
              f"(scaled from 20 draws)   ratio {t_loop / t_fm:5.0f}x   "
              f"nie {res['nie'].estimate:.3f}"
              f" [{res['nie'].ci_low:.3f}, {res['nie'].ci_high:.3f}]")


def bench_replicates() -> None:
    tr = synthetic_trials(replicates=1000, sites=40, patients=20, seed=3)
    t, out = _best(lambda: mediate_arrays(tr.treatment, tr.mediators, tr.outcome, tr.covariates,
                                          site=tr.cluster, inference=MonteCarlo(1000), seed=4),
                   repeat=2)
    i = out.names.index("nie")
    cover = np.mean((out.ci_low[:, i] <= tr.truth["nie"]) & (tr.truth["nie"] <= out.ci_high[:, i]))
    print("3. mediate_arrays: 1000 replicates of a 40-site x 20-patient trial, 1000 MC draws each")
    print(f"   {t:6.2f} s total ({t:.4f} s / 1000 = {t:.2f} ms per replicate); "
          f"nie 95% coverage {cover:.3f}")


def bench_statsmodels_path() -> None:
    df = _trial_frame(1, False)
    site_effect = np.random.default_rng(9).normal(scale=0.4, size=60)  # the outcome's, for MixedLM
    df = df.assign(y=df["y"] + site_effect[df["site"]])
    meds = ["lead", "trust", "norm"]
    base = dict(treatment="fac", mediators=meds, outcome="y", cluster="site",
                inference=MonteCarlo(1000), seed=5)
    formulas = {"lead": "lead ~ fac + x", "trust": "trust ~ fac + lead + x",
                "norm": "norm ~ fac + lead + trust + x"}
    t_b, rb = _best(lambda: mediate(df, covariates=["x"], **base))
    t_f, rf = _best(lambda: mediate(df, mediator_formula=formulas,
                                    outcome_formula="y ~ fac + lead + trust + norm + x", **base))
    t_m, rm = _best(lambda: mediate(df, covariates=["x"], random_intercept=True, **base), repeat=1)
    print("4. statsmodels-model path vs the batched path: 60 sites x 50 patients, 3 mediators, "
          "1000 MC draws")
    print(f"   batched core          {t_b * 1000:8.1f} ms   nie {rb['nie'].estimate:.4f}")
    print(f"   formulas (OLS fits)   {t_f * 1000:8.1f} ms   nie {rf['nie'].estimate:.4f}   "
          f"ratio {t_f / t_b:5.1f}x")
    print(f"   random intercepts     {t_m * 1000:8.1f} ms   nie {rm['nie'].estimate:.4f}   "
          f"ratio {t_m / t_b:5.1f}x (MixedLM REML fits)")


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    quick = "--quick" in sys.argv
    bench_framing(quick)
    bench_bootstrap()
    bench_replicates()
    bench_statsmodels_path()
