"""Seeded generator of ``bfgs_stall.csv``: a 60-site trial on which statsmodels ``MixedLM``'s BFGS
stops far from the REML optimum of ``trust ~ fac + lead + x`` with a random intercept per site
(|gradient| 0.008 per row), while lme4 and Powell's method find it. The R script
``bfgs_stall_lme4.R`` beside it fits the model with lme4. Run from the repository root:
``python tests/mediation/results/make_bfgs_stall.py``.
"""

from pathlib import Path

import numpy as np
import pandas as pd


def make(seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    G, m = 60, 50
    site = np.repeat(np.arange(G), m)
    fac = (rng.permutation(G) < G // 2)[site].astype(float)
    x = rng.normal(size=site.size)
    u = rng.normal(scale=0.4, size=(3, G))[:, site]
    lead = 0.5 * fac + 0.3 * x + u[0] + rng.normal(size=site.size)
    trust = 0.3 * fac + 0.5 * lead + u[1] + rng.normal(size=site.size)
    return pd.DataFrame({"site": site, "fac": fac, "x": np.round(x, 6),
                         "lead": np.round(lead, 6), "trust": np.round(trust, 6)})


if __name__ == "__main__":
    out = Path(__file__).with_name("bfgs_stall.csv")
    make().to_csv(out, index=False)
    print(f"wrote {out}")
