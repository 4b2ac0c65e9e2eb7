"""The ``smsgate`` command: one subcommand a module under :mod:`smsgate.commands`.

Each command module offers ``register(subparsers)``, which adds its parser and
sets ``handler`` to a function taking the parsed arguments and returning the
exit status. Nothing is imported or opened before a command is chosen.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from smsgate import __version__
from smsgate.commands import admin, demo, dispatch, evidence, replies, scan, serve

COMMANDS = (demo, serve, dispatch, admin, evidence, scan, replies)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every command registered."""
    parser = argparse.ArgumentParser(
        prog="smsgate",
        description="Compliance-first SMS gateway for debt collection.",
    )
    parser.add_argument("--version", action="version", version=f"smsgate {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit status."""
    args = build_parser().parse_args(argv)
    status: int = args.handler(args)
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
