"""Terminal output for the CLI: a progress bar while cases run, then the report table.

Takes a RunReport; prints a rich table (scenario rows, one column per version x delivery), then
each failing case's timeline, broken checks and replay command, then the summary line.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

from ..checks.report import CaseResult, RunReport


@contextlib.contextmanager
def progress(total: int, *, enabled: bool = True) -> Iterator[Callable[[CaseResult], None]]:
    """A progress bar on stderr (when it is a terminal); yields the per-case callback."""
    if not enabled or not sys.stderr.isatty():
        yield lambda result: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  transient=True, console=_console(stderr=True)) as bar:
        task = bar.add_task("playing", total=total)

        def tick(result: CaseResult) -> None:
            bar.update(task, advance=1, description=result.label)

        yield tick


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
