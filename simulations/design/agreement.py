"""Simulated vs closed-form power, at full size (the CI tests use 1000 replicates per check).

For the fast linear trial model (facmech.design.LinearTrial), compare the simulated power of
``design_study`` with

* the Hussey & Hughes (2007) closed form (stepped wedge, total effect),
* the design-effect formula with a t(J - 2) reference (parallel, total effect; = PowerUpR cra2),
* the Kelcey et al. (2017) 2-2-1 joint-significance power (parallel, indirect effect through a
  site-level mediator; inputs standardized to PowerUpR's scale),

over several numbers of sites, with 5000 replicates per cell (Monte Carlo SE <= 0.007).

Run: ``.venv/bin/python simulations/design/agreement.py`` (about a minute).
Writes results/agreement.csv and results/agreement.md.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from facmech.design import LinearTrial, Mediator, Processes, design_study
from facmech.power import crt_power, mediation_221_power, stepped_wedge_power

OUT = Path(__file__).resolve().parent / "results"
REPS = 5000
SEED = 7


def _sim(trial, sites, analysis, estimand):
    res = design_study(trial, grid={"sites": sites}, analysis=analysis, reps=REPS, seed=SEED,
                       backend=Processes(workers=2), progress=False).to_frame()
    return res[res["estimand"] == estimand].set_index("sites")


def main() -> None:
    rows = []
    sw = LinearTrial(design="stepped-wedge", sites=12, steps=3, patients=10, icc=0.1, effect=0.3)
    sim = _sim(sw, [6, 12, 24], "total", "total")
    for j, row in sim.iterrows():
        ref = stepped_wedge_power(sites=j, steps=3, patients=10, effect=0.3, icc=0.1)
        rows.append(("stepped wedge, total (Hussey & Hughes)", j, ref.power, row))
    par = LinearTrial(design="parallel", sites=20, patients=15, icc=0.17, effect=0.5)
    sim = _sim(par, [10, 20, 40], "total", "total")
    for j, row in sim.iterrows():
        ref = crt_power(sites=j, patients=15, effect=0.5, icc=0.17)
        rows.append(("parallel, total (design effect, t(J-2))", j, ref.power, row))
    a, b, c, icc, n = 0.6, 0.5, 0.1, 0.1, 20
    med = LinearTrial(design="parallel", sites=40, patients=n, icc=icc, effect=c,
                      mediators=(Mediator("m", a=a, b=b),))
    sim = _sim(med, [20, 40, 80], "mediation", "indirect:m")
    pq = 0.25
    sd_m = math.sqrt(1 + pq * a**2)
    var_y = pq * (a * b + c) ** 2 + b**2 + 1
    rho2 = (pq * (a * b + c) ** 2 + b**2 + icc) / var_y
    for j, row in sim.iterrows():
        ref = mediation_221_power(a=a / sd_m, b=b * sd_m / math.sqrt(var_y),
                                  cprime=c / math.sqrt(var_y), icc=rho2, sites=j,
                                  patients=n, mc_sims=0)
        rows.append(("parallel, 2-2-1 indirect (Kelcey joint)", j, ref.joint, row))
    table = pd.DataFrame(
        [{"check": name, "sites": j, "analytic": ref, "simulated": r["power"],
          "mc_se": r["power_mc_se"], "z": (r["power"] - ref) / r["power_mc_se"],
          "coverage": r["coverage"], "bias": r["bias"]} for name, j, ref, r in rows]
    )
    OUT.mkdir(exist_ok=True)
    table.to_csv(OUT / "agreement.csv", index=False)
    lines = [f"# Simulated vs analytic power ({REPS} replicates per cell, seed {SEED})", "",
             "| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    for rec in table.itertuples(index=False):
        lines.append("| " + " | ".join(
            f"{v:.3f}" if isinstance(v, float) else str(v) for v in rec) + " |")
    (OUT / "agreement.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
