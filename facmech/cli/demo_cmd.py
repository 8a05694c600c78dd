"""``facmech demo``: the end-to-end demo on the built-in map (what ``make demo`` runs).

::

    facmech demo [--out DIR] [--quick] [--seed S]

Thin: calls :func:`facmech.demo.run_demo`, which prints each stage and where every file is.
"""

from __future__ import annotations

import argparse

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``facmech demo``."""
    p = subparsers.add_parser(
        "demo",
        help="run the end-to-end demo: map, identification, simulated trial, estimates, power, report",
        description="The whole job on the built-in facilitation map with no input: identify the "
        "hypothesized path, simulate a Zambia-like stepped-wedge trial with adaptive dose, estimate "
        "mediated and sustained-dose effects next to the truth, a small power study, and the "
        "analysis-plan report. Prints where everything is.",
    )
    p.add_argument("--out", default="facmech-out", metavar="DIR",
                   help="output directory (default: facmech-out/)")
    p.add_argument("--quick", action="store_true",
                   help="smaller resampling and Monte Carlo sizes (same stages)")
    p.add_argument("--seed", type=int, default=2023, help="random seed (default: 2023)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from facmech.demo import run_demo

    run_demo(args.out, quick=args.quick, seed=args.seed)
    return 0
