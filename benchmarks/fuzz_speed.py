"""Fuzz campaign speed: examples per second against the clean reference app, in-process or
over HTTP (`--config`, e.g. examples/reference-app/harness.toml).

Runs `harness.fuzz.Campaign` (generated portal flows x generated delivery plans x the default
API versions and billing modes) and prints examples per second, wall and per CPU second of this
process, with the share of time spent drawing examples (strategies and the simulator) versus
playing them at the app, under the machine it ran on.

    python benchmarks/fuzz_speed.py [--examples 300] [--seed 0] [--mutant NAME] [--config FILE]
"""

from __future__ import annotations

import argparse
import time

from machine import describe

from harness.fuzz import Campaign
from harness.session import Session


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mutant", default=None)
    parser.add_argument("--config", default=None, help="a target file: fuzz an app over HTTP")
    args = parser.parse_args()
    print(describe())
    session = Session.create(config=args.config, mutant=args.mutant)
    runner, target = session.runner, session.runner.target
    playing = 0.0
    run_case = runner.run_case

    def timed(case):
        nonlocal playing
        started = time.perf_counter()
        try:
            return run_case(case)
        finally:
            playing += time.perf_counter() - started

    runner.run_case = timed  # type: ignore[method-assign]
    cpu = time.process_time()
    with session:
        report = Campaign(runner, examples=args.examples, seed=args.seed).run()
    cpu = time.process_time() - cpu
    drawing = report.duration - playing
    print(f"{report.runs} examples in {report.duration:.2f} s: "
          f"{report.examples_per_second:.1f} examples per second, "
          f"{report.runs / cpu:.1f} per CPU second of the harness "
          f"(playing at the app {playing / report.duration:.0%}, drawing and shrinking "
          f"{drawing / report.duration:.0%}; target {target.name}, seed {args.seed})")
    if not report.ok:
        print(report.failure_text())


if __name__ == "__main__":
    main()
