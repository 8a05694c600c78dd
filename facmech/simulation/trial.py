"""Simulated trials: the long data, the site-period data, the truth and how they were made.

:func:`simulate` draws one synthetic multisite facilitation trial from a
:class:`~facmech.simulation.scenario.Scenario` under a design, and returns a frozen
:class:`SimulatedTrial`.

Columns of ``.data`` (one row per patient per period; site and site-period values repeated):

* ``site``, ``period``, ``patient`` (a patient id unique in the trial; patients are cross-sectional);
* ``exposed``: the randomized design indicator (0/1); ``facilitation``: the dose delivered;
* design columns: ``step`` (stepped wedge); ``stage``, ``responder``, ``arm`` (SMART);
* every observed map node by its id: baseline context and site-period mechanisms as staff-survey
  means (true value plus measurement error of SD ``staff_sd / sqrt(staff_per_site)``; binary and count
  site nodes without error), patient-level nodes as drawn;
* patient covariates.

``.site_periods`` has one row per site-period: the same site-level columns, site-period means of the
patient-level nodes, ``n_patients``, and the true (error-free) value of every site-level node as
``<id>_true`` (latent ones included).

``.surveys`` (with ``simulate(..., surveys=True)``) is the staff-survey table behind the survey means,
one row per respondent and site-period with the items of every construct
(:mod:`facmech.simulation.surveys`); ``.survey_items`` maps each construct to its item columns. The
survey means in ``.data`` and ``.site_periods`` are the site-period means of the respondents' scale
scores (the derived convenience table).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from facmech._random import SeedLike, as_generator
from facmech.errors import DataError, DesignError
from facmech.simulation.designs import Design, load_design
from facmech.simulation.engine import Kind, Model, Noise, World, run_world
from facmech.simulation.scenario import NodeType, Scenario, load_scenario
from facmech.simulation.surveys import staff_surveys
from facmech.simulation.truth import Truth, true_effects

__all__ = [
    "SimulatedTrial",
    "check_simulation_memory",
    "simulate",
    "simulate_site_periods",
    "simulation_bytes",
]


@dataclass(frozen=True, eq=False)
class SimulatedTrial:
    """One synthetic trial: ``data`` (long), ``site_periods``, ``truth``, ``scenario``, ``design``,
    and with ``surveys=True`` the staff-survey table ``surveys`` and its ``survey_items``."""

    data: pd.DataFrame
    site_periods: pd.DataFrame
    truth: Truth | None
    scenario: Scenario
    design: Design
    seed: Any = None
    surveys: pd.DataFrame | None = None
    survey_items: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def dictionary(self) -> pd.DataFrame:
        """The data dictionary of ``data``: one row per column (level, kind, type, description)."""
        mmap = self.scenario.map
        rows = []
        fixed = {
            "site": ("site", "id", "integer", "site (cluster) id"),
            "period": ("period", "id", "integer", "period index, 0-based"),
            "patient": ("patient", "id", "integer", "patient id (cross-sectional, unique)"),
            "exposed": ("site-period", "design", "binary",
                        "randomized design indicator (SMART: external + internal arm)"),
            "step": ("site", "design", "integer", "stepped-wedge step (1 = first to cross over)"),
            "stage": ("site-period", "design", "integer", "SMART stage (1 or 2)"),
            "responder": ("site", "design", "binary", "SMART: responded by the end of stage 1"),
            "arm": ("site-period", "design", "category", "SMART arm: low | external | "
                    "external+internal"),
        }
        k = self.scenario.staff_per_site
        for col in self.data.columns:
            if col in fixed:
                level, kind, typ, desc = fixed[col]
            elif col in mmap:
                node = mmap.node(col)
                typ = self.scenario.node_type(col).value
                kind = node.role.value
                if col == self.scenario.strategy:
                    level, desc = "site-period", f"{node.label}: dose delivered (time logs)"
                elif node.role.value == "context":
                    level = "site"
                    desc = f"{node.label}: baseline" + (
                        f", survey mean of {k} staff" if typ == "continuous" else "")
                elif node.level.value == "patient":
                    level, desc = "patient", node.label
                else:
                    level = "site-period"
                    desc = node.label + (f", survey mean of {k} staff" if typ == "continuous" else "")
            else:
                level, kind, typ = "patient", "covariate", "continuous"
                desc = f"patient covariate (standard normal, effect "\
                       f"{self.scenario.patient_covariates.get(col, 0.0)} on the outcome)"
            rows.append({"column": col, "level": level, "kind": kind, "type": typ,
                         "description": desc})
        return pd.DataFrame(rows)

    def to_csv(self, path: str | Path) -> Path:
        """Write ``data`` as CSV; returns the path."""
        return _write_frame(self.data, path, "csv")

    def to_parquet(self, path: str | Path) -> Path:
        """Write ``data`` as Parquet (needs ``pyarrow``); returns the path."""
        return _write_frame(self.data, path, "parquet")

    def write(self, path: str | Path) -> Path:
        """Write ``data`` as CSV or Parquet, chosen by the suffix (``.csv``, ``.parquet``)."""
        return _write_frame(self.data, path, None)

    def write_surveys(self, path: str | Path) -> Path:
        """Write the staff-survey table ``surveys`` as CSV or Parquet, chosen by the suffix."""
        if self.surveys is None:
            raise DataError("this trial has no survey table: simulate it with `surveys=True`")
        return _write_frame(self.surveys, path, None)

    def summary(self) -> str:
        """A few lines describing the trial and its truth."""
        d = self.design
        lines = [
            f"Simulated {d.name} trial from scenario {self.scenario.name!r}: {d.sites} sites x "
            f"{d.periods} periods x {d.patients} patients = {len(self.data)} rows",
            f"exposed site-periods: {int(self.site_periods['exposed'].sum())} of "
            f"{len(self.site_periods)}; mean dose when exposed: "
            f"{_mean_or_nan(self.site_periods, 'facilitation'):.3f}",
        ]
        if self.truth is not None:
            t = self.truth
            lines.append(f"truth ({t['outcome']}): total {t['total']:.4f}, nde {t['nde']:.4f}, "
                         f"nie {t['nie']:.4f} via {', '.join(t['mediators'])}; sustained "
                         f"always-never {t['sustained']['contrast']:.4f}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        import html

        head = self.data.head(8).to_html(index=False, float_format=lambda x: f"{x:.3f}")
        text = "<br>".join(html.escape(line) for line in self.summary().splitlines())
        return f"<div><p>{text}</p>{head}</div>"

    def __repr__(self) -> str:
        return (f"SimulatedTrial(scenario={self.scenario.name!r}, design={self.design.name!r}, "
                f"rows={len(self.data)})")


def _write_frame(frame: pd.DataFrame, path: str | Path, kind: str | None) -> Path:
    p = Path(path)
    if kind is None:
        suffix = p.suffix.lower()
        kind = "csv" if suffix == ".csv" else "parquet" if suffix in (".parquet", ".pq") else None
        if kind is None:
            raise DataError(f"`out` must end in .csv or .parquet (got {str(path)!r})")
    if kind == "csv":
        frame.to_csv(p, index=False)
        return p
    try:
        import pyarrow  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the install
        raise DataError("writing Parquet needs pyarrow: pip install 'facmech[parquet]'") from None
    frame.to_parquet(p, index=False)
    return p


def _mean_or_nan(frame: pd.DataFrame, col: str) -> float:
    exposed = frame[frame["exposed"] > 0]
    return float(exposed[col].mean()) if len(exposed) else 0.0


def simulation_bytes(model: Model, design: Design) -> int:
    """Rough upper estimate of the bytes :func:`simulate` allocates for ``design``: per patient row,
    the noise and value of every patient-level node and covariate, and the output frame's columns
    (8 bytes each), plus the site-period arrays."""
    rows = design.sites * design.periods * design.patients
    n_patient = sum(1 for s in model.nodes if s.kind is Kind.PATIENT)
    n_cov = len(model.scenario.patient_covariates)
    per_row = 8 * (2 * n_patient + 2 * n_cov + len(model.nodes) + 8)
    return rows * per_row + design.sites * design.periods * 8 * 4 * (len(model.nodes) + 4)


def check_simulation_memory(model: Model, design: Design) -> None:
    """Refuse, with the figure, a design whose simulation would not fit in memory."""
    from facmech._memory import require_memory

    rows = design.sites * design.periods * design.patients
    require_memory(
        simulation_bytes(model, design),
        what=f"simulating {design.sites:,} sites x {design.periods} periods x {design.patients:,} "
        f"patients ({rows:,} patient rows)",
        hint="use fewer sites or patients",
    )


def simulate(
    scenario: Scenario | str = "zambia",
    design: Design | None = None,
    *,
    seed: SeedLike = None,
    truth: bool = True,
    truth_sites: int = 2000,
    surveys: bool = False,
) -> SimulatedTrial:
    """Simulate one multisite facilitation trial.

    Parameters
    ----------
    scenario
        A :class:`Scenario` or a packaged scenario name / YAML path (``vha``, ``aim``,
        ``evidencenow``, ``zambia``).
    design
        A design (:class:`ParallelCRT`, :class:`SteppedWedge`, :class:`SMART`,
        :class:`Observational`); ``None`` uses the ``design:`` block of the scenario file.
    seed
        Seed of the trial's draws (same seed, same data).
    truth
        Compute the true effects (:func:`true_effects`, on a separate population of
        ``truth_sites`` sites with a fixed seed, so it is the same for every trial seed).
    truth_sites
        Sites of the truth population.
    surveys
        Also draw the staff-survey table (``.surveys``, :mod:`facmech.simulation.surveys`). The
        other tables are the same with or without it.

    Examples
    --------
    >>> from facmech.simulation import SteppedWedge
    >>> trial = simulate("zambia", SteppedWedge(sites=8, steps=4, patients=5), seed=1, truth=False)
    >>> trial.data.shape[0], list(trial.data.columns[:5])
    (200, ['site', 'period', 'patient', 'exposed', 'facilitation'])
    """
    design_from_file = None
    if not isinstance(scenario, Scenario):
        if design is None:
            design_from_file = load_design(scenario)
        scenario = load_scenario(scenario)
    if design is None:
        design = design_from_file
    if design is None:
        raise DesignError("`design` is required when `scenario` is a Scenario object")
    if not isinstance(design, Design):
        raise DesignError(
            f"`design` must be a ParallelCRT, SteppedWedge, SMART or Observational design (got "
            f"{type(design).__name__})"
        )
    world, assignment, rng_survey = _world(scenario, design, seed)
    data, site_periods = _frames(world, design, assignment)
    table, items = staff_surveys(world, rng_survey) if surveys else (None, {})
    t = true_effects(scenario, design, sites=truth_sites) if truth else None
    return SimulatedTrial(data=data, site_periods=site_periods, truth=t, scenario=scenario,
                          design=design, seed=seed if isinstance(seed, int) else None,
                          surveys=table, survey_items=items)


def _world(scenario: Scenario, design: Design, seed: SeedLike) -> tuple[World, Any, np.random.Generator]:
    """The simulated world of one trial, its assignment and the survey stream (the random
    streams of :func:`simulate`, in its order)."""
    rng = as_generator(seed)
    rng_design = np.random.default_rng(rng.integers(2**63))
    rng_noise = np.random.default_rng(rng.integers(2**63))
    rng_survey = np.random.default_rng(rng.integers(2**63))
    model = Model.compile(scenario, design.periods)
    check_simulation_memory(model, design)
    noise = Noise.draw(model, design.sites, design.periods, design.patients, rng_noise)
    assignment = design.assign(rng_design)
    return run_world(model, noise, design.policy(assignment)), assignment, rng_survey


def simulate_site_periods(scenario: Scenario, design: Design, *, seed: SeedLike) -> dict[str, np.ndarray]:
    """The ``site_periods`` table of ``simulate(scenario, design, seed=seed, truth=False)`` as
    arrays of shape ``(sites, periods)`` (site-major, the table's row order), without building
    the patient-level and site-period data frames: the fast path of design studies, which
    simulate thousands of trials and read only site-period means.

    >>> from facmech.simulation import ParallelCRT, load_scenario
    >>> sc, d = load_scenario("zambia"), ParallelCRT(sites=4, periods=2, patients=3)
    >>> a = simulate_site_periods(sc, d, seed=1)
    >>> t = simulate(sc, d, seed=1, truth=False).site_periods
    >>> bool(np.array_equal(a["uptake"].ravel(), t["uptake"].to_numpy()))
    True
    """
    world, assignment, _ = _world(scenario, design, seed)
    shape = (design.sites, design.periods)
    return {k: v.reshape(shape) for k, v in _site_period_columns(world, design, assignment).items()}


def _measured(world: World, spec: Any) -> np.ndarray:
    sc = world.model.scenario
    v = world.values[spec.id]
    if spec.type is NodeType.CONTINUOUS and spec.kind in (Kind.SITE, Kind.CONTEXT):
        err = sc.staff_sd / np.sqrt(sc.staff_per_site)
        return v + err * world.noise.draws[f"@survey:{spec.id}"]
    return v


def _typed(spec: Any, v: np.ndarray) -> np.ndarray:
    return v.astype(np.int64) if spec.type is not NodeType.CONTINUOUS else v


def _frames(world: World, design: Design, assignment: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    I, T, J = world.noise.sites, world.noise.periods, world.noise.patients
    model, sc = world.model, world.model.scenario
    n_sp = I * T

    def per_row_sp(a: np.ndarray) -> np.ndarray:  # (I, T) -> rows
        return np.repeat(a.reshape(n_sp), J)

    cols: dict[str, np.ndarray] = {
        "site": np.repeat(np.arange(I), T * J),
        "period": np.tile(np.repeat(np.arange(T), J), I),
        "patient": np.arange(n_sp * J),
        "exposed": per_row_sp(world.exposed.astype(np.int64)),
        sc.strategy: per_row_sp(world.values[sc.strategy]),
    }
    for name, arr in design.columns(world, assignment).items():
        cols[name] = per_row_sp(arr)
    for spec in model.nodes:
        if spec.kind is Kind.STRATEGY or not spec.observed:
            continue
        v = world.values[spec.id]
        if spec.kind is Kind.PATIENT:
            cols[spec.id] = _typed(spec, v).reshape(n_sp * J)
        elif spec.kind is Kind.CONTEXT:
            cols[spec.id] = np.repeat(_typed(spec, _measured(world, spec)), T * J)
        else:
            cols[spec.id] = per_row_sp(_typed(spec, _measured(world, spec)))
    for name in sc.patient_covariates:
        cols[name] = world.noise.draws[f"@cov:{name}"].reshape(n_sp * J)
    sp = _site_period_columns(world, design, assignment)
    return pd.DataFrame(cols, copy=False), pd.DataFrame(sp, copy=False)


def _site_period_columns(world: World, design: Design, assignment: Any) -> dict[str, np.ndarray]:
    """The columns of the ``site_periods`` table, one value per site-period (site-major)."""
    I, T, J = world.noise.sites, world.noise.periods, world.noise.patients
    model, sc = world.model, world.model.scenario
    n_sp = I * T
    sp: dict[str, np.ndarray] = {
        "site": np.repeat(np.arange(I), T),
        "period": np.tile(np.arange(T), I),
        "exposed": world.exposed.astype(np.int64).reshape(n_sp),
        sc.strategy: world.values[sc.strategy].reshape(n_sp),
    }
    for name, arr in design.columns(world, assignment).items():
        sp[name] = arr.reshape(n_sp)
    truths: dict[str, np.ndarray] = {}
    for spec in model.nodes:
        if spec.kind is Kind.STRATEGY:
            continue
        v = world.values[spec.id]
        if spec.kind is Kind.PATIENT:
            if spec.observed:
                sp[spec.id] = v.mean(axis=2).reshape(n_sp)
            continue
        if spec.kind is Kind.CONTEXT:
            truths[f"{spec.id}_true"] = np.repeat(v, T)
            if spec.observed:
                sp[spec.id] = np.repeat(_typed(spec, _measured(world, spec)), T)
            continue
        truths[f"{spec.id}_true"] = v.reshape(n_sp)
        if spec.observed:
            sp[spec.id] = _typed(spec, _measured(world, spec)).reshape(n_sp)
    sp["n_patients"] = np.full(n_sp, J, dtype=np.int64)
    sp.update(truths)
    return sp
