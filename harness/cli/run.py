"""`portal-harness run`: play every scenario x API version x delivery mode at a target."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def register(sub: argparse._SubParsersAction, matrix_args: Callable,
             common_sim: Callable) -> None:
    r = sub.add_parser("run", help="play every scenario x version x delivery mode at a target")
    matrix_args(r)
    scale_args(r)
    r.set_defaults(func=cmd_run)


def scale_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="worker processes for the built-in reference app and its mutants "
                        "(default: all cores; 1: this process only); results, seeds and "
                        "output order are the same whatever N")
    p.add_argument("--concurrency", type=int, default=None, metavar="N",
                   help="cases at once against an app over HTTP (--config; default 4, capped "
                        "by the target file's [webhook].concurrency; 1 if it has a "
                        "[seed].reset_url)")
    p.add_argument("--shard", metavar="I/N",
                   help="play only the I-th of N deterministic slices of the matrix, e.g. "
                        "--shard 2/4 on the second of four CI runners")


def cmd_run(args: argparse.Namespace) -> int:
    from ..session import Session
    from .console import print_report, progress

    session = Session.from_args(args)
    # Progress goes to stderr, so it also shows in CI logs of a --json run; stdout stays JSON.
    with session, progress(session.total) as tick:
        report = session.run(progress=tick)
    if args.json:
        print(report.to_json())
    else:
        print_report(report)
    return report.exit_code
