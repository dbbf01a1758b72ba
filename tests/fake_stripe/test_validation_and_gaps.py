"""Validation from stripe-python's own definitions, and the gaps the fake records."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from harness.fake_stripe import FakeStripe, sdk_spec
from harness.fake_stripe.routes import ROUTES

from .accounts import Account


def test_every_served_stripe_route_is_one_the_sdk_defines() -> None:
    known = sdk_spec.by_template()
    served = [r for r in ROUTES if r.template is not None]
    assert served and all((r.method, r.template) in known for r in served)


def test_the_table_is_read_from_the_sdk_with_nested_required_params() -> None:
    route, match = sdk_spec.find("GET", "/v1/customers/cus_1")  # type: ignore[misc]
    assert (route.service, route.name, match["customer"]) == ("CustomerService", "retrieve",
                                                              "cus_1")
    assert sdk_spec.find("GET", "/v1/customers/search")[0].name == "search"  # type: ignore[index]
    features = sdk_spec.by_template()[("POST", "/v1/entitlements/features")].params
    assert set(features.required) == {"lookup_key", "name"}
    session = sdk_spec.by_template()[("POST", "/v1/checkout/sessions")].params
    assert session.keys is not None
    line_item = session.keys["line_items"][1].item
    assert line_item is not None and "price" in (line_item.keys or {})
    assert session.keys["metadata"][1].free


@pytest.mark.parametrize(("call", "message", "param"), [
    (lambda v1: v1.customers.create(params={"emial": "x@example.test"}),
     "Received unknown parameter: emial", "emial"),
    (lambda v1: v1.checkout.sessions.create(params={
        "mode": "payment", "success_url": "https://a.test",
        "line_items": [{"price": "price_basic_monthly", "qty": 1}]}),
     "Received unknown parameter: line_items[0][qty]", "line_items[0][qty]"),
    (lambda v1: v1.prices.create(params={"currency": "usd", "product": "prod_pro",
                                         "unit_amount": 1, "recurring": {"interval_count": 2}}),
     "Missing required param: recurring[interval].", "recurring[interval]"),
    (lambda v1: v1.entitlements.features.create(params={"name": "SSO"}),
     "Missing required param: lookup_key.", "lookup_key"),
    (lambda v1: v1.customers.retrieve("cus_x", params={"expand": "sources"}),
     "Invalid array", "expand"),
])
def test_bad_params_get_stripes_400(local: Account, v1: Any, call: Any, message: str,
                                    param: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        call(v1)
    assert (info.value.http_status, info.value.user_message, info.value.param) == (
        400, message, param)
    logged = local.fake.requests[-1]
    assert logged.gap is None  # Stripe itself refuses these: the app is at fault
    assert local.fake.gaps == []


def test_an_endpoint_the_sdk_defines_but_the_fake_does_not_serve(local: Account,
                                                                 v1: Any) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        v1.charges.capture("ch_123")
    assert info.value.http_status == 404
    assert info.value.user_message == (
        "Unrecognized request URL (POST: /v1/charges/ch_123/capture). Please see "
        "https://stripe.com/docs or we can help at https://support.stripe.com/.")
    assert [(g.method, g.path) for g in local.fake.gaps] == [
        ("POST", "/v1/charges/ch_123/capture")]
    gap = local.fake.gaps[0].gap or ""
    assert gap.startswith("not implemented by the fake: POST /v1/charges/{charge}/capture")


def test_an_unknown_url_is_a_gap_too(local: Account) -> None:
    status, _, body = local.fake.dispatch("GET", "/v1/nothing_here", "",
                                          {"Authorization": f"Bearer {local.fake.api_key}"},
                                          b"")
    assert status == 404 and b"Unrecognized request URL (GET: /v1/nothing_here)" in body
    assert "unrecognized URL" in (local.fake.gaps[-1].gap or "")


def test_sdk_params_the_fake_ignores_are_served_and_noted(local: Account, v1: Any) -> None:
    made = v1.customers.create(params={"email": "t@example.test", "tax_exempt": "exempt"})
    assert made.email == "t@example.test"
    logged = local.fake.requests[-1]
    assert logged.status == 200
    assert logged.gap == ("parameters accepted but not supported by the fake: tax_exempt "
                          "(POST /v1/customers)")
    assert local.fake.gaps == [logged]


def test_served_requests_and_stripe_errors_have_no_gap(local: Account, v1: Any) -> None:
    v1.customers.retrieve(local.customer.id)
    with pytest.raises(stripe.InvalidRequestError):
        v1.customers.retrieve("cus_missing")
    assert [r.gap for r in local.fake.requests] == [None, None]


def test_a_bug_in_a_handler_is_a_gap(local: Account, v1: Any) -> None:
    def broken(call: Any) -> Any:
        raise RuntimeError("boom")

    fake = FakeStripe(local.world)
    fake.routes.insert(0, type(fake.routes[0]).sdk("GET", "/v1/account", broken))
    with pytest.raises(stripe.APIError):
        fake.stripe_client().v1.accounts.retrieve_current()
    assert "boom" in (fake.gaps[0].gap or "")
    with pytest.raises(RuntimeError):
        fake.check()


def test_idempotency_replays_and_refuses_other_params(local: Account, v1: Any) -> None:
    first = v1.customers.create(params={"email": "i@example.test"},
                                options={"idempotency_key": "signup-1"})
    again = v1.customers.create(params={"email": "i@example.test"},
                                options={"idempotency_key": "signup-1"})
    assert again.id == first.id and len(local.world.customers) == 2
    assert local.fake.requests[-1].replayed is True
    with pytest.raises(stripe.IdempotencyError, match="same parameters"):
        v1.customers.create(params={"email": "other@example.test"},
                            options={"idempotency_key": "signup-1"})


def test_stripe_version_per_request_and_request_ids(local: Account) -> None:
    client = local.fake.stripe_client()
    old = client.v1.subscriptions.retrieve(local.subscription.id,
                                           options={"stripe_version": "2024-06-20"})
    new = client.v1.subscriptions.retrieve(local.subscription.id,
                                           options={"stripe_version": "2025-03-31.basil"})
    assert "current_period_end" in old and "current_period_end" not in new
    assert old.last_response.headers["Stripe-Version"] == "2024-06-20"
    ids = {r.request_id for r in local.fake.requests}
    assert len(ids) == 2 and new.last_response.request_id in ids


def test_the_pattern_reading_of_the_services_agrees_with_parsing_them() -> None:
    """sdk_spec reads the generated services with patterns; `ast` must find the same routes."""
    import ast
    from pathlib import Path

    root = Path(stripe.__file__).parent
    parsed = set()
    for path in root.rglob("_*_service.py"):
        if path.relative_to(root).parts[0] == "v2":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "_request" and len(node.args) >= 2):
                continue
            method, target = node.args[0], node.args[1]
            if isinstance(target, ast.Call) and isinstance(target.func, ast.Attribute):
                target = target.func.value
            base = next(k.value for k in node.keywords if k.arg == "base_address")
            if (isinstance(target, ast.Constant) and str(target.value).startswith("/v1/")
                    and isinstance(base, ast.Constant) and base.value == "api"
                    and isinstance(method, ast.Constant)):
                parsed.add((str(method.value).upper(), target.value))
    assert {(r.method, r.template) for r in sdk_spec.sdk_routes()} == parsed


@pytest.mark.parametrize(("params", "message", "param"), [
    ({"mode": "subscriptions"}, "Invalid mode: must be one of payment, setup, or subscription",
     "mode"),
    ({"mode": "payment", "line_items": [{"price": "price_basic_monthly", "quantity": "two"}]},
     "Invalid integer: two", "line_items[0][quantity]"),
    ({"mode": "payment", "allow_promotion_codes": "yes"}, "Invalid boolean: yes",
     "allow_promotion_codes"),
])
def test_scalars_are_checked_against_the_sdk_types(v1: Any, params: dict[str, Any],
                                                   message: str, param: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        v1.checkout.sessions.create(params={"success_url": "https://a.test/ok", **params})
    assert (info.value.user_message, info.value.param) == (message, param)


def test_an_enabled_event_must_be_one_stripe_sends(v1: Any) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        v1.webhook_endpoints.create(params={"url": "https://a.test/h",
                                            "enabled_events": ["customer.subscription.*"]})
    assert info.value.param == "enabled_events[0]"
    assert "customer.subscription.updated" in (info.value.user_message or "")


def test_an_older_version_may_send_a_parameter_the_sdk_no_longer_has(local: Account) -> None:
    """Before basil, a top-level name the SDK lacks is accepted and noted; from basil on it is
    Stripe's 400."""
    old = local.fake.stripe_client(stripe_version="2024-06-20").v1
    made = old.customers.create(params={"email": "o@example.test", "account_balance": 0})
    assert made.email == "o@example.test"
    gap = local.fake.requests[-1].gap or ""
    assert "account_balance is not in stripe-python" in gap and "2024-06-20" in gap
    current = local.fake.stripe_client(stripe_version="2025-03-31.basil").v1
    with pytest.raises(stripe.InvalidRequestError, match="unknown parameter: account_balance"):
        current.customers.create(params={"account_balance": 0})


def test_the_events_of_a_write_carry_its_request_id_and_idempotency_key(local: Account,
                                                                        v1: Any) -> None:
    if not hasattr(local.world, "acting_as"):
        pytest.skip("this build's World keeps no request per action")
    since = len(local.world.events)
    v1.subscriptions.update(local.subscription.id, params={
        "items": [{"id": local.subscription.items[0].id, "price": "price_enterprise_monthly"}]},
        options={"idempotency_key": "upgrade-1"})
    logged = local.fake.requests[-1]
    events = local.world.events[since:]
    assert events and {(e.request_id, e.idempotency_key) for e in events} == {
        (logged.request_id, "upgrade-1")}
