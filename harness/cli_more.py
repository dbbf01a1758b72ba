"""More `portal-harness` commands, each front in its own module: mutants here, fuzz in
cli_fuzz, record and replay in cli_cassettes, serve in cli_serve."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def add_commands(sub: argparse._SubParsersAction, matrix_args: Callable,
                 common_sim: Callable) -> None:
    from . import cli_cassettes, cli_fuzz, cli_serve

    m = sub.add_parser("mutants", help="list the planted defects of the mutation self-check")
    m.set_defaults(func=cmd_mutants)
    cli_fuzz.register(sub, matrix_args, common_sim)
    cli_cassettes.register(sub, matrix_args, common_sim)
    cli_serve.register(sub, matrix_args, common_sim)


def cmd_mutants(args: argparse.Namespace) -> int:
    from .mutants import MUTANTS

    for m in MUTANTS:
        print(f"{m.name:<36} {m.defect_class:<15} {m.description}")
    return 0
