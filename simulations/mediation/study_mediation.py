"""Simulation study: bias and 95% interval coverage of facmech.mediation.mediate with known truth.

Two data sources:

* ``simulator``: facmech.simulation (issue 3's map-based simulator), scenarios ``zambia`` and
  ``vha``
  (mediator ``champions``, outcome ``patient_outcomes``), truth from ``simulate(...).truth``
  (its own large truth population). Each replicate is analysed exactly as a user would:
  ``mediate(data, treatment="exposed", mediators=["champions"], outcome="patient_outcomes",
  covariates=["outer_context", "inner_context"], cluster="site",
  time="period" if several periods)``.
* ``synthetic``: the linear-Gaussian DGP of ``facmech.mediation.synthetic`` (site random effects in
  every model; exact truth), analysed in batches with ``mediate_arrays``; also with a binary
  outcome (latent-probit with a site effect; truth by the mediation formula).

Settings: parallel trial with 40 sites, stepped wedge with 24 sites, and the VHA setting of 9 sites
with the default small-sample correction (CR2 covariance, t(G-1) draws) and without it (CR0, normal
draws). Writes ``results.csv`` and ``results.md`` next to this file.

Run: ``.venv/bin/python simulations/mediation/study_mediation.py`` (about 10 minutes on one core).
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from facmech.mediation import Bootstrap, Clustered, MonteCarlo, mediate, mediate_arrays
from facmech.mediation.synthetic import synthetic_trials
from facmech.simulation import ParallelCRT, SteppedWedge, load_scenario, simulate

HERE = Path(__file__).parent
EFFECTS = ("total", "nde", "nie")
SIM_REPS = 1000
SYN_REPS = 5000
DRAWS = 1000


def _summ(source, scenario, design, sites, inference, truth, est, lo, hi, se):
    rows = []
    for j, e in enumerate(EFFECTS):
        t = truth[e]
        x = est[:, j]
        rows.append({
            "source": source, "scenario": scenario, "design": design, "sites": sites,
            "inference": inference, "effect": e, "truth": t, "reps": len(x),
            "mean_estimate": x.mean(), "bias": x.mean() - t,
            "mc_se_bias": x.std(ddof=1) / np.sqrt(len(x)),
            "empirical_se": x.std(ddof=1), "mean_se": se[:, j].mean(),
            "coverage": np.mean((lo[:, j] <= t) & (t <= hi[:, j])),
            "mc_se_coverage": np.sqrt(0.95 * 0.05 / len(x)),
        })
    return rows


def simulator_setting(scenario, design, label, covariance):
    sc = load_scenario(scenario)
    truth = simulate(sc, design, seed=0).truth
    out = np.empty((4, SIM_REPS, 3))
    for r in range(SIM_REPS):
        df = simulate(sc, design, seed=10_000 + r, truth=False).data
        res = mediate(df, treatment="exposed", mediators=list(sc.mediators), outcome=sc.outcome,
                      covariates=["outer_context", "inner_context"], cluster="site",
                      time="period" if df["period"].nunique() > 1 else None,
                      inference=MonteCarlo(DRAWS, covariance), seed=r)
        for j, e in enumerate(EFFECTS):
            out[:, r, j] = (res[e].estimate, res[e].ci_low, res[e].ci_high, res[e].std_error)
    raw = covariance is not None and covariance.small_sample.value == "none"
    name = "CR0 + normal" if raw else "CR2 + t(G - p_b)"
    return _summ("simulator", scenario, label, design.sites, f"MonteCarlo, {name}", truth,
                 out[0], out[1], out[2], out[3])


def synthetic_setting(label, inference, name, reps=SYN_REPS, chunk=500,
                      source="synthetic", **kw):
    """Batched analysis in chunks of ``chunk`` replicates (one seed stream per chunk)."""
    parts = {k: [] for k in ("est", "lo", "hi", "se")}
    seeds = np.random.SeedSequence(2024).spawn(reps // chunk)
    for ss in seeds:
        tr = synthetic_trials(replicates=chunk, seed=np.random.default_rng(ss), **kw)
        res = mediate_arrays(tr.treatment, tr.mediators, tr.outcome, tr.covariates,
                             cluster=tr.cluster, inference=inference,
                             outcome_family=kw.get("outcome_family", "gaussian"),
                             seed=np.random.default_rng(ss))
        idx = [res.names.index(e) for e in EFFECTS]
        parts["est"].append(res.estimate[:, idx])
        parts["lo"].append(res.ci_low[:, idx])
        parts["hi"].append(res.ci_high[:, idx])
        parts["se"].append(res.std_error[:, idx])
    cat = {k: np.concatenate(v) for k, v in parts.items()}
    return _summ(source, "linear DGP", label, kw["sites"], name, tr.truth,
                 cat["est"], cat["lo"], cat["hi"], cat["se"])


def _markdown(frame: pd.DataFrame) -> str:
    head = "| " + " | ".join(frame.columns) + " |"
    sep = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = [
        "| " + " | ".join(f"{v:.4f}" if isinstance(v, float) else str(v) for v in row) + " |"
        for row in frame.itertuples(index=False)
    ]
    return "\n".join([head, sep, *body])


def main() -> None:
    warnings.simplefilter("ignore")
    rows = []
    t0 = time.time()
    cr0 = Clustered(small_sample="none")
    for scenario, design, label in [
        ("zambia", ParallelCRT(sites=40, patients=20), "parallel"),
        ("zambia", SteppedWedge(sites=24, steps=4, patients=10), "stepped wedge"),
        ("vha", ParallelCRT(sites=9, patients=30), "parallel"),
        ("vha", SteppedWedge(sites=9, steps=3, patients=30), "stepped wedge"),
    ]:
        for cov in ((None, cr0) if design.sites < 20 else (None,)):
            rows += simulator_setting(scenario, design, label, cov)
            print(f"{scenario} {label} {design.sites} sites done ({time.time() - t0:.0f} s)")
    mc = MonteCarlo(DRAWS)
    rows += synthetic_setting("parallel", mc, "MonteCarlo, CR2 + t(G - p_b)", sites=40, patients=20)
    rows += synthetic_setting("stepped wedge", mc, "MonteCarlo, CR2 + t(G - p_b)", sites=24,
                              patients=8, design="stepped_wedge")
    rows += synthetic_setting("parallel", mc, "MonteCarlo, CR2 + t(G - p_b)", sites=9, patients=30)
    rows += synthetic_setting("parallel", MonteCarlo(DRAWS, cr0), "MonteCarlo, CR0 + normal",
                              sites=9, patients=30)
    for label, kw in (("parallel", dict(sites=40, patients=20)),
                      ("stepped wedge", dict(sites=24, patients=8, design="stepped_wedge"))):
        rows += synthetic_setting(label, MonteCarlo(500), "MonteCarlo, CR2 + t(G - p_b)",
                                  reps=1000, chunk=100, c=0.2, outcome_family="probit",
                                  source="synthetic, probit outcome", **kw)
    rows += synthetic_setting("parallel", Bootstrap(1000), "site bootstrap (stratified), "
                              "percentile", reps=1000, chunk=100, sites=40, patients=20)
    rows += synthetic_setting("parallel", Bootstrap(1000), "site bootstrap (stratified), "
                              "percentile", reps=1000, chunk=100, sites=9, patients=30)
    print(f"synthetic done ({time.time() - t0:.0f} s)")
    frame = pd.DataFrame(rows)
    frame.to_csv(HERE / "results.csv", index=False, float_format="%.5f")
    cols = ["source", "scenario", "design", "sites", "inference", "effect", "truth",
            "bias", "mc_se_bias", "empirical_se", "mean_se", "coverage", "reps"]
    md = _markdown(frame[cols])
    (HERE / "results.md").write_text(
        "# Mediation simulation study (generated by study_mediation.py)\n\n"
        "Coverage of 95% intervals; Monte Carlo SD of a coverage near 95% is 0.69 points at 1000 "
        "replicates and 0.31 at 5000.\n\n" + md + "\n"
    )
    print(md)


if __name__ == "__main__":
    main()
