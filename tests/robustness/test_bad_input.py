"""Bad input at the reference app's webhook route: each kind gets a deliberate answer.

What is not a valid Stripe delivery gets a 4xx; what is valid but irrelevant gets a 2xx; nothing
gets a 5xx, and nothing writes to the database (compared row by row).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.reference_app.webhooks import WebhookProcessor

HANDLED = sorted(WebhookProcessor.HANDLERS)


def test_malformed_json_answers_400_and_writes_nothing(rig) -> None:
    before = rig.dump()
    assert rig.send(b'{"id": "evt_1", "type": "invoice.paid", "data": ') == 400
    assert rig.dump() == before


def test_non_utf8_bytes_answer_400_and_write_nothing(rig) -> None:
    before = rig.dump()
    assert rig.send(b'{"id": "evt_\xff\xfe", "type": "invoice.paid"}') == 400
    assert rig.dump() == before


@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
def test_empty_body_answers_400_and_writes_nothing(rig, signed: bool) -> None:
    before = rig.dump()
    assert rig.send(b"", signed=signed) == 400
    assert rig.dump() == before


def test_body_over_one_megabyte_answers_413_and_writes_nothing(rig) -> None:
    payload = copy.deepcopy(rig.event("invoice.paid").payload)
    payload["data"]["object"]["description"] = "x" * (1024 * 1024)
    before = rig.dump()
    assert rig.send_event(payload) == 413
    assert rig.dump() == before


def test_unknown_event_type_is_acknowledged_with_200_and_ignored(rig) -> None:
    payload = copy.deepcopy(rig.event("customer.subscription.created").payload)
    payload["id"] = "evt_unknown_type"
    payload["type"] = "customer.subscription.teleported"
    before = rig.dump()
    assert rig.send_event(payload) == 200
    assert rig.dump() == before


@pytest.mark.parametrize("event_type", ["customer.subscription.created", "invoice.paid",
                                        "checkout.session.completed"])
def test_event_for_a_customer_the_app_does_not_know_answers_200_and_writes_nothing(
        rig, event_type: str) -> None:
    payload = copy.deepcopy(rig.event(event_type).payload)
    payload["id"] = f"evt_stranger_{event_type}"
    payload["data"]["object"]["customer"] = "cus_StrangerNoUser1"
    payload["data"]["object"].pop("client_reference_id", None)
    before = rig.dump()
    assert rig.send_event(payload) == 200
    assert rig.dump() == before


@pytest.mark.parametrize(("event_type", "path"), [
    ("customer.subscription.created", ("customer",)),
    ("customer.subscription.created", ("id",)),
    ("invoice.paid", ("amount_paid",)),
    ("invoice.paid", ("status",)),
    ("checkout.session.completed", ("customer",)),
    ("invoice.paid", None),  # data.object itself
])
def test_object_missing_a_field_it_needs_answers_400_and_writes_nothing(
        rig, event_type: str, path: tuple[str, ...] | None) -> None:
    payload = copy.deepcopy(rig.event(event_type).payload)
    payload["id"] = f"evt_missing_{event_type}_{path}"
    if path is None:
        del payload["data"]["object"]
    else:
        del payload["data"]["object"][path[0]]
    before = rig.dump()
    assert rig.send_event(payload) == 400
    assert rig.dump() == before


@pytest.mark.parametrize("key", ["id", "type", "data"])
def test_event_missing_a_top_level_key_answers_400(rig, key: str) -> None:
    payload = copy.deepcopy(rig.event("invoice.paid").payload)
    del payload[key]
    before = rig.dump()
    assert rig.send_event(payload) == 400
    assert rig.dump() == before


# Properties: whatever arrives, the answer is deliberate and a refusal writes nothing.


@given(body=st.binary(max_size=512))
def test_arbitrary_signed_bytes_never_get_a_5xx_or_a_write(rig, body: bytes) -> None:
    before = rig.dump()
    status = rig.send(body)
    assert 400 <= status < 500 or status == 200
    assert rig.dump() == before


FIELDS = ["id", "customer", "status", "subscription", "parent", "amount_paid",
          "client_reference_id", "items"]
ids = st.none() | st.text(max_size=8)
objects = st.fixed_dictionaries({}, optional={
    "id": ids, "customer": ids, "status": ids, "subscription": ids,
    "client_reference_id": ids, "amount_paid": st.none() | st.integers(0, 10**6),
    "parent": st.none() | st.fixed_dictionaries({}, optional={
        "subscription_details": st.none() | st.fixed_dictionaries(
            {}, optional={"subscription": ids})}),
    "items": st.none() | st.fixed_dictionaries({}, optional={"data": st.just([])}),
})


@given(event_type=st.sampled_from(HANDLED), obj=objects)
def test_signed_events_with_missing_null_or_unknown_fields_never_get_a_5xx_or_a_write(
        rig, event_type: str, obj: dict[str, Any]) -> None:
    """A signed event whose object lacks fields, has them null, or names objects nobody has
    (each field of the JSON type Stripe uses): the app refuses it (4xx) or ignores it (2xx)."""
    before = rig.dump()
    status = rig.send_event({"id": "evt_junk", "object": "event", "type": event_type,
                             "data": {"object": obj}})
    assert status < 500, f"{event_type} with {obj!r} answered {status}"
    assert rig.dump() == before


@given(event_type=st.sampled_from(HANDLED), obj=st.dictionaries(
    st.sampled_from(FIELDS), st.booleans() | st.integers() | st.text(max_size=3)
    | st.lists(st.none(), max_size=1)
    | st.dictionaries(st.text(max_size=3), st.none(), max_size=1), min_size=1, max_size=4))
def test_signed_events_with_wrongly_typed_fields_never_get_a_5xx_or_a_write(
        rig, event_type: str, obj: dict[str, Any]) -> None:
    before = rig.dump()
    status = rig.send_event({"id": "evt_typed", "object": "event", "type": event_type,
                             "data": {"object": obj}})
    assert status < 500, f"{event_type} with {obj!r} answered {status}"
    assert rig.dump() == before


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.append((*prefix, k))
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out.append((*prefix, i))
            out.extend(_paths(v, (*prefix, i)))
    return out


@given(data=st.data())
def test_a_real_event_missing_any_field_is_refused_whole_or_applied_whole(
        make_rig, data: st.DataObject) -> None:
    """Remove any one field from a real event's object: 4xx with nothing written, or 2xx."""
    rig = make_rig()
    event = data.draw(st.sampled_from([e for e in rig.events if e.type in HANDLED]))
    payload = copy.deepcopy(event.payload)
    path = data.draw(st.sampled_from(_paths(payload["data"]["object"])))
    holder = payload["data"]["object"]
    for key in path[:-1]:
        holder = holder[key]
    del holder[path[-1]]
    before = rig.dump()
    status = rig.send_event(payload)
    assert status < 500, f"{event.type} without {'.'.join(map(str, path))} answered {status}"
    if status >= 400:
        assert rig.dump() == before
    rig.target.close()
