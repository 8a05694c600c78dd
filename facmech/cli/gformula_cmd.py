"""``facmech gformula``: g-formula (parametric or ICE) or IPW MSM on a long CSV file.

    facmech gformula DATA.csv --site site --period period --treatment facilitation \\
        --confounder leadership_engagement --outcome uptake \\
        [--strategy always --strategy never | --strategy "dynamic:leadership_engagement<0"] \\
        [--method parametric|ice|ipw] [--draws N] [--seed S] [--json]

JSON: ``{"strategies": {name: E}, "contrast": E, "method": str, "warnings": [str], ...}`` where the
contrast is the first strategy minus the second. ``--unit``, ``--time`` and ``--nested`` are the
deprecated old names of ``--site``, ``--period`` and ``--patient``.
"""

from __future__ import annotations

import argparse
import warnings

from facmech.cli._common import add_column_option, add_renamed_option, column_map, emit_json
from facmech.errors import DataError, FacmechWarning

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``gformula`` subcommand."""
    p = subparsers.add_parser(
        "gformula",
        help="effects of sustained/dynamic facilitation strategies (g-formula, ICE, IPW MSM)",
        description="Mean end-of-study outcome under treatment strategies with time-varying "
        "confounding, by the parametric g-formula, ICE, or an IPW marginal structural model. "
        "Inference: bootstrap over sites.",
    )
    p.add_argument("data", metavar="DATA.csv", help="long data: one row per site and period")
    add_renamed_option(p, "--site", "--unit", required=True, metavar="COL", help="site column")
    add_renamed_option(p, "--period", "--time", required=True, metavar="COL",
                       help="period column (consecutive integers)")
    p.add_argument("--treatment", required=True, help="treatment column (0/1 or a dose)")
    p.add_argument("--confounder", action="append", required=True, dest="confounders",
                   metavar="COLUMN", help="time-varying confounder (repeat for several)")
    p.add_argument("--baseline", action="append", default=[], metavar="COLUMN",
                   help="baseline covariate (repeat for several)")
    p.add_argument("--outcome", required=True, help="outcome column (read in the last period)")
    p.add_argument("--strategy", action="append", dest="strategies", metavar="SPEC",
                   help="always[:level] | never | from:K[:level] | taper:K[:high:low] | "
                   "dynamic:COLUMN<THRESHOLD[:level] | static:l0,l1,... (repeat; default: "
                   "always and never)")
    p.add_argument("--method", default="parametric", choices=["parametric", "ice", "ipw"])
    p.add_argument("--draws", type=int, default=500,
                   help="bootstrap draws over sites (0: point estimates only; default 500)")
    p.add_argument("--history", type=int, default=None, metavar="K",
                   help="condition on the last K periods only (default: all)")
    p.add_argument("--timing", default="before", choices=["before", "after"],
                   help="confounders measured before (default) or after each period's treatment")
    p.add_argument("--outcome-at", default="last", choices=["last", "mean"],
                   help="compare strategies on the last period's outcome (default) or the mean "
                   "over periods")
    add_renamed_option(p, "--patient", "--nested", default=None, metavar="COL",
                       help="patient column: average patient rows within site-periods")
    p.add_argument("--truncate", type=float, default=None, metavar="P",
                   help="IPW only: truncate stabilized weights at percentiles (1-P, P)")
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=None)
    add_column_option(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Read the CSV, call :func:`facmech.gmethods.gformula` or :func:`~facmech.gmethods.msm`."""

    from facmech._files import read_table  # lazy: pandas is not loaded for `facmech --help`
    from facmech.gmethods import Stabilized, gformula, msm

    data = read_table(args.data, argument="DATA")
    if args.draws < 0 or args.draws == 1:
        raise DataError(f"`--draws` must be 0 (no inference) or at least 2 (got {args.draws})")
    common = dict(
        site=args.site, period=args.period, treatment=args.treatment,
        confounders=args.confounders,
        outcome=args.outcome, baseline=args.baseline,
        strategies=args.strategies or ["always", "never"], history=args.history,
        patient=args.patient, inference=args.draws or None, alpha=args.alpha, seed=args.seed,
        timing=args.timing, outcome_at=args.outcome_at, columns=column_map(args) or None,
    )
    if args.truncate is not None and args.method != "ipw":
        raise DataError("`--truncate` applies to `--method ipw` only")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FacmechWarning)  # they are reported in the result
        if args.method == "ipw":
            result = msm(data, weights=Stabilized(truncate=args.truncate), **common)
        else:
            result = gformula(data, method=args.method, **common)
    if args.json:
        emit_json(result.to_dict())
    else:
        print(result.summary())
    return 0
