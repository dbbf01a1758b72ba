"""Delivery: the schedule of webhook attempts for a scenario's events, and Stripe's retries.

Takes the events of each checkpoint and a plan (a named mode and a seed, or an explicit schedule
from the fuzzer); gives `Attempt`s in the order they reach the app. An attempt whose answer is
not 2xx, or that is lost on the way, is retried on a back-off in virtual time, at most
`MAX_ATTEMPTS` times (Stripe's sandbox retries "three times over a few hours").
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from ..errors import ConfigError

Fate = Literal["deliver", "lost", "timeout", "fault"]
"""deliver: reaches the app, its answer counts. lost: never reaches the app (connection failed).
timeout: reaches the app and is processed, but the answer is lost, so Stripe retries anyway.
fault: reaches the app while its database fails mid-transaction (targets that support fault
injection, such as the reference app); elsewhere it counts as lost."""

MODES = ("in_order", "shuffled", "duplicated", "retried", "delayed", "chaos")
DEFAULT_MODES = ("in_order", "shuffled", "duplicated", "retried", "delayed")
RETRY_DELAYS = (300, 1800, 7200)  # virtual seconds after attempts 1, 2, 3 (sandbox: hours)
MAX_ATTEMPTS = 1 + len(RETRY_DELAYS)


@dataclass(frozen=True)
class Planned:
    """One first-hand attempt: which event (index in the run's event list) and its fate."""

    event: int
    fate: Fate = "deliver"


@dataclass
class Schedule:
    """For each checkpoint, the first-hand attempts made before it is checked."""

    segments: list[list[Planned]]
    mode: str = "explicit"
    seed: int | None = None
    notes: list[str] = field(default_factory=list)

    def pending_after(self, segment: int, events_by_segment: Sequence[Sequence[int]]) -> set[int]:
        """Events emitted by `segment` or earlier whose first attempt comes later."""
        emitted = {e for seg in events_by_segment[: segment + 1] for e in seg}
        tried = {p.event for seg in self.segments[: segment + 1] for p in seg}
        return emitted - tried

    def validate(self, events_by_segment: Sequence[Sequence[int]]) -> None:
        if len(self.segments) != len(events_by_segment):
            raise ConfigError(f"the schedule has {len(self.segments)} segments, the scenario "
                              f"{len(events_by_segment)} checkpoints")
        owner = {e: i for i, seg in enumerate(events_by_segment) for e in seg}
        seen: set[int] = set()
        for i, seg in enumerate(self.segments):
            for p in seg:
                if p.event not in owner:
                    raise ConfigError(f"the schedule names event #{p.event}, which does not exist")
                if owner[p.event] > i:
                    raise ConfigError(f"event #{p.event} is scheduled before Stripe emits it")
                seen.add(p.event)
        missing = set(owner) - seen
        if missing:
            raise ConfigError(f"events {sorted(missing)} are never delivered by the schedule")


def plan(mode: str, events_by_segment: Sequence[Sequence[int]], seed: int,
         total: int | None = None) -> Schedule:
    """The schedule of a named delivery mode; the same seed always gives the same schedule.

    `total` is the scenario's number of checkpoints when only the first segments are known yet
    (the run plans as it plays); the plan of a prefix never changes when more is known.
    """
    if mode not in MODES:
        raise ConfigError(f"unknown delivery mode {mode!r}; choose from {', '.join(MODES)}")
    rng = random.Random(f"{mode}:{seed}")
    segs = [list(s) for s in events_by_segment]
    total = len(segs) if total is None else total
    out: list[list[Planned]] = [[] for _ in segs]
    carry: list[Planned] = []
    for i, seg in enumerate(segs):
        order = list(seg)
        if mode in ("shuffled", "chaos"):
            rng.shuffle(order)
        attempts = [Planned(e) for e in order]
        if mode in ("retried", "chaos"):
            attempts = [Planned(p.event, _fate(rng)) for p in attempts]
            if attempts and all(p.fate == "deliver" for p in attempts):
                k = rng.randrange(len(attempts))
                attempts[k] = Planned(attempts[k].event, rng.choice(("lost", "timeout", "fault")))
        if mode in ("duplicated", "chaos") and attempts:
            dups = [p for p in attempts if rng.random() < 0.3] or [rng.choice(attempts)]
            for d in dups:
                where = rng.randrange(attempts.index(d) + 1, len(attempts) + 1)
                attempts.insert(where, Planned(d.event))
        late = None
        if mode in ("delayed", "chaos") and i < total - 1 and seg:
            late = rng.choice(seg)  # arrives after the next checkpoint's events
            attempts = [p for p in attempts if p.event != late]
        attempts = attempts + carry
        carry = [Planned(late)] if late is not None else []
        out[i] = attempts
    if len(segs) == total:
        out[-1].extend(carry)
    return Schedule(out, mode=mode, seed=seed)


def _fate(rng: random.Random) -> Fate:
    r = rng.random()
    return ("lost" if r < 0.1 else "timeout" if r < 0.2 else "fault" if r < 0.3
            else "deliver")


@dataclass(frozen=True)
class Attempt:
    """One delivery attempt as it happened: what was sent, when, and the answer."""

    event_id: str
    event_type: str
    object_id: str
    number: int  # 1 for the first attempt of this delivery, 2.. for Stripe's retries
    at: int  # virtual time
    fate: Fate
    status: int | None  # the app's HTTP status; None when the attempt never reached it
    segment: int
    checkpoint: str
    created: int | None = None  # when Stripe created the event, if not `at`
    order: int | None = None  # the event's place in Stripe's order (index in the run's events)
    # What the fake Stripe API answered the app while it handled this attempt: its own 4xx
    # answers ("GET /v1/subscriptions/sub_1 -> 404 resource_missing"), and the requests the
    # harness could not serve (gaps), each as "METHOD path (why; answered status)".
    stripe_errors: tuple[str, ...] = ()
    gaps: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return (self.fate in ("deliver", "fault") and self.status is not None
                and 200 <= self.status < 300)

    def line(self) -> str:
        answer = {"lost": "lost before the app", "timeout": f"{self.status} (answer lost)",
                  "fault": f"{self.status} (database failure injected)"}.get(
            self.fate, str(self.status))
        late = (f"  (created t={self.created})"
                if self.created is not None and self.created != self.at else "")
        after = ""
        if self.gaps:
            after = f"  [harness gap: {'; '.join(self.gaps)}]"
        elif self.stripe_errors and not self.ok:
            after = f"  [after the fake Stripe API answered {'; '.join(self.stripe_errors)}]"
        return (f"t={self.at} {self.event_type:<38} {self.object_id:<30} "
                f"attempt {self.number}  -> {answer}{late}{after}")


def arrival_notes(attempts: Sequence[Attempt]) -> list[str]:
    """For each attempt, in arrival order: "duplicate" when its event had already arrived in an
    earlier first attempt, "late: created before #N" when its first attempt comes after an
    event Stripe created after it (which arrived at attempt #N, counted from 1), else "".
    Stripe's retries say so themselves ("attempt 2") and are not marked."""
    notes: list[str] = []
    arrived: set[str] = set()
    accepted: set[str] = set()
    newest: tuple[int, int] | None = None  # (order, arrival number) of the newest event so far
    for i, a in enumerate(attempts, start=1):
        note = ""
        if a.number == 1 and a.event_id in arrived:
            note = "duplicate"
        elif (a.number == 1 and a.order is not None and newest is not None
              and newest[0] > a.order and a.event_id not in accepted):
            first_newer = next(j for j, b in enumerate(attempts[: i - 1], start=1)
                               if b.order is not None and b.order > a.order)
            note = f"late: created before #{first_newer}"
        notes.append(note)
        if a.fate != "lost":
            arrived.add(a.event_id)
        if a.ok:
            accepted.add(a.event_id)
        if a.order is not None and (newest is None or a.order > newest[0]):
            newest = (a.order, i)
    return notes


def out_of_order_sentence(timeline: Sequence[Attempt], notes: Sequence[str],
                          shown: Sequence[int] | None = None) -> str:
    """One sentence for the first (shown) attempt that arrived after a newer event, or "".
    `notes` are `arrival_notes(timeline)`; `shown` the attempt numbers (from 1) on display."""
    for i in shown if shown is not None else range(1, len(timeline) + 1):
        note = notes[i - 1]
        if note.startswith("late: created before #"):
            j = int(note.rsplit("#", 1)[1])
            late, newer = timeline[i - 1], timeline[j - 1]
            t_late, t_newer = late.created or late.at, newer.created or newer.at
            when = (f"in the same second (t={t_newer})" if t_late == t_newer
                    else f"later (t={t_newer})")
            return (f"Out of order: #{i} {late.event_type} ({late.object_id}), created "
                    f"t={t_late}, arrived after #{j} {newer.event_type}, which Stripe created "
                    f"{when}.")
    return ""
