"""A second app over HTTP: examples/python-app, started from its own target file. The customer
subscribes on the Checkout page, opens the portal from a button posting to the app's route,
acts there, and comes back to the app's billing page, which shows the new plan; the app's
SQLite database is compared with Stripe's truth after each journey."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.http]


def subscribe_on_checkout(shop, page, customer: str, price: str) -> None:
    session = shop.fake.stripe_client().v1.checkout.sessions.create({
        "mode": "subscription", "customer": customer, "line_items": [{"price": price}],
        "success_url": f"{shop.app_url}/dashboard/billing"})
    page.context.set_extra_http_headers({"X-User-Id": shop.users[customer]})
    page.goto(session.url)
    page.get_by_label("Card number").fill("4242424242424242")
    page.get_by_label("Expiration (MM/YY)").fill("12/34")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_url(f"{shop.app_url}/dashboard/billing")


def back_in_the_app(page, shop) -> str:
    page.get_by_role("link", name="Return to 127.0.0.1").click()
    page.wait_for_url(f"{shop.app_url}/dashboard/billing")
    return page.get_by_text("Current plan:").inner_text()


def test_checkout_then_upgrade_in_the_portal(page, python_shop):
    shop = python_shop
    alice = shop.customer("alice")
    subscribe_on_checkout(shop, page, alice, "price_basic_monthly")
    assert page.get_by_text("Current plan: basic").is_visible()
    shop.assert_in_sync(alice)
    shop.open_portal(page, alice)
    page.get_by_role("link", name="Update subscription").click()
    page.get_by_role("link", name=re.compile(r"Select Enterprise, \$[0-9.]+ per month")).click()
    page.get_by_role("button", name="Confirm").click()
    page.get_by_text("Your plan was updated.").wait_for()
    shop.assert_in_sync(alice)
    assert back_in_the_app(page, shop) == "Current plan: enterprise"


def test_cancel_renew_and_a_new_card(page, python_shop):
    shop = python_shop
    alice = shop.subscribed("alice", "price_pro_monthly")
    shop.open_portal(page, alice)
    assert page.get_by_role("link", name="Pause subscription").count() == 0  # basil
    page.get_by_role("link", name="Cancel subscription").click()
    page.get_by_label("I'm switching to a different service").check()
    page.get_by_role("button", name="Cancel subscription").click()
    page.get_by_text("will be canceled at the end of the billing period").wait_for()
    shop.assert_in_sync(alice)
    page.get_by_role("button", name="Renew subscription").click()
    page.get_by_text("will no longer be canceled").wait_for()
    shop.assert_in_sync(alice)
    page.get_by_role("link", name="Update payment method").click()
    page.get_by_label("Card number").fill("4000 0025 0000 3155")
    page.get_by_label("Expiration (MM/YY)").fill("12/34")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Save card").click()
    page.get_by_role("button", name="Complete authentication").click()
    page.get_by_text("Your payment method was updated.").wait_for()
    shop.assert_in_sync(alice)
    assert back_in_the_app(page, shop) == "Current plan: pro"


def test_a_declined_checkout_leaves_the_app_on_free(page, python_shop):
    shop = python_shop
    alice = shop.customer("alice")
    session = shop.fake.stripe_client().v1.checkout.sessions.create({
        "mode": "subscription", "customer": alice,
        "line_items": [{"price": "price_pro_monthly"}],
        "success_url": f"{shop.app_url}/dashboard/billing"})
    page.goto(session.url)
    page.get_by_label("Card number").fill("4000000000000002")
    page.get_by_label("Expiration (MM/YY)").fill("12/34")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Subscribe").click()
    assert page.get_by_role("alert").inner_text() == "Your card was declined."
    shop.assert_in_sync(alice)
