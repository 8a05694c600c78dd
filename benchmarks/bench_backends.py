"""Benchmark: design-study backends, Serial vs Processes(2) vs Dask(2) (issue 15).

Workloads: the 24-site stepped wedge of ``bench_design.py`` (``LinearTrial``, 3 mediators, the
batched analysis; about 0.8 ms of CPU per replicate) and the map-based Zambia 24-site stepped
wedge (``MapTrial``, one patient-level simulation per replicate; about 4 ms).

Two kinds of figure, because wall times on a shared machine measure the neighbours:

* **wall**: end-to-end ``design_study`` time, as a user sees it, with the load average printed
  beside it (on an idle 2-core machine wall ~ the CPU model below);
* **CPU model**: every task's CPU time measured inside the process that ran it, so the total work
  and the per-worker critical path do not depend on the load. ``serial CPU`` is the work in one
  process; ``overhead`` the extra CPU the tasks spend on a backend; ``critical path`` the busiest
  worker's CPU; ``projected speedup`` = serial CPU / (start-up + critical path + this process's
  CPU while waiting: pickling, results), the speedup on two otherwise idle cores.

Start-up is measured separately: the wall and CPU time of a backend running two empty tasks
(process pool fork + initializer; a Dask ``LocalCluster``: spawned worker processes that import
numpy and facmech). The crossover, where a backend starts paying, is ``start-up / (per-replicate
CPU / 2)`` replicates, about ``2 x start-up / cost per replicate``.

Numbers are identical on every backend (checked here on every run). Prints ratios; no assertions
on time. Run: ``.venv/bin/python benchmarks/bench_backends.py [--reps 10000] [--quick]``.
"""

from __future__ import annotations

import argparse
import collections
import os
import resource
import time

import numpy as np

from facmech.design import Dask, LinearTrial, MapTrial, Mediator, Processes, Serial, design_study
from facmech.design.analysis import Analysis
from facmech.design.study import BLOCK, _run_task, _Task

LINEAR = LinearTrial(
    design="stepped-wedge", sites=24, steps=4, patients=20, icc=0.05, effect=0.1,
    mediators=(Mediator("leadership_engagement", 0.4, 0.3), Mediator("acceptance", 0.3, 0.2),
               Mediator("trust", 0.2, 0.2)),
)
ZAMBIA = MapTrial("zambia", sites=24, steps=4, patients=20)


def _cpu_task(task: _Task) -> tuple[int, float, dict]:
    """Run one task, returning the worker's pid and the task's CPU seconds beside the result
    (this thread's CPU in a worker, whose BLAS runs on one thread; the whole process's in this
    process, where BLAS may use several)."""
    clock = time.process_time if os.getpid() == _PARENT else time.thread_time
    start = clock()
    out = _run_task(task)
    return os.getpid(), clock() - start, out


_PARENT = os.getpid()


def _noop(_: object) -> tuple[int, float, dict]:
    return os.getpid(), 0.0, {}


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _tasks(trial, reps: int) -> list[_Task]:
    return [_Task(trial, Analysis.parse(None), 1, 0, s, min(s + BLOCK, reps))
            for s in range(0, reps, BLOCK)]


def _profile(backend, tasks) -> tuple[float, dict[int, float], float]:
    """(wall, CPU per worker pid, this process's CPU) of running ``tasks``."""
    per: dict[int, float] = collections.defaultdict(float)

    def done(_i: int, res: tuple[int, float, dict]) -> None:
        per[res[0]] += res[1]

    w, c = time.perf_counter(), time.process_time()
    backend.run(_cpu_task, tasks, done)
    return time.perf_counter() - w, dict(per), time.process_time() - c


def _startup(backend) -> tuple[float, float]:
    """Wall and CPU (this process + children) of a backend running two empty tasks."""
    w, c, k = time.perf_counter(), time.process_time(), _children_cpu()
    backend.run(_noop, [0, 1], lambda i, r: None)
    return time.perf_counter() - w, (time.process_time() - c) + (_children_cpu() - k)


def _wall(trial, reps: int, backend) -> tuple[float, object]:
    t0 = time.perf_counter()
    res = design_study(trial, reps=reps, seed=1, progress=False, backend=backend)
    return time.perf_counter() - t0, res.to_frame()


def workload(name: str, trial, reps: int, dask_ok: bool, walls: bool = True) -> None:
    trial.truth()  # computed once per process (cached), outside every timing
    tasks = _tasks(trial, reps)
    print(f"\n== {name}: {reps:,} replicates, {len(tasks)} tasks of {BLOCK}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    _, serial_per, _ = _profile(Serial(), tasks)
    serial_cpu = sum(serial_per.values())
    per_rep = serial_cpu / reps
    print(f"serial CPU              : {serial_cpu:7.2f} s ({1000 * per_rep:.2f} ms per replicate)")
    backends: dict[str, object] = {"processes(2)": Processes(workers=2)}
    cluster = None
    if dask_ok:
        from dask.distributed import LocalCluster

        backends["dask(2), new cluster"] = Dask(workers=2)
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)
        backends["dask(2), running cluster"] = Dask(address=cluster.scheduler_address)
    try:
        for label, backend in backends.items():
            s_wall, s_cpu = _startup(backend)
            _, per, parent = _profile(backend, tasks)
            work = sum(per.values())
            crit = max(per.values())
            proj = serial_cpu / (s_cpu + crit + parent)  # conservative: parent time not overlapped
            print(f"{label:24s}: start-up {s_wall:5.2f} s wall / {s_cpu:5.2f} s CPU; tasks on "
                  f"{len(per)} workers, CPU {work:6.2f} s (overhead {work / serial_cpu - 1:+.1%}), "
                  f"critical path {crit:6.2f} s, this process {parent:4.2f} s -> projected "
                  f"speedup {proj:4.2f}x; crossover ~{2 * s_cpu / per_rep:,.0f} replicates")
        if not walls:
            return
        print("end-to-end design_study wall (shared machine, see load):")
        ref_wall, ref = _wall(trial, reps, Serial())
        print(f"  serial                : {ref_wall:7.2f} s")
        for label, backend in backends.items():
            wall, table = _wall(trial, reps, backend)
            same = table.equals(ref)
            print(f"  {label:22s}: {wall:7.2f} s  ratio serial/backend {ref_wall / wall:5.2f}x"
                  f"  {'identical numbers' if same else 'NUMBERS DIFFER'}")
            if not same:
                raise SystemExit(f"{label}: results differ from serial")
    finally:
        if cluster is not None:
            cluster.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=10_000)
    ap.add_argument("--quick", action="store_true", help="1,000 linear / 500 map replicates")
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--cpu-only", action="store_true", help="skip the end-to-end wall times")
    args = ap.parse_args()
    try:
        import dask.distributed  # noqa: F401

        dask_ok = not args.no_dask
    except ImportError:
        dask_ok = False
    reps = 1000 if args.quick else args.reps
    walls = not args.cpu_only
    workload("linear 24-site stepped wedge", LINEAR, reps, dask_ok, walls)
    workload("zambia map 24-site stepped wedge", ZAMBIA, max(BLOCK, reps // 5), dask_ok, walls)
    np.random.default_rng()  # keep numpy imported for the workers' fork


if __name__ == "__main__":
    main()
