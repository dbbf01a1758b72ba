"""Hostile requests to the fake Stripe API: linear decoding, Stripe-like limits, a 413, no
500s, a bounded request log, and no lock held while a request body is decoded.

Each figure is a bound on work, size or status, never on time (benchmarks/hostile_input.py
prints the times).
"""

from __future__ import annotations

import threading

import httpx
import pytest

from harness.fake_stripe import FakeStripe, forms, server
from harness.fake_stripe.keys import DEFAULT_API_KEY
from harness.scenario.catalog import default_catalog
from harness.sim import World

from .work import lines_run

AUTH = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}


@pytest.fixture
def fake() -> FakeStripe:
    return FakeStripe(World(default_catalog(), "2025-03-31.basil"))


def get(fake: FakeStripe, path: str, query: str = "") -> tuple[int, dict]:
    import json

    status, _, body = fake.dispatch("GET", path, query, AUTH, b"")
    return status, json.loads(body)


def post(fake: FakeStripe, path: str, body: bytes) -> tuple[int, dict]:
    import json

    headers = {**AUTH, "Content-Type": "application/x-www-form-urlencoded"}
    status, _, answer = fake.dispatch("POST", path, "", headers, body)
    return status, json.loads(answer)


@pytest.mark.parametrize("n", [100, forms.MAX_ARRAY_ITEMS])
def test_decoding_expand_arrays_is_linear(n: int) -> None:
    # 40,000 `expand[]` once took 161 s: each append counted the keys before it (n**2 / 2 steps).
    query = "&".join(["expand[]=customer"] * n)
    lines, params = lines_run(forms, lambda: forms.decode_form(query))
    assert params == {"expand": ["customer"] * n}
    assert lines <= 40 * n, f"{lines} lines of forms.py for {n} params: not linear"


def test_too_many_parameters_is_a_400_that_says_so(fake) -> None:
    n = forms.MAX_PARAMS + 1
    lines, refused = lines_run(forms, lambda: forms.decode_form("&".join(["expand[]=a"] * n)))
    assert isinstance(refused, Exception) and lines < 50  # refused before anything is built
    status, body = get(fake, "/v1/subscriptions", "&".join(["expand[]=a"] * n))
    assert status == 400
    assert "Too many parameters" in body["error"]["message"]
    assert body["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize(("query", "message"), [
    ("limit=" + "1" * 5000, "Invalid integer: 1111"),
    ("limit=" + "9" * 30, "Invalid integer"),
    ("a" + "[b]" * 100 + "=1", "nested more than 32 levels deep"),
    ("metadata" + "[x]" * 40 + "=1", "nested more than 32 levels deep"),
    ("items[99999999999999999999999]=1", "Invalid array index"),
    ("expand[]=" + "x" * 6000, "must be at most 5000 characters"),
    ("k" * 600 + "=1", "longer than 500 characters"),
    ("&".join(f"items[{i}]=x" for i in range(forms.MAX_ARRAY_ITEMS + 1)), "more than 1000 items"),
], ids=["limit_5000_digits", "limit_30_digits", "key_100_deep", "metadata_40_deep",
        "index_23_digits", "value_6000_chars", "name_600_chars", "array_1001_items"])
def test_hostile_parameters_get_a_400_not_a_500(fake, query: str, message: str) -> None:
    status, body = get(fake, "/v1/subscriptions", query)
    assert status == 400, body
    assert message in body["error"]["message"]
    assert len(body["error"]["message"]) < 300  # never the whole hostile input echoed back
    fake.check()  # no handler hit a bug


def test_a_request_body_over_the_limit_is_answered_413_over_http(fake) -> None:
    with fake:
        r = httpx.post(f"{fake.url}/v1/billing_portal/sessions", headers=AUTH,
                       content=b"customer=" + b"x" * forms.MAX_BODY_BYTES)
        assert r.status_code == 413
        assert "Request body too large" in r.json()["error"]["message"]
        # the next request is served as usual
        assert httpx.get(f"{fake.url}/_harness/health").status_code == 200


def test_the_request_log_is_a_ring_buffer(fake) -> None:
    small = FakeStripe(fake.world, max_requests=50)
    for _ in range(120):
        small.dispatch("GET", "/_harness/health", "", {}, b"")
    assert len(small.requests) == 50
    assert small.requests[-1].request_id != small.requests[0].request_id


def test_the_default_request_log_keeps_the_newest_ten_thousand(fake) -> None:
    for n in range(server.MAX_LOGGED_REQUESTS + 25):
        fake.dispatch("GET", "/_harness/health", f"n={n}", {}, b"")
    assert len(fake.requests) == server.MAX_LOGGED_REQUESTS
    assert fake.requests[-1].params == {"n": str(server.MAX_LOGGED_REQUESTS + 24)}
    assert fake.requests[0].params == {"n": "25"}


def test_no_lock_is_held_while_a_body_is_decoded(fake, monkeypatch) -> None:
    decoding, release = threading.Event(), threading.Event()
    real = server.decode_form

    def slow_decode(text: str) -> dict:
        if "slow" in text:
            decoding.set()
            release.wait(30)
        return real(text)

    monkeypatch.setattr(server, "decode_form", slow_decode)
    slow = threading.Thread(target=post, args=(fake, "/v1/billing_portal/sessions",
                                                b"customer=slow"))
    slow.start()
    try:
        assert decoding.wait(30)
        done = threading.Event()
        other = threading.Thread(target=lambda: (get(fake, "/_harness/health"), done.set()))
        other.start()
        # Answered while the slow request is still decoding: the order proves no lock is held.
        assert done.wait(30), "a request waited for another one's form decoding"
        assert slow.is_alive()
    finally:
        release.set()
        slow.join(30)
