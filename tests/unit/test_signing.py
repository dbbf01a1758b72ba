"""Bodies are written as Stripe writes them; the official stripe package verifies our signatures.

A correct signature must pass `stripe.Webhook.construct_event` (default tolerance 300 s); every
tampered delivery must raise `stripe.SignatureVerificationError`.
"""

from __future__ import annotations

import json
import time

import pytest
import stripe
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.delivery.signing import compute_signature, sign_payload, tampered_deliveries
from harness.render.events import Event
from harness.render.serialize import serialize
from harness.scenario.catalog import default_catalog
from harness.sim import World

SECRET = "whsec_" + "test" * 8


@pytest.fixture
def body() -> bytes:
    """A real rendered event body: a customer whose name needs non-ASCII characters."""
    w = World(default_catalog(), "2026-10-28.endive", seed=2)
    cust = w.create_customer("zoe@example.test", "Zoë Ångström")
    w.checkout(cust.id, "price_basic_monthly")
    return Event.from_sim(w.events[0], w.api_version, w.catalog).body


def test_serialize_pretty_prints_with_two_spaces_and_no_trailing_newline(body: bytes) -> None:
    text = body.decode("utf-8")
    assert text.startswith('{\n  "id": "evt_')
    assert '\n    "object": {\n      "id": "cus_' in text
    assert not text.endswith("\n")
    assert text.endswith("\n}")


def test_serialize_keeps_non_ascii_characters_as_utf8(body: bytes) -> None:
    assert "Zoë Ångström".encode() in body
    assert b"\\u00eb" not in body


def test_serialize_differs_from_pythons_default_json(body: bytes) -> None:
    event = json.loads(body)
    assert serialize(event) == body
    assert json.dumps(event).encode() != body
    assert json.loads(json.dumps(event)) == event  # same data, other bytes


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(), JSON, max_size=6))
def test_serialize_is_json_dumps_with_indent_2_and_utf8(event: dict) -> None:
    assert serialize(event) == json.dumps(event, indent=2, ensure_ascii=False).encode("utf-8")


NUMBERS = st.recursive(
    st.floats(allow_nan=False, allow_infinity=False) | st.integers(min_value=-2**70,
                                                                    max_value=2**70)
    | st.text(alphabet="0123456789.e-+ \n\"\\:,"),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(), NUMBERS, max_size=6))
def test_serialize_writes_floats_big_integers_and_number_like_text_as_json_dumps(event) -> None:
    # orjson writes some floats in another form than Python (0.00001 vs 1e-05) and refuses
    # integers over 64 bits; those bodies must still come out as json.dumps writes them.
    assert serialize(event) == json.dumps(event, indent=2, ensure_ascii=False).encode("utf-8")


def test_the_header_has_a_timestamp_and_one_v1_signature(body: bytes) -> None:
    header = sign_payload(body, SECRET, timestamp=1700000000)
    t, v1 = header.split(",")
    assert t == "t=1700000000"
    assert v1 == "v1=" + compute_signature(body, SECRET, 1700000000)
    assert len(v1) == 3 + 64


def test_stripe_generates_the_same_signature() -> None:
    """stripe-python's own test helper computes the same HMAC over "<t>.<body>"."""
    payload = '{\n  "id": "evt_1"\n}'
    expected = stripe.WebhookSignature._compute_signature(f"1700000000.{payload}", SECRET)
    assert compute_signature(payload.encode(), SECRET, 1700000000) == expected


def test_the_stripe_package_accepts_a_signed_delivery(body: bytes) -> None:
    header = sign_payload(body, SECRET)
    event = stripe.Webhook.construct_event(body, header, SECRET)
    assert event.id == json.loads(body)["id"]
    assert event.type == "customer.created"


def test_the_stripe_package_accepts_a_delivery_signed_just_inside_the_tolerance(
        body: bytes) -> None:
    header = sign_payload(body, SECRET, timestamp=int(time.time()) - 290)
    stripe.Webhook.construct_event(body, header, SECRET)


def test_the_stripe_package_rejects_a_changed_byte(body: bytes) -> None:
    header = sign_payload(body, SECRET)
    changed = body.replace(b'"livemode": false', b'"livemode": true ', 1)
    assert changed != body
    with pytest.raises(stripe.SignatureVerificationError, match="No signatures found matching"):
        stripe.Webhook.construct_event(changed, header, SECRET)


def test_the_stripe_package_rejects_a_reserialized_body(body: bytes) -> None:
    header = sign_payload(body, SECRET)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(json.dumps(json.loads(body)), header, SECRET)


def test_the_stripe_package_rejects_a_wrong_secret(body: bytes) -> None:
    header = sign_payload(body, "whsec_" + "other" * 6)
    with pytest.raises(stripe.SignatureVerificationError, match="No signatures found matching"):
        stripe.Webhook.construct_event(body, header, SECRET)


def test_the_stripe_package_rejects_a_timestamp_older_than_300_seconds(body: bytes) -> None:
    header = sign_payload(body, SECRET, timestamp=int(time.time()) - 301)
    with pytest.raises(stripe.SignatureVerificationError, match="tolerance zone"):
        stripe.Webhook.construct_event(body, header, SECRET)


@pytest.mark.parametrize("kind", ["forged_signature", "wrong_secret", "body_changed",
                                  "stale_timestamp", "missing_header"])
def test_every_tampered_delivery_is_rejected_by_the_stripe_package(body: bytes, kind: str) -> None:
    deliveries = tampered_deliveries(body, SECRET)
    assert set(deliveries) == {"forged_signature", "wrong_secret", "body_changed",
                               "stale_timestamp", "missing_header"}
    sent, headers = deliveries[kind]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(sent, headers.get("Stripe-Signature", ""), SECRET)


def test_a_body_changed_delivery_differs_in_one_meaningful_value(body: bytes) -> None:
    sent, _ = tampered_deliveries(body, SECRET)["body_changed"]
    assert len(sent) == len(body)
    assert json.loads(sent) != json.loads(body)  # still JSON, one livemode flag flipped
    assert sent.count(b'"livemode": true') == 1
