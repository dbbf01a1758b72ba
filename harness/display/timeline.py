"""The timeline figure: a case's delivery attempts over virtual time, drawn as inline SVG.

Takes a CaseResult (or its attempts) and optionally the run's events in Stripe's order; gives
`Timeline`, which Jupyter shows as an image (`_repr_svg_`) and a terminal as a table. No
plotting library: the SVG is written by hand, so it renders on GitHub and stays byte-stable.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

from ..delivery.plan import Attempt, arrival_notes
from .tables import (
    DUP_COLOUR,
    FAIL_COLOUR,
    LATE_COLOUR,
    OK_COLOUR,
    DeliveryTable,
    answer,
    attempts_of,
    kinds,
    short,
    when,
)


class Timeline:
    """The delivery timeline as a figure: one row per event, one mark per delivery attempt.

    Attempts run left to right in the order they reached the app (virtual time under the axis);
    dashed lines are the checkpoints where the app's state was compared. Green: accepted;
    red: failed (a cross when the request never reached the app, a ring when the app's answer
    was lost); a red ring: Stripe's retry; purple: a duplicate delivery; an amber ring: a
    delivery that arrived after the checkpoint it belongs to (known when `events` is given).
    Rows follow the virtual time of each event's first attempt, then arrival; with `events`
    (the run's events as Stripe emitted them, e.g. replayed by a `Simulator` with the case's
    `world_seed`) they follow Stripe's order exactly, grouped by checkpoint, and are numbered
    from 0 as a delivery plan numbers events.
    """

    ROW = 17
    LEFT = 330
    RIGHT = 24
    TOP = 76
    BOTTOM = 46

    def __init__(self, source: Any, *, events: Iterable[Any] | None = None,
                 title: str | None = None, width: int = 860) -> None:
        self.attempts = attempts_of(source)
        names = [(cp.index, cp.name) for cp in getattr(source, "checkpoints", [])]
        self.checkpoints = dict(names) or {a.segment: a.checkpoint for a in self.attempts}
        delivered = {a.event_id for a in self.attempts}
        self.emitted: dict[str, int] = {}  # event id -> the segment Stripe emitted it in
        # Without the events, the virtual time of each event's first attempt, then arrival.
        first: dict[str, int] = {}
        for a in self.attempts:
            first[a.event_id] = min(first.get(a.event_id, a.at), a.at)
        self.rows = sorted(first, key=first.__getitem__)
        if events is not None:
            events = list(events)
            given = [eid for e in events if (eid := getattr(e, "id", e)) in delivered]
            self.rows = given + [eid for eid in self.rows if eid not in set(given)]
            self.emitted = {e.id: e.segment for e in events if hasattr(e, "segment")}
        self.label = {a.event_id: f"{a.event_type}  {short(a.object_id, 12)}"
                      for a in self.attempts}
        if events is not None:  # numbered as a delivery plan numbers them, from 0
            number = {getattr(e, "id", e): i for i, e in enumerate(events)}
            self.label = {eid: f"#{number[eid]} {text}" if eid in number else text
                          for eid, text in self.label.items()}
        self.title = title or getattr(source, "label", "delivery timeline")
        self.width = width

    def __repr__(self) -> str:
        return f"<Timeline {len(self.attempts)} attempts of {len(self.rows)} events>"

    def __str__(self) -> str:
        return DeliveryTable(self.attempts, title=self.title).text()

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))

    def _repr_svg_(self) -> str:
        return self.svg()

    def table(self) -> DeliveryTable:
        """The same attempts as a table."""
        return DeliveryTable(self.attempts, title=self.title)

    def svg(self) -> str:
        n = max(len(self.attempts), 1)
        plot_w = self.width - self.LEFT - self.RIGHT
        step = plot_w / n
        late_note = _late_note(self.attempts)
        height = (self.TOP + self.ROW * max(len(self.rows), 1) + self.BOTTOM
                  + (16 if late_note else 0))
        row_of = {eid: i for i, eid in enumerate(self.rows)}

        def x(i: float) -> float:
            return self.LEFT + step * (i + 0.5)

        def y(eid: str) -> float:
            return self.TOP + self.ROW * (row_of[eid] + 0.5)

        out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{self.width}' height='{height}' "
               f"viewBox='0 0 {self.width} {height}' font-family='Helvetica, Arial, sans-serif' "
               "font-size='11'>",
               f"<rect width='{self.width}' height='{height}' fill='white'/>",
               f"<text x='8' y='16' font-size='13' font-weight='bold'>"
               f"{html.escape(self.title)}</text>"]
        out += self._legend()
        bottom = self.TOP + self.ROW * len(self.rows)
        for eid, i in row_of.items():
            yy = y(eid)
            if i % 2 == 0:
                out.append(f"<rect x='{self.LEFT}' y='{yy - self.ROW / 2:.1f}' width='{plot_w}' "
                           f"height='{self.ROW}' fill='#f6f8fa'/>")
            out.append(f"<text x='{self.LEFT - 6}' y='{yy + 4:.1f}' text-anchor='end'>"
                       f"{html.escape(self.label[eid])}</text>")
            previous = self.rows[i - 1] if i else None
            if previous and eid in self.emitted and self.emitted[eid] != self.emitted.get(previous):
                top = yy - self.ROW / 2  # events emitted before the next checkpoint start here
                out.append(f"<line x1='8' y1='{top:.1f}' x2='{self.width - self.RIGHT}' "
                           f"y2='{top:.1f}' stroke='#d0d7de'/>")
        out += self._checkpoints(x, step, bottom)
        out += self._time_axis(x, bottom)
        notes = arrival_notes(self.attempts)
        for i, (a, kind, note) in enumerate(zip(self.attempts, kinds(self.attempts), notes,
                                                strict=True)):
            if kind == "first" and (a.segment > self.emitted.get(a.event_id, a.segment)
                                    or note.startswith("late")):
                kind = "late"
            out.append(_mark(x(i), y(a.event_id), a, kind, min(5.0, step / 2.2),
                             f"#{i + 1}" + (f" ({note})" if note else "")))
        if late_note:  # under the axis labels: which older event arrived after a newer one
            out.append(f"<text x='8' y='{height - 8}' fill='#9a6700'>"
                       f"{html.escape(late_note)}</text>")
        out.append("</svg>")
        return "\n".join(out)

    def _legend(self) -> list[str]:
        items = [("first", True, "accepted"), ("retry", True, "retry, accepted"),
                 ("duplicate", True, "duplicate"), ("first", False, "failed (app answer)"),
                 ("timeout", False, "answer lost"), ("lost", False, "never reached the app")]
        if self.emitted:
            items.insert(3, ("late", True, "after its checkpoint"))
        out = []
        xx = 8.0
        for kind, ok, text in items:
            a = Attempt("", "", "", 2 if kind == "retry" else 1, 0,
                        kind if kind in ("lost", "timeout") else "deliver",
                        200 if ok else 500, 0, "")
            out.append(_mark(xx + 5, 36, a, kind if kind in ("retry", "duplicate", "late")
                             else "first", 5))
            out.append(f"<text x='{xx + 14}' y='40' fill='#24292f'>{text}</text>")
            xx += 22 + 6.2 * len(text)
        return out

    def _checkpoints(self, x: Any, step: float, bottom: float) -> list[str]:
        """A dashed line after the last attempt before each checkpoint; checkpoints with no
        attempts between them share one line and one label."""
        at: dict[float, list[str]] = {}
        for seg in sorted(set(self.checkpoints) | {a.segment for a in self.attempts}):
            before = [i for i, a in enumerate(self.attempts) if a.segment <= seg]
            xx = x(before[-1]) + step / 2 if before else float(self.LEFT)
            at.setdefault(xx, []).append(f"{seg + 1}: {self.checkpoints.get(seg, '')}")
        out = []
        for k, (xx, names) in enumerate(sorted(at.items())):
            out.append(f"<line x1='{xx:.1f}' y1='{self.TOP - 8}' x2='{xx:.1f}' y2='{bottom}' "
                       f"stroke='#57606a' stroke-dasharray='4 3'/>")
            ty = self.TOP - 10 - (k % 2) * 12  # alternate heights so close labels don't overlap
            out.append(f"<text x='{xx - 3:.1f}' y='{ty}' text-anchor='end' fill='#57606a' "
                       f"font-style='italic'>{html.escape(', '.join(names))}</text>")
        return out

    def _time_axis(self, x: Any, bottom: float) -> list[str]:
        out = [f"<line x1='{self.LEFT}' y1='{bottom}' x2='{self.width - self.RIGHT}' "
               f"y2='{bottom}' stroke='#57606a'/>",
               f"<text x='{self.LEFT - 6}' y='{bottom + 14}' text-anchor='end' fill='#57606a'>"
               "virtual time (UTC)</text>",
               f"<text x='{self.LEFT - 6}' y='{bottom + 28}' text-anchor='end' fill='#57606a'>"
               "attempts in arrival order →</text>"]
        shown = None
        next_free = 0.0
        for i, a in enumerate(self.attempts):
            stamp = when(a.at)
            day = stamp[:10]
            if stamp == shown or x(i) < next_free:
                continue
            label = stamp[5:] if day != (shown or "")[:10] else stamp[11:]
            out.append(f"<line x1='{x(i):.1f}' y1='{bottom}' x2='{x(i):.1f}' y2='{bottom + 4}' "
                       "stroke='#57606a'/>")
            out.append(f"<text x='{x(i):.1f}' y='{bottom + 15}' text-anchor='start' "
                       f"fill='#57606a'>{label}</text>")
            shown = stamp
            next_free = x(i) + 6.4 * len(label) + 6
        return out


def _mark(cx: float, cy: float, a: Attempt, kind: str, r: float, where: str = "") -> str:
    """One attempt's mark, with a tooltip naming the event, the attempt and the answer."""
    text = f"{where} {a.event_type} {a.event_id}: attempt {a.number}, {answer(a)}".lstrip()
    tip = f"<title>{html.escape(text)}</title>"
    if a.fate == "lost":
        d = r * 0.9
        return (f"<g stroke='{FAIL_COLOUR}' stroke-width='2'>{tip}"
                f"<line x1='{cx - d:.1f}' y1='{cy - d:.1f}' x2='{cx + d:.1f}' y2='{cy + d:.1f}'/>"
                f"<line x1='{cx - d:.1f}' y1='{cy + d:.1f}' x2='{cx + d:.1f}' y2='{cy - d:.1f}'/>"
                "</g>")
    if a.fate == "timeout":
        return (f"<circle cx='{cx:.1f}' cy='{cy:.1f}' r='{r - 1:.1f}' fill='white' "
                f"stroke='{FAIL_COLOUR}' stroke-width='2'>{tip}</circle>")
    if not a.ok:
        return (f"<circle cx='{cx:.1f}' cy='{cy:.1f}' r='{r:.1f}' fill='{FAIL_COLOUR}'>{tip}"
                "</circle>")
    if kind == "duplicate":
        return (f"<rect x='{cx - r * 0.8:.1f}' y='{cy - r * 0.8:.1f}' width='{r * 1.6:.1f}' "
                f"height='{r * 1.6:.1f}' fill='{DUP_COLOUR}' "
                f"transform='rotate(45 {cx:.1f} {cy:.1f})'>{tip}</rect>")
    if kind in ("retry", "late"):  # a ring: red for Stripe's retry, amber for a late arrival
        ring = FAIL_COLOUR if kind == "retry" else LATE_COLOUR
        return (f"<g>{tip}<circle cx='{cx:.1f}' cy='{cy:.1f}' r='{r + 1:.1f}' fill='none' "
                f"stroke='{ring}' stroke-width='1.6'/><circle cx='{cx:.1f}' "
                f"cy='{cy:.1f}' r='{r - 1.6:.1f}' fill='{OK_COLOUR}'/></g>")
    return f"<circle cx='{cx:.1f}' cy='{cy:.1f}' r='{r:.1f}' fill='{OK_COLOUR}'>{tip}</circle>"


def _late_note(attempts: list[Attempt]) -> str:
    """The figure's one sentence when an older event arrived after a newer one, else ""."""
    for i, note in enumerate(arrival_notes(attempts), start=1):
        if note.startswith("late: created before #"):
            j = int(note.rsplit("#", 1)[1])
            return (f"Out of order: #{i} {attempts[i - 1].event_type} arrived after "
                    f"#{j} {attempts[j - 1].event_type}, which Stripe created after it.")
    return ""
