"""Mutation self-check: the contract catches every planted defect of the reference app, and the
table below says by which check.

The contract is the scenario matrix (every built-in scenario x the default API versions x the
default delivery modes, played in that order) plus a fuzz campaign under the ci hypothesis
profile. For each mutant the matrix plays until its first failing case, which must fail the
check in the table's first column, while the clean reference app passes that same case.
Mutants within the fuzzer's reach (webhook handling; signatures and the portal route are
checked by the matrix only) must also be caught by the campaign alone, by a check starting
with the second column (a lost or stale event shows through whichever state field the shrunk
flow touches, so state defects name the family), and the clean app must pass the shrunk
example. Which examples hypothesis draws for a seed can move with the modules a process has
imported, so a campaign that finds nothing is retried with the next seeds, up to five
(invoice.upcoming, which apps ignore, takes some of the drawn faults).
"""

from __future__ import annotations

import pytest
from hypothesis import settings

from harness.checks.invariants import DEFECTS
from harness.fuzz import Campaign
from harness.session import Session
from harness.targets.mutants import MUTANTS

CAUGHT_BY: dict[str, tuple[str, str | tuple[str, ...] | None]] = {
    # mutant: (check failed first in the scenario matrix, check(s) the fuzz campaign fails)
    "no_signature_check": ("security.forged_signature", None),
    "verifies_reserialized_body": ("delivery.rejected", "delivery.rejected"),
    "accepts_stale_signatures": ("security.stale_timestamp", None),
    "records_paid_invoice_twice": ("invoices.recorded_once", "invoices.recorded_once"),
    # a change lost after a failure: a subscription's state or a paid invoice, whichever the
    # campaign's draws reach first (they shift with unrelated changes to the package)
    "marks_processed_before_applying": ("state.cancel_at_period_end",
                                        ("state.", "invoices.missing")),
    "swallows_errors": ("delivery.error_swallowed", "delivery.error_swallowed"),
    "commits_partial_writes": ("delivery.partial_write", "delivery.partial_write"),
    "applies_event_snapshot": ("state.status", "state."),
    "reads_subscription_current_period_end": ("delivery.rejected", "delivery.rejected"),
    "reads_invoice_subscription": ("invoices.missing", "invoices.missing"),
    "ignores_cancel_at": ("state.cancel_at_period_end", "state.cancel_at_period_end"),
    "ignores_pause_collection": ("state.collection_paused", "state.collection_paused"),
    "ignores_paused_status": ("state.paused", "state.paused"),
    "revokes_on_pending_cancel": ("state.plan", "state.plan"),
    "only_active_grants_access": ("state.plan", "state.plan"),
    "ignores_subscription_deleted": ("state.plan", "state."),
    "final_after_cancellation": ("state.cancellation_feedback", None),
    "ignores_quantity": ("state.quantity", None),
    "paid_on_payment_action_required": ("invoices.unpaid_recorded", None),
    "ends_trial_on_trial_will_end": ("state.plan", None),
    "reads_scheduled_phase": ("state.plan", None),
    "renews_on_invoice_upcoming": ("state.current_period_end", None),
    "keeps_ended_discount": ("state.coupon", None),
    "reads_subscription_discount": ("state.coupon", None),
    "portal_customer_from_request": ("portal.wrong_customer", None),
    "portal_return_url_from_request": ("portal.return_url", None),
    "portal_no_customer_check": ("portal.no_customer", None),
}
FUZZED = [name for name, (_, fuzz) in CAUGHT_BY.items() if fuzz]


@pytest.fixture(scope="module")
def clean():
    with Session.create(security=True) as session:
        yield session.runner


def test_the_table_covers_every_planted_defect_with_known_checks() -> None:
    assert set(CAUGHT_BY) == {m.name for m in MUTANTS}
    assert len(CAUGHT_BY) >= 12
    named = {check for pair in CAUGHT_BY.values() for checks in pair if checks
             for check in ((checks,) if isinstance(checks, str) else checks)}
    # a name is a check, or a family ("state.") that prefixes at least one
    assert all(any(d.startswith(n) for d in DEFECTS) for n in named), named


@pytest.mark.parametrize("mutant", list(CAUGHT_BY))
def test_scenario_matrix_catches_the_mutant_by_its_check(mutant: str, clean) -> None:
    check = CAUGHT_BY[mutant][0]
    with Session.create(mutant=mutant) as session:
        for case in session.cases:
            result = session.runner.run_case(case)
            if not result.ok and not result.skipped:
                break
        else:
            pytest.fail(f"{mutant}: every case of the scenario matrix passed")
    found = sorted({v.check for v in result.violations})
    assert check in found, f"{mutant}: first caught by {found} in {result.label}"
    control = clean.run_case(case)
    assert control.ok, control.failure_text()


@pytest.mark.parametrize("mutant", FUZZED)
def test_fuzz_campaign_catches_the_mutant_by_its_check(mutant: str, clean) -> None:
    check = CAUGHT_BY[mutant][1]
    ci = settings.get_profile("ci")
    with Session.create(mutant=mutant) as session:
        for seed in range(5):
            report = Campaign(session.runner, examples=ci.max_examples, seed=seed,
                              settings=ci).run()
            if not report.ok:
                break
    assert not report.ok, f"{mutant}: {report.summary_line()}"
    found = sorted({v.check for v in report.failure.violations})
    assert any(f.startswith(check) for f in found), report.failure_text()
    assert len(report.failure_text().splitlines()) <= 45, report.failure_text()
    control = clean.run_case(report.case)
    assert control.ok, control.failure_text()
