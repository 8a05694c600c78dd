"""Shared pieces of the CLI: common options, list parsing and output (text or JSON)."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from facmech.errors import FacmechError

__all__ = ["add_map_option", "emit_json", "int_list", "name_list", "positive_int"]


def add_map_option(parser: argparse.ArgumentParser) -> None:
    """``--map PATH``: a facmech YAML, dagitty or DOT file (default: the built-in map)."""
    parser.add_argument(
        "--map",
        default="facilitation",
        metavar="PATH",
        help="mechanism map: facmech YAML, dagitty or DOT file, detected by content "
        "(default: the built-in facilitation map)",
    )


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
