"""Run: the one stage that wires the pipeline together.

Takes the matrix and a target; plays each case checkpoint by checkpoint: renders, signs and
delivers events by plan (with Stripe's retries), then checks the invariants. Gives a `RunReport`.
"""

from __future__ import annotations

import heapq
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .checks.faults import request_marker, requests_since
from .checks.invariants import Violation, compare_state, gap_line, unserved_violation
from .checks.report import CaseResult, CheckpointResult, RunReport
from .delivery.plan import MAX_ATTEMPTS, RETRY_DELAYS, Attempt, Planned, Schedule, plan
from .delivery.signing import DEFAULT_WEBHOOK_SECRET, sign_payload, tampered_deliveries
from .errors import AppExitedError, ScenarioError
from .render.events import Event, matches
from .scenario.catalog import Catalog, default_catalog
from .scenario.files import Scenario
from .sim import AccessPolicy
from .sim.simulator import Segment, SimCustomer, Simulator
from .targets.inprocess import CaseContext, Target


@dataclass
class Case:
    """One cell of the matrix."""

    scenario: Scenario
    api_version: str
    delivery: str
    seed: int = 0
    billing_mode: str | None = None
    schedule: Schedule | None = None  # an explicit schedule (fuzzing) instead of a named mode
    clock_start: int | None = None  # the virtual clock's start (default: the World's fixed one)

    @property
    def world_seed(self) -> int:
        # Distinct ids per case, so one long-running app never sees two cases' ids collide.
        key = f"{self.seed}:{self.scenario.name}:{self.api_version}:{self.delivery}"
        if self.schedule is not None and self.delivery == "fuzz":
            # Fuzzed examples share a name and a mode; each flow and plan gets its own ids, or
            # an app kept between examples would take one example's events as duplicates.
            flow = self.scenario.model_dump_json(include={"customers", "steps"})
            key += f":{flow}:{self.schedule.segments!r}"
        return zlib.crc32(f"{key}:{self.billing_mode}".encode())


@dataclass
class Runner:
    """Plays cases against one target through one fake Stripe API."""

    target: Target
    catalog: Catalog = field(default_factory=default_catalog)
    webhook_secret: str = field(default=DEFAULT_WEBHOOK_SECRET, repr=False)
    policy: AccessPolicy = AccessPolicy.NOT_ENDED
    enabled_events: list[str] | None = None
    check_security: bool = True
    check_portal: bool = True
    replay_prefix: str = "portal-harness run"
    fake: Any = None
    _app_clock: Any = None
    _app_now: int = 0
    _checkout: Any = None

    def __post_init__(self) -> None:
        if self.fake is None:
            from .fake_stripe import FakeStripe
            from .sim import World

            self.fake = FakeStripe(World(self.catalog, "2024-06-20"))

    # -- one case ---------------------------------------------------------------------------

    def run_case(self, case: Case) -> CaseResult:
        started = time.perf_counter()
        result = CaseResult(
            scenario=case.scenario.name, api_version=case.api_version, delivery=case.delivery,
            billing_mode=case.billing_mode, seed=case.seed, target=self.target.name,
            replay=self.replay_command(case),
        )
        try:
            sim = Simulator(case.scenario, case.api_version, self.catalog,
                            billing_mode=case.billing_mode, seed=case.world_seed,
                            policy=self.policy, start=case.clock_start)
        except ScenarioError as exc:
            if "cannot run here" in str(exc):
                result.skipped = str(exc).split(": ", 1)[1]
                return result
            raise
        result.billing_mode = sim.billing_mode
        self._checkout = None
        if getattr(self.target, "checkout_url", None):
            from .checks.checkout import AppCheckout, unreproducible_checkouts

            if why := unreproducible_checkouts(case.scenario, self.target.spec.checkout):
                result.skipped = why
                return result

            self._checkout = sim.checkout_hook = AppCheckout(
                self.target, self.catalog, self.fake, check_anonymous=case.delivery == "in_order")
        self.fake.world = sim.world
        self._app_clock = getattr(self.target, "clock", None)
        self._app_now = sim.world.now
        self._tick(sim.world.now)
        self._current = "starting the case"
        self._partial: list[Attempt] = []
        try:
            self._play(case, sim, result)
        except AppExitedError as exc:  # the app died: its defect, named with case and event
            result.timeline.extend(self._partial)
            result.violations.append(Violation(
                "app.exited", f"the app exited (code {exc.returncode}) in case {result.label} "
                f"while {self._current}.\n{exc.log_tail}", None, None, "running",
                f"exited with code {exc.returncode}"))
            result.stopped = True
        return self.finish_case(result, started)

    def _play(self, case: Case, sim: Simulator, result: CaseResult) -> None:
        self.begin_case(case.api_version, list(sim.customers.values()), label=result.label)
        segments = sim.segments()
        events: list[Event] = []
        by_segment: list[list[int]] = []
        schedule = case.schedule
        checked_security = not (self.check_security and case.delivery == "in_order")
        # The world must stand at each checkpoint while its events are delivered, so a named
        # mode is planned as the scenario plays; an explicit schedule (fuzzing) is fixed.
        for seg in segments:
            new = [Event.from_sim(e, case.api_version, self.catalog) for e in seg.events]
            new = [e for e in new if matches(e.type, self.enabled_events)]
            by_segment.append(list(range(len(events), len(events) + len(new))))
            events.extend(new)
            if schedule is None:
                schedule = plan(case.delivery, by_segment, case.seed,
                                total=len(case.scenario.checkpoints))
            if not checked_security and new:
                self._current = "sending tampered deliveries (security checks)"
                result.violations += self.security_checks(new)
                checked_security = True
            index = seg.index
            self._tick(seg.time or sim.world.now)
            attempts = self.deliver(schedule.segments[index] if index < len(
                schedule.segments) else [], events, index, seg.checkpoint)
            result.timeline.extend(attempts)
            self._partial = []
            pending = bool(schedule.pending_after(index, by_segment))
            self._current = f"reading the app's state at checkpoint {seg.checkpoint!r}"
            result.checkpoints.append(self.check_checkpoint(seg, sim.customers.values(), pending,
                                                            billing_mode=sim.billing_mode))
            if schedule.mode != "explicit":
                schedule = None  # re-plan with the next segment known
        result.events = len(events)
        if self._checkout is not None:
            result.violations += self._checkout.violations
        if self.check_portal and case.delivery == "in_order" and hasattr(self.target, "portal"):
            self._current = "probing the portal route"
            result.violations += self._portal_checks(sim)

    # -- the seam: what replaying a stream or fuzzing needs of one case -------------------------

    def begin_case(self, api_version: str, customers: Sequence[SimCustomer], *,
                   label: str = "") -> None:
        """Tell the target a case starts (version, secret, the fake API) and seed its users."""
        self._swallowed: list[Violation] = []
        self._customers = list(customers)
        self._mark = request_marker(self.fake)  # the fake API's log from here is this case's
        self.target.start_case(CaseContext(api_version, self.webhook_secret, self.catalog,
                                           self.fake, label=label))
        for c in customers:
            self._current = f"seeding user {c.user_id} ([seed])"
            self.target.seed(c.user_id, c.email, c.customer_id)

    def finish_case(self, result: CaseResult, started: float) -> CaseResult:
        """Gather the delivery and checkpoint violations into `result` and settle its verdict;
        requests the fake Stripe API could not serve come first, as the harness's faults."""
        result.violations = (delivery_violations(result.timeline) + self._swallowed
                             + result.violations)
        for cp in result.checkpoints:
            result.violations += cp.violations
        result.violations = _with_gaps(result.violations, result.timeline,
                                       requests_since(self.fake, getattr(self, "_mark", None)))
        result.ok = not result.violations
        result.duration = time.perf_counter() - started
        return result

    def deliver(self, planned: Sequence[Planned], events: list[Event], segment: int,
                checkpoint: str) -> list[Attempt]:
        """Send the planned attempts in virtual-time order, retrying failures with back-off."""
        queue: list[tuple[int, int, Planned, int]] = []
        clock = 0
        for seq, p in enumerate(planned):
            clock = max(clock, events[p.event].created)
            heapq.heappush(queue, (clock, seq, p, 1))
        seq = len(planned)
        out: list[Attempt] = []
        self._partial = out  # what reached the app, should it exit mid-delivery
        while queue:
            at, _, p, number = heapq.heappop(queue)
            ev = events[p.event]
            fate = p.fate if number == 1 else "deliver"
            if fate == "fault" and not hasattr(self.target, "deliver_with_fault"):
                fate = "lost"
            status = None
            stripe_errors: tuple[str, ...] = ()
            gaps: tuple[str, ...] = ()
            if fate != "lost":
                signed_at = self._tick(at)
                headers = {"Stripe-Signature": sign_payload(ev.body, self.webhook_secret,
                                                            timestamp=signed_at),
                           "Content-Type": "application/json; charset=utf-8",
                           "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"}
                if fate == "fault":
                    before = self.states()
                    status = self.target.deliver_with_fault(ev.body, headers)
                    if self.target.fault_fired and status >= 500 and self.states() != before:
                        self._swallowed.append(Violation(
                            "delivery.partial_write", f"applying {ev.type} ({ev.id}) failed "
                            f"and the app answered {status}, but part of it was saved",
                            checkpoint, None, before, self.states()))
                else:
                    self._current = f"delivering {ev.type} ({ev.id}), attempt {number}"
                    mark = request_marker(self.fake)
                    status = self.target.deliver(ev.body, headers)
                    stripe_errors, gaps = _api_trouble(requests_since(self.fake, mark))
            attempt = Attempt(ev.id, ev.type, ev.object_id, number, at, fate, status, segment,
                              checkpoint, ev.created, p.event, stripe_errors, gaps)
            out.append(attempt)
            if fate == "fault" and self.target.fault_fired and attempt.ok:
                self._swallowed.append(Violation(
                    "delivery.error_swallowed", f"applying {ev.type} ({ev.id}) failed in the "
                    f"database, yet the app answered {status}", checkpoint, None, "5xx", status))
            if not attempt.ok and number < MAX_ATTEMPTS:
                seq += 1
                heapq.heappush(queue, (at + RETRY_DELAYS[number - 1], seq, p, number + 1))
        return out

    def _tick(self, when: int) -> int | None:
        """Move the app's clock (when it follows the virtual one) forward to `when`; gives the
        time to sign deliveries at: the app's clock under libfaketime, else None (wall clock)."""
        if self._app_clock is None:
            return None
        self._app_now = max(self._app_now, when)
        self._app_clock.set(self._app_now)
        return self._app_now if self._app_clock.follow == "faketime" else None

    @property
    def _customer_ids(self) -> list[str]:
        # Read live: an app-driven checkout may give a customer the app's own id.
        return [c.customer_id for c in self._customers]

    def states(self) -> dict[str, Any]:
        """What the app holds now for each of the case's customers."""
        return {cid: self.target.state(cid) for cid in self._customer_ids}

    def check_checkpoint(self, seg: Segment, customers: Iterable[SimCustomer],
                         pending: bool, *, billing_mode: str | None = None) -> CheckpointResult:
        """Compare the app's state with `seg.expected` for each customer."""
        cp = CheckpointResult(seg.checkpoint, seg.index, settled=not pending,
                              expected=seg.expected)
        for c in customers:
            actual = self.target.state(c.customer_id)
            cp.actual[c.customer_id] = actual
            found = compare_state(seg.expected[c.customer_id], actual, customer=c.name,
                                  checkpoint=seg.checkpoint, billing_mode=billing_mode)
            if pending:  # events still in flight: only what must hold at every moment
                found = [v for v in found if v.check == "invoices.recorded_once"]
            cp.violations += found
        return cp

    def security_checks(self, events: list[Event]) -> list[Violation]:
        """Tampered copies of a real delivery: each must be refused (4xx) and change nothing."""
        changes_state = ("customer.subscription.", "invoice.pa")
        ev = next((e for e in events if e.type.startswith(changes_state)), events[0])
        out = []
        now = self._tick(ev.created)
        for kind, (body, headers) in tampered_deliveries(ev.body, self.webhook_secret,
                                                         now=now).items():
            before = self.states()  # each variant is judged on its own effect
            status = self.target.deliver(body, {"Content-Type": "application/json", **headers})
            after = self.states()
            if not 400 <= status < 500:
                out.append(Violation(f"security.{kind}", f"{kind.replace('_', ' ')} delivery of "
                                     f"{ev.type} answered {status}, not 4xx", None, None,
                                     "4xx", status))
            elif after != before:
                out.append(Violation(f"security.{kind}", f"{kind.replace('_', ' ')} delivery of "
                                     f"{ev.type} was refused but changed the app's state",
                                     None, None, before, after))
        return out

    def _portal_checks(self, sim: Simulator) -> list[Violation]:
        from .checks.portal import portal_violations

        return portal_violations(self.target, sim, fake=self.fake)

    # -- many cases ---------------------------------------------------------------------------

    def run(self, cases: Iterable[Case], *, seed: int = 0,
            progress: Callable[[CaseResult], None] | None = None) -> RunReport:
        report = RunReport(seed=seed, target=self.target.name)
        started = time.perf_counter()
        cases = list(cases)
        for number, case in enumerate(cases):
            res = self.run_case(case)
            report.results.append(res)
            if progress:
                progress(res)
            if res.stopped:  # the app is gone: nothing more can be played
                report.stopped = (f"the app exited during {res.label}; the other "
                                  f"{len(cases) - number - 1} cases were not played")
                break
        report.duration = time.perf_counter() - started
        return report

    def replay_command(self, case: Case) -> str:
        parts = [self.replay_prefix, f"--scenario {case.scenario.name}",
                 f"--api-version {case.api_version}", f"--delivery {case.delivery}",
                 f"--seed {case.seed}"]
        if case.billing_mode:
            parts.append(f"--billing-mode {case.billing_mode}")
        if case.clock_start is not None:
            parts.append(f"--clock-start {case.clock_start}")
        return " ".join(parts)


def delivery_violations(timeline: list[Attempt]) -> list[Violation]:
    """Answers that are defects whatever the state: a 5xx, or an event never accepted. An
    event the app failed while it met a harness gap is the harness's failure, not the app's."""
    out: list[Violation] = []
    crashed: set[str] = set()
    gapped = {a.event_id for a in timeline if a.gaps}
    for a in timeline:
        if (a.status is not None and a.status >= 500 and a.fate != "fault"
                and a.event_type not in crashed and not a.gaps):
            crashed.add(a.event_type)
            after = (f", after the fake Stripe API answered {'; '.join(a.stripe_errors)}"
                     if a.stripe_errors else "")
            out.append(Violation("delivery.crashed", f"the app answered {a.status} to "
                                 f"{a.event_type} ({a.event_id}){after}", a.checkpoint, None,
                                 "2xx", a.status))
    by_event: dict[str, list[Attempt]] = {}
    for a in timeline:
        by_event.setdefault(a.event_id, []).append(a)
    for eid, attempts in by_event.items():
        if not any(a.ok for a in attempts) and eid not in gapped:
            statuses = [a.status for a in attempts]
            out.append(Violation("delivery.rejected", f"{attempts[0].event_type} ({eid}) was "
                                 f"never accepted: answers {statuses}", attempts[-1].checkpoint,
                                 None, "2xx", statuses))
    return out


def _api_trouble(requests: Sequence[Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The fake Stripe API's own 4xx answers and its gaps among `requests`, as short lines."""
    errors: list[str] = []
    gaps: list[str] = []
    for r in requests:
        if r.gap is not None:
            gaps.append(gap_line(r))
        elif r.status >= 400:
            err = r.error or {}
            why = err.get("code") or err.get("message", "")[:80]
            errors.append(f"{r.method} {r.path} -> {r.status} {why}".rstrip())
    return tuple(errors), tuple(gaps)


def _with_gaps(violations: list[Violation], timeline: list[Attempt],
               requests: Sequence[Any]) -> list[Violation]:
    """Harness gaps first (one per request), each with what the app was doing then: those met
    during a delivery as each attempt recorded them, then any other the fake API still holds."""
    out: list[Violation] = []
    seen: set[str] = set()

    def gap(line: str, during: str, answered: Any) -> None:
        if line not in seen:
            seen.add(line)
            out.append(unserved_violation(line, during, answered))

    for a in timeline:
        for line in a.gaps:
            gap(line, f"while it handled {a.event_type} ({a.event_id}), then answered "
                      f"{a.status}", a.status)
    for r in requests:
        if r.gap is not None:
            gap(gap_line(r), "outside a webhook delivery (seed, state or portal route)",
                r.status)
    return out + violations
