"""Subscription schedules: create, retrieve, update, list, cancel, release.

Backed by the World's schedules (`harness.sim.schedules`): the portal's scheduled downgrades and
the app's own. Writes call the same verbs, so they send the same `subscription_schedule.*` and
`customer.subscription.*` events; phases change prices at renewals, as the clock plays them.
"""

from __future__ import annotations

from typing import Any

from ...sim import api_writes
from ...sim.billing import add_interval
from ...sim.schedules import SchedulePhase
from .. import errors
from ..handlers import Call, as_array, as_hash, as_int, as_string
from ..routes import Route
from .answers import answer, customer_param, get, metadata, world_errors
from .payments import lister

LIST = {"limit", "starting_after", "ending_before"}
END_BEHAVIORS = ("release", "cancel")
PRORATIONS = ("create_prorations", "none", "always_invoice")
PHASE_KEYS = {"items", "start_date", "end_date", "duration", "iterations", "proration_behavior"}


def _sched(call: Call) -> Any:
    return get(call, call.world.subscription_schedules, "subscription_schedule")


def _require_live(sched: Any, verb: str) -> None:
    if not sched.live:
        raise errors.invalid(f"You cannot {verb} a subscription schedule that is currently in "
                             f"the `{sched.status}` status. It must be in `not_started` or "
                             "`active`.")


def _time(value: Any, param: str, now: int) -> int:
    return now if value == "now" else as_int(value, param, low=0)


def _phases(call: Call, start: int) -> list[SchedulePhase]:
    """`phases[]` as the World's phases: each starts where the previous ends; an end from
    `end_date`, `duration`, `iterations` (before clover), else one period of its price."""
    world, out = call.world, []
    raw = as_array(call.params.get("phases", []), "phases")
    for i, phase in enumerate(raw):
        phase = as_hash(phase, f"phases[{i}]")
        ignored = sorted(set(phase) - PHASE_KEYS)
        if ignored:
            call.notes.append(f"phase parameters accepted but not supported by the fake: "
                              f"{', '.join(f'phases[{i}][{k}]' for k in ignored)}")
        items = as_array(phase.get("items", []), f"phases[{i}][items]")
        if not items:
            raise errors.missing(f"phases[{i}][items]")
        if len(items) > 1:
            raise errors.unsupported(f"phases[{i}][items][1]",
                                     "the simulator's subscriptions have one item")
        item = as_hash(items[0], f"phases[{i}][items][0]")
        if "price" not in item:
            raise errors.missing(f"phases[{i}][items][0][price]")
        price_id = as_string(item["price"], f"phases[{i}][items][0][price]")
        if price_id not in world.catalog.prices:
            raise errors.no_such("price", price_id, f"phases[{i}][items][0][price]")
        price = world.catalog.price(price_id)
        quantity = as_int(item.get("quantity", "1"), f"phases[{i}][items][0][quantity]", low=1)
        if i == 0 and "start_date" in phase:
            start = _time(phase["start_date"], "phases[0][start_date]", world.now)
        if "end_date" in phase:
            end = _time(phase["end_date"], f"phases[{i}][end_date]", world.now)
        elif "duration" in phase:
            duration = as_hash(phase["duration"], f"phases[{i}][duration]")
            end = add_interval(start, as_string(duration.get("interval", ""),
                                                f"phases[{i}][duration][interval]"),
                               as_int(duration.get("interval_count", "1"),
                                      f"phases[{i}][duration][interval_count]", low=1))
        else:
            count = as_int(phase.get("iterations", "1"), f"phases[{i}][iterations]", low=1)
            end = add_interval(start, price.interval, price.interval_count * count)
        if end <= start:
            raise errors.invalid(f"The phase end_date ({end}) must be after its start_date "
                                 f"({start}).", f"phases[{i}][end_date]")
        behavior = as_string(phase.get("proration_behavior", "create_prorations"),
                             f"phases[{i}][proration_behavior]")
        if behavior not in PRORATIONS:
            raise errors.not_one_of(f"phases[{i}][proration_behavior]", PRORATIONS)
        out.append(SchedulePhase(price_id, quantity, start, end, behavior))
        start = end
    return out


def _end_behavior(call: Call) -> str | None:
    if "end_behavior" not in call.params:
        return None
    value = as_string(call.params["end_behavior"], "end_behavior")
    if value not in END_BEHAVIORS:
        raise errors.not_one_of("end_behavior", END_BEHAVIORS)
    return value


def create(call: Call) -> dict[str, Any]:
    p, world = call.params, call.world
    if "from_subscription" in p:
        for other in ("phases", "customer", "start_date", "end_behavior"):
            if other in p:
                raise errors.invalid(f"You cannot set `{other}` if `from_subscription` is set.",
                                     other)
        sub_id = as_string(p["from_subscription"], "from_subscription")
        sub = get(call, world.subscriptions, "subscription", sub_id, param="from_subscription")
        with world_errors():
            sched = world.schedule_subscription(sub)
            if "metadata" in p:
                sched.metadata = metadata(p["metadata"])
        return answer(call, sched)
    customer = customer_param(call, required=True)
    assert customer is not None
    if "phases" not in p:
        raise errors.missing("phases")
    start = _time(p.get("start_date", "now"), "start_date", world.now)
    if start != world.now:
        raise errors.unsupported("start_date", "schedules that start later are not simulated; "
                                 "use now")
    phases = _phases(call, start)
    with world_errors():
        # The subscription starts now on phase 0, then the schedule takes it over.
        sub = api_writes.create_subscription(
            world, customer, [(phases[0].price, phases[0].quantity)],
            default_payment_method=None, payment_behavior="allow_incomplete", metadata={})
        sched = world.schedule_subscription(sub)
        phases[0].start_date = sched.phases[0].start_date
        world.set_schedule(sched, phases, end_behavior=_end_behavior(call),
                           metadata=metadata(p["metadata"]) if "metadata" in p else None)
    return answer(call, sched)


def update(call: Call) -> dict[str, Any]:
    sched = _sched(call)
    _require_live(sched, "update")
    p = call.params
    current = sched.phases[sched.current]
    phases = _phases(call, current.start_date) if "phases" in p else []
    with world_errors():
        call.world.set_schedule(sched, phases, end_behavior=_end_behavior(call),
                                metadata=metadata(p["metadata"]) if "metadata" in p else None)
    return answer(call, sched)


def release(call: Call) -> dict[str, Any]:
    sched = _sched(call)
    _require_live(sched, "release")
    sub = call.world.subscriptions[sched.subscription]
    with world_errors():
        call.world.release_schedule(sub)
    return answer(call, sched)


def cancel(call: Call) -> dict[str, Any]:
    sched = _sched(call)
    _require_live(sched, "cancel")
    with world_errors():
        call.world.cancel_schedule_now(sched)
    return answer(call, sched)


ROUTES = (
    Route.sdk("GET", "/v1/subscription_schedules",
              lister("subscription_schedules", "/v1/subscription_schedules",
                     "subscription_schedule", ("customer",)), honours=LIST | {"customer"}),
    Route.sdk("POST", "/v1/subscription_schedules", create, stateful=True,
              honours={"from_subscription", "customer", "phases", "start_date", "end_behavior",
                       "metadata"}),
    Route.sdk("GET", "/v1/subscription_schedules/{schedule}",
              lambda call: answer(call, _sched(call))),
    Route.sdk("POST", "/v1/subscription_schedules/{schedule}", update, stateful=True,
              honours={"phases", "end_behavior", "metadata"}),
    Route.sdk("POST", "/v1/subscription_schedules/{schedule}/cancel", cancel, stateful=True,
              honours=set()),
    Route.sdk("POST", "/v1/subscription_schedules/{schedule}/release", release, stateful=True,
              honours=set()),
)
