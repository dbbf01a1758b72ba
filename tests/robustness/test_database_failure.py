"""A database failure in the middle of applying an event: 5xx, a full rollback, and after
Stripe's retry a correct state, so nothing is lost.

The target's `deliver_with_fault` makes the app's n-th write statement fail (a lost connection
mid-transaction). Every event of a scenario is delivered that way first, then again as Stripe's
retry; the end state must equal Stripe's.
"""

from __future__ import annotations

import pytest

SCENARIOS = ["checkout", "upgrade", "cancel_at_period_end", "payment_failed_recovered",
             "pause_resume", "two_subscriptions"]


@pytest.mark.parametrize("write", [1, 2, 3], ids=lambda n: f"write{n}")
@pytest.mark.parametrize("api_version", ["2024-06-20", "2025-03-31.basil",
                                         "2026-10-28.endive"])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_failure_mid_event_answers_5xx_rolls_back_and_the_retry_restores_everything(
        make_rig, scenario: str, api_version: str, write: int) -> None:
    rig = make_rig(scenario, api_version)
    deliver_each_event_through_a_failure(rig, write)
    rig.target.close()


@pytest.mark.parametrize("mutant", ["commits_partial_writes", "swallows_errors",
                                    "marks_processed_before_applying"])
def test_the_check_fails_for_apps_that_lose_or_half_apply_events(make_rig, mutant: str) -> None:
    rig = make_rig("upgrade", mutant=mutant)
    with pytest.raises(AssertionError):
        deliver_each_event_through_a_failure(rig, 2)
    rig.target.close()


def deliver_each_event_through_a_failure(rig, write: int) -> None:
    fired = 0
    for event in rig.events:
        before = rig.dump()
        status = rig.send_with_fault(event.body, write=write)
        if rig.fault_fired:
            fired += 1
            assert status >= 500, f"{event.type}: the database failed, yet the app said {status}"
            assert rig.dump() == before, f"{event.type}: a failed delivery left rows behind"
            assert rig.send(event.body) == 200, f"{event.type}: Stripe's retry was refused"
        else:
            assert status == 200, f"{event.type} answered {status}"
    assert fired, "no event reached the failing write"
    assert rig.violations() == []


def test_a_retry_after_a_failure_is_not_taken_for_a_duplicate(make_rig) -> None:
    rig = make_rig("upgrade")
    for event in rig.events:
        rig.send(event.body)
    switch = [e for e in rig.events if e.type == "customer.subscription.updated"][-1]
    rig.fresh_app()
    for event in rig.events:
        if event is switch:
            status = rig.send_with_fault(event.body, write=1)
            assert rig.fault_fired and status >= 500
        assert rig.send(event.body) == 200
    assert rig.violations() == []
