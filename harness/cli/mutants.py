"""`portal-harness mutants`: list the planted defects of the mutation self-check."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def register(sub: argparse._SubParsersAction, matrix_args: Callable,
             common_sim: Callable) -> None:
    m = sub.add_parser("mutants", help="list the planted defects of the mutation self-check")
    m.set_defaults(func=cmd_mutants)


def cmd_mutants(args: argparse.Namespace) -> int:
    from ..targets.mutants import MUTANTS

    for m in MUTANTS:
        print(f"{m.name:<36} {m.defect_class:<15} {m.description}")
    return 0
