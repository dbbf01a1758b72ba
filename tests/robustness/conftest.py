"""The reference app in-process behind the harness's target, fed by the simulator: a `Rig`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from harness.checks.invariants import compare_state
from harness.delivery.signing import sign_payload
from harness.fake_stripe import FakeStripe
from harness.render.events import Event
from harness.scenario.catalog import default_catalog
from harness.scenario.files import get_scenario
from harness.sim.simulator import Segment, SimCustomer, Simulator
from harness.targets.inprocess import CaseContext, ReferenceTarget

SECRET = "whsec_robustness0000000000000000000000"
BASIL = "2025-03-31.basil"


class Rig:
    """A scenario played to its end, and a fresh reference app that has not seen its events."""

    def __init__(self, target: ReferenceTarget, sim: Simulator, segments: list[Segment],
                 events: list[Event]) -> None:
        self.target, self.sim, self.segments, self.events = target, sim, segments, events

    def __repr__(self) -> str:
        return f"<Rig {self.sim.scenario.name} {self.sim.api_version}>"

    @property
    def customers(self) -> list[SimCustomer]:
        return list(self.sim.customers.values())

    def fresh_app(self) -> None:
        """A new, empty app with the scenario's users signed up."""
        self.target.start_case(CaseContext(self.sim.api_version, SECRET, self.sim.catalog,
                                           FakeStripe(self.sim.world)))
        for c in self.customers:
            self.target.seed(c.user_id, c.email, c.customer_id)

    def send(self, body: bytes, *, signed: bool = True, **headers: str) -> int:
        if signed:
            headers.setdefault("Stripe-Signature", sign_payload(body, SECRET))
        return self.target.deliver(body, headers)

    def send_with_fault(self, body: bytes, *, write: int) -> int:
        """Deliver while the app's `write`-th write statement fails; see `fault_fired`."""
        headers = {"Stripe-Signature": sign_payload(body, SECRET),
                   "Content-Type": "application/json"}
        return self.target.deliver_with_fault(body, headers, fail_at_write=write)

    @property
    def fault_fired(self) -> bool:
        return self.target.fault_fired

    def send_event(self, payload: dict[str, Any]) -> int:
        return self.send(json.dumps(payload).encode())

    def event(self, type_: str) -> Event:
        return next(e for e in self.events if e.type == type_)

    def dump(self) -> list[str]:
        """Every row of every table: what "nothing was written" is compared against."""
        db = self.target.app.db
        with db.lock:
            return list(db.conn.iterdump())

    def violations(self) -> list[Any]:
        final = self.segments[-1]
        return [v for c in self.customers
                for v in compare_state(final.expected[c.customer_id],
                                       self.target.state(c.customer_id),
                                       customer=c.name, checkpoint=final.checkpoint)]


@pytest.fixture(scope="module")
def make_rig() -> Callable[..., Rig]:
    made: list[ReferenceTarget] = []

    def make(scenario: str = "checkout", api_version: str = BASIL, *,
             mutant: str | None = None) -> Rig:
        catalog = default_catalog()
        sim = Simulator(get_scenario(scenario), api_version, catalog, seed=11)
        segments = sim.run()
        events = [Event.from_sim(e, api_version, catalog) for s in segments for e in s.events]
        target = ReferenceTarget(mutant=mutant)
        made.append(target)
        rig = Rig(target, sim, segments, events)
        rig.fresh_app()
        return rig

    yield make
    for target in made:
        target.close()


@pytest.fixture(scope="module")
def rig(make_rig: Callable[..., Rig]) -> Rig:
    """One app for tests that must not change it (bad input only)."""
    return make_rig()
