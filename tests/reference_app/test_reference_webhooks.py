"""The webhook route: signatures, idempotency, ordering, transactions and field reading."""

from __future__ import annotations

import json
import time

import pytest
from conftest import CUSTOMER, OTHER_CUSTOMER
from stripe_stub import (
    BASIL,
    PERIOD_END,
    PRE_BASIL,
    body_of,
    event,
    fail_once,
    invoice,
    new_id,
    sign,
    sign_bytes,
    subscription,
)

from harness.reference_app.webhooks import MAX_BODY_BYTES


def test_subscription_created_records_the_subscription_and_the_plan(driver, fake_stripe):
    sub = fake_stripe.put(subscription("sub_1", CUSTOMER, "price_pro_monthly"))
    assert driver.deliver(event("customer.subscription.created", sub)) == 200
    assert driver.state(CUSTOMER) == {
        "plan": "pro",
        "subscriptions": {
            "sub_1": {
                "status": "active",
                "price_id": "price_pro_monthly",
                "current_period_end": PERIOD_END,
                "cancel_at_period_end": False,
                "paused": False,
                "collection_paused": False,
                "quantity": 1,
                "cancellation_feedback": None,
                "coupon": None,
            }
        },
        "paid_invoices": [],
    }


def _valid_delivery():
    sub = subscription("sub_1", CUSTOMER)
    return body_of(event("customer.subscription.updated", sub))


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda body: (body, None), id="missing-header"),
        pytest.param(lambda body: (body, sign(body, "whsec_other")), id="wrong-secret"),
        pytest.param(lambda body: (body + b" ", sign(body)), id="tampered-body"),
        pytest.param(lambda body: (body, sign(body, timestamp=int(time.time()) - 301)), id="stale"),
        pytest.param(lambda body: (body, sign(body).replace("v1=", "v0=")), id="v0-only"),
        pytest.param(lambda body: (body, "garbage"), id="unparsable-header"),
    ],
)
def test_bad_signature_answers_400_and_changes_nothing(driver, fake_stripe, tamper):
    fake_stripe.put(subscription("sub_1", CUSTOMER))
    body, header = tamper(_valid_delivery())
    assert driver.post_webhook(body, header) == 400
    assert driver.state(CUSTOMER)["subscriptions"] == {}


def test_second_v1_signature_from_a_rolled_secret_is_accepted(driver, fake_stripe):
    fake_stripe.put(subscription("sub_1", CUSTOMER))
    body = _valid_delivery()
    header = sign(body, "whsec_old") + "," + sign(body).split(",")[1]
    assert driver.post_webhook(body, header) == 200


def test_body_over_one_megabyte_answers_413(driver):
    body = b"{" + b" " * MAX_BODY_BYTES + b"}"
    assert driver.post_webhook(body, sign(body)) == 413


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'{"id": "evt_1"}', '{"x": "\xe9"}'.encode("latin-1")],
    ids=["invalid-json", "not-an-object", "no-type", "not-utf8"],
)
def test_malformed_body_with_valid_signature_answers_400(driver, body):
    assert driver.post_webhook(body, sign_bytes(body)) == 400


def test_object_missing_a_needed_field_answers_400_and_writes_nothing(driver):
    inv = invoice(CUSTOMER, "sub_1")
    del inv["status"]
    assert driver.deliver(event("invoice.paid", inv)) == 400
    assert driver.state(CUSTOMER)["paid_invoices"] == []


def test_duplicate_delivery_records_the_invoice_once(driver):
    inv = invoice(CUSTOMER, "sub_1")
    paid = event("invoice.paid", inv)
    assert driver.deliver(paid) == 200
    assert driver.deliver(paid) == 200
    assert driver.deliver(event("invoice.payment_succeeded", inv)) == 200
    assert driver.state(CUSTOMER)["paid_invoices"] == [inv["id"]]


@pytest.mark.parametrize("version", [PRE_BASIL, BASIL])
def test_paid_invoice_is_linked_to_its_subscription_in_each_api_version(driver, version):
    inv = invoice(CUSTOMER, "sub_7", version=version)
    assert driver.deliver(event("invoice.paid", inv, version=version)) == 200
    assert driver.state(CUSTOMER)["paid_invoices"] == [inv["id"]]
    row = driver.app.db.conn.execute("SELECT stripe_subscription_id FROM invoices").fetchone()
    assert row[0] == "sub_7"


def test_older_event_delivered_after_a_newer_one_does_not_undo_state(driver, fake_stripe):
    old = event(
        "customer.subscription.updated", subscription("sub_1", CUSTOMER, "price_basic_monthly")
    )
    new = event(
        "customer.subscription.updated", subscription("sub_1", CUSTOMER, "price_enterprise_monthly")
    )
    fake_stripe.put(subscription("sub_1", CUSTOMER, "price_enterprise_monthly"))
    assert driver.deliver(new) == 200
    assert driver.deliver(old) == 200
    state = driver.state(CUSTOMER)
    assert state["plan"] == "enterprise"
    assert state["subscriptions"]["sub_1"]["price_id"] == "price_enterprise_monthly"


def test_database_failure_answers_500_rolls_back_and_the_retry_applies(driver, fake_stripe):
    sub = fake_stripe.put(subscription("sub_1", CUSTOMER))
    evt = event("customer.subscription.created", sub)
    fail_once(driver.app.db, "set_plan")
    assert driver.deliver(evt) == 500
    assert driver.state(CUSTOMER) == {"plan": "free", "subscriptions": {}, "paid_invoices": []}
    assert driver.deliver(evt) == 200
    assert driver.state(CUSTOMER)["plan"] == "pro"


def test_stripe_api_failure_answers_500_so_stripe_retries(driver, fake_stripe):
    fake_stripe.fail_with = (500, {"error": {"type": "api_error", "message": "boom"}})
    sub = subscription("sub_1", CUSTOMER)
    assert driver.deliver(event("customer.subscription.updated", sub)) == 500
    assert driver.state(CUSTOMER)["subscriptions"] == {}


def test_event_for_an_unknown_customer_answers_200_and_writes_nothing(driver, fake_stripe):
    sub = fake_stripe.put(subscription("sub_9", "cus_unknown"))
    assert driver.deliver(event("customer.subscription.created", sub)) == 200
    assert driver.deliver(event("invoice.paid", invoice("cus_unknown", "sub_9"))) == 200
    for table in ("subscriptions", "invoices", "processed_events"):
        assert driver.app.db.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0


@pytest.mark.parametrize(
    "event_type",
    [
        "invoice.created",
        "invoiceitem.created",
        "customer.updated",
        "payment_method.attached",
        "setup_intent.succeeded",
        "billing_portal.session.created",
        "some.future.event",
    ],
)
def test_other_event_types_answer_200(driver, event_type):
    obj = {"id": new_id("obj"), "object": event_type.split(".")[0], "customer": CUSTOMER}
    assert driver.deliver(event(event_type, obj)) == 200


def test_payment_failed_refreshes_the_subscription_and_past_due_keeps_the_plan(driver, fake_stripe):
    fake_stripe.put(subscription("sub_1", CUSTOMER, status="past_due"))
    inv = invoice(CUSTOMER, "sub_1") | {"status": "open"}
    assert driver.deliver(event("invoice.payment_failed", inv)) == 200
    state = driver.state(CUSTOMER)
    assert state["subscriptions"]["sub_1"]["status"] == "past_due"
    assert state["plan"] == "pro"
    assert state["paid_invoices"] == []


@pytest.mark.parametrize(
    ("fields", "pending"),
    [
        pytest.param({"cancel_at_period_end": True, "cancel_at": PERIOD_END}, True, id="classic"),
        pytest.param({"billing_mode": "flexible", "cancel_at": PERIOD_END}, True, id="flexible"),
        pytest.param({}, False, id="not-canceling"),
    ],
)
def test_pending_cancellation_is_recorded_in_both_billing_modes(
    driver, fake_stripe, fields, pending
):
    sub = fake_stripe.put(subscription("sub_1", CUSTOMER, **fields))
    assert driver.deliver(event("customer.subscription.updated", sub)) == 200
    state = driver.state(CUSTOMER)
    assert state["subscriptions"]["sub_1"]["cancel_at_period_end"] is pending
    assert state["plan"] == "pro"


def test_subscription_deleted_drops_the_plan_to_free(driver, fake_stripe):
    sub = fake_stripe.put(subscription("sub_1", CUSTOMER, status="canceled"))
    assert driver.deliver(event("customer.subscription.deleted", sub)) == 200
    state = driver.state(CUSTOMER)
    assert state["plan"] == "free"
    assert state["subscriptions"]["sub_1"]["status"] == "canceled"
    assert state["subscriptions"]["sub_1"]["cancel_at_period_end"] is False


def test_pause_and_paused_collection_are_recorded(driver, fake_stripe):
    fake_stripe.put(subscription("sub_1", CUSTOMER, status="paused"))
    fake_stripe.put(
        subscription(
            "sub_2", CUSTOMER, "price_basic_monthly", pause_collection={"behavior": "void"}
        )
    )
    assert (
        driver.deliver(event("customer.subscription.paused", fake_stripe.subscriptions["sub_1"]))
        == 200
    )
    assert (
        driver.deliver(event("customer.subscription.updated", fake_stripe.subscriptions["sub_2"]))
        == 200
    )
    subs = driver.state(CUSTOMER)["subscriptions"]
    assert (subs["sub_1"]["paused"], subs["sub_1"]["collection_paused"]) == (True, False)
    assert (subs["sub_2"]["paused"], subs["sub_2"]["collection_paused"]) == (False, True)


def test_the_highest_plan_among_live_subscriptions_wins(driver, fake_stripe):
    for sub in (
        subscription("sub_1", CUSTOMER, "price_basic_monthly"),
        subscription("sub_2", CUSTOMER, "price_enterprise_monthly", status="incomplete_expired"),
        subscription("sub_3", CUSTOMER, "price_pro_annual"),
    ):
        assert driver.deliver(event("customer.subscription.created", fake_stripe.put(sub))) == 200
    assert driver.state(CUSTOMER)["plan"] == "pro"


def test_pre_basil_subscription_reads_the_item_period(driver, fake_stripe):
    sub = fake_stripe.put(
        subscription("sub_1", CUSTOMER, version=PRE_BASIL, period_end=1_800_000_000)
    )
    assert driver.deliver(event("customer.subscription.updated", sub, version=PRE_BASIL)) == 200
    assert driver.state(CUSTOMER)["subscriptions"]["sub_1"]["current_period_end"] == 1_800_000_000


def test_checkout_session_links_the_customer_and_fetches_its_subscription(driver, fake_stripe):
    driver.app.seed_user("u_dave", "dave@example.test", None)
    fake_stripe.put(subscription("sub_5", "cus_dave", "price_basic_monthly"))
    session = {
        "id": "cs_test_a1",
        "object": "checkout.session",
        "client_reference_id": "u_dave",
        "customer": "cus_dave",
        "mode": "subscription",
        "subscription": "sub_5",
    }
    assert driver.deliver(event("checkout.session.completed", session)) == 200
    assert driver.state("cus_dave")["plan"] == "basic"
    with driver.app.db.reading() as db:
        assert db.user("u_dave").stripe_customer_id == "cus_dave"


def test_events_for_one_customer_never_touch_another(driver, fake_stripe):
    sub = fake_stripe.put(subscription("sub_1", OTHER_CUSTOMER))
    assert driver.deliver(event("customer.subscription.created", sub)) == 200
    assert driver.state(CUSTOMER)["plan"] == "free"
    assert driver.state(OTHER_CUSTOMER)["plan"] == "pro"


def test_reply_body_is_json(driver):
    response = driver.request("POST", "/webhooks/stripe", content=b"{}")
    assert response.status_code == 400
    assert "message" in json.loads(response.content)
