"""Placeholder: this subcommand's owner replaces this module (see facmech/cli/__init__.py)."""

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Not registered yet."""
