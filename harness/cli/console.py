"""Terminal output for the CLI: a progress bar while cases run, then the report table.

Takes a RunReport; prints a rich table (scenario rows, one column per version x delivery), then
each failing case's timeline, broken checks and replay command, then the summary line.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import TextIO

from ..checks.report import CaseResult, RunReport


@contextlib.contextmanager
def progress(total: int, *, enabled: bool = True) -> Iterator[Callable[[CaseResult], None]]:
    """A progress bar on stderr when it is a terminal; otherwise (CI logs) one plain line per
    scenario on stderr, so a long run shows it is moving. Yields the per-case callback."""
    if not enabled:
        yield lambda result: None
        return
    if not sys.stderr.isatty():
        with plain_progress(total, sys.stderr) as tick:
            yield tick
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  transient=True, console=_console(stderr=True)) as bar:
        task = bar.add_task("playing", total=total)

        def tick(result: CaseResult) -> None:
            bar.update(task, advance=1, description=result.label)

        yield tick


@contextlib.contextmanager
def plain_progress(total: int, stream: TextIO) -> Iterator[Callable[[CaseResult], None]]:
    """One line per scenario once its cases are played: `[ 25/220] upgrade: 20 cases, 20
    passed, 0 failed (1.2 s)`; the last scenario's line when the run ends."""
    done = 0
    current: list[CaseResult] = []
    width = len(str(total))

    def flush() -> None:
        if not current:
            return
        failed = sum(1 for r in current if not r.ok and not r.skipped)
        passed = sum(1 for r in current if r.ok)
        seconds = sum(r.duration for r in current)
        stream.write(f"[{done:>{width}}/{total}] {current[0].scenario}: {len(current)} cases, "
                     f"{passed} passed, {failed} failed ({seconds:.1f} s)\n")
        stream.flush()
        current.clear()

    def tick(result: CaseResult) -> None:
        nonlocal done
        if current and current[0].scenario != result.scenario:
            flush()
        done += 1
        current.append(result)

    try:
        yield tick
    finally:
        flush()


def _console(stderr: bool = False):
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    # Piped output (CI logs) gets a width that fits the table instead of rich's 80 columns.
    width = None if stream.isatty() else 120
    return Console(stderr=stderr, highlight=False, soft_wrap=True, width=width)


def print_report(report: RunReport) -> None:
    from rich.table import Table

    console = _console()
    columns: list[tuple[str, str]] = []
    for r in report.results:
        key = (_column(r), r.delivery)
        if key not in columns:
            columns.append(key)
    table = Table(title=f"portal-harness: {report.target}", show_lines=False)
    table.add_column("scenario")
    versions = list(dict.fromkeys(v for v, _ in columns))
    for v in versions:
        table.add_column(v, justify="center")
    grid: dict[str, dict[str, list[CaseResult]]] = {}
    for r in report.results:
        grid.setdefault(r.scenario, {}).setdefault(_column(r), []).append(r)
    for scenario, by_version in grid.items():
        cells = []
        for v in versions:
            results = by_version.get(v, [])
            cells.append(" ".join(_mark(r) for r in results))
        table.add_row(scenario, *cells)
    console.print(table)
    modes = list(dict.fromkeys(d for _, d in columns))
    console.print("cells, left to right: " + ", ".join(modes) +
                  "   ([green]✓[/] pass, [red]✗[/] fail, [dim]-[/] skipped)")
    if report.gaps():
        console.print()
        console.print(report.gaps_text(), markup=False)
    for note in report.notes:
        console.print()
        console.print(f"Note: {note}", markup=False)
    if report.stopped:
        console.print()
        console.print(f"The run stopped: {report.stopped}.", markup=False)
    for failure in report.failures[:5]:
        console.print()
        console.print(failure.failure_text(), markup=False)
    if len(report.failures) > 5:
        console.print(f"\n... and {len(report.failures) - 5} more failing cases (see --json)")
    console.print()
    colour = "green" if report.ok else "red"
    console.print(f"[{colour}]{report.summary_line()}[/]")


def _column(r: CaseResult) -> str:
    """The endpoint's version, and the billing mode when it is not that version's default."""
    from ..versions import default_billing_mode

    mode = getattr(r, "billing_mode", None)
    if mode and mode != default_billing_mode(r.api_version):
        return f"{r.api_version} {mode}"
    return r.api_version


def _mark(r: CaseResult) -> str:
    if r.skipped:
        return "[dim]-[/]"
    return "[green]✓[/]" if r.ok else "[red]✗[/]"
