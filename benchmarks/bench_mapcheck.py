"""Benchmark: the map check on period data against the obvious computation of the same numbers.

A Zambia-like stepped wedge (120 sites x 5 periods x 40 patients) simulated from the built-in map;
``test_implications(..., time="period", design="step")`` tests its 106 claims that need no survey
mean (the others are untestable without the staff surveys). Each claim's regression has one
common tested slope and period-specific nuisance columns (~20-40 columns). facmech fits the claims
sharing a conditioning set as one stack, from per-period projections (Frisch-Waugh-Lovell); the
alternative fits each claim's full design with :class:`facmech.estimation.subsets.SubsetRegressions`
(the CR2 engine of the rolled-map check: one QR, per-site Gram matrices, an eigendecomposition per
site of p x p). Both give the same estimates, standard errors and Bell-McCaffrey df (checked here
to 1e-9). CPU seconds, best of 3. Also times the check with the staff surveys (Fuller-corrected
claims, no alternative in facmech).

Run: OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_mapcheck.py
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from facmech.estimation.subsets import SubsetRegressions as BatchedOLS
from facmech.formats import load_map
from facmech.identification import test_implications
from facmech.identification._period_tests import (
    _default_noisy,
    _group_design,
    _node_values,
    period_data,
)
from facmech.identification.period_implications import (
    DESIGN_NODE,
    PeriodDesign,
    TimedNode,
    period_implications,
)
from facmech.simulation import SteppedWedge, simulate

warnings.filterwarnings("ignore")


def _best(fn, reps: int = 3) -> float:
    best = float("inf")
    for _ in range(reps):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def main() -> None:
    mmap = load_map()
    trial = simulate("zambia", SteppedWedge(sites=120, steps=4, patients=40), seed=1, truth=False,
                     surveys=True)
    kw = dict(cluster="site", time="period", design="step")
    ours = test_implications(mmap, trial.data, **kw)  # warms the claim cache
    t_ours = _best(lambda: test_implications(mmap, trial.data, **kw))
    t_surveys = _best(lambda: test_implications(mmap, trial.data, surveys=trial.surveys, **kw))

    obs = [n for n in mmap.node_ids if n not in mmap.latent_ids]
    pdata = period_data(trial.data, cluster="site", time="period", nodes=obs, design=["step"])
    claims = [c for c in period_implications(mmap, 5, varying=sorted(pdata.varying),
                                             design=PeriodDesign(columns=("step",)),
                                             error_prone=_default_noisy(mmap, pdata, obs))
              if str(c) in set(ours.table["implication"])]
    assert len(claims) == len(ours.table)

    def dense() -> list[tuple[float, float, float]]:
        out = []
        for c in claims:
            gated = c.y.node == "facilitation" and TimedNode(DESIGN_NODE) in c.given
            g = _group_design(c.given, c.periods, gated, pdata)
            x = _node_values(pdata, c.x, g.i, g.t)[0]
            y = _node_values(pdata, c.y, g.i, g.t)[0]
            z = np.column_stack([x] + [col.values for col in g.cols] + [y])
            p = z.shape[1] - 1
            b, v, d = BatchedOLS(z, np.unique(g.i, return_inverse=True)[1]).cr2(
                np.arange(p)[None], np.array([p]), j=0)
            out.append((b[0, 0], np.sqrt(v[0, 0, 0]), d[0]))
        return out

    ref = dict(zip((str(c) for c in claims), dense(), strict=True))
    tab = ours.table.set_index("implication")
    got = np.array([tab.loc[k, ["estimate", "std_error", "df"]].to_numpy(float) for k in ref])
    np.testing.assert_allclose(got, np.array(list(ref.values())), rtol=1e-9)
    t_dense = _best(dense)
    print(f"map check, {len(claims)} claims, 120 sites x 5 periods: stacked {t_ours:.3f} s, "
          f"BatchedOLS per claim {t_dense:.3f} s (claims' fits only): ratio {t_dense / t_ours:.1f}x")
    print(f"the same check with the staff surveys (the Fuller-corrected claims too): "
          f"{t_surveys:.3f} s")


if __name__ == "__main__":
    main()
