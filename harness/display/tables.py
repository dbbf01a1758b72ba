"""Tables: rows of values, events as Stripe emitted them, delivery attempts as they arrived.

Also the plumbing every view shares: virtual times as dates, and one table rendered as HTML
(left-aligned, failures shaded) or as aligned plain text.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..delivery.plan import Attempt, arrival_notes, out_of_order_sentence

OK_COLOUR = "#1a7f37"
FAIL_COLOUR = "#cf222e"
DUP_COLOUR = "#8250df"
LATE_COLOUR = "#bf8700"
MUTED = "#6e7781"
_TD = "style='text-align:left'"  # Jupyter right-aligns table cells; text reads better left
TOP = "style='text-align:left;vertical-align:top'"


def when(ts: int | None) -> str:
    """A virtual timestamp as a UTC date and time (minutes), the way the tables show it."""
    if ts is None:
        return "-"
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M")


class View:
    """Shared display plumbing: HTML in Jupyter, the same content as text everywhere else."""

    def html(self) -> str:
        raise NotImplementedError

    def text(self) -> str:
        raise NotImplementedError

    def _repr_html_(self) -> str:
        return self.html()

    def __str__(self) -> str:
        return self.text()

    def describe(self) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(self.text())


# -- plain tables -----------------------------------------------------------------------------


class Table(View):
    """Rows of dicts as a table; the keys of the first row are the columns."""

    def __init__(self, rows: Iterable[Mapping[str, Any]], *, title: str | None = None,
                 columns: Sequence[str] | None = None) -> None:
        self.rows = [dict(r) for r in rows]
        self.columns = list(columns or (self.rows[0].keys() if self.rows else []))
        self.title = title

    def describe(self) -> str:
        return f"{len(self.rows)} rows: {', '.join(self.columns)}"

    def html(self) -> str:
        cells = [[_cell(r.get(c)) for c in self.columns] for r in self.rows]
        return html_table(self.columns, [(row, None) for row in cells], self.title)

    def text(self) -> str:
        return text_table(self.columns, [[_plain(r.get(c)) for c in self.columns]
                                          for r in self.rows], self.title)


# -- events -----------------------------------------------------------------------------------


class EventTable(View):
    """Events as Stripe emitted them: time, type, object, and what a `*.updated` changed.

    `events` are `harness.Event`s (rendered for one API version, so "changed" lists exactly the
    `data.previous_attributes` that version sends). `checkpoints` names the segments.
    """

    def __init__(self, events: Iterable[Any], *, checkpoints: Sequence[str] | None = None,
                 title: str | None = None) -> None:
        self.events = list(events)
        self.checkpoints = list(checkpoints or [])
        self.title = title

    @classmethod
    def from_simulator(cls, sim: Any, *, title: str | None = None) -> EventTable:
        """Play a `harness.Simulator` and list its events rendered for its API version."""
        from ..render.events import Event

        segments = sim.run()
        events = [Event.from_sim(e, sim.api_version, sim.catalog)
                  for seg in segments for e in seg.events]
        default = f"{sim.scenario.name}: events as an endpoint on {sim.api_version} receives them"
        return cls(events, checkpoints=[s.checkpoint for s in segments], title=title or default)

    def describe(self) -> str:
        return f"{len(self.events)} events"

    def _rows(self) -> list[tuple[int | None, list[str]]]:
        out: list[tuple[int | None, list[str]]] = []
        for i, e in enumerate(self.events, start=1):
            payload = getattr(e, "payload", None) or {}
            out.append((getattr(e, "segment", None),
                        [str(i), when(e.created), e.type, short(e.object_id),
                         "; ".join(_changes(payload))]))
        return out

    def _label(self, segment: int | None) -> str | None:
        if segment is None or segment >= len(self.checkpoints):
            return None
        return f"until checkpoint {segment + 1}: {self.checkpoints[segment]}"

    def html(self) -> str:
        cols = ["#", "time (UTC, virtual)", "type", "object", "changed (previous → now)"]
        rows: list[tuple[list[str], str | None]] = []
        last = object()
        for seg, cells in self._rows():
            label = self._label(seg)
            if label and seg != last:
                rows.append(([f"<b>{html.escape(label)}</b>"], "span"))
            last = seg
            cells = [html.escape(c) for c in cells]
            cells[2] = f"<code>{cells[2]}</code>"
            rows.append((cells, None))
        return html_table(cols, rows, self.title)

    def text(self) -> str:
        cols = ["#", "time", "type", "object", "changed"]
        rows: list[list[str]] = []
        last = object()
        for seg, cells in self._rows():
            label = self._label(seg)
            if label and seg != last:
                rows.append([f"-- {label}"])
            last = seg
            rows.append(cells)
        return text_table(cols, rows, self.title)


def _changes(payload: Mapping[str, Any]) -> list[str]:
    """`previous_attributes` as "field: old → new", arrays and objects summarised."""
    data = payload.get("data") or {}
    prev = data.get("previous_attributes") or {}
    obj = data.get("object") or {}
    return [f"{key}: {_summary(key, old, obj.get(key))}" for key, old in prev.items()]


def _summary(key: str, old: Any, new: Any) -> str:
    if key == "items" and isinstance(old, dict) and isinstance(new, dict):
        before, after = _first_item(old), _first_item(new)
        parts = []
        if before.get("price") != after.get("price"):
            parts.append(f"price {before.get('price')} → {after.get('price')}")
        if before.get("end") != after.get("end"):
            parts.append(f"period end {when(before.get('end'))} → {when(after.get('end'))}")
        return "whole array, " + (", ".join(parts) if parts else "unchanged values")
    return f"{_value(key, old)} → {_value(key, new)}"


def _first_item(items: Mapping[str, Any]) -> dict[str, Any]:
    data = items.get("data") or [{}]
    first = data[0] if data else {}
    return {"price": (first.get("price") or {}).get("id"), "end": first.get("current_period_end")}


def _value(key: str, value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and (key.endswith(("_at", "_end", "_start"))
                                   or key in ("created", "trial_end")):
        return when(value)
    if isinstance(value, dict):
        if "id" in value:
            return short(value["id"], 28)
        text = ", ".join(f"{k}={_value(k.rsplit('.', 1)[-1], v)}"
                         for k, v in _leaves(value) if v is not None)
        return short(text, 90) if text else "(all null)"
    return short(str(value), 28)


def _leaves(value: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for k, v in sorted(value.items()):
        if isinstance(v, dict) and "id" not in v:
            out += _leaves(v, f"{prefix}{k}.")
        else:
            out.append((f"{prefix}{k}", v))
    return out


# -- deliveries -------------------------------------------------------------------------------


def attempts_of(source: Any) -> list[Attempt]:
    return list(getattr(source, "timeline", source))


def answer(a: Attempt) -> str:
    if a.fate == "lost":
        return "lost before the app"
    if a.fate == "timeout":
        return f"{a.status}, answer lost"
    if a.fate == "fault":
        return f"{a.status}, database failure injected"
    return str(a.status)


def kinds(attempts: Sequence[Attempt]) -> list[str]:
    """For each attempt: "first", "retry" (Stripe's retry of a failure) or "duplicate"."""
    seen: set[str] = set()
    out = []
    for a in attempts:
        if a.number > 1:
            out.append("retry")
        elif a.event_id in seen:
            out.append("duplicate")
        else:
            out.append("first")
        seen.add(a.event_id)
    return out


class DeliveryTable(View):
    """Delivery attempts in the order they reached the app, grouped by checkpoint."""

    def __init__(self, source: Any, *, title: str | None = None) -> None:
        self.attempts = attempts_of(source)
        self.title = title

    def describe(self) -> str:
        return f"{len(self.attempts)} attempts"

    def _rows(self) -> list[tuple[Attempt, list[str]]]:
        notes = arrival_notes(self.attempts)
        return [(a, [str(i), when(a.at), a.event_type, short(a.object_id),
                     str(a.number) + ("" if kind == "first" else f" ({kind})")
                     + (f" ({note})" if note.startswith("late") else ""), answer(a),
                     "ok" if a.ok else "FAILED"])
                for i, (a, kind, note) in enumerate(zip(self.attempts, kinds(self.attempts),
                                                        notes, strict=True), start=1)]

    def sentence(self) -> str:
        """One sentence when an older event arrived after a newer one, else ""."""
        return out_of_order_sentence(self.attempts, arrival_notes(self.attempts))

    def html(self) -> str:
        cols = ["#", "time (UTC, virtual)", "event", "object", "attempt", "answer", ""]
        rows: list[tuple[list[str], str | None]] = []
        seg = None
        for a, cells in self._rows():
            if a.segment != seg:
                seg = a.segment
                rows.append(([f"<b>until checkpoint {a.segment + 1}: "
                              f"{html.escape(a.checkpoint)}</b>"], "span"))
            cells = [html.escape(c) for c in cells]
            cells[2] = f"<code>{cells[2]}</code>"
            mark = (f"<span style='color:{OK_COLOUR}'>✓</span>" if a.ok else
                    f"<b style='color:{FAIL_COLOUR}'>✗ failed</b>")
            cells[-1] = mark
            rows.append((cells, None if a.ok else "fail"))
        sentence = self.sentence()
        return html_table(cols, rows, self.title) + (
            f"<p>{html.escape(sentence)}</p>" if sentence else "")

    def text(self) -> str:
        rows: list[list[str]] = []
        seg = None
        for a, cells in self._rows():
            if a.segment != seg:
                seg = a.segment
                rows.append([f"-- until checkpoint {a.segment + 1}: {a.checkpoint}"])
            rows.append(cells)
        sentence = self.sentence()
        return text_table(["#", "time", "event", "object", "attempt", "answer", ""], rows,
                          self.title) + (f"\n{sentence}" if sentence else "")


# -- table plumbing, shared by every view -----------------------------------------------------


def short(value: str, keep: int = 22) -> str:
    value = str(value)
    return value if len(value) <= keep else value[: keep - 1] + "…"


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _cell(value: Any) -> str:
    return html.escape(_plain(value))


def html_table(columns: Sequence[str], rows: Sequence[tuple[list[str], str | None]],
                title: str | None) -> str:
    head = "".join(f"<th {_TD}>{html.escape(c)}</th>" for c in columns)
    body = []
    for cells, kind in rows:
        if kind == "span":
            body.append(f"<tr><td colspan='{len(columns)}' {_TD}>{cells[0]}</td></tr>")
            continue
        style = " style='background:#ffebe9'" if kind == "fail" else ""
        body.append(f"<tr{style}>" + "".join(f"<td {_TD}>{c}</td>" for c in cells) + "</tr>")
    caption = f"<caption style='text-align:left'><b>{html.escape(title)}</b></caption>" if (
        title) else ""
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def text_table(columns: Sequence[str], rows: Sequence[Sequence[str]], title: str | None) -> str:
    full = [r for r in rows if len(r) == len(columns)]
    widths = [max([len(c), *(len(r[i]) for r in full)]) for i, c in enumerate(columns)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [title] if title else []
    out += [line(columns), line(["-" * w for w in widths])]
    out += [line(r) if len(r) == len(columns) else r[0] for r in rows]
    return "\n".join(out)
