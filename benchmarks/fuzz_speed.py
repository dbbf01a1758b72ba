"""Fuzz campaign speed, in-process: examples per second against the clean reference app.

Runs `harness.fuzz.Campaign` (generated portal flows x generated delivery plans x the default
API versions and billing modes) and prints examples per second, with the share of time spent
drawing examples (strategies and the simulator) versus playing them at the app.

    python benchmarks/fuzz_speed.py [--examples 300] [--seed 0] [--mutant NAME]
"""

from __future__ import annotations

import argparse
import time

from harness.fuzz import Campaign
from harness.run import Runner
from harness.targets.inprocess import ReferenceTarget


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mutant", default=None)
    args = parser.parse_args()
    target = ReferenceTarget(mutant=args.mutant)
    runner = Runner(target)
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
    try:
        report = Campaign(runner, examples=args.examples, seed=args.seed).run()
    finally:
        target.close()
    drawing = report.duration - playing
    print(f"{report.runs} examples in {report.duration:.2f} s: "
          f"{report.examples_per_second:.1f} examples per second "
          f"(playing at the app {playing / report.duration:.0%}, drawing and shrinking "
          f"{drawing / report.duration:.0%}; target {target.name}, seed {args.seed})")
    if not report.ok:
        print(report.failure_text())


if __name__ == "__main__":
    main()
