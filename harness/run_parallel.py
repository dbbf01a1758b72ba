"""Scale-out for the matrix: shards for a CI runner matrix, worker processes on one machine.

Takes the options of a `Session` and its cases; gives the same `CaseResult`s, in the same order,
with the same seeds and verdicts as one process playing them one after another. Every case's
ids, delivery plan and app come from the case itself (its `world_seed`, its own app database),
so where a case runs changes nothing in its result.

- `shard(cases, "2/4")`: the second of four disjoint slices, round-robin by position in the
  matrix, so each slice gets a similar mix of scenarios and modes; the union of all N slices is
  the matrix, in order.
- `run_in_processes(options, cases, jobs)`: in-process targets (the reference app and its
  mutants) in `jobs` worker processes, each with its own target and fake API.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import Any

from .checks.report import CaseResult, RunReport
from .errors import ConfigError

# Below this many cases per worker, starting workers costs more than it saves.
MIN_CASES_PER_JOB = 8


def parse_shard(spec: str) -> tuple[int, int]:
    """'I/N' (1 <= I <= N) as (I, N); anything else is a ConfigError naming --shard."""
    index, sep, count = spec.partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        i = n = 0
    if not sep or n < 1 or not 1 <= i <= n:
        raise ConfigError(f"--shard {spec!r}: expected I/N with 1 <= I <= N, e.g. 1/4")
    return i, n


def shard(cases: Sequence[Any], spec: str | None) -> list[Any]:
    """The cases of shard `spec` ('I/N'), in matrix order; every case when spec is None."""
    if spec is None:
        return list(cases)
    i, n = parse_shard(spec)
    return [c for pos, c in enumerate(cases) if pos % n == i - 1]


def default_jobs() -> int:
    """All the cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def effective_jobs(jobs: int | None, cases: int) -> int:
    """How many worker processes pay off for `cases` cases (1: play them in this process)."""
    wanted = default_jobs() if jobs is None else jobs
    if wanted < 0:
        raise ConfigError(f"--jobs {wanted}: expected 0 (all cores) or a positive number")
    if wanted == 0:
        wanted = default_jobs()
    return max(1, min(wanted, cases // MIN_CASES_PER_JOB))


# -- worker side ---------------------------------------------------------------------------

_worker_session: Any = None


def _start_worker(options: dict[str, Any]) -> None:
    global _worker_session
    if _worker_session is not None:  # forked: the parent's session came along
        return
    from .session import Session

    _worker_session = Session.create(**options)


def _warm_up(session: Any) -> None:
    """Import in the parent what playing a case imports, so forked workers share it instead of
    each importing stripe, the reference app and the checks again."""
    import importlib

    for name in ("harness.reference_app", "harness.checks.portal", "harness.targets.mutants"):
        importlib.import_module(name)
    from .fake_stripe import sdk_spec

    sdk_spec.by_template()  # stripe-python's route table, read once instead of per worker


def _play(positions: list[int]) -> list[tuple[int, CaseResult]]:
    session = _worker_session
    return [(pos, session.runner.run_case(session.cases[pos])) for pos in positions]


# -- parent side ---------------------------------------------------------------------------

def run_in_processes(options: dict[str, Any], positions: Sequence[int], jobs: int, *,
                     seed: int, target: str, session: Any = None,
                     progress: Callable[[CaseResult], None] | None = None) -> RunReport:
    """Play the cases at `positions` of the matrix `Session.create(**options)` builds, in
    `jobs` processes; results and progress come in matrix order. Where processes fork,
    `session` (that same session, no case played yet) is handed to the workers as is."""
    global _worker_session
    import concurrent.futures
    import multiprocessing

    report = RunReport(seed=seed, target=target)
    started = time.perf_counter()
    # Small chunks, dealt round-robin: long and short scenarios spread over the workers, and
    # results stream back early enough for the progress bar.
    size = max(1, min(4, len(positions) // (jobs * 4)))
    chunks = [list(positions[k:k + size]) for k in range(0, len(positions), size)]
    forking = "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if forking else None)
    # A target that already runs its ASGI thread (a case played before) would be forked
    # without it: the workers then build their own session.
    if (forking and session is not None
            and getattr(session.runner.target, "_asgi", None) is None):
        _warm_up(session)
        _worker_session = session  # inherited by the forked workers; unused in this process
    try:
        done: dict[int, CaseResult] = {}
        order = list(positions)
        next_out = 0
        with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context,
                                                    initializer=_start_worker,
                                                    initargs=(options,)) as pool:
            futures = [pool.submit(_play, chunk) for chunk in chunks]
            try:
                for fut in concurrent.futures.as_completed(futures):
                    for pos, res in fut.result():
                        done[pos] = res
                    while next_out < len(order) and order[next_out] in done:
                        res = done.pop(order[next_out])
                        report.results.append(res)
                        next_out += 1
                        if progress:
                            progress(res)
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise
    finally:
        _worker_session = None
    report.duration = time.perf_counter() - started
    return report
