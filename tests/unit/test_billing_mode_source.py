"""Audit gap 3: a subscription's billing mode comes from the request that created it, not from
the endpoint receiving its events, so one run can hold both modes (scenario
`mixed_billing_modes`)."""

from __future__ import annotations

import pytest

from harness.errors import ConfigError
from harness.render import render_event
from harness.scenario.files import Scenario, get_scenario, load_scenario
from harness.sim.simulator import Simulator
from harness.versions import DEFAULT_VERSIONS


@pytest.mark.parametrize("version", DEFAULT_VERSIONS)
@pytest.mark.parametrize("run_mode", [None, "classic", "flexible"])
def test_each_subscription_keeps_the_mode_it_was_created_in_on_every_endpoint(
        version: str, run_mode: str | None) -> None:
    sim = Simulator(get_scenario("mixed_billing_modes"), version, billing_mode=run_mode)
    events = [render_event(e, version, sim.catalog) for s in sim.run() for e in s.events]
    cancels = {e["data"]["object"]["billing_mode"]["type"]: e["data"]["object"]
               for e in events if e["type"] == "customer.subscription.updated"
               and "cancel_at" in e["data"]["previous_attributes"]}
    assert cancels["classic"]["cancel_at_period_end"] is True
    assert cancels["flexible"]["cancel_at_period_end"] is False
    assert cancels["flexible"]["cancel_at"] == cancels["classic"]["cancel_at"]


def test_a_checkout_step_names_classic_or_flexible(tmp_path) -> None:
    bad = tmp_path / "bad_mode.yaml"
    bad.write_text("name: bad_mode\ndescription: x\ncustomers: [alice]\nsteps:\n"
                   "  - checkout: {customer: alice, billing_mode: hybrid}\n  - checkpoint: c\n")
    with pytest.raises(ConfigError, match=r"steps\.0\.checkout\.billing_mode"):
        load_scenario(bad)
    ok = Scenario.model_validate({"name": "m", "description": "x", "customers": ["alice"],
                                  "steps": [{"checkout": {"customer": "alice",
                                                          "billing_mode": "flexible"}},
                                            {"checkpoint": "c"}]})
    sim = Simulator(ok, "2024-06-20")  # the endpoint's version would give classic
    sim.run()
    (sub,) = sim.world.subscriptions.values()
    assert (sim.billing_mode, sub.billing_mode) == ("classic", "flexible")
