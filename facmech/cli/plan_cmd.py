"""``facmech plan``: write the analysis-plan report (HTML or Markdown) for a hypothesized path.

::

    facmech plan --treatment facilitation --outcome uptake --path a,b,c [--map FILE]
                 [--design stepped-wedge|parallel] [--sites 12,24,36]
                 [--data CSV --site site [--period period] [--exposure exposed]
                  [--column NODE=COL ...]]
                 [--first-link A] [--rest-of-path B] [--other-routes C] [--icc R]
                 [--patients N] [--steps S] [--alpha A] [--reps R]
                 [--seed S] --out report.html|report.md [--json]

Thin: parses the options, calls :func:`facmech.report.plan` and prints its summary (or JSON).
Every power assumption is an option (defaults: :class:`facmech.report.PowerAssumptions`); the
summary prints them, and the report's "Reproducing this plan" section gives the exact command.
``--cluster`` and ``--time`` are the deprecated old names of ``--site`` and ``--period``.
"""

from __future__ import annotations

import argparse

from facmech.cli._common import (
    add_column_option,
    add_force_option,
    add_map_option,
    add_renamed_option,
    check_outputs,
    column_map,
    emit_json,
    int_list,
    name_list,
)
from facmech.errors import ArgumentError

__all__ = ["register"]

_ASSUMPTIONS = (
    ("first_link", "--first-link", float, "effect of the strategy on the path's first mechanism, "
     "mechanism SD"),
    ("rest_of_path", "--rest-of-path", float, "product of the path's other coefficients, outcome "
     "SD per mechanism SD"),
    ("other_routes", "--other-routes", float, "effect through every other route, outcome SD"),
    ("icc", "--icc", float, "intraclass correlation of the outcome"),
    ("patients", "--patients", int, "patients per site and period"),
    ("steps", "--steps", int, "stepped-wedge crossover steps (periods = steps + 1)"),
    ("alpha", "--alpha", float, "two-sided significance level"),
    ("reps", "--reps", int, "Monte Carlo trials per number of sites, where no closed form exists"),
)


class PowerDefaults:
    """The defaults of :class:`facmech.report.PowerAssumptions`, read without importing the
    report package (``facmech plan --help`` stays fast)."""

    first_link, rest_of_path, other_routes, icc = 0.6, 0.25, 0.15, 0.15
    patients, steps, alpha, reps = 20, 4, 0.05, 200


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``facmech plan``."""
    p = subparsers.add_parser(
        "plan",
        help="write an analysis-plan report (HTML/Markdown) for a hypothesized mechanism path",
        description="Analysis plan for a hypothesized path: the map with the path highlighted, "
        "identification verdicts, what to measure and when, testable implications, the "
        "recommended estimator, power against the number of sites and, with --data, estimates, "
        "sensitivity analysis and tests of the map.",
    )
    add_map_option(p)
    p.add_argument("--treatment", default=None, metavar="NODE",
                   help="strategy node, e.g. facilitation (default: the first node of --path)")
    p.add_argument("--outcome", default=None, metavar="NODE",
                   help="outcome node, e.g. uptake (default: the last node of --path)")
    p.add_argument("--path", required=True, type=name_list, metavar="A,B,C",
                   help="the hypothesized path: a directed path or waypoints (every directed path "
                   "through them in order); treatment and outcome are added when omitted")
    p.add_argument("--design", default="stepped-wedge", choices=("stepped-wedge", "parallel"),
                   help="randomization design (default: stepped-wedge)")
    p.add_argument("--sites", type=int_list, default=[12, 24, 36], metavar="N,N,...",
                   help="numbers of sites for the power curve (default: 12,24,36)")
    p.add_argument("--data", default=None, metavar="CSV", help="trial data (.csv or .parquet)")
    add_renamed_option(p, "--site", "--cluster", default=None, metavar="COL",
                       help="site column of --data")
    add_renamed_option(p, "--period", "--time", default=None, metavar="COL",
                       help="period column of --data")
    p.add_argument("--exposure", default=None, metavar="COL",
                   help="two-valued randomized assignment column, when the treatment column is a dose")
    add_column_option(p)
    power = p.add_argument_group("power assumptions (standardized effect sizes; printed with the "
                                 "result)")
    defaults = PowerDefaults()
    for name, option, kind, text in _ASSUMPTIONS:
        power.add_argument(option, dest=f"power_{name}", type=kind, default=None,
                           metavar="X" if kind is float else "N",
                           help=f"{text} (default {getattr(defaults, name)!r})")
    p.add_argument("--seed", type=int, default=20231127, help="random seed (default: 20231127)")
    p.add_argument("--out", required=True, metavar="FILE", help="report file (.html or .md)")
    add_force_option(p)
    p.add_argument("--json", action="store_true", help="print the key results as JSON")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from facmech.report import plan
    from facmech.report.inputs import OUTPUT_SUFFIXES

    outs = check_outputs(args, {"--out": (args.out, OUTPUT_SUFFIXES)},
                         inputs={"--map": args.map, "--data": args.data})
    from facmech.report import PowerAssumptions

    replaced = outs["--out"].exists()
    given = {name: getattr(args, f"power_{name}") for name, *_ in _ASSUMPTIONS
             if getattr(args, f"power_{name}") is not None}
    columns = column_map(args)
    if columns and args.data is None:
        raise ArgumentError("`--column` maps map nodes to columns of `--data`; give `--data`")
    report = plan(
        args.map, treatment=args.treatment, outcome=args.outcome, path=args.path,
        design=args.design, sites=args.sites, data=args.data, site=args.site,
        period=args.period, exposure=args.exposure, out=args.out, seed=args.seed,
        assumptions=PowerAssumptions(**given), columns=columns or None,
    )
    if args.json:
        emit_json({**report.to_dict(), "out": str(args.out)})
    else:
        print(report.summary())
        print(f"{'replaced' if replaced else 'wrote'} {args.out}")
    return 0
