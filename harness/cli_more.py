"""More `portal-harness` commands: mutants (and the fuzz, record, replay, serve fronts)."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def add_commands(sub: argparse._SubParsersAction, matrix_args: Callable,
                 common_sim: Callable) -> None:
    m = sub.add_parser("mutants", help="list the planted defects of the mutation self-check")
    m.set_defaults(func=cmd_mutants)


def cmd_mutants(args: argparse.Namespace) -> int:
    from .mutants import MUTANTS

    for m in MUTANTS:
        print(f"{m.name:<28} {m.description}")
    return 0
