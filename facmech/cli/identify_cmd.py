"""``facmech identify | paths | measure | implications``: the identification engine on the CLI.

::

    facmech identify --treatment X --outcome Y [--effect total|nde|nie|cde|path|mediation]
                     [--mediator M ...]
                     [--path a,b,c] [--latent N ...] [--observed N ...] [--map PATH] [--periods K]
                     [--variants [--min-confidence M]] [--cross-check dowhy]
                     [--check-adjustment [A,B]] [--json]
    facmech paths --treatment X --outcome Y [...same options] [--json]
    facmech measure --treatment X --outcome Y [...same options] [--cost N=C ...]
                    [--unmeasurable N ...] [--json]
    facmech implications [--data CSV [--site COL] [--period COL] [--design COL ...]
                         [--surveys CSV] [--error-free N ...] [--alpha A]] [--map PATH] [--json]

Each command calls the library function a Python user would call (``facmech.identify``,
``path_report``, ``measurement_plan``, ``implications`` / ``test_implications``,
``identify_across_variants``) and prints its text summary or, with ``--json``, its dictionary.
"""

from __future__ import annotations

import argparse
from typing import Any

from facmech.cli._common import (
    add_column_option,
    add_map_option,
    add_renamed_option,
    column_map,
    emit_json,
    name_list,
)
from facmech.errors import FacmechError

__all__ = ["register"]


def _cost(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NODE=COST, got {text!r}")
    try:
        return name.strip(), float(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"cost must be a number in {text!r}") from exc


_MAP_DEFAULT = object()  # `--check-adjustment` without a value: the map's [adjusted] nodes


def _adjust_list(text: str) -> list[str]:
    """``a,b`` for ``--check-adjustment``; ``""`` or ``none`` is the empty set."""
    return [] if text.strip().lower() in ("", "none", "{}") else name_list(text)


def _add_query(p: argparse.ArgumentParser, *, effect: bool = True) -> None:
    add_map_option(p)
    ends = " (default: the first node of --path, else the map's, e.g. [exposure])"
    p.add_argument("--treatment", metavar="X", help=f"treatment node{ends}")
    p.add_argument("--outcome", metavar="Y",
                   help="outcome node (default: the last node of --path, else the map's [outcome])")
    if effect:
        p.add_argument("--effect", default=None,
                       choices=("total", "nde", "nie", "cde", "path", "mediation"),
                       help="effect to identify (default: path with --path, else total)")
        p.add_argument("--mediator", nargs="+", action="extend", default=[], metavar="M",
                       help="mediator node(s) for nde, nie, cde and mediation (in causal order)")
        p.add_argument("--path", type=name_list, default=None, metavar="A,B,C",
                       help="hypothesized path: a directed path, or waypoints (consecutive nodes "
                       "not adjacent) meaning every directed path through them in this order")
    _add_measured(p)
    p.add_argument("--periods", type=int, default=None, metavar="K",
                   help="unroll the map over K periods first (node ids become <id>_t<k>)")
    p.add_argument("--json", action="store_true", help="print JSON")


def _add_measured(p: argparse.ArgumentParser) -> None:
    p.add_argument("--latent", nargs="+", action="extend", default=None, metavar="N",
                   help="nodes to treat as unmeasured (on top of the map's own flags)")
    p.add_argument("--observed", nargs="+", action="extend", default=None, metavar="N",
                   help="exactly the measured nodes (all others latent)")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``identify``, ``paths``, ``measure`` and ``implications``."""
    ident = subparsers.add_parser(
        "identify", help="is an effect identified from what is measured, how, and if not why",
        description="Identify a total, natural direct/indirect, controlled direct or "
        "path-specific effect on a mechanism map.")
    _add_query(ident)
    ident.add_argument("--variants", action="store_true",
                       help="repeat the query over the map's plausible variants (low-confidence "
                       "arrows dropped, uncertain directions reversed)")
    ident.add_argument("--min-confidence", default="M", choices=("L", "M", "H"),
                       help="with --variants: arrows below this are optional (default M)")
    ident.add_argument("--cross-check", choices=("dowhy",), action="append", default=None,
                       metavar="LIBRARY", help="also ask DoWhy's identifier (dowhy) and print its "
                       "verdict beside facmech's, with the reason where they differ")
    ident.add_argument("--check-adjustment", nargs="?", type=_adjust_list, const=_MAP_DEFAULT,
                       default=None, metavar="A,B",
                       help="instead of identifying, check whether these nodes form a valid "
                       "adjustment set for --treatment -> --outcome, and if not why (an open path, "
                       "a node on a causal path); no value: the map's [adjusted] nodes; 'none': "
                       "the empty set")
    ident.set_defaults(func=_identify)

    paths = subparsers.add_parser(
        "paths", help="identification of every directed path and mediator",
        description="One row per directed path from treatment to outcome and per mediator.")
    _add_query(paths, effect=False)
    paths.set_defaults(func=_paths)

    measure = subparsers.add_parser(
        "measure", help="cheapest set of unmeasured nodes to measure for identification",
        description="Minimum-cost measurement plan making the query identified (exact search).")
    _add_query(measure)
    measure.add_argument("--cost", type=_cost, nargs="+", action="extend", default=[],
                         metavar="N=C", help="measurement cost of a node (default 1 each)")
    measure.add_argument("--unmeasurable", nargs="+", action="extend", default=[], metavar="N",
                         help="latent nodes that cannot be measured")
    measure.set_defaults(func=_measure)

    imp = subparsers.add_parser(
        "implications", help="testable conditional independencies, optionally tested on data",
        description="List the map's implied conditional independencies among measured nodes "
        "(as dagitty); with --data, test each and give a Holm-adjusted verdict. On period data "
        "(--time, by default the data's `period` column) the claims are those of the map "
        "unrolled over the data's periods, tested on site-period means; claims given survey "
        "means need --surveys (measurement-corrected) and are listed as untestable without.")
    add_map_option(imp)
    _add_measured(imp)
    imp.add_argument("--periods", type=int, default=None, metavar="K",
                     help="unroll the map over K periods first")
    imp.add_argument("--data", default=None, metavar="CSV", help="data file (CSV, one column "
                     "per measured node)")
    add_renamed_option(imp, "--site", "--cluster", default=None, metavar="COL",
                       help="site column for cluster-robust tests")
    add_renamed_option(imp, "--period", "--time", default=None, metavar="COL",
                       help="period column: test the map unrolled over the data's periods on "
                       "site-period means (default: `period` when the data have it and --site "
                       "is given; `--period none` tests the rows as they are)")
    imp.add_argument("--design", nargs="+", action="extend", default=None, metavar="COL",
                     help="with --time: randomized design column(s), e.g. a stepped wedge's "
                     "`step`, acting on the strategy node")
    imp.add_argument("--surveys", default=None, metavar="CSV",
                     help="with --time: staff-survey table (one row per respondent and "
                     "site-period, items <node>_i<k>): claims given survey means are tested on "
                     "the measurement-corrected covariance instead of being untestable")
    imp.add_argument("--error-free", nargs="+", action="extend", default=[], metavar="N",
                     help="with --time: site-level nodes measured without error (not survey "
                     "means)")
    imp.add_argument("--alpha", type=float, default=0.05, help="family-wise level (default 0.05)")
    add_column_option(imp)
    imp.add_argument("--json", action="store_true", help="print JSON")
    imp.set_defaults(func=_implications)


def _graph(args: argparse.Namespace) -> Any:
    from facmech.formats import load_map

    m = load_map(args.map)
    if hasattr(args, "treatment"):  # identify/paths/measure
        _fill_ends(args, m)
    if args.periods is not None:
        if args.periods < 1:
            raise FacmechError(f"`--periods` must be at least 1 (got {args.periods})")
        m = m.unroll(args.periods)
    return m


def _fill_ends(args: argparse.Namespace, m: Any) -> None:
    """--treatment/--outcome not given: the ends of --path, else the map's defaults (issue 13)."""
    path = getattr(args, "path", None) or []
    x = args.treatment or (path[0] if path else None)
    y = args.outcome or (path[-1] if path else None)
    args.treatment, args.outcome = m.default_endpoints(
        x, y, treatment_arg="--treatment", outcome_arg="--outcome")


def _ends(args: argparse.Namespace) -> tuple[str, str]:
    """--treatment/--outcome, defaulting to the ends of --path (one line on error)."""
    path = getattr(args, "path", None) or []
    x = args.treatment or (path[0] if path else None)
    y = args.outcome or (path[-1] if path else None)
    if x is None or y is None:
        missing = "--treatment" if x is None else "--outcome"
        raise FacmechError(f"the following arguments are required: {missing} (or give --path "
                           "a,b,c: its ends are the default treatment and outcome)")
    return x, y


def _query_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return {"effect": args.effect or ("path" if args.path else "total"),
            "mediators": args.mediator or None, "path": args.path,
            "observed": args.observed, "latent": args.latent}


def _identify(args: argparse.Namespace) -> int:
    from facmech.formats import load_map
    from facmech.identification import identify
    from facmech.identification.variants import identify_across_variants

    if args.check_adjustment is not None:
        return _check_adjustment(args)
    if args.variants:
        if args.cross_check:
            raise FacmechError("`--cross-check` applies to a single query; drop `--variants`")
        raw = load_map(args.map)
        _fill_ends(args, raw)
        rep = identify_across_variants(raw, *_ends(args),
                                       min_confidence=args.min_confidence,
                                       periods=args.periods, **_query_kwargs(args))
        if args.json:
            emit_json(rep.to_dict())
        else:
            print(rep.summary())
        return 0
    res = identify(_graph(args), *_ends(args), **_query_kwargs(args),
                   cross_check=args.cross_check)
    if args.json:
        emit_json(res.to_dict())
    else:
        print(res.summary())
    return 0


def _check_adjustment(args: argparse.Namespace) -> int:
    from facmech.identification import check_adjustment

    if args.effect not in (None, "total") or args.mediator or args.path:
        raise FacmechError("`--check-adjustment` checks a set for the total effect; it takes no "
                           "--effect, --mediator or --path")
    graph = _graph(args)
    adjust = None if args.check_adjustment is _MAP_DEFAULT else args.check_adjustment
    if adjust is None and not getattr(graph, "adjustment", ()):
        adjust = []
    res = check_adjustment(graph, args.treatment, args.outcome, adjust,
                           observed=args.observed, latent=args.latent)
    if args.json:
        emit_json(res.to_dict())
    else:
        print(res.summary())
    return 0


def _paths(args: argparse.Namespace) -> int:
    from facmech.identification.report import path_report

    rep = path_report(_graph(args), args.treatment, args.outcome, observed=args.observed,
                      latent=args.latent)
    if args.json:
        emit_json(rep.to_dict())
    else:
        print(rep.summary())
    return 0


def _measure(args: argparse.Namespace) -> int:
    from facmech.identification.measurement import Query, measurement_plan

    graph = _graph(args)  # fills --treatment/--outcome from --path or the map's defaults
    query = Query(*_ends(args), effect=args.effect or ("path" if args.path else "total"),
                  mediators=tuple(args.mediator), path=tuple(args.path or ()))
    plan = measurement_plan(graph, query, cost=dict(args.cost),
                            unmeasurable=args.unmeasurable, observed=args.observed,
                            latent=args.latent)
    if args.json:
        emit_json(plan.to_dict())
    else:
        print(plan.summary())
    return 0


def _implications(args: argparse.Namespace) -> int:
    from facmech.identification.implications import implications, test_implications

    graph = _graph(args)
    if args.data is None:
        for option, value in (("--site", args.site), ("--period", args.period),
                              ("--design", args.design), ("--surveys", args.surveys),
                              ("--error-free", args.error_free or None)):
            if value is not None:
                raise FacmechError(f"`{option}` needs `--data`")
        if args.column:
            raise FacmechError("`--column` maps map nodes to columns of `--data`; give `--data`")
        imps = implications(graph, observed=args.observed, latent=args.latent)
        if args.json:
            emit_json({"implications": [m.to_dict() for m in imps]})
        else:
            print(f"{len(imps)} testable implications:")
            for m in imps:
                print(f"  {m}")
        return 0
    from facmech._files import read_table

    data = read_table(args.data, argument="--data")
    time = args.period
    if time is None and args.site is not None and "period" in data.columns and \
            args.periods is None:
        time = "period"
    if time is not None and time.lower() == "none":
        time = None
    if time is not None and args.periods is not None:
        raise FacmechError("`--period` and `--periods` exclude each other: with --period the map is "
                           "unrolled over the data's periods")
    surveys = read_table(args.surveys, argument="--surveys") if args.surveys else None
    res = test_implications(graph, data, site=args.site, period=time, alpha=args.alpha,
                            design=args.design, surveys=surveys, error_free=args.error_free,
                            observed=args.observed, latent=args.latent,
                            columns=column_map(args) or None)
    if args.json:
        emit_json(res.to_dict())
    else:
        print(res.summary())
    return 0
