"""POST /v1/billing_portal/sessions: the happy path, every flow type, and Stripe's 400s."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import stripe

from harness.fake_stripe import FakeStripe

from .accounts import Account, make_account

RETURN_URL = "https://app.example.test/billing"


def test_portal_session_is_created_for_the_customer(
    account: Account, client: stripe.StripeClient
) -> None:
    session = client.v1.billing_portal.sessions.create(
        {"customer": account.customer.id, "return_url": RETURN_URL, "locale": "fr"})
    assert session.object == "billing_portal.session"
    assert session.id.startswith("bps_")
    assert session.url.startswith("https://billing.stripe.com/p/session/test_")
    assert (session.customer, session.return_url, session.locale, session.flow) == (
        account.customer.id, RETURN_URL, "fr", None)
    assert session.configuration == account.fake.configuration_id
    assert session.configuration.startswith("bpc_1")
    assert session.id in account.world.portal_sessions


def test_the_default_configuration_id_is_fixed_per_seed() -> None:
    first = FakeStripe(make_account(seed=5)[0]).configuration_id
    again = FakeStripe(make_account(seed=5)[0]).configuration_id
    other = FakeStripe(make_account(seed=6)[0]).configuration_id
    assert first == again != other


def test_a_configured_portal_configuration_is_accepted() -> None:
    world, customer, _ = make_account()
    fake = FakeStripe(world, configurations=("bpc_app_settings",))
    session = fake.stripe_client().v1.billing_portal.sessions.create(
        {"customer": customer.id, "configuration": "bpc_app_settings"})
    assert session.configuration == "bpc_app_settings"


def _flow(kind: str, account: Account) -> dict[str, Any]:
    sub = account.subscription
    details: dict[str, Any] = {"subscription": sub.id}
    if kind == "subscription_update_confirm":
        details["items"] = [{"id": sub.items[0].id, "price": "price_enterprise_monthly",
                             "quantity": 2}]
    if kind in ("payment_method_update", "customer_update"):
        return {"type": kind}
    return {"type": kind, kind: details}


@pytest.mark.parametrize(
    ("kind", "version"),
    [
        ("payment_method_update", "2025-03-31.basil"),
        ("subscription_cancel", "2025-03-31.basil"),
        ("subscription_update", "2025-03-31.basil"),
        ("subscription_update_confirm", "2025-03-31.basil"),
        ("customer_update", "2026-08-26.dahlia"),
        ("subscription_pause", "2026-10-28.endive"),
    ],
)
def test_each_flow_type_is_echoed_in_the_session(
    account: Account, transport: str, kind: str, version: str
) -> None:
    client = account.fake.stripe_client(over_http=transport == "http", stripe_version=version)
    flow_data = _flow(kind, account)
    flow_data["after_completion"] = {"type": "redirect",
                                     "redirect": {"return_url": RETURN_URL + "?done=1"}}
    session = client.v1.billing_portal.sessions.create(
        {"customer": account.customer.id, "flow_data": flow_data})
    flow = session.flow
    assert flow.type == kind
    assert flow.after_completion.type == "redirect"
    assert flow.after_completion.redirect.return_url == RETURN_URL + "?done=1"
    if kind in ("payment_method_update", "customer_update"):
        assert flow.subscription_cancel is None
    else:
        assert flow[kind].subscription == account.subscription.id
    if kind == "subscription_update_confirm":
        item = flow[kind]["items"][0]
        assert (item.id, item.price, item.quantity) == (
            account.subscription.items[0].id, "price_enterprise_monthly", 2)
    if kind == "customer_update":
        assert flow.customer_update.to_dict() == {}


def test_after_completion_defaults_to_the_portal_homepage(account: Account,
                                                          client: stripe.StripeClient) -> None:
    session = client.v1.billing_portal.sessions.create(
        {"customer": account.customer.id, "flow_data": {"type": "payment_method_update"}})
    assert session.flow.after_completion.type == "portal_homepage"


Params = Callable[[Account], dict[str, Any]]


def _confirm(account: Account, **item: Any) -> dict[str, Any]:
    sub = account.subscription
    return {"customer": account.customer.id, "flow_data": {
        "type": "subscription_update_confirm",
        "subscription_update_confirm": {"subscription": sub.id, "items": [
            {"id": sub.items[0].id, **item}]}}}


ERRORS: list[tuple[str, str, Params, str | None, str | None]] = [
    # (case, version, params, code, param)
    ("missing_customer", "2025-03-31.basil", lambda a: {"return_url": RETURN_URL},
     "parameter_missing", "customer"),
    ("missing_customer_clover", "2025-12-15.clover", lambda a: {"return_url": RETURN_URL},
     "parameter_missing", "customer"),
    ("empty_customer", "2025-03-31.basil", lambda a: {"customer": ""},
     "parameter_invalid_empty", "customer"),
    ("unknown_customer", "2025-03-31.basil", lambda a: {"customer": "cus_nobody"},
     "resource_missing", "customer"),
    ("unknown_param", "2025-03-31.basil",
     lambda a: {"customer": a.customer.id, "payment_method_types": ["card"]},
     "parameter_unknown", "payment_method_types"),
    ("customer_account_before_clover", "2025-03-31.basil",
     lambda a: {"customer": a.customer.id, "customer_account": "acct_1"},
     "parameter_unknown", "customer_account"),
    ("bad_return_url", "2025-03-31.basil",
     lambda a: {"customer": a.customer.id, "return_url": "/billing"}, "url_invalid",
     "return_url"),
    ("unknown_configuration", "2025-03-31.basil",
     lambda a: {"customer": a.customer.id, "configuration": "bpc_other"}, "resource_missing",
     "configuration"),
    ("bad_locale", "2025-03-31.basil", lambda a: {"customer": a.customer.id, "locale": "xx"},
     None, "locale"),
    ("missing_flow_type", "2025-03-31.basil",
     lambda a: {"customer": a.customer.id, "flow_data": {"after_completion": {
         "type": "portal_homepage"}}}, "parameter_missing", "flow_data[type]"),
    ("bad_flow_type", "2025-03-31.basil",
     lambda a: {"customer": a.customer.id, "flow_data": {"type": "refund"}}, None,
     "flow_data[type]"),
    ("pause_before_endive", "2026-09-30.endive",
     lambda a: {"customer": a.customer.id, "flow_data": {"type": "subscription_pause"}}, None,
     "flow_data[type]"),
    ("customer_update_before_dahlia_0826", "2026-07-29.dahlia",
     lambda a: {"customer": a.customer.id, "flow_data": {"type": "customer_update"}}, None,
     "flow_data[type]"),
    ("missing_flow_object", "2025-03-31.basil",
     lambda a: {"customer": a.customer.id, "flow_data": {"type": "subscription_cancel"}},
     "parameter_missing", "flow_data[subscription_cancel]"),
    ("missing_flow_subscription", "2025-03-31.basil",
     lambda a: {"customer": a.customer.id, "flow_data": {
         "type": "subscription_update", "subscription_update": {"x": "1"}}},
     "parameter_unknown", "flow_data[subscription_update][x]"),
    ("unknown_flow_subscription", "2025-03-31.basil",
     lambda a: {"customer": a.customer.id, "flow_data": {
         "type": "subscription_cancel", "subscription_cancel": {"subscription": "sub_nope"}}},
     "resource_missing", "flow_data[subscription_cancel][subscription]"),
    ("two_items", "2025-03-31.basil",
     lambda a: {"customer": a.customer.id, "flow_data": {
         "type": "subscription_update_confirm", "subscription_update_confirm": {
             "subscription": a.subscription.id, "items": [
                 {"id": a.subscription.items[0].id}, {"id": a.subscription.items[0].id}]}}},
     None, "flow_data[subscription_update_confirm][items]"),
    ("item_without_id", "2025-03-31.basil",
     lambda a: {"customer": a.customer.id, "flow_data": {
         "type": "subscription_update_confirm", "subscription_update_confirm": {
             "subscription": a.subscription.id, "items": [{"price": "price_pro_annual"}]}}},
     "parameter_missing", "flow_data[subscription_update_confirm][items][0][id]"),
    ("foreign_item", "2025-03-31.basil", lambda a: _confirm(a, id="si_other"), None,
     "flow_data[subscription_update_confirm][items][0][id]"),
    ("unknown_price", "2025-03-31.basil", lambda a: _confirm(a, price="price_gold"),
     "resource_missing", "flow_data[subscription_update_confirm][items][0][price]"),
    ("redirect_without_url", "2025-03-31.basil",
     lambda a: {"customer": a.customer.id, "flow_data": {
         "type": "payment_method_update", "after_completion": {"type": "redirect"}}},
     "parameter_missing", "flow_data[after_completion][redirect]"),
    ("bad_after_completion", "2025-03-31.basil",
     lambda a: {"customer": a.customer.id, "flow_data": {
         "type": "payment_method_update", "after_completion": {"type": "close"}}},
     None, "flow_data[after_completion][type]"),
]


@pytest.mark.parametrize(("version", "params", "code", "param"),
                         [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_bad_params_are_refused_like_stripe(
    account: Account, transport: str, version: str, params: Params, code: str | None,
    param: str | None
) -> None:
    client = account.fake.stripe_client(over_http=transport == "http", stripe_version=version)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.billing_portal.sessions.create(params(account))
    assert (caught.value.http_status, caught.value.code, caught.value.param) == (
        400, code, param)
    assert account.world.portal_sessions == {}


def test_missing_customer_message_is_stripes(account: Account,
                                             client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.billing_portal.sessions.create({"return_url": RETURN_URL})
    assert caught.value.user_message == "Missing required param: customer."
    assert caught.value.request_id == account.fake.requests[-1].request_id


def test_another_customers_subscription_is_refused(account: Account,
                                                   client: stripe.StripeClient) -> None:
    other = account.world.create_customer("b@example.test", "B")
    with pytest.raises(stripe.InvalidRequestError, match="does not belong") as caught:
        client.v1.billing_portal.sessions.create({"customer": other.id, "flow_data": {
            "type": "subscription_cancel",
            "subscription_cancel": {"subscription": account.subscription.id}}})
    assert caught.value.param == "flow_data[subscription_cancel][subscription]"


def test_a_canceled_subscription_is_refused(account: Account,
                                            client: stripe.StripeClient) -> None:
    account.world.cancel_now(account.subscription)
    with pytest.raises(stripe.InvalidRequestError, match="canceled") as caught:
        client.v1.billing_portal.sessions.create({"customer": account.customer.id, "flow_data": {
            "type": "subscription_update",
            "subscription_update": {"subscription": account.subscription.id}}})
    assert caught.value.param == "flow_data[subscription_update][subscription]"


def test_the_request_log_shows_customer_and_return_url(account: Account,
                                                       client: stripe.StripeClient) -> None:
    client.v1.subscriptions.retrieve(account.subscription.id)
    client.v1.billing_portal.sessions.create(
        {"customer": account.customer.id, "return_url": RETURN_URL})
    (logged,) = account.fake.requests_to("/v1/billing_portal/sessions", method="POST")
    assert logged.params == {"customer": account.customer.id, "return_url": RETURN_URL}
    assert (logged.status, logged.api_version) == (200, account.world.api_version)
    assert logged.idempotency_key  # stripe-python sends one with every POST
    assert logged.response["url"].startswith("https://billing.stripe.com/p/session/")
    assert [r.method for r in account.fake.requests] == ["GET", "POST"]
