"""States side by side: what Stripe implies next to what the app's database holds.

Takes BillingStates (expected from the simulator, actual from the target) and CaseResults;
gives `StateTable` (mismatches marked as the checks mark them) and `CaseView` (each
checkpoint's deliveries next to its states, then the broken checks and the replay command).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from ..checks.invariants import normalize_state
from ..delivery.plan import Attempt
from .tables import (
    FAIL_COLOUR,
    MUTED,
    OK_COLOUR,
    TOP,
    DeliveryTable,
    View,
    html_table,
    short,
    text_table,
    when,
)

_SUB_FIELDS = ("status", "price_id", "current_period_end", "cancel_at_period_end", "paused",
               "collection_paused", "quantity", "cancellation_feedback", "coupon")

# -- states -----------------------------------------------------------------------------------


class StateTable(View):
    """What Stripe implies next to what the app holds, per customer and field; mismatches marked.

    `expected` and `actual` map customer ids to BillingStates (either may be None to show one
    side). A field the app does not track (None) shows as "not tracked" and is not compared,
    as the harness's checks do not compare it.
    """

    def __init__(self, expected: Mapping[str, Any] | None = None,
                 actual: Mapping[str, Any] | None = None, *, title: str | None = None) -> None:
        if expected is None and actual is None:
            raise ValueError("give expected, actual or both")
        self.expected = dict(expected) if expected is not None else None
        self.actual = dict(actual) if actual is not None else None
        self.title = title

    def describe(self) -> str:
        customers = len([*dict.fromkeys([*(self.expected or {}), *(self.actual or {})])])
        return f"{customers} customers, {self.mismatches} mismatches"

    @property
    def both(self) -> bool:
        return self.expected is not None and self.actual is not None

    @property
    def mismatches(self) -> int:
        return sum(1 for row in self._rows() if row[-1] is False)

    def _columns(self) -> list[str]:
        cols = ["field"]
        if self.expected is not None:
            cols.append("Stripe (expected)")
        if self.actual is not None:
            cols.append("app database")
        if self.both:
            cols.append("")
        return cols

    def _rows(self) -> list[tuple[str, str | None, str | None, bool | None]]:
        """(field, expected text, app text, same) rows; a heading row has only the field."""
        out: list[tuple[str, str | None, str | None, bool | None]] = []
        customers = dict.fromkeys([*(self.expected or {}), *(self.actual or {})])
        for cid in customers:
            # A customer only one side knows is shown, not compared (a replayed stream may
            # have no expected state at all).
            exp = normalize_state(self.expected[cid]) if cid in (self.expected or {}) else None
            act = normalize_state(self.actual[cid]) if cid in (self.actual or {}) else None
            compare = exp is not None and act is not None
            out.append((f"customer {cid}", None, None, None))
            for fld, e, a in _state_fields(exp, act):
                if e is _HEADING:
                    out.append((fld, None, None, None))
                    continue
                # Compared as the checks compare: an untracked field, or a subscription only
                # the app knows, is not checked.
                same = None
                if compare and a is not _UNTRACKED and e is not _ABSENT:
                    same = e == a
                out.append((fld, _state_text(e), _state_text(a), same))
        return out

    def _cells(self, row: tuple[str, str | None, str | None, bool | None]) -> list[str]:
        fld, e, a, same = row
        cells = [fld]
        if self.expected is not None:
            cells.append(e or "")
        if self.actual is not None:
            cells.append(a or "")
        if self.both:
            cells.append("" if same is None else "ok" if same else "MISMATCH")
        return cells

    @staticmethod
    def _heading(row: tuple[str, str | None, str | None, bool | None]) -> bool:
        return row[1] is None and row[2] is None and row[3] is None

    def html(self) -> str:
        rows: list[tuple[list[str], str | None]] = []
        for row in self._rows():
            if self._heading(row):
                rows.append(([f"<b>{html.escape(row[0])}</b>"], "span"))
                continue
            cells = [html.escape(c) for c in self._cells(row)]
            if row[-1] is True:
                cells[-1] = f"<span style='color:{OK_COLOUR}'>✓</span>"
            elif row[-1] is False:
                cells[-1] = f"<b style='color:{FAIL_COLOUR}'>✗ mismatch</b>"
            rows.append((cells, "fail" if row[-1] is False else None))
        return html_table(self._columns(), rows, self.title)

    def text(self) -> str:
        rows = [[f"-- {row[0]}"] if self._heading(row) else self._cells(row)
                for row in self._rows()]
        return text_table(self._columns(), rows, self.title)


class _Marker:
    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


_ABSENT = _Marker("-")  # this side has no such subscription
_UNTRACKED = _Marker("not tracked")  # the app does not report this field
_HEADING = _Marker("")  # a row that names the subscription the next rows belong to


def _state_fields(exp: dict[str, Any] | None,
                  act: dict[str, Any] | None) -> list[tuple[str, Any, Any]]:
    def side(state: dict[str, Any] | None, key: str) -> Any:
        if state is None:
            return None
        value = state.get(key)
        if key == "paid_invoices" and value is not None:
            value = tuple(sorted(value))
        return _UNTRACKED if value is None and state is act else value

    rows: list[tuple[str, Any, Any]] = [("plan", side(exp, "plan"), side(act, "plan"))]
    subs = dict.fromkeys([*((exp or {}).get("subscriptions") or {}),
                          *((act or {}).get("subscriptions") or {})])
    for sid in subs:
        rows.append((f"subscription {sid}", _HEADING, _HEADING))
        e_sub = (exp or {}).get("subscriptions", {}).get(sid)
        a_sub = (act or {}).get("subscriptions", {}).get(sid)
        for key in _SUB_FIELDS:
            e = None if exp is None else _ABSENT if e_sub is None else e_sub.get(key)
            a = None if act is None else _ABSENT if a_sub is None else a_sub.get(key)
            rows.append((f"  {key}", e, _UNTRACKED if a is None and act is not None else a))
    rows.append(("paid invoices", side(exp, "paid_invoices"), side(act, "paid_invoices")))
    return rows


def _state_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, _Marker):
        return value.text
    if isinstance(value, tuple):
        return f"{len(value)}: " + ", ".join(short(v, 14) for v in value) if value else "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and value >= 10**9:  # a time (current_period_end), not a count
        return when(value)
    return str(value)


# -- a case, checkpoint by checkpoint ---------------------------------------------------------


class CaseView(View):
    """A case result checkpoint by checkpoint: the deliveries next to Stripe's and the app's
    state, then the broken checks (if any) and the command that replays the case."""

    def __init__(self, result: Any) -> None:
        self.result = result

    def describe(self) -> str:
        return f"{self.result.label}"

    def _verdict(self) -> str:
        r = self.result
        return "skipped" if r.skipped else "ok" if r.ok else "FAILED"

    def _header(self) -> str:
        r = self.result
        return (f"{r.scenario} on {r.api_version} ({r.billing_mode} billing), delivery "
                f"{r.delivery}, seed {r.seed}, target {r.target}: {self._verdict()}")

    def _segments(self) -> list[tuple[Any, list[Attempt]]]:
        return [(cp, [a for a in self.result.timeline if a.segment == cp.index])
                for cp in self.result.checkpoints]

    @staticmethod
    def _cp_title(cp: Any) -> str:
        settled = "" if cp.settled else " (some events still in flight)"
        return f"Checkpoint {cp.index + 1}: {cp.name}{settled}"

    def html(self) -> str:
        r = self.result
        colour = OK_COLOUR if r.ok else MUTED if r.skipped else FAIL_COLOUR
        parts = [f"<p><b>{html.escape(self._header()[:-len(self._verdict())])}"
                 f"<span style='color:{colour}'>{self._verdict()}</span></b></p>"]
        for cp, attempts in self._segments():
            left = DeliveryTable(attempts).html() if attempts else "<p>no deliveries</p>"
            right = StateTable(cp.expected, cp.actual).html()
            parts.append(
                f"<p><b>{html.escape(self._cp_title(cp))}</b></p><table><tr>"
                f"<th {TOP}>deliveries</th><th {TOP}>state: Stripe vs app</th></tr>"
                f"<tr><td {TOP}>{left}</td><td {TOP}>{right}</td></tr></table>")
        parts.append(_violations_html(r.violations))
        parts.append(f"<p>Replay: <code>{html.escape(r.replay)}</code></p>")
        return "\n".join(parts)

    def text(self) -> str:
        r = self.result
        lines = [self._header()]
        for cp, attempts in self._segments():
            lines += ["", self._cp_title(cp),
                      DeliveryTable(attempts).text() if attempts else "no deliveries",
                      StateTable(cp.expected, cp.actual).text()]
        if r.violations:
            lines += ["", "Broken checks:"]
            lines += [f"  {v.check}: {v.message} ({v.defect})" for v in r.violations]
        lines += ["", f"Replay: {r.replay}"]
        return "\n".join(lines)


def _violations_html(violations: Sequence[Any]) -> str:
    if not violations:
        return f"<p style='color:{OK_COLOUR}'>Every check passed.</p>"
    items = "".join(
        f"<li><b style='color:{FAIL_COLOUR}'>{html.escape(v.check)}</b>"
        f"{' [' + html.escape(v.checkpoint) + ']' if v.checkpoint else ''}: "
        f"{html.escape(v.message)}<br><i>{html.escape(v.defect)}</i></li>" for v in violations)
    return f"<p><b>Broken checks</b></p><ul>{items}</ul>"
