"""compare_state: what counts as a difference between the app's belief and Stripe's."""

from harness.checks.invariants import compare_state

EXPECTED = {
    "plan": "pro",
    "subscriptions": {"sub_1": {"status": "active", "price_id": "price_pro_monthly",
                                "current_period_end": 1770000000,
                                "cancel_at_period_end": False, "paused": False,
                                "collection_paused": False}},
    "paid_invoices": ["in_1", "in_2"],
}


def checks(actual):
    return sorted(v.check for v in compare_state(EXPECTED, actual, customer="alice",
                                                 checkpoint="cp"))


def test_an_app_in_sync_has_no_violation():
    assert checks(EXPECTED) == []


def test_a_column_the_app_does_not_have_is_not_checked():
    actual = {"plan": "pro", "subscriptions": {"sub_1": {"status": "active"}}}
    assert checks(actual) == []


def test_a_null_where_stripe_has_a_value_is_a_mismatch():
    sub = {**EXPECTED["subscriptions"]["sub_1"], "current_period_end": None}
    assert checks({**EXPECTED, "subscriptions": {"sub_1": sub}}) == ["state.current_period_end"]


def test_booleans_and_times_are_read_as_apps_store_them():
    sub = {**EXPECTED["subscriptions"]["sub_1"], "cancel_at_period_end": 0, "paused": "false",
           "current_period_end": "2026-02-02T02:40:00Z"}
    assert checks({**EXPECTED, "subscriptions": [{"id": "sub_1", **sub}]}) == []


def test_a_duplicate_invoice_row_and_a_missing_one_are_both_named():
    assert checks({**EXPECTED, "paid_invoices": ["in_1", "in_1"]}) == [
        "invoices.missing", "invoices.recorded_once"]


def test_a_missing_subscription_is_reported_once():
    assert checks({**EXPECTED, "subscriptions": {}}) == ["state.subscription_missing"]


def test_a_tampered_delivery_refused_by_crashing_is_not_called_accepted():
    from harness.checks.invariants import Violation

    accepted = Violation("security.forged_signature", "m", expected="4xx", actual=200)
    crashed = Violation("security.forged_signature", "m", expected="4xx", actual=500)
    assert "accepted" in accepted.defect
    assert "accepted" not in crashed.defect and "crashed (5xx)" in crashed.defect
