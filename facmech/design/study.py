"""Monte Carlo design studies: power, bias, RMSE and coverage over a grid of trial designs.

:func:`design_study` simulates ``reps`` trials in every cell of a grid (number of sites, patients
per site-period, periods/steps, ICC, effect sizes, confounding, measurement error, design), runs the
analysis on all replicates of a block at once (batched least squares, see
:mod:`facmech.design.estimators`), and summarizes each estimand
(:class:`~facmech.design.results.StudyResult`).

Reproducibility: replicate ``r`` of cell ``c`` draws from its own stream
``SeedSequence(seed, spawn_key=(c, r))`` (the same streams ``SeedSequence(seed).spawn`` would give),
and replicates are processed in fixed blocks of :data:`BLOCK` whatever the backend, so serial, process
and Dask runs return identical numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from facmech.design.analysis import Analysis, Part, analyze_batch
from facmech.design.backends import Backend
from facmech.design.checkpoint import Checkpoint, fingerprint
from facmech.design.grid import Grid
from facmech.design.map_trial import MapTrial
from facmech.design.model import LinearTrial, TrialModel
from facmech.design.results import StudyResult, operating_characteristics
from facmech.errors import DesignError

__all__ = ["BLOCK", "MIN_REPS", "design_study"]

#: Replicates per task (fixed, so that results do not depend on the backend).
BLOCK = 100
#: Fewest replicates per cell a study accepts.
MIN_REPS = 10


@dataclass(frozen=True)
class _Task:
    trial: TrialModel
    analysis: Analysis
    entropy: int
    cell: int
    start: int
    stop: int


def _run_task(task: _Task) -> dict[str, dict[str, np.ndarray]]:
    """Simulate and analyse replicates ``start..stop`` of one cell (runs on any backend)."""
    rngs = [
        np.random.default_rng(np.random.SeedSequence(task.entropy, spawn_key=(task.cell, r)))
        for r in range(task.start, task.stop)
    ]
    if hasattr(task.trial, "draw_data"):
        draws = [task.trial.draw_data(g) for g in rngs]
        data = {k: np.stack([d[k] for d in draws]) for k in draws[0]}
        x, y, m = data.pop("x"), data.pop("y"), data.pop("m")
        return analyze_batch(task.trial, task.analysis, x, y, m, rngs, extra=data)
    triples = [task.trial.draw(g) for g in rngs]
    x, y, m = (np.stack([d[k] for d in triples]) for k in range(3))
    return analyze_batch(task.trial, task.analysis, x, y, m, rngs)


def _entropy(seed: Any) -> int:
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63))
    if isinstance(seed, np.random.SeedSequence):
        return int(seed.generate_state(2, dtype=np.uint64)[0])
    if seed is None:
        return int(np.random.SeedSequence().entropy)  # fresh, recorded in the result
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DesignError(f"`seed` must be a non-negative integer, Generator or None (got {seed!r})")
    return int(seed)


def _check_reps(reps: Any) -> int:
    if isinstance(reps, bool) or not isinstance(reps, (int, np.integer)) or reps < MIN_REPS:
        raise DesignError(
            f"`reps` must be an integer >= {MIN_REPS} (got {reps!r}); Monte Carlo summaries of "
            "fewer replicates are noise"
        )
    return int(reps)


def _as_model(scenario: Any) -> Any:
    if isinstance(scenario, LinearTrial) or isinstance(scenario, MapTrial):
        return scenario
    if isinstance(scenario, (str, Path)):
        return MapTrial(str(scenario))
    from facmech.simulation import Scenario

    if isinstance(scenario, Scenario):
        return MapTrial(scenario)  # raises: a Scenario object needs a design
    raise DesignError(
        "`scenario` must be a facmech.design.LinearTrial, a facmech.design.MapTrial, or a "
        f"simulation scenario name/file (got {type(scenario).__name__})"
    )


def _trials(model: Any, grid: Grid) -> list[TrialModel]:
    trials = [model.with_parameters(cell) for cell in grid.cells]
    for t in trials:
        if isinstance(t, MapTrial):  # each replicate simulates a full patient-level trial
            from facmech.simulation.engine import Model
            from facmech.simulation.trial import check_simulation_memory

            check_simulation_memory(Model.compile(t.scenario, t.design.periods), t.design)
    return trials


def design_study(
    scenario: LinearTrial | MapTrial | str,
    *,
    grid: Grid | Mapping[str, Sequence[Any]] | None = None,
    designs: Sequence[str] | None = None,
    analysis: Analysis | str | Sequence[str] | None = None,
    reps: int = 500,
    seed: int | np.random.Generator | None = None,
    backend: Backend | str = "serial",
    progress: bool = True,
    checkpoint: str | Path | None = None,
) -> StudyResult:
    """Simulate ``reps`` trials per grid cell, analyse them in batches, summarize per estimand.

    Parameters
    ----------
    scenario : LinearTrial, MapTrial or str
        The base trial; each grid cell replaces some of its parameters. A string is a simulation
        scenario name or YAML file (with its ``design:`` block), wrapped in :class:`MapTrial`.
    grid : Grid or mapping, optional
        Parameter -> values (see :data:`~facmech.design.model.GRID_PARAMETERS`); all combinations
        run. ``None`` (and no ``designs``): the scenario as given, one cell.
    designs : sequence of str, optional
        Shorthand for ``grid["design"]`` (``"parallel"``, ``"stepped-wedge"``; ``"smart"`` for a
        map scenario, using the scenario's own SMART block when it has one).
    analysis : Analysis, str or sequence of str, optional
        Any of ``"total"``, ``"mediation"``, ``"gformula"`` (sustained-dose contrast by the ICE
        g-formula) and ``"regimes"`` (SMART embedded regimes); default: total and mediation if the
        scenario has mediators, else ``"total"``.
    reps : int, default 500
        Replicates per cell (at least 10).
    seed : int, Generator or None
        Root seed. ``None`` draws one and records it in the result (``result.seed``).
    backend : {"serial", "processes", "dask"} or Backend, default "serial"
        Where to run; the numbers are identical on every backend.
    progress : bool, default True
        Show a progress bar (tqdm, on stderr) when there is more than one block of work.
    checkpoint : path, optional
        JSON-lines file: finished blocks are saved as they complete, and a rerun of the same study
        resumes from them.

    Returns
    -------
    StudyResult

    Examples
    --------
    >>> trial = LinearTrial(design="parallel", sites=20, patients=15, icc=0.17, effect=0.5)
    >>> res = design_study(trial, grid={"sites": [10, 20]}, analysis="total", reps=200, seed=1,
    ...                    progress=False)
    >>> res.to_frame()[["sites", "estimand", "power"]]
       sites estimand  power
    0     10    total  0.345
    1     20    total  0.630
    """
    reps = _check_reps(reps)
    model = _as_model(scenario)
    if grid is None and designs is None:
        grid = {"sites": [model.sites]}  # a single cell: the scenario as given
    grid_ = Grid.parse(grid, designs)
    if analysis is None and not model.mediator_names:
        analysis = "total"
    ana = Analysis.parse(analysis)
    trials = _trials(model, grid_)
    estimands = [ana.estimands(t) for t in trials]
    truths = [t.truth() for t in trials]  # before any simulation: fails early, computed once
    back = Backend.parse(backend)
    entropy = _entropy(seed)
    tasks = [
        _Task(trial, ana, entropy, c, start, min(start + BLOCK, reps))
        for c, trial in enumerate(trials)
        for start in range(0, reps, BLOCK)
    ]
    results: dict[int, dict[str, dict[str, np.ndarray]]] = {}
    ck = None
    if checkpoint is not None:
        spec = {
            "scenario": model.to_dict(),
            "grid": grid_.to_dict(),
            "analysis": [ana.alpha, ana.mc_draws, [p.value for p in ana.parts]]
            + ([ana.gformula_se] if Part.GFORMULA in ana.parts else []) + [ana.model],
            "reps": reps,
            "seed": entropy,
            "block": BLOCK,
        }
        layout = {i: (t.stop - t.start, tuple(estimands[t.cell])) for i, t in enumerate(tasks)}
        ck = Checkpoint(checkpoint, fingerprint=fingerprint(spec), layout=layout)
        results.update(ck.load())
    todo = [i for i in range(len(tasks)) if i not in results]
    bar = None
    if progress and len(todo) > 1:
        from tqdm.auto import tqdm

        bar = tqdm(total=sum(t.stop - t.start for t in tasks), unit="rep",
                   desc="design study", leave=False)
        bar.update(sum(tasks[i].stop - tasks[i].start for i in results))

    def on_done(k: int, result: dict[str, dict[str, np.ndarray]]) -> None:
        i = todo[k]
        results[i] = result
        if ck is not None:
            ck.save(i, result)
        if bar is not None:
            bar.update(tasks[i].stop - tasks[i].start)

    try:
        back.run(_run_task, [tasks[i] for i in todo], on_done)
    finally:
        if bar is not None:
            bar.close()
    rows = []
    for c, (cell, truth) in enumerate(zip(grid_.cells, truths, strict=True)):
        idx = [i for i, t in enumerate(tasks) if t.cell == c]
        for name in estimands[c]:
            cols = {
                k: np.concatenate([results[i][name][k] for i in idx])
                for k in results[idx[0]][name]
            }
            rows.append({**cell, "estimand": name, **operating_characteristics(cols, truth[name])})
    return StudyResult(
        table=pd.DataFrame(rows),
        grid=grid_.to_dict(),
        reps=reps,
        seed=entropy,
        scenario=model.to_dict(),
        analysis={"parts": [p.value for p in ana.parts], "alpha": ana.alpha,
                  "mc_draws": ana.mc_draws, "gformula_se": ana.gformula_se, "model": ana.model},
        assumptions=tuple(getattr(model, "assumptions", ())),
    )
