"""The dispatch layer: auth, versions, routing, the request log, check(), idempotency, HTTP."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

import pytest
import stripe

from harness.errors import ConfigError
from harness.fake_stripe import Call, FakeStripe
from harness.fake_stripe.keys import DEFAULT_API_KEY

from .accounts import Account, make_account

BEARER = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}


def _get(fake: FakeStripe, path: str, headers: dict[str, str] | None = None,
         query: str = "") -> tuple[int, dict[str, str], dict]:
    status, out, body = fake.dispatch("GET", path, query, BEARER if headers is None else headers,
                                      b"")
    return status, out, json.loads(body)


def test_a_wrong_api_key_raises_authentication_error(account: Account, transport: str) -> None:
    client = account.fake.stripe_client(over_http=transport == "http",
                                        api_key="sk_test_wrongkey1234")
    with pytest.raises(stripe.AuthenticationError) as caught:
        client.v1.subscriptions.retrieve(account.subscription.id)
    assert caught.value.http_status == 401
    assert caught.value.user_message == "Invalid API Key provided: sk_test_********1234"
    assert caught.value.json_body["error"]["type"] == "invalid_request_error"


def test_a_missing_api_key_is_a_401() -> None:
    fake = FakeStripe(make_account()[0])
    status, _, body = _get(fake, "/v1/customers/cus_x", headers={})
    assert status == 401
    assert body["error"]["message"].startswith("You did not provide an API key.")
    assert set(body["error"]) == {"message", "type"}


def test_basic_auth_with_the_key_as_user_is_accepted() -> None:
    world, customer, _ = make_account()
    fake = FakeStripe(world)
    token = base64.b64encode(f"{DEFAULT_API_KEY}:".encode()).decode()
    status, _, body = _get(fake, f"/v1/customers/{customer.id}",
                           headers={"authorization": f"Basic {token}"})
    assert (status, body["id"]) == (200, customer.id)


@pytest.mark.parametrize("version", ["2019-02-31", "2025-04-01.basil", "latest", "2099-01-01"])
def test_an_unknown_stripe_version_is_a_400(account: Account, transport: str,
                                            version: str) -> None:
    client = account.fake.stripe_client(over_http=transport == "http", stripe_version=version)
    with pytest.raises(stripe.InvalidRequestError, match="Invalid Stripe API version"):
        client.v1.subscriptions.retrieve(account.subscription.id)


def test_a_version_older_than_the_modelled_ones_is_answered_in_the_oldest_shape(
        account: Account, transport: str) -> None:
    # libraries pin old versions (drf-stripe-subscription sends 2020-08-27); Stripe serves
    # them, so the fake answers in its oldest shape and says so in its log
    client = account.fake.stripe_client(over_http=transport == "http",
                                        stripe_version="2020-08-27")
    sub = client.v1.subscriptions.retrieve(account.subscription.id)
    assert sub["current_period_end"] == account.subscription.current_period_end
    assert sub.last_response.headers["Stripe-Version"] == "2024-06-20"
    [logged] = account.fake.approximated
    assert (logged.stripe_version, logged.api_version, logged.gap) == (
        "2020-08-27", "2024-06-20", None)
    # a run's report carries it as a note, not as a failure
    from harness.session import approximation_notes

    [note] = approximation_notes(account.fake)
    assert note.startswith("the app called the Stripe API with Stripe-Version 2020-08-27 "
                           "(1 request); the fake renders 2024-06-20 onwards")


def test_default_api_version_applies_when_no_header_is_sent() -> None:
    world, _, sub = make_account()
    fake = FakeStripe(world, default_api_version="2024-06-20")
    status, headers, body = _get(fake, f"/v1/subscriptions/{sub.id}")
    assert (status, headers["Stripe-Version"]) == (200, "2024-06-20")
    assert "current_period_end" in body


def test_an_unknown_default_api_version_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        FakeStripe(make_account()[0], default_api_version="2020-01-01")


def test_an_unrecognized_url_is_stripes_404(account: Account,
                                            client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.raw_request("get", "/v1/xyz")
    assert caught.value.http_status == 404
    assert caught.value.user_message.startswith("Unrecognized request URL (GET: /v1/xyz). ")
    assert caught.value.code is None
    assert set(caught.value.json_body["error"]) == {"message", "type"}


def test_every_response_carries_request_id_and_stripe_version(account: Account) -> None:
    for path in ("/v1/nothing", f"/v1/subscriptions/{account.subscription.id}"):
        _, headers, _ = _get(account.fake, path)
        assert headers["Request-Id"].startswith("req_")
        assert headers["Stripe-Version"] == account.world.api_version


def test_health_needs_no_key(account: Account) -> None:
    status, _, body = _get(account.fake, "/_harness/health", headers={})
    assert (status, body["ok"], body["api_version"]) == (200, True, account.world.api_version)


def test_add_route_serves_a_new_control_route(account: Account) -> None:
    def advance(call: Call) -> dict:
        call.world.advance_to(call.world.now + int(call.params["seconds"]))
        return {"now": call.world.now}

    before = account.world.now
    account.fake.add_route("POST", r"/_harness/clock", advance)
    status, _, body = account.fake.dispatch("POST", "/_harness/clock", "", {}, b"seconds=60")
    assert (status, json.loads(body)) == (200, {"now": before + 60})


def test_check_reraises_a_bug_in_a_handler(account: Account, client: stripe.StripeClient) -> None:
    def broken(call: Call) -> dict:
        raise KeyError("oops")

    account.fake.add_route("GET", r"/v1/broken", broken)
    with pytest.raises(stripe.APIError, match="An unknown error occurred"):
        client.raw_request("get", "/v1/broken")
    assert account.fake.requests[-1].status == 500
    with pytest.raises(KeyError, match="oops"):
        account.fake.check()
    account.fake.check()  # reported once


def test_a_repeated_idempotency_key_replays_the_first_response(
    account: Account, client: stripe.StripeClient
) -> None:
    params = {"customer": account.customer.id}
    first = client.v1.billing_portal.sessions.create(params, {"idempotency_key": "k1"})
    again = client.v1.billing_portal.sessions.create(params, {"idempotency_key": "k1"})
    assert first.id == again.id
    assert len(account.world.portal_sessions) == 1
    assert [r.replayed for r in account.fake.requests] == [False, True]
    with pytest.raises(stripe.IdempotencyError):
        client.v1.billing_portal.sessions.create(
            {**params, "return_url": "https://app.example.test/"}, {"idempotency_key": "k1"})


def test_the_http_server_answers_plain_http(account: Account) -> None:
    fake = FakeStripe(account.world).start()
    try:
        url = f"{fake.url}/v1/subscriptions/{account.subscription.id}"
        request = urllib.request.Request(url, headers=BEARER)
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.headers["Request-Id"].startswith("req_")
            assert json.load(response)["id"] == account.subscription.id
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(f"{fake.url}/v1/customers/cus_x", timeout=5)
        assert caught.value.code == 401
    finally:
        fake.stop()
    assert not fake.running


def test_the_context_manager_starts_stops_and_checks() -> None:
    world, customer, _ = make_account()
    with FakeStripe(world) as fake:
        client = fake.stripe_client(over_http=True)
        assert client.v1.customers.retrieve(customer.id).id == customer.id
        fake.add_route("GET", r"/v1/broken", lambda call: 1 / 0)
        with pytest.raises(stripe.APIError):
            client.raw_request("get", "/v1/broken")
        with pytest.raises(ZeroDivisionError):
            fake.check()
    with pytest.raises(RuntimeError, match="not serving"):
        _ = fake.url


def test_requests_to_filters_by_path_and_method(account: Account) -> None:
    _get(account.fake, f"/v1/subscriptions/{account.subscription.id}")
    _get(account.fake, "/v1/subscriptions", query=f"customer={account.customer.id}&status=all")
    assert len(account.fake.requests_to("^/v1/subscriptions.*", method="get")) == 2
    (listed,) = account.fake.requests_to("/v1/subscriptions")
    assert listed.params == {"customer": account.customer.id, "status": "all"}
