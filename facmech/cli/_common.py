"""Shared pieces of the CLI: common options, list parsing, output files and printing (text or JSON).

Every subcommand that writes files declares them once with :func:`check_outputs` before any work
(suffix, directory, never an input of the same command, never an existing file without ``--force``)
and writes each with :func:`write_output` (atomically, saying "replaced" when it did).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from facmech.errors import ArgumentError, FacmechError

__all__ = [
    "add_column_option",
    "add_force_option",
    "add_map_option",
    "add_renamed_option",
    "check_outputs",
    "column_map",
    "emit_json",
    "int_list",
    "name_list",
    "positive_int",
    "write_output",
]


def add_map_option(parser: argparse.ArgumentParser) -> None:
    """``--map PATH``: a facmech YAML, dagitty or DOT file (default: the built-in map)."""
    parser.add_argument(
        "--map",
        default="facilitation",
        metavar="PATH",
        help="mechanism map: facmech YAML, dagitty or DOT file, detected by content "
        "(default: the built-in facilitation map)",
    )


class _RenamedStore(argparse.Action):
    """Store an option given under its name or a hidden old name (warned, one release)."""

    def __init__(self, option_strings, dest, *, old: tuple[str, ...] = (), **kwargs):
        super().__init__(option_strings, dest, **kwargs)
        self.old = old

    def __call__(self, parser, namespace, values, option_string=None):
        given = getattr(namespace, "_renamed_given", {})
        if self.dest in given and given[self.dest] != option_string:
            raise argparse.ArgumentError(
                self, f"give {self.option_strings[0]} only (got both {given[self.dest]} and "
                f"{option_string}; {', '.join(self.old)} is its deprecated old name)"
            )
        given[self.dest] = option_string
        namespace._renamed_given = given
        if option_string in self.old:
            from facmech._deprecation import deprecation_message

            warnings.warn(deprecation_message(option_string, self.option_strings[0]),
                          FutureWarning, stacklevel=2)
        setattr(namespace, self.dest, values)


def add_renamed_option(
    parser: argparse.ArgumentParser, name: str, *old: str, **kwargs: Any
) -> argparse.Action:
    """Add option ``name`` that also accepts its ``old`` spellings for one release.

    The old spellings are hidden from ``--help``; using one prints a ``FutureWarning`` line naming
    ``name`` (``facmech mediate: warning: `--cluster` is deprecated ...; use `--site` instead``);
    giving both the old and the new spelling is a usage error.
    """
    action = parser.add_argument(name, action=_RenamedStore, old=tuple(old), **kwargs)
    for spelling in old:  # parsed as the same action, but not listed in --help or usage
        parser._option_string_actions[spelling] = action
    return action


def add_column_option(parser: argparse.ArgumentParser) -> None:
    """``--column NODE=COL`` (repeatable): the data column holding a map node named otherwise."""
    parser.add_argument("--column", action="append", default=[], metavar="NODE=COL",
                        help="data column holding a map node whose column is named otherwise "
                        "(repeat for several), e.g. --column facilitation=arm")


def column_map(args: argparse.Namespace) -> dict[str, str]:
    """``--column`` values as ``{node: column}`` (one-line error on a malformed value)."""
    from facmech._columns import parse_column_option

    return parse_column_option(getattr(args, "column", None))


def add_force_option(parser: argparse.ArgumentParser) -> None:
    """``--force``: replace existing output files (atomically) instead of refusing."""
    parser.add_argument("--force", action="store_true",
                        help="replace existing output files (never an input of the command)")


def check_outputs(
    args: argparse.Namespace,
    outputs: Mapping[str, tuple[str | os.PathLike[str] | None, tuple[str, ...] | None]],
    *,
    inputs: Mapping[str, Any] | None = None,
) -> dict[str, Path]:
    """Check every output before any work; return option -> path for the outputs given.

    ``outputs`` maps an option (``"--out"``) to ``(path, allowed suffixes)``; ``inputs`` maps an
    option to an input path of the same command. Outputs must differ from every input and from
    each other; an existing file is refused unless ``args.force``.
    """
    # lazy: facmech._files loads pandas, which `facmech --help` must not
    from facmech._files import check_output, check_suffix, same_file

    force = bool(getattr(args, "force", False))
    for option, (path, suffixes) in outputs.items():  # every format first: the cheapest mistake
        if path is not None and suffixes is not None:
            check_suffix(path, argument=option, suffixes=suffixes)
    found: dict[str, Path] = {}
    for option, (path, suffixes) in outputs.items():
        out = check_output(path, argument=option, suffixes=suffixes, inputs=inputs, force=force)
        if out is None:
            continue
        for other, seen in found.items():
            if out.resolve() == seen.resolve() or (out.exists() and same_file(out, seen)):
                raise ArgumentError(f"`{option}` and `{other}` name the same file ({str(path)!r})")
        found[option] = out
    return found


def write_output(path: Path, write: Callable[[Path], Any], *, option: str) -> str:
    """Write ``path`` atomically with ``write(tmp)``; return ``"wrote PATH"`` or ``"replaced PATH"``."""
    from facmech._files import write_atomic  # lazy, as in check_outputs

    replaced = write_atomic(path, write, argument=option)
    return f"{'replaced' if replaced else 'wrote'} {path}"


def name_list(text: str) -> list[str]:
    """Parse ``a,b,c`` (also ``a>b>c``) into a list of names."""
    sep = ">" if ">" in text else ","
    items = [t.strip() for t in text.split(sep) if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}")
    return items


def int_list(text: str) -> list[int]:
    """Parse ``12,24,36`` into integers."""
    try:
        return [int(t) for t in text.split(",") if t.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from exc


def positive_int(text: str) -> int:
    """An integer >= 1."""
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from exc
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _default(obj: Any) -> Any:
    import numpy as np  # lazy: `facmech --help` does not load numpy (results have already)

    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return None if not math.isfinite(obj) else float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    to_dict: Callable[[], Any] | None = getattr(obj, "to_dict", None)
    if to_dict is not None:
        return to_dict()
    raise FacmechError(f"cannot serialise {type(obj).__name__} to JSON")


def emit_json(payload: Any) -> None:
    """Print ``payload`` as indented JSON on stdout."""
    json.dump(payload, sys.stdout, indent=2, default=_default, allow_nan=False)
    sys.stdout.write("\n")
