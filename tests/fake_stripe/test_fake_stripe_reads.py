"""Retrieve and list: objects rendered per version, Stripe's 404s, live World changes."""

from __future__ import annotations

import pytest
import stripe

from harness.fake_stripe.keys import DEFAULT_API_KEY

from .accounts import Account, make_account


@pytest.mark.parametrize(
    ("version", "top_level_period"),
    [("2024-06-20", True), ("2025-03-31.basil", False), ("2026-10-28.endive", False)],
)
def test_subscription_is_rendered_in_the_requested_version(
    account: Account, transport: str, version: str, top_level_period: bool
) -> None:
    client = account.fake.stripe_client(over_http=transport == "http", stripe_version=version)
    sub = client.v1.subscriptions.retrieve(account.subscription.id)
    item = sub["items"]["data"][0]
    assert item["current_period_end"] == account.subscription.current_period_end
    assert ("current_period_end" in sub) is top_level_period
    if top_level_period:
        assert sub["current_period_end"] == item["current_period_end"]
    assert sub.last_response.headers["Stripe-Version"] == version
    assert sub.last_response.request_id == account.fake.requests[-1].request_id


def test_without_a_stripe_version_header_the_world_version_is_used(account: Account) -> None:
    status, headers, _ = account.fake.dispatch(
        "GET", f"/v1/subscriptions/{account.subscription.id}", "",
        {"Authorization": f"Bearer {DEFAULT_API_KEY}"}, b"")
    assert status == 200
    assert headers["Stripe-Version"] == account.world.api_version
    assert account.fake.requests[-1].api_version == account.world.api_version
    assert account.fake.requests[-1].stripe_version is None


def test_the_sdk_pinned_version_is_sent_when_the_client_pins_none(account: Account) -> None:
    client = account.fake.stripe_client()
    client.v1.subscriptions.retrieve(account.subscription.id)
    assert account.fake.requests[-1].api_version == stripe.api_version


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("subscriptions", "No such subscription: 'sub_missing'"),
        ("invoices", "No such invoice: 'sub_missing'"),
        ("customers", "No such customer: 'sub_missing'"),
        ("events", "No such event: 'sub_missing'"),
    ],
)
def test_unknown_id_is_a_404_resource_missing(
    account: Account, client: stripe.StripeClient, path: str, message: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.raw_request("get", f"/v1/{path}/sub_missing")
    err = caught.value
    assert (err.http_status, err.code, err.param, err.user_message) == (
        404, "resource_missing", "id", message)
    body = err.json_body["error"]
    assert body["doc_url"] == "https://stripe.com/docs/error-codes/resource-missing"
    assert body["request_log_url"].startswith("https://dashboard.stripe.com/test/logs/req_")
    assert body["type"] == "invalid_request_error"


def test_customer_invoice_and_payment_method_are_served(
    account: Account, client: stripe.StripeClient
) -> None:
    sub = account.subscription
    customer = client.v1.customers.retrieve(account.customer.id)
    invoice = client.v1.invoices.retrieve(sub.latest_invoice)
    pm = client.v1.payment_methods.retrieve(sub.default_payment_method)
    assert (customer.object, customer.email) == ("customer", "a@example.test")
    assert (invoice.object, invoice.status, invoice.customer) == ("invoice", "paid",
                                                                  account.customer.id)
    assert (pm.object, pm.card.last4) == ("payment_method", "4242")


def test_event_is_rendered_in_its_own_version_whatever_the_request_asks(
        account: Account, transport: str) -> None:
    """Stripe keeps an event as created: GET /v1/events/{id} ignores the Stripe-Version."""
    event = next(e for e in account.world.events if e.type == "customer.subscription.created")
    for version in ("2024-06-20", "2025-03-31.basil"):
        client = account.fake.stripe_client(over_http=transport == "http",
                                            stripe_version=version)
        got = client.v1.events.retrieve(event.id)
        assert (got.type, got.api_version) == ("customer.subscription.created",
                                               account.world.api_version)
        assert "current_period_end" not in got.data.object  # basil: periods moved to items


def test_list_subscriptions_hides_canceled_ones_unless_status_all(
    account: Account, client: stripe.StripeClient
) -> None:
    world = account.world
    second = world.checkout(account.customer.id, "price_basic_monthly")
    world.cancel_now(account.subscription)
    listed = client.v1.subscriptions.list({"customer": account.customer.id})
    assert [s.id for s in listed.data] == [second.id]
    everything = client.v1.subscriptions.list({"customer": account.customer.id,
                                               "status": "all"})
    assert {s.id for s in everything.data} == {second.id, account.subscription.id}
    assert (everything.object, everything.url, everything.has_more) == (
        "list", "/v1/subscriptions", False)
    canceled = client.v1.subscriptions.list({"status": "canceled"})
    assert [s.status for s in canceled.data] == ["canceled"]


def test_list_pages_with_limit_and_starting_after(account: Account,
                                                  client: stripe.StripeClient) -> None:
    world = account.world
    for _ in range(4):
        world.advance_to(world.now + 60)
        world.checkout(account.customer.id, "price_basic_monthly")
    first = client.v1.subscriptions.list({"customer": account.customer.id, "limit": 2})
    assert first.has_more and len(first.data) == 2
    ids = [s.id for s in first.auto_paging_iter()]
    newest_first = [s.id for s in sorted(world.subscriptions.values(),
                                         key=lambda s: s.created, reverse=True)]
    assert ids == newest_first


def test_list_invoices_filters_by_customer(account: Account, client: stripe.StripeClient) -> None:
    other = account.world.create_customer("b@example.test", "B")
    account.world.checkout(other.id, "price_basic_monthly")
    invoices = client.v1.invoices.list({"customer": account.customer.id})
    assert [i.id for i in invoices.data] == [account.subscription.latest_invoice]
    assert {i.customer for i in client.v1.invoices.list().data} == {account.customer.id,
                                                                    other.id}


def test_list_with_an_unknown_customer_is_resource_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.subscriptions.list({"customer": "cus_nobody"})
    assert (caught.value.code, caught.value.param) == ("resource_missing", "customer")


def test_expand_replaces_ids_with_objects(account: Account, client: stripe.StripeClient) -> None:
    sub = client.v1.subscriptions.retrieve(
        account.subscription.id, {"expand": ["latest_invoice", "customer"]})
    assert sub.latest_invoice.object == "invoice"
    assert sub.customer.email == "a@example.test"
    listed = client.v1.subscriptions.list({"expand": ["data.customer"]})
    assert listed.data[0].customer.object == "customer"


def test_expanding_a_plain_field_is_refused(account: Account,
                                            client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError, match=r"cannot be expanded \(status\)"):
        client.v1.subscriptions.retrieve(account.subscription.id, {"expand": ["status"]})


def test_world_changes_are_visible_live(account: Account, client: stripe.StripeClient) -> None:
    sub_id = account.subscription.id
    assert client.v1.subscriptions.retrieve(sub_id).cancel_at_period_end is False
    account.world.cancel_at_period_end(account.subscription)
    live = client.v1.subscriptions.retrieve(sub_id)
    assert live.cancel_at_period_end is True
    assert live.cancel_at == account.subscription.current_period_end
    account.world.undo_cancel(account.subscription)
    assert client.v1.subscriptions.retrieve(sub_id).cancel_at is None


def test_a_world_swapped_in_by_reset_is_served(account: Account,
                                               client: stripe.StripeClient) -> None:
    world, customer, _ = make_account(seed=2)
    account.fake.reset(world)
    assert client.v1.customers.retrieve(customer.id).id == customer.id
    assert account.fake.requests[0].path == f"/v1/customers/{customer.id}"
