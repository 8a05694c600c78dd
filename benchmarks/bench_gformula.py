"""Benchmark: 500 bootstrap replicates of the g-formula on 200 sites x 6 periods.

facmech computes every replicate at once (multinomial frequency weights, batched normal equations,
one simulation pass per chunk of replicates). The comparator is the obvious loop: resample sites,
refit each model with statsmodels OLS, simulate, repeat. The loop is timed on ``--naive-draws``
replicates and scaled to 500 (printed as such). Run:

    .venv/bin/python benchmarks/bench_gformula.py
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import statsmodels.api as sm

from facmech.gmethods import gformula
from facmech.gmethods.data import prepare
from facmech.gmethods.design import build_design, terms_before
from facmech.gmethods.simulate import adaptive_dose_data

KW = dict(site="site", period="period", treatment="facilitation",
          confounders=["leadership_engagement"], outcome="uptake")


def naive_loop(df, draws: int, copies: int, seed: int, mode: str) -> np.ndarray:
    """Per-replicate statsmodels refits of the same estimator.

    ``mode``: ``"exact"`` (parametric, always vs never, noise-free mean propagation), ``"mc"``
    (parametric Monte Carlo, dynamic "treat while engagement < 0" vs never) or ``"ice"``.
    """
    d = prepare(df, **KW)
    rng = np.random.default_rng(seed)
    out = np.empty(draws)
    k, T = 1, d.T
    for b in range(draws):
        idx = rng.integers(0, d.n, d.n)
        V, L, A, Y = d.V[idx], d.L[idx], d.A[idx], d.Y[idx]
        if mode == "ice":
            means = []
            for a in (1.0, 0.0):
                Q = Y
                for t in range(T - 1, -1, -1):
                    terms = terms_before("Q", t, 0, k=k, p=0, history=None)
                    fit = sm.OLS(Q, build_design(terms, V, L, A)).fit()
                    Acf = A.copy()
                    Acf[:, t] = a
                    Q = fit.predict(build_design(terms, V, L, Acf))
                means.append(Q.mean())
            out[b] = means[0] - means[1]
            continue
        fits = {}
        for t in range(1, T):
            terms = terms_before("L", t, 0, k=k, p=0, history=None)
            fits[t] = (terms, sm.OLS(L[:, t, 0], build_design(terms, V, L, A)).fit())
        yterms = terms_before("Y", T - 1, 0, k=k, p=0, history=None)
        yfit = sm.OLS(Y, build_design(yterms, V, L, A)).fit()
        reps = 1 if mode == "exact" else copies
        z = rng.standard_normal((d.n * reps, T)) if mode == "mc" else np.zeros((d.n, T))
        means = []
        for strategy in ("first", "never"):
            Ls = np.zeros((d.n * reps, T, 1))
            As = np.zeros((d.n * reps, T))
            Ls[:, 0, 0] = np.tile(L[:, 0, 0], reps)
            Vs = np.tile(V, (reps, 1))
            for t in range(T):
                if t > 0:
                    terms, fit = fits[t]
                    Ls[:, t, 0] = fit.predict(build_design(terms, Vs, Ls, As)) + np.sqrt(
                        fit.scale) * z[:, t]
                if strategy == "never":
                    As[:, t] = 0.0
                else:
                    As[:, t] = 1.0 if mode == "exact" else (Ls[:, t, 0] < 0).astype(float)
            means.append(yfit.predict(build_design(yterms, Vs, Ls, As)).mean())
        out[b] = means[0] - means[1]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=200)
    ap.add_argument("--periods", type=int, default=6)
    ap.add_argument("--draws", type=int, default=500)
    ap.add_argument("--naive-draws", type=int, default=50)
    ap.add_argument("--monte-carlo", type=int, default=2000)
    args = ap.parse_args()
    df, truth = adaptive_dose_data(sites=args.sites, periods=args.periods, adapt=0.5, seed=1)
    copies = max(1, -(-args.monte_carlo // args.sites))
    print(f"{args.sites} sites x {args.periods} periods, {args.draws} bootstrap draws, "
          f"Monte Carlo population {args.sites * copies} (truth always-never "
          f"{truth['always - never']:.3f})")
    rows = [
        ("exact", "parametric", ["always", "never"], "parametric, exact (static, linear)"),
        ("mc", "parametric", ["dynamic:leadership_engagement<0", "never"],
         f"parametric, Monte Carlo ({args.sites * copies} units, dynamic)"),
        ("ice", "ice", ["always", "never"], "ICE (static)"),
    ]
    for mode, method, strategies, label in rows:
        common = dict(method=method, strategies=strategies, monte_carlo=args.monte_carlo)
        gformula(df, **KW, **common, inference=5, seed=0)  # warm up
        t0 = time.perf_counter()
        res = gformula(df, **KW, **common, inference=args.draws, seed=1)
        fast = time.perf_counter() - t0
        t0 = time.perf_counter()
        loop = naive_loop(df, args.naive_draws, copies, 1, mode)
        slow = (time.perf_counter() - t0) * args.draws / args.naive_draws
        print(f"{label:42s} facmech {fast:6.2f} s | statsmodels loop {slow:7.2f} s "
              f"(timed on {args.naive_draws} draws, x{args.draws / args.naive_draws:g}) | "
              f"ratio {slow / fast:6.1f}x | bootstrap SE facmech {res.contrast.std_error:.3f}, "
              f"loop {loop.std(ddof=1):.3f}")


if __name__ == "__main__":
    main()
