"""Mutation self-check table: how the contract catches each planted defect of the reference app.

For every mutant in harness.targets.mutants.MUTANTS: the scenario matrix (every built-in
scenario x the default API versions x the default delivery modes, in that order) and a fuzz
campaign (as the ci hypothesis profile runs it: 100 examples). Prints a Markdown table: defect
class, the checks that catch it, failing cases, seconds to the first failing case, and what the
fuzzer finds.

    python benchmarks/mutation_table.py [--examples 100] [--seed 0] [--mutant NAME ...]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from harness.fuzz import Campaign
from harness.session import Session
from harness.targets.mutants import MUTANTS


def measure(name: str, examples: int, seed: int) -> dict:
    row: dict = {"mutant": name}
    with Session.create(mutant=name, seed=seed) as session:
        started = time.perf_counter()
        first = None
        checks: Counter[str] = Counter()
        failing = 0
        for case in session.cases:
            result = session.runner.run_case(case)
            if result.ok or result.skipped:
                continue
            failing += 1
            if first is None:
                first = time.perf_counter() - started
            checks.update({v.check for v in result.violations})
        row.update(total=len(session.cases), failing=failing, first=first,
                   checks=[c for c, _ in checks.most_common()],
                   matrix_s=time.perf_counter() - started)
        campaign = Campaign(session.runner, examples=examples, seed=seed)
        report = campaign.run()
        row["fuzz"] = (None if report.ok else
                       (sorted({v.check for v in report.failure.violations}), report.examples,
                        report.duration))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mutant", action="append")
    args = parser.parse_args()
    classes = {m.name: m.defect_class for m in MUTANTS}
    names = args.mutant or [m.name for m in MUTANTS]
    print("| mutant | defect class | caught by (checks) | cases failing | seconds to first catch "
          "| fuzz: caught by (examples, seconds) |")
    print("|---|---|---|---|---|---|")
    for name in names:
        r = measure(name, args.examples, args.seed)
        first = "not caught" if r["first"] is None else f"{r['first']:.2f}"
        fuzz = ("not caught" if r["fuzz"] is None else
                f"{', '.join(r['fuzz'][0])} ({r['fuzz'][1]}, {r['fuzz'][2]:.1f} s)")
        print(f"| {name} | {classes[name]} | {', '.join(r['checks']) or '-'} | "
              f"{r['failing']}/{r['total']} | {first} | {fuzz} |", flush=True)
    print("\nThe fuzzer plays webhook deliveries only: signature checks and the portal route are "
          "the scenario matrix's (its security and portal checks).")


if __name__ == "__main__":
    main()
