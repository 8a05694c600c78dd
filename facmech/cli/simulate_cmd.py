"""``facmech simulate``: a synthetic multisite facilitation trial with its true effects.

    facmech simulate (--scenario FILE|NAME | --design parallel|stepped-wedge|smart|observational)
        [--sites N] [--periods T] [--steps S] [--patients M] [--seed S]
        --out FILE.csv|FILE.parquet [--truth FILE.json] [--surveys-out FILE.csv] [--map PATH]
        [--json]

``--scenario`` takes a packaged vignette (vha, aim, evidencenow, zambia) or a scenario YAML; its
``design:`` block is the default design, and ``--design``/sizes override it. Without ``--scenario``
the default scenario over ``--map`` (the built-in map by default) is used. ``--truth`` writes the
truth JSON (``total``, ``nde``, ``nie``, ``paths``, ``sustained``, ...). ``--surveys-out`` writes the
staff-survey table (one row per respondent and site-period, the items of every construct; see
:mod:`facmech.simulation.surveys`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from facmech.cli._common import (
    add_force_option,
    add_map_option,
    check_outputs,
    emit_json,
    write_output,
)
from facmech.errors import DataError

__all__ = ["register"]


def _count(text: str) -> int:
    try:
        return int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from exc


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``simulate`` subcommand."""
    p = subparsers.add_parser(
        "simulate",
        help="simulate a multisite facilitation trial with known true effects",
        description="Simulate a synthetic multisite facilitation trial from a mechanism map "
        "(structural equations over sites x periods x patients, adaptive facilitation dose, staff "
        "surveys) and write its long data and true effects.",
    )
    p.add_argument("--scenario", metavar="FILE|NAME",
                   help="scenario YAML or packaged vignette: vha, aim, evidencenow, zambia")
    p.add_argument("--design", metavar="KIND",
                   help="parallel | stepped-wedge | smart | observational (default: the scenario's)")
    p.add_argument("--sites", type=_count, help="number of sites")
    p.add_argument("--periods", type=_count, help="number of periods")
    p.add_argument("--steps", type=_count, help="stepped-wedge steps")
    p.add_argument("--patients", type=_count,
                   help="patients per site per period (default: the scenario's, else 20)")
    p.add_argument("--seed", type=int, default=None, help="random seed (same seed, same data)")
    p.add_argument("--out", required=True, metavar="FILE", help="output data: .csv or .parquet")
    p.add_argument("--truth", metavar="FILE.json", help="write the true effects as JSON")
    p.add_argument("--surveys-out", metavar="FILE", help="write the staff-survey table (.csv or "
                   ".parquet): one row per respondent and site-period")
    add_force_option(p)
    add_map_option(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the scenario and design, call :func:`facmech.simulation.simulate`, write the files."""
    from facmech.simulation import Scenario, load_scenario, resolve_design, simulate

    if args.scenario is None and args.design is None:
        raise DataError("give `--scenario FILE|NAME` or `--design KIND`")
    inputs = {"--scenario": args.scenario, "--map": args.map}
    tables = (".csv", ".parquet")
    outs = check_outputs(args, {"--out": (args.out, tables),
                                "--surveys-out": (args.surveys_out, tables),
                                "--truth": (args.truth, (".json",))},
                         inputs={k: v for k, v in inputs.items() if v and Path(v).exists()})
    out = outs["--out"]
    surveys_out = outs.get("--surveys-out")
    if args.scenario is not None:
        scenario = load_scenario(args.scenario)
        if args.map != "facilitation":
            scenario = scenario.replace(map=args.map)
    else:
        scenario = Scenario(map=args.map)
    sizes = dict(sites=args.sites, periods=args.periods, steps=args.steps, patients=args.patients)
    if args.scenario is None and args.sites is None:
        raise DataError("`--sites` is required with `--design`")
    design = resolve_design(args.design, scenario_file=args.scenario, **sizes)
    trial = simulate(scenario, design, seed=args.seed, truth=args.truth is not None or args.json,
                     surveys="--surveys-out" in outs)
    notes = [write_output(out, trial.write, option="--out")]
    if "--surveys-out" in outs and trial.surveys is not None:
        notes.append(f"{len(trial.surveys)} survey rows: " + write_output(
            outs["--surveys-out"], trial.write_surveys, option="--surveys-out"))
    if "--truth" in outs and trial.truth is not None:
        text = trial.truth.to_json() + "\n"
        notes.append(write_output(outs["--truth"], lambda p: p.write_text(text, encoding="utf-8"),
                                  option="--truth"))
    if args.json:
        emit_json({
            "out": str(out), "rows": len(trial.data), "columns": list(trial.data.columns),
            "surveys_out": str(surveys_out) if surveys_out is not None else None,
            "survey_rows": len(trial.surveys) if trial.surveys is not None else None,
            "design": trial.design.to_dict(), "scenario": scenario.name,
            "truth": json.loads(trial.truth.to_json()) if trial.truth is not None else None,
        })
    else:
        print(trial.summary())
        print(f"{len(trial.data)} rows: " + "; ".join(notes))
    return 0
