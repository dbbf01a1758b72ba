"""Events, webhook endpoints and the account, through stripe-python."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from harness.delivery.signing import DEFAULT_WEBHOOK_SECRET

from .accounts import Account


def test_events_list_filters_and_pages_in_their_own_version(local: Account) -> None:
    client = local.fake.stripe_client(stripe_version="2024-06-20")
    every = list(client.v1.events.list(params={"limit": 3}).auto_paging_iter())
    assert [e.id for e in every] == [e.id for e in reversed(local.world.events)]
    assert {e.api_version for e in every} == {local.world.api_version}
    invoices = client.v1.events.list(params={"type": "invoice.*"}).data
    assert invoices and all(e.type.startswith("invoice.") for e in invoices)
    two = client.v1.events.list(params={"types": ["invoice.paid", "customer.created"]}).data
    assert {e.type for e in two} == {"invoice.paid", "customer.created"}
    assert client.v1.events.list(params={"created": {"gt": local.world.now}}).data == []
    got = client.v1.events.retrieve(every[0].id)
    assert got.to_dict() == every[0].to_dict()


def test_webhook_endpoints_hand_out_the_harness_secret(local: Account, v1: Any) -> None:
    made = v1.webhook_endpoints.create(params={"url": "https://app.example.test/hooks",
                                               "enabled_events": ["customer.subscription.updated"],
                                               "api_version": "2025-03-31.basil"})
    assert made.secret == DEFAULT_WEBHOOK_SECRET == local.fake.webhook_secret
    assert [w.id for w in v1.webhook_endpoints.list().data] == [made.id]
    got = v1.webhook_endpoints.retrieve(made.id)
    assert "secret" not in got and got.enabled_events == ["customer.subscription.updated"]
    assert v1.webhook_endpoints.update(made.id, params={"disabled": True}).status == "disabled"
    assert v1.webhook_endpoints.delete(made.id).deleted is True
    with pytest.raises(stripe.InvalidRequestError):
        v1.webhook_endpoints.retrieve(made.id)


def test_the_account(v1: Any) -> None:
    account = v1.accounts.retrieve_current()
    assert account.id.startswith("acct_1") and len(account.id) == len("acct_") + 16
    assert (account.charges_enabled, account.default_currency, account.country) == (
        True, "usd", "US")
