"""Stripe's bracket form encoding, decoded into nested dicts and lists."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from harness.fake_stripe import StripeApiError
from harness.fake_stripe.forms import decode_form


def test_nested_keys_and_indexed_lists_are_decoded() -> None:
    text = urlencode([
        ("customer", "cus_1"),
        ("flow_data[type]", "subscription_update_confirm"),
        ("flow_data[subscription_update_confirm][subscription]", "sub_1"),
        ("flow_data[subscription_update_confirm][items][0][id]", "si_1"),
        ("flow_data[subscription_update_confirm][items][0][price]", "price_2"),
        ("expand[0]", "customer"),
        ("expand[1]", "latest_invoice"),
    ])
    assert decode_form(text) == {
        "customer": "cus_1",
        "flow_data": {
            "type": "subscription_update_confirm",
            "subscription_update_confirm": {
                "subscription": "sub_1", "items": [{"id": "si_1", "price": "price_2"}]},
        },
        "expand": ["customer", "latest_invoice"],
    }


def test_empty_brackets_append() -> None:
    assert decode_form("expand[]=a&expand[]=b") == {"expand": ["a", "b"]}


def test_indices_are_ordered_numerically() -> None:
    text = "&".join(f"x[{i}]=v{i}" for i in (10, 2, 0, 1, 3, 4, 5, 6, 7, 8, 9))
    assert decode_form(text)["x"] == [f"v{i}" for i in range(11)]


def test_empty_values_are_kept() -> None:
    assert decode_form("metadata[plan]=&customer=cus_1") == {"metadata": {"plan": ""},
                                                             "customer": "cus_1"}


@pytest.mark.parametrize("text", ["a=1&a[b]=2", "a[b]=2&a=1"])
def test_a_key_with_both_a_value_and_sub_keys_is_refused(text: str) -> None:
    with pytest.raises(StripeApiError) as caught:
        decode_form(text)
    assert caught.value.status == 400
