"""The ``facmech`` command line: thin subcommands over the Python API.

Every subcommand lives in its own module of this package, exposing ``register(subparsers)``, which adds
its parser and sets ``func`` (a callable taking the parsed namespace and returning an exit status).
Any :class:`facmech.errors.FacmechError` becomes one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from facmech import __version__
from facmech.errors import FacmechError

__all__ = ["build_parser", "main"]

#: Subcommand modules, in the order ``facmech --help`` lists them.
COMMANDS = (
    "map_cmd",
    "identify_cmd",
    "simulate_cmd",
    "mediate_cmd",
    "gformula_cmd",
    "power_cmd",
    "plan_cmd",
    "demo_cmd",
)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (with a pointer to ``--help``), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {_one_line(message)} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every subcommand registered."""
    parser = _Parser(
        prog="facmech",
        description="Mechanism maps, identification, mediation, g-methods and design studies "
        "for multisite implementation trials.",
    )
    parser.add_argument("--version", action="version", version=f"facmech {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"facmech.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``facmech`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except FacmechError as exc:
        print(f"facmech {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and closed early: not an error
        sys.stderr.close()
        return 0
    except (OSError, UnicodeDecodeError) as exc:
        print(f"facmech {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"facmech {args.command}: interrupted", file=sys.stderr)
        return 130


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
