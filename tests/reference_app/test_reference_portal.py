"""The portal-session route: who may open which portal, deep links and Stripe errors."""

from __future__ import annotations

import pytest
from conftest import CUSTOMER, OTHER_CUSTOMER
from stripe_stub import SESSION_URL, Driver, event, subscription

from harness.reference_app import create_app

RETURN_URL = "https://app.example.test/billing"


def _own_subscription(driver, fake_stripe, sub_id="sub_1", customer=CUSTOMER):
    sub = fake_stripe.put(subscription(sub_id, customer))
    assert driver.deliver(event("customer.subscription.created", sub)) == 200
    return sub


@pytest.mark.parametrize("user_id", [None, "u_nobody"], ids=["no-user", "unknown-user"])
def test_portal_without_a_signed_in_user_answers_401(driver, fake_stripe, user_id):
    assert driver.portal(user_id).status_code == 401
    assert fake_stripe.sessions == []


def test_portal_for_a_user_without_a_stripe_customer_answers_404(driver, fake_stripe):
    assert driver.portal("u_carol").status_code == 404
    assert fake_stripe.sessions == []


def test_portal_redirects_to_the_session_url_for_the_users_own_customer(driver, fake_stripe):
    response = driver.portal("u_alice")
    assert response.status_code == 303
    assert response.headers["location"] == SESSION_URL
    assert fake_stripe.sessions == [{"customer": CUSTOMER, "return_url": RETURN_URL}]


def test_the_request_cannot_choose_the_customer_or_the_return_url(driver, fake_stripe):
    response = driver.portal("u_alice", customer=OTHER_CUSTOMER, return_url="https://evil.test")
    assert response.status_code == 303
    assert fake_stripe.sessions[-1]["customer"] == CUSTOMER
    assert fake_stripe.sessions[-1]["return_url"] == RETURN_URL


def test_portal_passes_the_configured_portal_configuration(settings, fake_stripe):
    settings.portal_configuration = "bpc_1MAhNDLkdIwHu7ixckACO1Jq"
    app = create_app(settings)
    app.seed_user("u_alice", "alice@example.test", CUSTOMER)
    assert Driver(app).portal("u_alice").status_code == 303
    assert fake_stripe.sessions[-1]["configuration"] == "bpc_1MAhNDLkdIwHu7ixckACO1Jq"


@pytest.mark.parametrize(
    ("fields", "flow_data"),
    [
        ({"flow": "payment_method_update"}, {"flow_data[type]": "payment_method_update"}),
        (
            {"flow": "subscription_cancel", "subscription": "sub_1"},
            {
                "flow_data[type]": "subscription_cancel",
                "flow_data[subscription_cancel][subscription]": "sub_1",
            },
        ),
        (
            {"flow": "subscription_update", "subscription": "sub_1"},
            {
                "flow_data[type]": "subscription_update",
                "flow_data[subscription_update][subscription]": "sub_1",
            },
        ),
        (
            {
                "flow": "subscription_update_confirm",
                "subscription": "sub_1",
                "price": "price_enterprise_monthly",
            },
            {
                "flow_data[type]": "subscription_update_confirm",
                "flow_data[subscription_update_confirm][subscription]": "sub_1",
                "flow_data[subscription_update_confirm][items][0][id]": "si_1",
                "flow_data[subscription_update_confirm][items][0][price]": (
                    "price_enterprise_monthly"
                ),
            },
        ),
    ],
    ids=lambda value: value.get("flow", "") if isinstance(value, dict) else "",
)
def test_deep_links_send_flow_data(driver, fake_stripe, fields, flow_data):
    _own_subscription(driver, fake_stripe)
    assert driver.portal("u_alice", **fields).status_code == 303
    sent = fake_stripe.sessions[-1]
    assert {k: v for k, v in sent.items() if k.startswith("flow_data")} == flow_data


def test_deep_link_to_another_customers_subscription_answers_404(driver, fake_stripe):
    _own_subscription(driver, fake_stripe, "sub_bob", OTHER_CUSTOMER)
    response = driver.portal("u_alice", flow="subscription_cancel", subscription="sub_bob")
    assert response.status_code == 404
    assert fake_stripe.sessions == []


@pytest.mark.parametrize(
    "fields",
    [
        {"flow": "subscription_pause_forever"},
        {"flow": "subscription_cancel"},
        {"flow": "subscription_update_confirm", "subscription": "sub_1"},
        {"flow": "subscription_update_confirm", "subscription": "sub_1", "price": "price_x"},
    ],
    ids=["unknown-flow", "no-subscription", "no-price", "unknown-price"],
)
def test_incomplete_deep_link_answers_400(driver, fake_stripe, fields):
    _own_subscription(driver, fake_stripe)
    assert driver.portal("u_alice", **fields).status_code == 400


def test_deep_link_fields_may_come_from_the_query_string(driver, fake_stripe):
    response = driver.request(
        "POST", "/billing/portal?flow=payment_method_update", headers={"X-User-Id": "u_alice"}
    )
    assert response.status_code == 303
    assert fake_stripe.sessions[-1]["flow_data[type]"] == "payment_method_update"


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        (400, {"type": "invalid_request_error", "code": "resource_missing"}, 400),
        (500, {"type": "api_error"}, 502),
        (401, {"type": "invalid_request_error", "message": "Invalid API Key"}, 502),
    ],
    ids=["invalid-request", "stripe-down", "bad-key"],
)
def test_stripe_errors_map_to_400_or_502(driver, fake_stripe, status, error, expected):
    fake_stripe.fail_with = (status, {"error": {"message": "No such customer", **error}})
    assert driver.portal("u_alice").status_code == expected
