"""``facmech map``: show, render, unroll and validate mechanism maps.

::

    facmech map show [--map PATH] [--format text|json|yaml|dagitty|dot|gml]
    facmech map render [--map PATH] [--highlight a,b,c] [--periods N] --out FILE.png|.svg
    facmech map unroll --periods N [--map PATH] [--format ...]
    facmech map validate PATH | --map PATH

``--map`` takes facmech YAML, dagitty, DOT or GML (detected by content) or a built-in map name.

Imports of the map layer happen inside the handlers: lazy loading, so that ``facmech --help`` does
not pay for networkx (the map model) or matplotlib (rendering).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from facmech.cli._common import (
    add_force_option,
    add_map_option,
    check_outputs,
    emit_json,
    name_list,
    write_output,
)
from facmech.errors import ArgumentError, MapError

if TYPE_CHECKING:  # pragma: no cover
    from facmech.maps import MechanismMap

__all__ = ["register"]

FORMATS = ("text", "json", "yaml", "dagitty", "dot", "gml")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``facmech map`` and its sub-subcommands."""
    parser = subparsers.add_parser(
        "map",
        help="show, render, unroll or validate a mechanism map",
        description="Mechanism maps: print in any format, render a figure, unroll over periods, "
        "validate a map file.",
    )
    sub = parser.add_subparsers(dest="map_command", metavar="ACTION")
    sub.required = True

    show = sub.add_parser("show", help="print a map (text summary, JSON, YAML, dagitty, DOT, GML)")
    add_map_option(show)
    _add_format(show)
    show.set_defaults(func=_show)

    render = sub.add_parser("render", help="draw the map as a PNG or SVG figure")
    add_map_option(render)
    render.add_argument(
        "--highlight",
        type=name_list,
        default=None,
        metavar="A,B,C",
        help="a directed path of node ids to draw bold (e.g. facilitation,acceptance,...)",
    )
    render.add_argument(
        "--periods", type=int, default=None, metavar="N", help="unroll over N periods (N >= 1)"
    )
    render.add_argument("--out", required=True, metavar="FILE", help="output file (.png or .svg)")
    render.add_argument("--dpi", type=int, default=200, help="resolution of PNG output")
    render.add_argument("--orientation", default="auto", choices=("auto", "horizontal", "vertical"),
                        help="layers left to right or top to bottom (default auto: whichever "
                        "prints the labels largest at a journal's 180 mm width)")
    add_force_option(render)
    render.set_defaults(func=_render)

    unroll = sub.add_parser("unroll", help="unroll the map over periods and print it")
    add_map_option(unroll)
    unroll.add_argument(
        "--periods", type=int, required=True, metavar="N", help="number of periods (N >= 1)"
    )
    _add_format(unroll)
    unroll.set_defaults(func=_unroll)

    validate = sub.add_parser("validate", help="check a map file; exit 2 with the problem if bad")
    validate.add_argument(
        "path", metavar="PATH", nargs="?", default=None, help="facmech YAML, dagitty, DOT or GML file"
    )
    validate.add_argument("--map", dest="map_path", metavar="PATH", default=None,
                          help="the map file, as in the other subcommands (same as PATH)")
    validate.set_defaults(func=_validate)


def _add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    parser.add_argument("--json", action="store_true", help="same as --format json")


def _load(name: str) -> MechanismMap:
    from facmech.formats import load_map  # lazy: see the module docstring

    return load_map(name)


def _print_map(mmap: MechanismMap, fmt: str) -> None:
    from facmech.formats import dump_yaml, to_dagitty, to_dot, to_gml  # lazy: see the module docstring

    if fmt == "json":
        emit_json(mmap.to_dict())
        return
    writer = {"yaml": dump_yaml, "dagitty": to_dagitty, "dot": to_dot, "gml": to_gml}.get(fmt)
    text = mmap.summary() if writer is None else writer(mmap)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _fmt(args: argparse.Namespace) -> str:
    return "json" if args.json else args.format


def _show(args: argparse.Namespace) -> int:
    _print_map(_load(args.map), _fmt(args))
    return 0


def _check_periods(periods: int | None) -> None:
    if periods is not None and periods < 1:
        raise MapError(f"`--periods` must be an integer >= 1 (got {periods})")


def _unroll(args: argparse.Namespace) -> int:
    _check_periods(args.periods)
    _print_map(_load(args.map).unroll(args.periods), _fmt(args))
    return 0


def _render(args: argparse.Namespace) -> int:
    from facmech.plotting.map_plot import save_map_figure  # lazy: matplotlib

    _check_periods(args.periods)
    if args.dpi < 1:
        raise ArgumentError(f"`--dpi` must be an integer of at least 1 (got {args.dpi})")
    out = check_outputs(args, {"--out": (args.out, (".png", ".svg", ".pdf"))},
                        inputs={"--map": args.map})["--out"]
    mmap = _load(args.map)
    note = write_output(out, lambda p: save_map_figure(
        mmap, p, highlight=args.highlight, periods=args.periods, dpi=args.dpi,
        orientation=args.orientation), option="--out")
    print(out if note.startswith("wrote") else note)
    return 0


def _validate(args: argparse.Namespace) -> int:
    if args.path is not None and args.map_path is not None and args.path != args.map_path:
        raise ArgumentError(
            f"give the map once: PATH {args.path!r} and `--map` {args.map_path!r} differ"
        )
    name = args.path if args.path is not None else args.map_path
    if name is None:
        raise ArgumentError("`map validate` needs a map file: PATH or `--map PATH`")
    args.path = name
    path = Path(name)
    if not path.is_file():
        raise MapError(f"no map file {name!r}")
    mmap = _load(name)
    n_lag = sum(1 for e in mmap.edges if e.lag)
    if not mmap.is_unrolled and any(n.time_varying for n in mmap.nodes):
        mmap.unroll(2)  # a map whose feedback cannot be unrolled is invalid too
    print(
        f"{args.path}: valid map: {len(mmap.nodes)} nodes ({len(mmap.latent_ids)} latent), "
        f"{len(mmap.edges)} edges ({n_lag} lagged, {len(mmap.arrows)} numbered); "
        "acyclic within a period"
    )
    return 0
