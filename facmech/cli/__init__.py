"""The ``facmech`` command line: thin subcommands over the Python API.

Every subcommand lives in its own module of this package, exposing ``register(subparsers)``, which adds
its parser and sets ``func`` (a callable taking the parsed namespace and returning an exit status).
Any :class:`facmech.errors.FacmechError` becomes one line on stderr and exit status 2; any other
exception one line "internal error ... (please report)" and exit status 1 (``FACMECH_DEBUG=1``
shows the traceback).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings
from collections.abc import Callable, Sequence
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
    """Entry point of the ``facmech`` console script; returns the exit status.

    Exit status 0 on success; 2 for a usage error or any :class:`~facmech.errors.FacmechError`
    (bad input, an unreadable or unwritable file, a request that cannot be met), as one line on
    stderr; 1 for an internal error (a bug: one line asking for a report); 130 when interrupted.
    Warnings are printed one per line. ``FACMECH_DEBUG=1`` in the environment shows the full
    traceback of any error instead.
    """
    parser = build_parser()
    with warnings.catch_warnings(record=True) as parsing:  # deprecated option spellings
        warnings.simplefilter("always", FutureWarning)
        args = parser.parse_args(argv)
    name = f"facmech {args.command}"
    debug = os.environ.get("FACMECH_DEBUG", "").strip() not in ("", "0")
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _warning_line(name)
            for w in parsing:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            return int(args.func(args) or 0)
    except BrokenPipeError:  # output piped into `head` and closed early: not an error
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if debug:
            raise
        code, line = _describe(exc)
        print(f"{name}: {line}", file=sys.stderr)
        return code


def _describe(exc: Exception) -> tuple[int, str]:
    """Exit status and the one line that says what went wrong."""
    if isinstance(exc, FacmechError):
        return 2, f"error: {_one_line(exc)}"
    if isinstance(exc, (OSError, UnicodeDecodeError)):  # a file the user named
        return 2, f"error: {_one_line(exc)}"
    if isinstance(exc, MemoryError):
        return 2, (f"error: out of memory ({_one_line(exc)}); try fewer sites, patients, periods "
                   "or replicates")
    return 1, (f"internal error: {type(exc).__name__}: {_one_line(exc)} (this is a bug in facmech; "
               "please report it with the command line; FACMECH_DEBUG=1 shows the traceback)")


def _warning_line(name: str) -> Callable[..., None]:
    def show(message, category, filename, lineno, file=None, line=None) -> None:
        print(f"{name}: warning: {_one_line(message)}", file=file or sys.stderr)
    return show


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
