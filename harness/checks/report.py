"""Report: one result object for the CLI, pytest and notebooks.

Takes case results (checkpoints, violations, the delivery timeline); gives text for a terminal,
HTML and Markdown for Jupyter, and JSON (`ok`, `results[]` with `scenario`, `api_version`,
`delivery`, `ok`, `violations[]` each with `check` and `message`).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Any

from ..delivery.plan import Attempt, arrival_notes, out_of_order_sentence
from .faults import HARNESS, WHAT_TO_DO_ABOUT_GAPS, exit_code
from .invariants import Violation


@dataclass
class CheckpointResult:
    name: str
    index: int
    settled: bool
    expected: dict[str, Any] = field(default_factory=dict)
    actual: dict[str, Any] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)


@dataclass
class CaseResult:
    """One scenario x API version x delivery mode against one target."""

    scenario: str
    api_version: str
    delivery: str
    billing_mode: str | None
    seed: int
    target: str
    replay: str
    ok: bool = False
    skipped: str | None = None
    events: int = 0
    duration: float = 0.0
    violations: list[Violation] = field(default_factory=list)
    checkpoints: list[CheckpointResult] = field(default_factory=list)
    timeline: list[Attempt] = field(default_factory=list)
    stopped: bool = False  # the app exited during this case; the run stops after it

    @property
    def label(self) -> str:
        return f"{self.scenario}-{self.api_version}-{self.delivery}"

    def failure_text(self, *, max_lines: int = 40) -> str:
        """Like a hypothesis failure: the deliveries, the broken checks, the replay command."""
        if self.ok or self.skipped:
            return ""
        first = min((v.checkpoint for v in self.violations if v.checkpoint), default=None,
                    key=lambda name: [c.name for c in self.checkpoints].index(name)
                    if name in [c.name for c in self.checkpoints] else 0)
        upto = [c.name for c in self.checkpoints]
        cut = upto.index(first) if first in upto else len(upto) - 1
        notes = arrival_notes(self.timeline)
        numbered = [(i, a, n) for i, (a, n) in enumerate(zip(self.timeline, notes, strict=True),
                                                        start=1) if a.segment <= cut]
        lines = [f"Failing case: {self.label} ({self.billing_mode} billing, seed {self.seed})",
                 "Deliveries:"]
        shown = numbered
        if len(shown) > max_lines:
            lines.append(f"  ... {len(shown) - max_lines} earlier attempts ...")
            shown = shown[-max_lines:]
        seg = None
        for i, a, note in shown:
            if a.segment != seg:
                seg = a.segment
                lines.append(f"  -- until checkpoint {a.checkpoint!r}")
            lines.append(f"  #{i:<3} {a.line()}" + (f"  ({note})" if note else ""))
        sentence = out_of_order_sentence(self.timeline, notes, [i for i, _, _ in shown])
        if sentence:
            lines.append(sentence)
        lines.append("Broken checks:")
        for v in self.violations:
            where = f"[{v.checkpoint}] " if v.checkpoint else ""
            who = " (harness gap, not an app defect)" if v.fault == HARNESS else ""
            lines.append(f"  {v.check}{who}: {where}{v.message}")
            lines.append(f"      expected {v.expected!r}, app has {v.actual!r}")
            lines.append(f"      defect: {v.defect}")
        lines.append(f"Replay: {self.replay}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario, "api_version": self.api_version,
            "delivery": self.delivery, "billing_mode": self.billing_mode, "seed": self.seed,
            "target": self.target, "ok": self.ok, "skipped": self.skipped,
            "events": self.events, "attempts": len(self.timeline),
            "duration_s": round(self.duration, 4),
            "violations": [v.to_dict() for v in self.violations], "replay": self.replay,
            "stopped": self.stopped,
            "timeline": [a.line() for a in self.timeline] if not self.ok else [],
        }

    def __str__(self) -> str:
        if self.skipped:
            return f"{self.label}: skipped ({self.skipped})"
        if self.ok:
            return (f"{self.label}: ok ({self.billing_mode} billing, seed {self.seed}, "
                    f"{self.events} events, {len(self.timeline)} deliveries, "
                    f"{len(self.checkpoints)} checkpoints)")
        return self.failure_text()

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))

    def _repr_html_(self) -> str:
        """The case at a glance: verdict, one row per checkpoint, broken checks, replay command.
        `harness.display.CaseView(result)` shows each checkpoint's deliveries and states."""
        colour = "#888" if self.skipped else "#1a7f37" if self.ok else "#cf222e"
        verdict = f"skipped: {self.skipped}" if self.skipped else "ok" if self.ok else "FAILED"
        rows = []
        for cp in self.checkpoints:
            attempts = [a for a in self.timeline if a.segment == cp.index]
            failed = sum(1 for a in attempts if not a.ok)
            broken = f"<b>{len(cp.violations)}</b>" if cp.violations else "-"
            rows.append(f"<tr><td>{cp.index + 1}</td><td>{html.escape(cp.name)}</td>"
                        f"<td>{len(attempts)}</td><td>{failed}</td>"
                        f"<td>{'yes' if cp.settled else 'no, events in flight'}</td>"
                        f"<td>{broken}</td></tr>")
        checks = "".join(f"<li><b>{html.escape(v.check)}</b>: {html.escape(v.message)} "
                         f"<i>({html.escape(v.defect)})</i></li>" for v in self.violations)
        return (f"<p><b>{html.escape(self.label)}</b> ({self.billing_mode} billing, seed "
                f"{self.seed}, target {html.escape(self.target)}): <b style='color:{colour}'>"
                f"{html.escape(verdict)}</b>, {self.events} events, {len(self.timeline)} "
                "deliveries</p><table><thead><tr><th>#</th><th>checkpoint</th>"
                "<th>deliveries</th><th>failed attempts</th><th>settled</th>"
                f"<th>broken checks</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
                + (f"<ul>{checks}</ul>" if checks else "")
                + f"<p>Replay: <code>{html.escape(self.replay)}</code></p>")


@dataclass
class RunReport:
    """Every case of a run; `ok` when no case has a violation."""

    seed: int = 0
    target: str = "reference"
    results: list[CaseResult] = field(default_factory=list)
    duration: float = 0.0
    stopped: str | None = None  # why the run ended before its last case (the app exited)
    # What the harness approximated without failing a case (an old Stripe-Version answered in
    # the oldest modelled shape), one sentence each.
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.ok or r.skipped for r in self.results)

    @property
    def exit_code(self) -> int:
        """0 all checks pass; 1 the app has a defect; 3 the harness could not judge (a gap);
        see harness.checks.faults."""
        return exit_code(v.fault for r in self.results for v in r.violations)

    def gaps(self) -> dict[str, list[str]]:
        """Each harness gap's message (the request and why) -> the cases that met it."""
        found: dict[str, list[str]] = {}
        for r in self.results:
            for v in r.violations:
                if v.fault == HARNESS:
                    found.setdefault(v.message, []).append(r.label)
        return found

    @property
    def failures(self) -> list[CaseResult]:
        return [r for r in self.results if not r.ok and not r.skipped]

    def counts(self) -> dict[str, int]:
        return {"cases": len(self.results),
                "passed": sum(1 for r in self.results if r.ok),
                "failed": len(self.failures),
                "skipped": sum(1 for r in self.results if r.skipped),
                "events": sum(r.events for r in self.results),
                "attempts": sum(len(r.timeline) for r in self.results)}

    def to_dict(self) -> dict[str, Any]:
        faults: dict[str, int] = {}
        for r in self.results:
            for v in r.violations:
                faults[v.fault] = faults.get(v.fault, 0) + 1
        return {"ok": self.ok, "exit_code": self.exit_code, "faults": faults,
                "stopped": self.stopped, "notes": self.notes, "seed": self.seed,
                "target": self.target,
                "duration_s": round(self.duration, 3), **self.counts(),
                "results": [r.to_dict() for r in self.results]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def summary_line(self) -> str:
        c = self.counts()
        gaps = self.gaps()
        extra = (f"; {len(gaps)} harness gap{'s' if len(gaps) != 1 else ''} (exit 3)"
                 if gaps else "")
        stopped = f"; stopped: {self.stopped}" if self.stopped else ""
        return (f"{c['passed']} passed, {c['failed']} failed, {c['skipped']} skipped "
                f"({c['cases']} cases, {c['attempts']} deliveries, {self.duration:.2f} s)"
                f"{extra}{stopped}")

    def gaps_text(self) -> str:
        """The harness gaps, first in a text report: what to do, then each request."""
        gaps = self.gaps()
        if not gaps:
            return ""
        lines = [f"Harness gaps ({len(gaps)}): {WHAT_TO_DO_ABOUT_GAPS}"]
        for message, cases in gaps.items():
            lines.append(f"  - {message}")
            lines.append(f"    in {len(cases)} case{'s' if len(cases) != 1 else ''}, "
                         f"first {cases[0]}")
        return "\n".join(lines)

    def raise_for_violations(self) -> None:
        if not self.ok:
            from ..errors import InvariantViolation

            text = "\n\n".join([self.gaps_text()] * bool(self.gaps())
                                 + [r.failure_text() for r in self.failures])
            raise InvariantViolation(text, self)

    def _repr_markdown_(self) -> str:
        rows = []
        for r in self.results:
            verdict = "skipped" if r.skipped else "ok" if r.ok else "**FAIL**"
            checks = ", ".join(sorted({v.check for v in r.violations})) or r.skipped or ""
            rows.append(f"| {r.scenario} | {r.api_version} | {r.delivery} | {verdict} | "
                        f"{len(r.timeline)} | {checks} |")
        return ("| scenario | API version | delivery | result | deliveries | checks failed |\n"
                "|---|---|---|---|---|---|\n" + "\n".join(rows) +
                f"\n\n{self.summary_line()}")

    def _repr_html_(self) -> str:
        rows = []
        for r in self.results:
            colour = "#888" if r.skipped else "#1a7f37" if r.ok else "#cf222e"
            verdict = "skipped" if r.skipped else "ok" if r.ok else "FAIL"
            checks = ", ".join(sorted({v.check for v in r.violations})) or (r.skipped or "")
            rows.append(
                f"<tr><td>{html.escape(r.scenario)}</td><td>{r.api_version}</td>"
                f"<td>{r.delivery}</td><td style='color:{colour};font-weight:bold'>{verdict}</td>"
                f"<td>{len(r.timeline)}</td><td>{html.escape(checks)}</td></tr>")
        fails = "".join(f"<pre>{html.escape(r.failure_text())}</pre>" for r in self.failures[:3])
        return ("<table><thead><tr><th>scenario</th><th>API version</th><th>delivery</th>"
                "<th>result</th><th>deliveries</th><th>checks failed</th></tr></thead><tbody>"
                + "".join(rows) + f"</tbody></table><p>{html.escape(self.summary_line())}</p>"
                + fails)

    def __str__(self) -> str:
        return self.summary_line()

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        # IPython's plain-text view: the summary, not the dataclass repr of every case.
        p.text(str(self))
