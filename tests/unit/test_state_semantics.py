"""The written state semantics: what each column accepts, and that compare_state follows it."""

import pytest

from harness.checks.invariants import compare_state
from harness.checks.state_semantics import (
    ANY,
    COLUMNS,
    NO_PLAN,
    accepted,
    normalize,
    normalize_plan,
)

ACTIVE = {"status": "active", "price_id": "price_pro_monthly", "current_period_end": 1770000000,
          "cancel_at_period_end": False, "paused": False, "collection_paused": False}
PENDING = {**ACTIVE, "cancel_at_period_end": True}
CANCELED = {**ACTIVE, "status": "canceled"}


def checks(expected_sub, actual_sub, *, plan="pro", billing_mode=None):
    expected = {"plan": plan, "subscriptions": {"sub_1": expected_sub}, "paid_invoices": []}
    actual = {"plan": plan, "subscriptions": {"sub_1": actual_sub}}
    return sorted(v.check for v in compare_state(expected, actual, customer="alice",
                                                 checkpoint="cp", billing_mode=billing_mode))


def test_every_column_has_its_meaning_and_rule_written_down():
    for column in COLUMNS.values():
        assert column.meaning and column.accepted


def test_a_mirrored_cancel_flag_after_the_cancellation_took_effect_is_accepted():
    # Stripe's object still says cancel_at_period_end: true once status is canceled
    assert checks(CANCELED, {**CANCELED, "cancel_at_period_end": True}) == []
    assert checks(CANCELED, {**CANCELED, "cancel_at_period_end": False}) == []


@pytest.mark.parametrize("column", ["price_id", "current_period_end", "paused",
                                    "collection_paused", "cancel_at"])
def test_an_ended_subscription_is_judged_by_status_and_plan_only(column):
    assert accepted(column, CANCELED, {}) is ANY
    assert checks(CANCELED, {**CANCELED, "status": "active"}) == ["state.status"]


def test_a_pending_cancellation_must_be_recorded_while_the_subscription_runs():
    assert checks(PENDING, {**PENDING, "cancel_at_period_end": False}) == [
        "state.cancel_at_period_end"]


def test_an_app_that_mirrors_cancel_at_may_mirror_the_flag_verbatim_in_flexible_mode():
    # flexible mode: Stripe shows cancel_at_period_end false and cancel_at = period end
    mirror = {**PENDING, "cancel_at_period_end": False, "cancel_at": 1770000000}
    assert checks(PENDING, mirror, billing_mode="flexible") == []
    assert checks(PENDING, {**mirror, "cancel_at": None}, billing_mode="flexible") == [
        "state.cancel_at"]
    # classic mode: Stripe's own flag is true, so false is wrong even next to cancel_at
    assert checks(PENDING, mirror, billing_mode="classic") == ["state.cancel_at_period_end"]


def test_a_mirrored_pause_collection_column_reads_as_the_pause_flag():
    paused = {**ACTIVE, "collection_paused": True}
    mirror = {k: v for k, v in ACTIVE.items() if k != "collection_paused"}
    assert checks(paused, {**mirror, "pause_collection": '{"behavior": "void"}'}) == []
    assert checks(ACTIVE, {**mirror, "pause_collection": None}) == []
    assert checks(paused, {**mirror, "pause_collection": None}) == ["state.collection_paused"]


@pytest.mark.parametrize("value", [None, "", "free", "none", "None"])
def test_every_spelling_of_no_plan_means_no_plan(value):
    assert normalize_plan(value) == NO_PLAN
    expected = {"plan": "free", "subscriptions": {}, "paid_invoices": []}
    assert compare_state(expected, {"plan": value}, customer="a", checkpoint="cp") == []


def test_a_missing_plan_key_is_not_checked_but_a_wrong_plan_is():
    expected = {"plan": "pro", "subscriptions": {}, "paid_invoices": []}
    assert compare_state(expected, {}, customer="a", checkpoint="cp") == []
    assert [v.check for v in compare_state(expected, {"plan": "basic"}, customer="a",
                                           checkpoint="cp")] == ["state.plan"]


def test_times_and_booleans_are_read_as_apps_store_them():
    assert normalize("current_period_end", "2026-02-02T02:40:00+00:00") == 1770000000
    assert normalize("cancel_at", "1770000000") == 1770000000
    assert normalize("paused", "t") is True and normalize("paused", 0) is False


def test_an_app_may_delete_the_row_of_an_ended_subscription_but_not_of_a_running_one():
    def missing(sub):
        expected = {"plan": "free", "subscriptions": {"sub_1": sub}, "paid_invoices": []}
        return [v.check for v in compare_state(expected, {"subscriptions": {}},
                                               customer="a", checkpoint="cp")]
    assert missing(CANCELED) == []
    assert missing(ACTIVE) == ["state.subscription_missing"]


def test_a_flexible_mode_pending_cancellation_says_where_stripe_put_it():
    # An app mirroring only Stripe's cancel_at_period_end sees false in flexible mode; the
    # message must not claim Stripe's own field says true.
    expected = {"plan": "pro", "subscriptions": {"sub_1": PENDING}, "paid_invoices": []}
    actual = {"plan": "pro", "subscriptions": {"sub_1": {**PENDING,
                                                         "cancel_at_period_end": False}}}
    [violation] = compare_state(expected, actual, customer="alice", checkpoint="cp",
                                billing_mode="flexible")
    assert "Stripe says" not in violation.message
    assert "cancel_at=1770000000" in violation.message
    [classic] = compare_state(expected, actual, customer="alice", checkpoint="cp",
                              billing_mode="classic")
    assert classic.message == "sub_1: cancel_at_period_end is False, Stripe says True"
