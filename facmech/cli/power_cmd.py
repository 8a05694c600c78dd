"""``facmech power``: simulated (design study) or closed-form power over a grid of trial sizes.

    facmech power (--scenario FILE|NAME | --design parallel|stepped-wedge|smart) --sites 12,24,36
        [--patients 20,40] [--periods ...] [--steps ...] [--icc 0.05,0.1] [--effect D]
        [--mediator NAME[:A:B] ...] [--confounding G,...] [--measurement-error S,...]
        [--analysis total,mediation,gformula,regimes|both] [--gformula-se jackknife|sandwich]
        [--reps N] [--seed S]
        [--backend serial|processes|dask] [--workers N] [--scheduler ADDRESS] [--timeout SEC]
        [--checkpoint FILE]
        [--out results.csv] [--plot power.png] [--json] [--no-progress]
    facmech power --analytic --design parallel|stepped-wedge --sites ... --patients ... --icc ...
        --effect D [--steps ...] [--periods ...] [--tau T] [--baseline-risk P] [--mediator NAME:A:B]

Simulation: with ``--design`` the fast linear trial model (:class:`facmech.design.LinearTrial`);
with ``--scenario`` a map-based vignette or scenario YAML (:class:`facmech.design.MapTrial`), in its
own design or the one ``--design`` names (``smart`` included: ``--scenario aim`` is a SMART, whose
``total``/``mediation`` compare EF+IF vs EF among non-responders and ``regimes`` the embedded
regimes). ``--analysis gformula`` adds the sustained-dose contrast by the ICE g-formula. Every
list option becomes a grid dimension. JSON: ``{"cells": [{"sites": ..., "estimand": ...,
"power": ..., "bias": ..., "rmse": ..., "coverage": ..., "mc_se": {...}}, ...], "reps": N,
"seed": S, ...}``; with ``--analytic``: ``{"cells": [{..., "estimand": ..., "power": ...,
"std_error": ...}], "analytic": true}``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from facmech.cli._common import add_force_option, check_outputs, emit_json, int_list, write_output
from facmech.errors import DesignError

__all__ = ["register"]


def _float_list(text: str) -> list[float]:
    try:
        values = [float(t) for t in text.split(",") if t.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from exc
    if not values:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}")
    return values


def _mediator(text: str) -> tuple[str, float | None, float | None]:
    parts = text.split(":")
    if len(parts) == 1:
        return parts[0], None, None
    if len(parts) != 3:
        raise argparse.ArgumentTypeError(f"expected NAME or NAME:A:B, got {text!r}")
    try:
        return parts[0], float(parts[1]), float(parts[2])
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected NAME:A:B with numbers, got {text!r}") from exc


_PARTS = ("total", "mediation", "gformula", "regimes")


def _analysis_list(text: str) -> list[str]:
    names: list[str] = []
    for token in (t.strip().lower() for t in text.split(",") if t.strip()):
        if token == "both":
            names += ["total", "mediation"]
        elif token in _PARTS:
            names.append(token)
        else:
            raise argparse.ArgumentTypeError(
                f"unknown analysis {token!r}; choose from {', '.join(_PARTS)} or both"
            )
    if not names:
        raise argparse.ArgumentTypeError(f"expected analysis names, got {text!r}")
    return list(dict.fromkeys(names))


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``power`` subcommand."""
    p = subparsers.add_parser(
        "power",
        help="power, bias and coverage of a trial design (simulated or closed form)",
        description="Monte Carlo design study (power, bias, RMSE, coverage per estimand, batched "
        "and parallel on processes or Dask) or, with --analytic, closed-form power (design effect, "
        "Hussey & Hughes, Kelcey et al. 2-2-1 mediation).",
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument("--scenario", metavar="FILE|NAME",
                     help="simulation scenario YAML or vignette (vha, evidencenow, zambia)")
    p.add_argument("--design", metavar="KIND", help="parallel | stepped-wedge | smart")
    p.add_argument("--analytic", action="store_true", help="closed-form power instead of simulation")
    p.add_argument("--sites", type=int_list, help="numbers of sites, e.g. 12,24,36")
    p.add_argument("--patients", type=int_list, help="patients per site (and period)")
    p.add_argument("--periods", type=int_list, help="measurement periods")
    p.add_argument("--steps", type=int_list, help="stepped-wedge steps")
    p.add_argument("--icc", type=_float_list, help="outcome ICC(s) in [0, 1)")
    p.add_argument("--icc-m", type=float, default=None, help="mediator ICC (linear model)")
    p.add_argument("--effect", type=float, default=None,
                   help="direct effect of the strategy (total effect without mediators)")
    p.add_argument("--mediator", type=_mediator, action="append", default=[],
                   metavar="NAME[:A:B]", help="site-level mediator with paths a and b (repeat); "
                   "with --scenario just the NAME")
    p.add_argument("--confounding", type=_float_list,
                   help="unmeasured confounding (linear) or feedback strength (scenario)")
    p.add_argument("--measurement-error", type=_float_list, help="mediator measurement error SD")
    p.add_argument("--analysis", type=_analysis_list, default=None,
                   help="comma-separated: total, mediation, gformula (sustained dose, ICE), "
                   "regimes (SMART); 'both' = total,mediation (default when there are mediators)")
    p.add_argument("--gformula-se", choices=["jackknife", "sandwich"], default="jackknife",
                   help="standard error of the g-formula contrast (default jackknife)")
    p.add_argument("--tau", type=float, default=None, help="analytic stepped wedge: between-site SD")
    p.add_argument("--baseline-risk", type=float, default=None,
                   help="analytic stepped wedge: control risk of a binary outcome")
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--reps", type=int, default=500, help="replicates per cell (default 500)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--backend", choices=["serial", "processes", "dask"], default=None,
                   help="where to run (default serial; dask if --scheduler is given)")
    p.add_argument("--workers", type=int, default=None, help="processes or local Dask workers")
    p.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="existing Dask scheduler, e.g. tcp://10.0.0.5:8786 (without it, a local "
                   "cluster listening on 127.0.0.1 only)")
    p.add_argument("--dashboard", action="store_true",
                   help="local Dask cluster: serve its dashboard on 127.0.0.1 (off by default)")
    p.add_argument("--timeout", type=float, default=10.0,
                   help="seconds to wait for the Dask scheduler (default 10)")
    p.add_argument("--checkpoint", metavar="FILE", default=None,
                   help="save finished blocks; rerun to resume")
    p.add_argument("--out", metavar="FILE.csv", default=None, help="write the table as CSV")
    p.add_argument("--plot", metavar="FILE.png", default=None,
                   help="save power curves (.png, .svg or .pdf)")
    add_force_option(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=run)


PLOT_SUFFIXES = (".png", ".svg", ".pdf")


def _outputs(args: argparse.Namespace) -> dict[str, Path]:
    """Check ``--out`` and ``--plot`` before any work (never the checkpoint or scenario file)."""
    inputs = {"--checkpoint": args.checkpoint, "--scenario": args.scenario}
    if args.scenario is not None and not Path(args.scenario).exists():
        inputs.pop("--scenario")  # a packaged vignette name, not a file
    return check_outputs(args, {"--out": (args.out, (".csv",)),
                                "--plot": (args.plot, PLOT_SUFFIXES)}, inputs=inputs)


def _write(args: argparse.Namespace, outs: dict[str, Path], frame, plot) -> None:
    notes = []
    if "--out" in outs:
        notes.append(write_output(outs["--out"], lambda p: frame.to_csv(p, index=False),
                                  option="--out"))
    if "--plot" in outs:
        notes.append(write_output(outs["--plot"], plot, option="--plot"))
    for note in notes:
        print(note, file=sys.stderr if args.json else sys.stdout)


def _analytic(args: argparse.Namespace, outs: dict[str, Path]) -> int:
    from facmech.power import plot_power_table, power_table

    if args.scenario is not None:
        raise DesignError("`--analytic` takes `--design`, not `--scenario`")
    for name in ("design", "sites", "patients", "effect"):
        if getattr(args, name) is None:
            raise DesignError(f"`--analytic` needs `--{name}`")
    mediators = []
    for name, a, b in args.mediator:
        if a is None:
            raise DesignError(f"`--mediator` needs NAME:A:B with --analytic (got {name!r})")
        mediators.append((name, a, b))
    frame = power_table(
        design=args.design, sites=args.sites, patients=args.patients, effect=args.effect,
        icc=args.icc, steps=args.steps, periods=args.periods, tau=args.tau,
        baseline_risk=args.baseline_risk, mediators=mediators, alpha=args.alpha,
    )
    if args.json:
        emit_json({"cells": frame.to_dict(orient="records"), "analytic": True})
    else:
        print(frame.drop(columns="method").to_string(index=False, float_format="{:.4f}".format))
    _write(args, outs, frame, lambda p: plot_power_table(frame, path=p))
    return 0


def run(args: argparse.Namespace) -> int:
    """Build the trial model and grid, call :func:`facmech.design.design_study` (or the closed
    forms with ``--analytic``), print text or JSON, write the CSV and figure."""
    if args.scenario is None and args.design is None:
        raise DesignError("give `--scenario FILE|NAME` or `--design KIND`")
    outs = _outputs(args)
    if args.analytic:
        return _analytic(args, outs)
    from facmech.design import Analysis, Backend, LinearTrial, MapTrial, Mediator, design_study

    if args.scenario is not None:
        if any(a is not None for _, a, _ in args.mediator):
            raise DesignError("with `--scenario`, `--mediator` takes a node NAME only (no :A:B)")
        meds = tuple(name for name, _, _ in args.mediator) or None
        model = MapTrial(args.scenario, design=args.design, mediators=meds)
        if args.icc_m is not None or args.effect is not None:
            raise DesignError("`--icc-m` and `--effect` apply to `--design` (linear) studies only")
    else:
        mediators = []
        for name, a, b in args.mediator:
            if a is None:
                raise DesignError(f"`--mediator` needs NAME:A:B with --design (got {name!r})")
            mediators.append(Mediator(name, a, b))
        kw = {"effect": args.effect if args.effect is not None else 0.0,
              "mediators": tuple(mediators)}
        if args.icc_m is not None:
            kw["icc_m"] = args.icc_m
        model = LinearTrial(design=args.design, **kw)
    grid = {}
    for name in ("sites", "patients", "steps", "periods", "icc", "confounding",
                 "measurement_error"):
        value = getattr(args, name)
        if value is not None:
            grid[name] = value
    if "sites" not in grid:
        raise DesignError("give `--sites` (a comma-separated list)")
    parts = args.analysis or (["total", "mediation"] if model.mediator_names else ["total"])
    analysis = Analysis(parts=tuple(parts), alpha=args.alpha, gformula_se=args.gformula_se)
    backend = Backend.parse(args.backend, workers=args.workers, scheduler=args.scheduler,
                            timeout=args.timeout, dashboard=args.dashboard)
    result = design_study(
        model, grid=grid, analysis=analysis, reps=args.reps, seed=args.seed,
        backend=backend, progress=not args.no_progress, checkpoint=args.checkpoint,
    )
    if args.json:
        emit_json(result.to_dict())
    else:
        print(result.summary())
    _write(args, outs, result.to_frame(), lambda p: result.plot(x="sites", path=p))
    return 0
