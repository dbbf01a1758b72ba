"""Rendered objects fit the installed stripe package's typed classes in the version it pins.

For 2026-10-28.endive every key we render must be declared on the stripe class (its MRO's
annotations) and every declared field that is neither Optional nor NotRequired must be rendered,
at every depth: inner classes via `_inner_class_types`, expanded and listed objects via their
`object` name. The objects come from every built-in scenario in both billing modes.
"""

from __future__ import annotations

import typing
from functools import cache
from typing import Any

import pytest
import stripe
from stripe._object_classes import get_object_class

from harness.render import render, render_event
from harness.scenario.catalog import default_catalog
from harness.scenario.discounts import CouponSpec, PromotionCodeSpec
from harness.scenario.files import list_scenarios
from harness.sim import World
from harness.sim.simulator import Simulator
from harness.versions import PINNED_VERSION

# Legacy single-item fields on subscriptions: present in every captured payload (basil and
# older, 2025-2026), undeclared by the typed SDKs (fidelity reference, section 1.2).
UNDECLARED_BUT_REAL = {("Subscription", "plan"), ("Subscription", "quantity")}

CLASSES = {
    "Subscription": stripe.Subscription,
    "SubscriptionItem": stripe.SubscriptionItem,
    "Invoice": stripe.Invoice,
    "InvoiceLineItem": stripe.InvoiceLineItem,
    "InvoiceItem": stripe.InvoiceItem,
    "Customer": stripe.Customer,
    "PaymentMethod": stripe.PaymentMethod,
    "SetupIntent": stripe.SetupIntent,
    "checkout.Session": stripe.checkout.Session,
    "billing_portal.Session": stripe.billing_portal.Session,
    "PaymentIntent": stripe.PaymentIntent,
    "Charge": stripe.Charge,
    "InvoicePayment": stripe.InvoicePayment,
    "SubscriptionSchedule": stripe.SubscriptionSchedule,
    "Discount": stripe.Discount,
    "Coupon": stripe.Coupon,
    "PromotionCode": stripe.PromotionCode,
    "Event": stripe.Event,
}


def declared(cls: type) -> dict[str, Any]:
    """Field annotations over the class's MRO, without ClassVars and private names."""
    fields: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if klass is object:
            continue
        fields.update(getattr(klass, "__annotations__", {}))
    return {k: v for k, v in fields.items()
            if not k.startswith("_") and k != "OBJECT_NAME"
            and typing.get_origin(v) is not typing.ClassVar and "ClassVar" not in str(v)}


def may_be_absent(annotation: Any) -> bool:
    return type(None) in typing.get_args(annotation) or "NotRequired" in str(annotation)


def required(cls: type) -> set[str]:
    return {k for k, v in declared(cls).items() if not may_be_absent(v)}


def inner_classes(cls: type) -> dict[str, type]:
    out: dict[str, type] = {}
    for klass in reversed(cls.__mro__):
        out.update(getattr(klass, "_inner_class_types", None) or {})
    return out


def shape_problems(value: dict[str, Any], cls: type, path: str) -> list[str]:
    """Undeclared and missing keys of `value` against `cls`, recursively."""
    fields = declared(cls)
    if not fields:  # an untyped StripeObject (metadata, previous_attributes): nothing to check
        return []
    problems = [f"{path}.{k}: not declared on {cls.__name__}" for k in value
                if k not in fields and (cls.__name__, k) not in UNDECLARED_BUT_REAL]
    problems += [f"{path}.{k}: required by {cls.__name__} but not rendered"
                 for k in sorted(required(cls) - set(value))
                 if not _upcoming_without_id(value, k)]
    inner = inner_classes(cls)
    for key, child in value.items():
        where, items = f"{path}.{key}", [child]
        if isinstance(child, dict) and child.get("object") == "list":
            where, items = f"{path}.{key}.data[]", child["data"]
        elif isinstance(child, list):
            where, items = f"{path}.{key}[]", child
        for item in items:
            if not isinstance(item, dict):
                continue
            if isinstance(item.get("object"), str):
                problems += shape_problems(item, get_object_class("V1", item["object"]), where)
            elif key in inner:
                problems += shape_problems(item, inner[key], where)
    return problems


@cache
def rendered() -> dict[str, list[dict[str, Any]]]:
    """Every object the simulator renders at the pinned version, by stripe class name."""
    catalog = default_catalog()
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in CLASSES}
    by_object = {"subscription": "Subscription", "invoice": "Invoice",
                 "invoiceitem": "InvoiceItem", "customer": "Customer",
                 "payment_method": "PaymentMethod", "setup_intent": "SetupIntent",
                 "checkout.session": "checkout.Session", "payment_intent": "PaymentIntent",
                 "charge": "Charge", "invoice_payment": "InvoicePayment",
                 "subscription_schedule": "SubscriptionSchedule",
                 "discount": "Discount"}
    for scenario in list_scenarios():
        for mode in ("classic", "flexible"):
            sim = Simulator(scenario, PINNED_VERSION, catalog, billing_mode=mode, seed=5)
            for segment in sim.segments():
                for e in segment.events:
                    event = render_event(e, PINNED_VERSION, catalog)
                    out["Event"].append(event)
                    obj = event["data"]["object"]
                    out[by_object[obj["object"]]].append(obj)
                    if obj["object"] == "subscription":
                        out["SubscriptionItem"] += obj["items"]["data"]
                    if obj["object"] == "invoice":
                        out["InvoiceLineItem"] += obj["lines"]["data"]
    w = World(catalog, PINNED_VERSION, seed=5)
    cust = w.create_customer("a@example.test", "A")
    for flow in (None, {"type": "payment_method_update", "after_completion": None}):
        session = w.create_portal_session(cust.id, return_url="https://app.example.test/",
                                          configuration="bpc_test", flow=flow)
        out["billing_portal.Session"].append(render(session, PINNED_VERSION, catalog))
    for coupon in (CouponSpec(id="TENOFF", amount_off=1000, duration="forever"),
                   CouponSpec(id="HALF", percent_off=50, duration="repeating",
                              duration_in_months=3)):
        out["Coupon"].append(render(w.add_coupon(coupon), PINNED_VERSION, catalog))
    promo = w.add_promotion_code(PromotionCodeSpec(code="HALFOFF", coupon="HALF"))
    out["PromotionCode"].append(render(promo, PINNED_VERSION, catalog))
    return out


def test_the_installed_stripe_package_pins_the_version_we_call_pinned() -> None:
    assert stripe.api_version == PINNED_VERSION


@pytest.mark.parametrize("name", list(CLASSES))
def test_the_simulator_renders_this_class(name: str) -> None:
    assert rendered()[name], f"no {name} rendered by any built-in scenario"


@pytest.mark.parametrize("name", list(CLASSES))
def test_every_rendered_key_is_declared_by_the_pinned_sdk(name: str) -> None:
    fields = declared(CLASSES[name])
    extra = {k for obj in rendered()[name] for k in obj
             if k not in fields and (name, k) not in UNDECLARED_BUT_REAL}
    assert extra == set()


@pytest.mark.parametrize("name", list(CLASSES))
def test_every_required_sdk_field_is_rendered(name: str) -> None:
    need = required(CLASSES[name])
    missing = {k for obj in rendered()[name] for k in need - set(obj)
               if not _upcoming_without_id(obj, k)}
    assert missing == set()


def _upcoming_without_id(obj: dict[str, Any], key: str) -> bool:
    """From clover the SDK types Invoice.id as always present, yet Stripe's event docs say the
    invoice of an invoice.upcoming event "will not have an invoice ID" (FIDELITY.md)."""
    return (key == "id" and obj.get("object") == "invoice"
            and obj.get("billing_reason") == "upcoming")


@pytest.mark.parametrize("name", list(CLASSES))
def test_nested_hashes_fit_the_sdk_inner_classes(name: str) -> None:
    problems: set[str] = set()
    for obj in rendered()[name]:
        problems.update(shape_problems(obj, CLASSES[name], name))
    assert sorted(problems) == []


def test_the_allowlisted_legacy_fields_are_really_undeclared() -> None:
    """If a future SDK declares `plan` or `quantity`, the allowlist should shrink."""
    fields = declared(stripe.Subscription)
    assert {k for _, k in UNDECLARED_BUT_REAL} & set(fields) == set()


def test_the_shape_check_catches_an_undeclared_and_a_missing_field() -> None:
    item = dict(rendered()["SubscriptionItem"][0])
    item["colour"] = "blue"
    del item["created"]
    problems = shape_problems(item, stripe.SubscriptionItem, "item")
    assert "item.colour: not declared on SubscriptionItem" in problems
    assert "item.created: required by SubscriptionItem but not rendered" in problems
