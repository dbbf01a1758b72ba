"""The contract names what went wrong when the reference app is broken on purpose."""

from __future__ import annotations

import pytest

from harness import Case, ReferenceTarget, Runner, get_scenario

BREAKS = [
    # mutant, scenario, version, delivery, the check that must fail, words in its message
    ("records_paid_invoice_twice", "renewal", "2025-03-31.basil", "duplicated",
     "invoices.recorded_once", "recorded 2 times"),
    ("reads_subscription_current_period_end", "upgrade", "2025-03-31.basil", "in_order",
     "delivery.rejected", "never accepted"),
    ("applies_event_snapshot", "cancel_at_period_end", "2025-09-30.clover", "delayed",
     "state.status", "Stripe says 'canceled'"),
    ("ignores_cancel_at", "cancel_at_period_end", "2025-09-30.clover", "in_order",
     "state.cancel_at_period_end", "cancel_at_period_end is False"),
    ("no_signature_check", "checkout", "2024-06-20", "in_order",
     "security.forged_signature", "not 4xx"),
    ("portal_return_url_from_request", "checkout", "2024-06-20", "in_order",
     "portal.return_url", "return_url"),
    ("swallows_errors", "renewal", "2025-03-31.basil", "retried",
     "delivery.error_swallowed", "failed in the database"),
]


@pytest.mark.parametrize(("mutant", "scenario", "version", "delivery", "check", "words"), BREAKS,
                         ids=[b[0] for b in BREAKS])
def test_a_broken_app_fails_with_a_message_naming_the_defect(
        mutant, scenario, version, delivery, check, words):
    target = ReferenceTarget(mutant=mutant)
    try:
        results = [Runner(target).run_case(Case(get_scenario(scenario), version, delivery,
                                                seed=s)) for s in range(4)]
    finally:
        target.close()
    found = [v for r in results for v in r.violations if v.check == check]
    assert found, [r.failure_text() for r in results]
    assert any(words in v.message for v in found), [v.message for v in found]
    failing = next(r for r in results if not r.ok)
    text = failing.failure_text()
    assert "Deliveries:" in text and "Replay: portal-harness run" in text
    assert found[0].defect in text
