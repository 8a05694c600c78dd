"""Benchmark: facmech.identify vs DoWhy's identify_effect on the built-in facilitation map.

Same queries (total effects; natural direct/indirect effects) on the same graph with the map's
latent nodes. Timings are CPU seconds per query (best of 3 repetitions; facmech's caches are
cleared before every call, so both run cold). Also times path_report on the map unrolled over 4
periods. Prints one line per query and the speed ratio DoWhy / facmech.

Last, times test_implications (cluster-robust CR2, all 262 implications of the built-in map) on a
simulated patient-level trial (4800 rows, 24 sites) against the dense per-cluster computation it
replaced (n_g x n_g blocks and an n x G Bell-McCaffrey matrix; the reference kept in
tests/identification/test_implications_cr2_batched.py), wall-clock seconds, one run each (the
dense computation takes over a minute).

Run: .venv/bin/python benchmarks/bench_identify.py
"""

from __future__ import annotations

import logging
import time
import warnings

warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)

import networkx as nx  # noqa: E402
from dowhy.causal_identifier import EstimandType  # noqa: E402
from dowhy.causal_identifier.auto_identifier import identify_effect_auto  # noqa: E402

import facmech.identification.id_algorithm as ida  # noqa: E402
import facmech.identification.mediation as med  # noqa: E402
import facmech.identification.path_specific as ps  # noqa: E402
from facmech.formats import load_map  # noqa: E402
from facmech.identification import identify  # noqa: E402
from facmech.identification.report import path_report  # noqa: E402

QUERIES = [
    ("facilitation", "uptake", "total"),
    ("facilitation", "normalization", "total"),
    ("leadership_engagement", "uptake", "total"),
    ("acceptance", "trust", "total"),
    ("coherence", "uptake", "total"),
    ("facilitation", "uptake", "nde"),
    ("facilitation", "uptake", "nie"),
]


def _clear() -> None:
    for f in (ps.path_criterion, ps._context, ps._functional, med._do_formula_cached,
              med._single_door_cached, med._segment_routes, ida._identify_cached):
        f.cache_clear()


def _best(fn, reps: int = 3) -> float:
    best = float("inf")
    for _ in range(reps):
        _clear()
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def main() -> None:
    m = load_map()
    g = m.to_networkx()
    obs = list(m.observed_ids)
    print(f"built-in map: {g.number_of_nodes()} nodes, {g.number_of_edges()} arrows, "
          f"latent {list(m.latent_ids)}")
    print(f"{'query':55} {'facmech s':>10} {'dowhy s':>10} {'ratio':>8}  verdicts (ours/dowhy)")
    total_f = total_d = 0.0
    for x, y, eff in QUERIES:
        mediators = ["leadership_engagement"] if eff != "total" else None
        et = {"total": EstimandType.NONPARAMETRIC_ATE, "nde": EstimandType.NONPARAMETRIC_NDE,
              "nie": EstimandType.NONPARAMETRIC_NIE}[eff]
        tf = _best(lambda x=x, y=y, eff=eff, mediators=mediators: identify(
            m, x, y, effect=eff, mediators=mediators))
        td = _best(lambda x=x, y=y, et=et: identify_effect_auto(g, [x], [y], obs, et))
        total_f += tf
        total_d += td
        ours = identify(m, x, y, effect=eff, mediators=mediators)
        est = identify_effect_auto(g, [x], [y], obs, et)
        theirs = any(v is not None for v in (est.estimands or {}).values())
        note = "" if eff == "total" else f" (DoWhy picked mediator {est.mediator_variables})"
        label = f"{eff} {x} -> {y}" + (" via leadership_engagement" if mediators else "")
        print(f"{label:55} {tf:10.4f} {td:10.4f} {td / tf:8.1f}x  "
              f"{ours.identifiable}/{theirs}{note}")
    print(f"{'all queries':55} {total_f:10.4f} {total_d:10.4f} {total_d / total_f:8.1f}x")
    u = m.unroll(4)
    tp = _best(lambda: path_report(u, "facilitation_t0", "uptake"), reps=1)
    n = path_report(u, "facilitation_t0", "uptake").n_paths
    print(f"path_report on the map unrolled over 4 periods ({n} paths): {tp:.3f} s "
          "(DoWhy has no path-specific identification)")
    bench_path_reports()


def bench_path_reports() -> None:
    """Issue 15: reports over maps unrolled to 12 periods (goal under 2 s) and a 400-node chain.

    The unrolled map is judged in groups of paths sharing a verdict (never listing its 7 million
    paths); the ratio is against judging each path of the 4-period map one by one. The chain has
    one path but 398 mediator rows; it took 33 s (formulas rebuilt per row, a cubic
    simplification of the sums, a graph copy per adjustment check) and is timed against that.
    """
    from facmech.identification._query import prepare_graph
    from facmech.identification.mediation import identify_path

    m = load_map()
    for periods in (8, 12):
        u = m.unroll(periods)
        t = _best(lambda u=u: path_report(u, "facilitation_t0", "uptake"), reps=1)
        rep = path_report(u, "facilitation_t0", "uptake")
        print(f"path_report, map unrolled over {periods} periods ({rep.n_paths:,} paths in "
              f"{len(rep.groups)} groups): {t:.2f} s (goal under 2 s: "
              f"{'met' if t < 2 else 'NOT met'})")
    u4 = m.unroll(4)
    q = prepare_graph(u4)
    rep = path_report(u4, "facilitation_t0", "uptake", listed=0)
    tg = _best(lambda: path_report(u4, "facilitation_t0", "uptake", listed=0), reps=1)
    _clear()
    t = time.process_time()
    for p in rep.list_paths(limit=None):
        identify_path(q, "facilitation_t0", "uptake", p, details=False)
    tl = time.process_time() - t
    print(f"4 periods, grouped ({len(rep.groups)} groups) vs one query per path "
          f"({rep.n_paths} paths): {tg:.3f} s vs {tl:.3f} s = {tl / tg:.0f}x")
    n = 400
    g = nx.DiGraph([(f"x{i}", f"x{i + 1}") for i in range(n - 1)])
    tc = _best(lambda: path_report(g, "x0", f"x{n - 1}"), reps=1)
    print(f"path_report on a {n}-node chain ({n - 2} mediator rows): {tc:.2f} s vs 33 s before "
          f"(issue 15) = {33 / tc:.0f}x")


def bench_implications() -> None:
    """test_implications (batched CR2) vs the dense per-cluster computation it replaced."""
    import importlib.util
    import pathlib

    import numpy as np

    from facmech.identification import test_implications
    from facmech.simulation import simulate

    path = pathlib.Path(__file__).parents[1] / "tests/identification/test_implications_cr2_batched.py"
    spec = importlib.util.spec_from_file_location("_dense_cr2", path)
    dense = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dense)
    m = load_map()
    data = simulate("zambia", seed=1).data
    t = time.perf_counter()
    ours = test_implications(m, data, site="site").to_frame()
    tf = time.perf_counter() - t
    t = time.perf_counter()
    ref = dense._dense_table(m, data, "site")
    td = time.perf_counter() - t
    cols = ["estimate", "std_error", "ci_low", "ci_high", "p_value"]
    diff = float(np.max(np.abs(ours[cols].to_numpy() - ref) / np.abs(ref)))
    print(f"test_implications, cluster-robust, {len(ours)} implications, {len(data)} rows, "
          f"{data['site'].nunique()} sites: {tf:.3f} s vs dense {td:.1f} s = {td / tf:.0f}x "
          f"(max relative difference {diff:.1e})")


if __name__ == "__main__":
    main()
    bench_implications()
