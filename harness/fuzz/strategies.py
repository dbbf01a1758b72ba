"""Hypothesis strategies: portal flows, delivery plans, API versions and billing modes.

Takes hypothesis (the `fuzz` extra) and the simulator; gives `Scenario`s from a state machine of
portal actions, explicit delivery `Schedule`s and whole fuzz `Case`s, each shrinking toward the
plainest example: fewer actions, Stripe's natural order, no duplicates, drops or faults.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

try:
    from hypothesis import reject
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - exercised by a subprocess test
    raise ImportError(
        "harness.fuzz.strategies needs hypothesis; install it with: "
        'pip install "portal-harness[fuzz]"'
    ) from exc

from ..delivery.plan import Planned, Schedule
from ..errors import ScenarioError
from ..render.events import matches
from ..run import Case
from ..scenario.catalog import Catalog, default_catalog
from ..scenario.files import ACTIONS, Scenario
from ..sim.simulator import Simulator
from ..versions import DEFAULT_VERSIONS, PINNED_VERSION, default_billing_mode

__all__ = [
    "FATES",
    "api_versions",
    "billing_modes",
    "cases",
    "delivery_plans",
    "events_by_segment",
    "plan_text",
    "playable_steps",
    "scenarios",
    "segment_event_types",
]

FATES = ("lost", "timeout", "fault")
"""The first-attempt fates a plan may give an event besides "deliver" (harness.delivery.plan)."""

FUZZ_DELIVERY = "fuzz"
"""The delivery label of a fuzzed case (its schedule is explicit)."""


# -- API versions and billing modes ----------------------------------------------------------


def api_versions(versions: Sequence[str] = DEFAULT_VERSIONS) -> st.SearchStrategy[str]:
    """Stripe API versions from `versions`; shrinks toward the first one listed."""
    return st.sampled_from(tuple(versions))


def billing_modes() -> st.SearchStrategy[str | None]:
    """None (the version's default billing mode), "classic" or "flexible"; shrinks toward None."""
    return st.sampled_from((None, "classic", "flexible"))


# -- portal actions and the scenarios they make -----------------------------------------------

# The portal state machine. Each move is (action, weight, precondition on the customer's newest
# live subscription). Moves are listed simplest first: a drawn move shrinks toward the first move
# allowed in the current state. Portal moves outweigh clock moves, so most consecutive steps
# happen in the same second, as when a customer clicks twice in the portal.
_MOVES: tuple[tuple[str, int, Any], ...] = (
    ("cancel_at_period_end", 3, lambda s: s is not None and not s.cancellation_pending),
    ("undo_cancel", 3, lambda s: s is not None and s.cancellation_pending),
    ("switch_plan", 3, lambda s: s is not None),
    ("pause", 2, lambda s: s is not None and s.status != "paused"
                           and s.pause_collection is None),
    ("resume", 3, lambda s: s is not None and (s.status == "paused"
                                               or s.pause_collection is not None)),
    ("cancel_now", 1, lambda s: s is not None),
    ("update_payment_method", 2, lambda s: True),
    ("card_declines", 1, lambda s: True),
    ("advance", 2, lambda s: True),
    ("checkout", 1, lambda s: True),
    ("checkpoint", 2, lambda s: True),
)
# Renewals, retries and scheduled cancellations happen at period ends: half the advances go there.
_ADVANCES = ({"to": "next_renewal"}, {"days": 1}, {"to": "next_renewal"}, {"days": 3})
_PRORATIONS = (None, "always_invoice", "none", None)
_PAUSE_BEHAVIORS = (None, "keep_as_draft", "mark_uncollectible", None)
_CARDS = (None, "mastercard", "declining", None)


def _moves() -> st.SearchStrategy[tuple[int, int, int, int]]:
    """One drawn move before it meets a state: (which allowed move, customer, price, variant).
    The variant picks the advance, proration, pause behaviour or card. Shrinks toward zeros."""
    return st.tuples(st.integers(0, 1 << 16), st.integers(0, 7), st.integers(0, 15),
                     st.integers(0, 3))


@functools.lru_cache(maxsize=16)
def _move_lists(max_actions: int) -> st.SearchStrategy[list[tuple[int, int, int, int]]]:
    return st.lists(_moves(), max_size=max_actions)


@st.composite
def scenarios(draw: st.DrawFn, api_version: str = PINNED_VERSION, billing_mode: str | None = None,
              *, customers: Sequence[str] = ("alice",), catalog: Catalog | None = None,
              max_actions: int = 12) -> Scenario:
    """Valid portal flows: each customer checks out, then up to `max_actions` steps, then a check.

    A state machine over a simulated World picks each step among the moves the current state
    allows: checkout, switch plan, cancel at period end, undo, cancel now, pause, resume, payment
    method update, card declines (payment failure; a later card update is the recovery), clock
    advances and checkpoints. A step the World still refuses is skipped, never an error, so
    deleting any step while shrinking leaves a valid flow. Steps between two advances share one
    second, and that is the common case; each advance is preceded by a checkpoint, since Stripe
    delivers within seconds, not days. Shrinks toward fewer actions, the first customer, the
    first price, and a cancellation at period end.
    """
    catalog = catalog or default_catalog()
    names = list(customers)
    prices = tuple(catalog.prices)
    opening = [{"checkout": {"customer": who, "price": prices[draw(st.integers(
        0, len(prices) - 1))]}} for who in names]
    wanted = draw(_move_lists(max_actions))
    steps = _play(opening, wanted, names, api_version, billing_mode, catalog)
    numbered, n = [], 0
    for raw in steps:
        if "checkpoint" in raw:
            n += 1
            raw = {"checkpoint": {"name": f"cp{n}"}}
        numbered.append(raw)
    numbered.append({"checkpoint": {"name": "end"}})
    return Scenario.model_validate({
        "name": "fuzzed",
        "description": "A portal flow drawn by harness.fuzz.strategies.scenarios().",
        "customers": names, "steps": numbered})


def _play(opening: list[dict[str, Any]], moves: Sequence[tuple[int, int, int, int]],
          customers: Sequence[str], api_version: str, billing_mode: str | None,
          catalog: Catalog) -> list[dict[str, Any]]:
    """Turn drawn moves into the steps a World accepts, in order."""
    machine = _PortalMachine(customers, api_version, billing_mode, catalog)
    prices = tuple(catalog.prices)
    for raw in opening:
        machine.attempt(raw)
    for which, who_i, price_i, variant in moves:
        who = customers[who_i % len(customers)]
        allowed = machine.allowed(who)
        action = allowed[which % len(allowed)]
        params: dict[str, Any] = {"customer": who}
        if action == "switch_plan":
            params["price"] = prices[price_i % len(prices)]
            params["proration_behavior"] = _PRORATIONS[variant]
        elif action == "pause":
            params["behavior"] = _PAUSE_BEHAVIORS[variant]
        elif action == "update_payment_method":
            params["card"] = _CARDS[variant]
        elif action == "checkout":
            params["price"] = prices[price_i % len(prices)]
        elif action == "advance":
            params = dict(_ADVANCES[variant])
        elif action == "checkpoint":
            params = {}
        machine.attempt({action: {k: v for k, v in params.items() if v is not None}})
    return machine.steps()


def playable_steps(steps: Sequence[dict[str, Any]], *, customers: Sequence[str] = ("alice",),
                   api_version: str = PINNED_VERSION, billing_mode: str | None = None,
                   catalog: Catalog | None = None) -> list[dict[str, Any]]:
    """The steps (as a scenario file writes them) that a World accepts, in order: a step Stripe
    would refuse in the state reached so far is skipped, never an error; so is a checkpoint
    right after another, and a trailing one. A checkpoint is added before each advance."""
    machine = _PortalMachine(customers, api_version, billing_mode, catalog or default_catalog())
    for raw in steps:
        machine.attempt(raw)
    return machine.steps()


class _PortalMachine:
    """The portal's state: a World played step by step, with the moves each state allows."""

    def __init__(self, customers: Sequence[str], api_version: str, billing_mode: str | None,
                 catalog: Catalog) -> None:
        probe = Scenario.model_validate({
            "name": "probe", "description": "steps being tried", "customers": list(customers),
            "steps": [{"checkpoint": "probe"}]})
        self.sim = Simulator(probe, api_version, catalog, billing_mode=billing_mode)
        self.kept: list[dict[str, Any]] = []

    def allowed(self, customer: str) -> list[str]:
        """The moves open to `customer` now, each repeated by its weight."""
        subs = self.sim.world.subscriptions_of(self.sim.customers[customer].customer_id)
        live = [s for s in subs if not s.ended]
        sub = live[-1] if live else None
        return [name for name, weight, ok in _MOVES if ok(sub) for _ in range(weight)]

    def attempt(self, raw: dict[str, Any]) -> bool:
        (action, params), = raw.items()
        if action == "checkpoint":
            if not self.kept or "checkpoint" in self.kept[-1]:
                return False  # two in a row would check one moment twice
            self.kept.append(raw)
            return True
        try:
            # The simulator's own dispatch, so these rules and a scenario run cannot drift apart.
            self.sim.apply(ACTIONS[action].model_validate(params))
        except ScenarioError:
            return False
        if action == "advance" and self.kept and "checkpoint" not in self.kept[-1]:
            # Stripe delivers within seconds: what happened before days pass is checked before
            # they pass (a plan may still delay an event past this checkpoint).
            self.kept.append({"checkpoint": {}})
        self.kept.append(raw)
        return True

    def steps(self) -> list[dict[str, Any]]:
        out = list(self.kept)
        while out and "checkpoint" in out[-1]:
            out.pop()  # the scenario's final check follows
        return out


# -- delivery plans ---------------------------------------------------------------------------


def events_by_segment(scenario: Scenario, api_version: str, billing_mode: str | None = None, *,
                      catalog: Catalog | None = None,
                      enabled_events: list[str] | None = None) -> list[list[int]]:
    """The shape a plan is drawn over: per checkpoint, the indices of the events emitted before
    it (after the endpoint's `enabled_events` filter), numbered across the whole run."""
    out: list[list[int]] = []
    n = 0
    for seg in segment_event_types(scenario, api_version, billing_mode, catalog=catalog,
                                   enabled_events=enabled_events):
        out.append(list(range(n, n + len(seg))))
        n += len(seg)
    return out


def segment_event_types(scenario: Scenario, api_version: str, billing_mode: str | None = None,
                        *, catalog: Catalog | None = None,
                        enabled_events: list[str] | None = None) -> list[list[str]]:
    """Per checkpoint, the types of the events a run delivers, in Stripe's order.

    Remembered per flow: hypothesis tries many plans over one flow (a third of a campaign's
    examples repeat a flow, and shrinking repeats it throughout), and the shape comes from a
    whole simulation that depends on nothing else."""
    # repr names each step's kind; a JSON dump would not (cancel_now and cancel_at_period_end
    # have the same fields).
    key = (repr(scenario), api_version, billing_mode,
           None if enabled_events is None else tuple(enabled_events),
           None if catalog is None else id(catalog))
    hit = _SHAPES.get(key)
    if hit is None or hit[0] is not catalog:
        sim = Simulator(scenario, api_version, catalog or default_catalog(),
                        billing_mode=billing_mode)
        hit = (catalog, tuple(tuple(e.type for e in seg.events if matches(e.type, enabled_events))
                              for seg in sim.segments()))
        if len(_SHAPES) >= _SHAPES_KEPT:
            del _SHAPES[next(iter(_SHAPES))]  # the oldest
        _SHAPES[key] = hit
    return [list(seg) for seg in hit[1]]


_SHAPES: dict[tuple[Any, ...], tuple[Catalog | None, tuple[tuple[str, ...], ...]]] = {}
_SHAPES_KEPT = 256


@st.composite
def delivery_plans(draw: st.DrawFn, segments: Sequence[Sequence[int]], *,
                   max_moves: int = 8, max_duplicates: int = 6,
                   max_faults: int = 8) -> Schedule:
    """Explicit delivery schedules over a scenario's events, given per checkpoint as
    `events_by_segment()` gives them.

    A plan departs from Stripe's natural order in three ways. Moves: an event is delivered
    some places later than Stripe emitted it, past later events and possibly past checkpoints
    (a delay); a few moves make any permutation. Duplicates: an event is delivered again, a
    little later. Failed first attempts: "lost" before the app, "timeout" (the app applied it
    but the answer was lost) or "fault" (the app's database fails mid-event and it answers
    5xx); Stripe retries each later. Shrinks toward Stripe's natural order: fewer and shorter
    moves, no duplicates, no failed attempts.
    """
    segs = [list(s) for s in segments]
    flat: list[Planned | None] = []  # None marks a checkpoint
    for i, seg in enumerate(segs):
        if i:
            flat.append(None)
        flat.extend(Planned(e) for e in seg)
    events = [e for s in segs for e in s]
    if not events:
        return Schedule([[] for _ in segs], mode="explicit")
    moves, duplicates, faults = _plan_parts(tuple(events), len(flat), max_moves,
                                            max_duplicates, max_faults)
    if max_moves and len(flat) > 1:
        for e, distance in draw(moves):
            at = _first(flat, e)
            p = flat.pop(at)
            flat.insert(min(at + distance, len(flat)), p)
    if max_duplicates:
        for e, gap in draw(duplicates):
            flat.insert(min(_first(flat, e) + 1 + gap, len(flat)), Planned(e))
    if max_faults:
        for e, fate in draw(faults):
            flat[_first(flat, e)] = Planned(e, fate)
    out: list[list[Planned]] = [[]]
    for p in flat:
        if p is None:
            out.append([])
        else:
            out[-1].append(p)
    schedule = Schedule(out, mode="explicit")
    schedule.notes.append(plan_text(schedule))
    return schedule


@functools.lru_cache(maxsize=256)
def _plan_parts(events: tuple[int, ...], span: int, max_moves: int, max_duplicates: int,
                max_faults: int) -> tuple[Any, Any, Any]:
    """The three lists a plan draws over these events, built once per shape: building and
    validating strategies anew for every example was a tenth of a campaign's drawing."""
    pick = st.sampled_from(events)  # shrinks toward the first event
    return (st.lists(st.tuples(pick, st.integers(1, max(span - 1, 1))), max_size=max_moves),
            st.lists(st.tuples(pick, st.integers(0, 6)), max_size=max_duplicates),
            st.lists(st.tuples(pick, st.sampled_from(FATES)), max_size=max_faults,
                     unique_by=_event_of))


def _event_of(move: tuple[int, Any]) -> int:
    return move[0]


def _first(flat: list[Planned | None], event: int) -> int:
    return next(i for i, p in enumerate(flat) if p is not None and p.event == event)


def plan_text(schedule: Schedule) -> str:
    """A schedule on one line: event numbers per checkpoint, `|` between checkpoints, a fate
    after a colon, `+` on a repeated delivery: `0 2 1 1+ | 3 4:fault`."""
    parts = []
    for seg in schedule.segments:
        seen: set[int] = set()
        tokens = []
        for p in seg:
            tokens.append(f"{p.event}{'+' if p.event in seen else ''}"
                          f"{'' if p.fate == 'deliver' else ':' + p.fate}")
            seen.add(p.event)
        parts.append(" ".join(tokens) or "-")
    return " | ".join(parts)


# -- whole cases ------------------------------------------------------------------------------


@st.composite
def cases(draw: st.DrawFn, *, scenarios_from: Sequence[Scenario] | None = None,
          versions: Sequence[str] = DEFAULT_VERSIONS,
          modes: Sequence[str | None] | None = None, catalog: Catalog | None = None,
          enabled_events: list[str] | None = None, customers: Sequence[str] = ("alice",),
          max_actions: int = 12, seed: int = 0) -> Case:
    """Fuzz cases for `Runner.run_case`: an API version, a billing mode, a scenario (drawn from
    `scenarios_from`, or a generated portal flow) and an explicit delivery plan over its events.

    Shrinks toward the first version, the version's default billing mode, the first scenario or
    the shortest flow, and Stripe's natural delivery order.
    """
    catalog = catalog or default_catalog()
    version = draw(api_versions(versions))
    mode = draw(st.sampled_from(tuple(modes)) if modes else billing_modes())
    if scenarios_from:
        usable = [s for s in scenarios_from
                  if not s.supports(version, mode or default_billing_mode(version))]
        if not usable:
            reject()
        scenario = draw(st.sampled_from(usable))
    else:
        scenario = draw(scenarios(version, mode, customers=customers, catalog=catalog,
                                  max_actions=max_actions))
    shape = events_by_segment(scenario, version, mode, catalog=catalog,
                              enabled_events=enabled_events)
    schedule = draw(delivery_plans(shape))
    return Case(scenario, version, FUZZ_DELIVERY, seed=seed, billing_mode=mode,
                schedule=schedule)
