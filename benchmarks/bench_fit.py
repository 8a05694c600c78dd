"""Benchmark: the batched fits of facmech.estimation.fit vs a loop of statsmodels fits.

Workloads (each printed as time, ratio against the loop, and facmech's peak memory measured with
:mod:`tracemalloc`, which sees numpy's allocations):

1. bootstrap of a linear model: 1000 frequency-weight draws, n = 2000 rows, K = 6 columns;
   ``wls(X, y, W)`` vs ``statsmodels.WLS(y, X, weights=w).fit()`` per draw;
2. the same for a logistic model: ``irls(X, y, "logit", W)`` vs ``GLM(Binomial, freq_weights=w)``;
3. replicates of a design study: 1000 data sets of 800 rows x 5 columns, one OLS each;
   ``wls(X, y)`` on the (R, n, K) stack vs ``statsmodels.OLS`` per data set;
4. a probit model on 200 replicates x 50 bootstrap draws (R, B > 1 at once).

The loops are timed on a fraction of the fits and scaled (printed as such). Run:
``.venv/bin/python benchmarks/bench_fit.py [--quick]``.
"""

from __future__ import annotations

import sys
import time
import tracemalloc

import numpy as np
import statsmodels.api as sm

from facmech.estimation.fit import irls, single_thread_blas, wls


def _best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def _peak_mb(fn) -> float:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def _loop(fn, count: int, total: int) -> float:
    t = time.perf_counter()
    for i in range(count):
        fn(i)
    return (time.perf_counter() - t) * total / count


def _report(label: str, fast, loop_time: float, scaled: str) -> None:
    t = _best(fast)
    mb = _peak_mb(fast)
    print(f"{label:58s} facmech {t:7.3f} s ({mb:6.1f} MB peak) | statsmodels loop "
          f"{loop_time:7.2f} s ({scaled}) | ratio {loop_time / t:7.1f}x")


def main(quick: bool) -> None:
    rng = np.random.default_rng(0)
    frac = 20 if quick else 5

    n, K, B = 2000, 6, 1000
    X = np.column_stack([np.ones(n), rng.normal(size=(n, K - 1))])
    y = X @ rng.normal(size=K) + rng.normal(size=n)
    W = rng.multinomial(n, np.full(n, 1 / n), size=B).astype(float)
    loop = _loop(lambda b: sm.WLS(y, X, weights=W[b]).fit().params, B // frac, B)
    _report(f"1. linear bootstrap, {B} draws, n={n}, K={K}", lambda: wls(X, y, W), loop,
            f"{B // frac} fits scaled")

    yb = (rng.random(n) < 1 / (1 + np.exp(-(X @ (0.3 * rng.normal(size=K)))))).astype(float)
    fam = sm.families.Binomial()
    loop = _loop(lambda b: sm.GLM(yb, X, family=fam, freq_weights=W[b]).fit().params,
                 B // (2 * frac), B)
    _report(f"2. logistic bootstrap, {B} draws, n={n}, K={K}", lambda: irls(X, yb, "logit", W),
            loop, f"{B // (2 * frac)} fits scaled")

    R, n3, K3 = 1000, 800, 5
    X3 = np.concatenate([np.ones((R, n3, 1)), rng.normal(size=(R, n3, K3 - 1))], axis=2)
    y3 = X3.sum(axis=2) + rng.normal(size=(R, n3))
    loop = _loop(lambda r: sm.OLS(y3[r], X3[r]).fit().params, R // frac, R)
    _report(f"3. design-study replicates, R={R}, n={n3}, K={K3}", lambda: wls(X3, y3), loop,
            f"{R // frac} fits scaled")

    R4, B4, n4 = 200, 50, 400
    X4 = np.concatenate([np.ones((R4, n4, 1)), rng.normal(size=(R4, n4, 3))], axis=2)
    p4 = sm.families.links.Probit().inverse(X4 @ [0.1, 0.5, -0.5, 0.3])
    y4 = (rng.random(p4.shape) < p4).astype(float)
    W4 = rng.multinomial(n4, np.full(n4, 1 / n4), size=(R4, B4)).astype(float)
    pfam = sm.families.Binomial(sm.families.links.Probit())
    count = R4 * B4 // (40 * frac)
    loop = _loop(lambda i: sm.GLM(y4[i % R4], X4[i % R4], family=pfam,
                                  freq_weights=W4[i % R4, i % B4]).fit().params, count, R4 * B4)
    _report(f"4. probit, R={R4} replicates x B={B4} draws, n={n4}",
            lambda: irls(X4, y4, "probit", W4), loop, f"{count} fits scaled")


if __name__ == "__main__":
    with single_thread_blas():
        main("--quick" in sys.argv)
