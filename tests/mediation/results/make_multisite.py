"""Seeded generator of ``multisite.csv``: a two-arm multisite trial with site random intercepts.

40 sites x 25 patients. Site-level binary treatment ``facilitation`` (20 sites each) and a
site-level continuous ``dose`` (facilitation hours, 0-6); patient covariate ``readiness`` and
site covariate ``region`` (3 levels); continuous mediator ``trust`` and outcome ``uptake`` with
random intercepts for site (SD 0.5 and 0.4) and the binary outcome ``adopted``. The R script
``multisite_lme4_mediation.R`` beside it fits it with lme4 + mediation. Run from the repository root:
``python tests/mediation/results/make_multisite.py``.
"""

from pathlib import Path

import numpy as np
import pandas as pd


def make(seed: int = 20261203) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    G, n = 40, 25
    site = np.repeat(np.arange(1, G + 1), n)
    arm = rng.permutation(np.repeat([0, 1], G // 2))
    dose = np.round(rng.uniform(0, 6, size=G), 1)
    region = rng.choice(["north", "south", "west"], size=G)
    u_m, u_y = rng.normal(0, 0.5, size=G), rng.normal(0, 0.4, size=G)
    i = site - 1
    readiness = rng.normal(size=G * n)
    reg = (region[i] == "south") * 0.3 - (region[i] == "west") * 0.2
    trust = (0.5 * arm[i] + 0.15 * dose[i] + 0.4 * readiness + reg + u_m[i]
             + rng.normal(size=G * n))
    uptake = (0.3 * arm[i] + 0.05 * dose[i] + 0.6 * trust + 0.2 * arm[i] * trust
              + 0.3 * readiness - reg + u_y[i] + rng.normal(size=G * n))
    adopted = (rng.uniform(size=G * n) < 1 / (1 + np.exp(-(uptake - 0.8)))).astype(int)
    return pd.DataFrame({
        "site": site, "region": region[i], "facilitation": arm[i], "dose": dose[i],
        "readiness": np.round(readiness, 4), "trust": np.round(trust, 4),
        "uptake": np.round(uptake, 4), "adopted": adopted,
    })


if __name__ == "__main__":
    out = Path(__file__).with_name("multisite.csv")
    make().to_csv(out, index=False)
    print(f"wrote {out}")
