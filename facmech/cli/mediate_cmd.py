"""``facmech mediate``: mediation analysis of a CSV file (thin wrapper over
:func:`facmech.mediation.mediate`).

::

    facmech mediate DATA.csv --treatment A --mediator M [--mediator M2 ...] --outcome Y
        [--covariate C ...] [--site site] [--period period]
        [--effect-model constant|exposure_time] [--exposure-time COL] [--exposure-window E]
        [--outcome-family gaussian|binomial|probit] [--mediator-family gaussian|binomial|probit]
        [--interaction] [--draws N] [--bootstrap]
        [--small-sample cr2|cr1|none] [--map PATH] [--treatment-level site|patient]
        [--missing raise|drop]
        [--control V --treated V] [--alpha 0.05] [--seed S] [--json]

String (categorical) covariates are expanded into dummies. ``--json`` prints ``{"effects": {name:
{"estimate", "std_error", "ci_low", "ci_high", "p_value"}}, "n_obs", "n_sites", "method",
"assumptions", "warnings"}`` (and, for one release, ``"n_clusters"``, the old name of
``"n_sites"``). ``--cluster`` and ``--time`` are the deprecated old names of ``--site`` and
``--period``. With ``--effect-model exposure_time`` (stepped wedge) the effects
also include ``total@e``, ``nde@e``, ``nie@e`` per exposure time ``e`` and ``total``/``nde``/``nie``
are their averages over exposure times ``1..E``.
"""

from __future__ import annotations

import argparse
import warnings
from typing import TYPE_CHECKING

from facmech.cli._common import (
    add_column_option,
    add_renamed_option,
    column_map,
    emit_json,
    positive_int,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``facmech mediate``."""
    p = subparsers.add_parser(
        "mediate",
        help="natural direct/indirect effects with clustered inference",
        description="Mediation analysis of (multisite) trial data: total, natural direct and "
        "indirect effects, ordered-mediator decomposition and path effects, with site-level "
        "inference.",
    )
    p.add_argument("data", metavar="DATA.csv", help="CSV (or .parquet) file, one row per patient")
    p.add_argument("--treatment", required=True, help="two-valued treatment column")
    p.add_argument("--mediator", dest="mediators", action="append", required=True,
                   metavar="M", help="mediator column; repeat in causal order")
    p.add_argument("--outcome", required=True, help="outcome column")
    p.add_argument("--covariate", dest="covariates", action="append", default=[], metavar="C",
                   help="pre-treatment covariate (repeatable; strings become dummies)")
    add_renamed_option(p, "--site", "--cluster", default=None, metavar="COL",
                       help="site column (site-level inference)")
    add_renamed_option(p, "--period", "--time", default=None, metavar="COL",
                       help="period column (stepped wedge: period effects)")
    p.add_argument("--effect-model", default=None, choices=("constant", "exposure_time", "eti"),
                   help="stepped wedge: constant effect (default) or one effect per exposure time "
                   "(periods since crossover), averaged over exposure times (Kenny et al. 2022)")
    p.add_argument("--exposure-time", default=None, metavar="COL",
                   help="column of exposure times (0 untreated, 1 at crossover, ...); default: "
                   "derived from --treatment and --period; implies --effect-model exposure_time")
    p.add_argument("--exposure-window", type=positive_int, default=None, metavar="E",
                   help="average the exposure-time effects over 1..E (default: all observed)")
    p.add_argument("--outcome-family", default="gaussian",
                   choices=("gaussian", "binomial", "logit", "probit"))
    p.add_argument("--mediator-family", default="gaussian",
                   choices=("gaussian", "binomial", "logit", "probit"),
                   help="model of a single 0/1 mediator (default gaussian)")
    p.add_argument("--interaction", action="store_true",
                   help="treatment-by-mediator interaction terms")
    p.add_argument("--draws", type=positive_int, default=1000,
                   help="Monte Carlo draws or bootstrap replicates (default 1000)")
    p.add_argument("--bootstrap", action="store_true",
                   help="site bootstrap instead of Monte Carlo draws")
    p.add_argument("--small-sample", default="cr2", choices=("cr2", "cr1", "none"),
                   help="cluster-robust small-sample correction (Monte Carlo; default cr2)")
    p.add_argument("--map", default=None, metavar="PATH",
                   help="mechanism map (name or file) in which to check identification")
    p.add_argument("--treatment-level", default=None, choices=("site", "patient"),
                   help="level of treatment assignment (default: site when --site is given)")
    p.add_argument("--missing", default="raise", choices=("raise", "drop"))
    p.add_argument("--control", default=None, help="control value of the treatment column")
    p.add_argument("--treated", default=None, help="treated value of the treatment column")
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=None)
    add_column_option(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_run)


def _read(path: str) -> pd.DataFrame:
    from facmech._files import read_table

    return read_table(path, argument="DATA")


def _value(frame: pd.DataFrame, column: str, text: str | None) -> object:
    """Match a ``--control``/``--treated`` string to the column's type."""
    import pandas as pd  # lazy: pandas is not loaded for `facmech --help`

    if text is None or column not in frame:
        return text
    col = frame[column]
    if pd.api.types.is_numeric_dtype(col):
        try:
            num = float(text)
        except ValueError:
            return text
        return int(num) if num.is_integer() and pd.api.types.is_integer_dtype(col) else num
    return text


def _run(args: argparse.Namespace) -> int:
    from facmech.mediation import Bootstrap, Clustered, MonteCarlo, mediate

    data = _read(args.data)
    if args.bootstrap:
        inference = Bootstrap(draws=args.draws)
    elif args.site is not None:
        inference = MonteCarlo(draws=args.draws,
                               covariance=Clustered(small_sample=args.small_sample))
    else:
        inference = MonteCarlo(draws=args.draws)
    graph = None
    if args.map is not None:
        from facmech.formats import load_map

        graph = load_map(args.map)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # warnings are carried in the result and printed below
        result = mediate(
            data, treatment=args.treatment, mediators=args.mediators, outcome=args.outcome,
            covariates=args.covariates, site=args.site, period=args.period,
            outcome_family=args.outcome_family, mediator_family=args.mediator_family,
            interaction=args.interaction,
            inference=inference, graph=graph, alpha=args.alpha, seed=args.seed,
            control=_value(data, args.treatment, args.control),
            treated=_value(data, args.treatment, args.treated), missing=args.missing,
            treatment_level=args.treatment_level, effect_model=args.effect_model,
            exposure_time=args.exposure_time, exposure_window=args.exposure_window,
            columns=column_map(args) or None,
        )
    if args.json:
        emit_json(result.to_dict())
    else:
        print(result.summary())
    return 0
