"""Every portal flow, clicked through in Chromium against the reference app in process; the
app's database is compared with Stripe's truth after each journey."""

from __future__ import annotations

import re

import pytest

from harness.hosted import PortalFeatures

pytestmark = pytest.mark.browser


def test_switch_plan_shows_the_proration_preview_and_the_app_follows(page, shop):
    alice = shop.subscribed("alice")
    sent = len(shop.pages.deliveries)
    shop.open_portal(page, alice)
    page.get_by_role("link", name="Update subscription").click()
    page.get_by_role("link", name="Select Pro, $29.00 per month").click()
    preview = page.get_by_role("table", name="Proration preview")
    assert "Unused time on Basic" in preview.inner_text()
    assert "Remaining time on Pro" in preview.inner_text()
    assert "Added to your next invoice" in preview.inner_text()
    page.get_by_role("button", name="Confirm").click()
    page.get_by_text("Your plan was updated.").wait_for()
    assert shop.subscription(alice).items[0].price == "price_pro_monthly"
    shop.assert_in_sync(alice)
    assert shop.target.state(alice)["plan"] == "pro"
    types = [d.type for d in shop.pages.deliveries[sent:]]
    assert types.count("invoiceitem.created") == 2  # credit and debit, on the next invoice
    assert "customer.subscription.updated" in types and "invoice.created" not in types


def test_an_interval_change_is_billed_now(page, shop):
    alice = shop.subscribed("alice", "price_pro_monthly")
    shop.open_portal(page, alice)
    page.get_by_role("link", name="Update subscription").click()
    page.get_by_role("link", name=re.compile(r"Select Pro, \$290\.00 per year")).click()
    assert "Amount due today" in page.get_by_role("table", name="Proration preview").inner_text()
    page.get_by_role("button", name="Confirm").click()
    page.get_by_text("Your plan was updated.").wait_for()
    assert "invoice.paid" in [d.type for d in shop.pages.deliveries[-6:]]
    shop.assert_in_sync(alice)


def test_cancel_at_period_end_with_a_reason_then_renew(page, shop):
    alice = shop.subscribed("alice")
    shop.open_portal(page, alice)
    page.get_by_role("link", name="Cancel subscription").click()
    page.get_by_text("still available until the end of your billing period").wait_for()
    page.get_by_label("It's too expensive").check()
    page.get_by_role("button", name="Cancel subscription").click()
    page.get_by_text("will be canceled at the end of the billing period").wait_for()
    sub = shop.subscription(alice)
    assert sub.cancellation_pending and sub.cancellation_feedback == "too_expensive"
    shop.assert_in_sync(alice)
    assert shop.target.state(alice)["subscriptions"][sub.id]["cancel_at_period_end"]
    # the portal offers the undo, and no second cancel or plan change meanwhile
    assert page.get_by_role("link", name="Cancel subscription").count() == 0
    page.get_by_role("button", name="Renew subscription").click()
    page.get_by_text("will no longer be canceled").wait_for()
    assert not shop.subscription(alice).cancellation_pending
    shop.assert_in_sync(alice)


def test_cancel_immediately_when_the_configuration_says_so(page, shop):
    shop.pages.features = PortalFeatures(cancel_mode="immediately",
                                         cancellation_reasons=("unused", "other"))
    alice = shop.subscribed("alice")
    shop.open_portal(page, alice)
    page.get_by_role("link", name="Cancel subscription").click()
    page.get_by_text("Your subscription will be canceled immediately.").wait_for()
    assert page.get_by_role("radio").count() == 2
    page.get_by_label("I don't use the service enough").check()
    page.get_by_role("button", name="Cancel subscription").click()
    page.get_by_text("Your subscription was canceled.").wait_for()
    assert "customer.subscription.deleted" in [d.type for d in shop.pages.deliveries]
    assert page.get_by_text("You have no active subscription.").is_visible()
    shop.assert_in_sync(alice)
    assert shop.target.state(alice)["plan"] == "free"


def test_pause_and_resume(page, shop):
    alice = shop.subscribed("alice")
    shop.open_portal(page, alice)
    page.get_by_role("link", name="Pause subscription").click()
    page.get_by_role("button", name="Pause subscription").click()
    page.get_by_text("Your subscription is paused.").wait_for()
    assert shop.subscription(alice).status == "paused"
    assert "customer.subscription.paused" in [d.type for d in shop.pages.deliveries]
    shop.assert_in_sync(alice)
    page.get_by_role("button", name="Resume subscription").click()
    page.get_by_text("Your subscription was resumed.").wait_for()
    assert shop.subscription(alice).status == "active"
    shop.assert_in_sync(alice)


def test_no_pause_before_the_redesigned_portal(page, basil_shop):
    alice = basil_shop.subscribed("alice")
    basil_shop.open_portal(page, alice)
    page.get_by_role("link", name="Cancel subscription").wait_for()
    assert page.get_by_role("link", name="Pause subscription").count() == 0
    sub = basil_shop.subscription(alice).id
    answer = page.goto(page.url + f"/subscriptions/{sub}/pause")
    assert answer.status == 404


@pytest.mark.parametrize("number,last4", [("4242 4242 4242 4242", "4242"),
                                          ("5555555555554444", "4444")])
def test_update_the_card(page, shop, number, last4):
    alice = shop.subscribed("alice")
    shop.open_portal(page, alice)
    page.get_by_role("link", name="Update payment method").click()
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiration (MM/YY)").fill("12/34")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Save card").click()
    page.get_by_text("Your payment method was updated.").wait_for()
    assert f"•••• {last4}" in page.content()
    assert "setup_intent.succeeded" in [d.type for d in shop.pages.deliveries]
    shop.assert_in_sync(alice)


def test_a_declined_card_changes_nothing_and_authentication_can_fail_or_pass(page, shop):
    alice = shop.subscribed("alice")
    sent = len(shop.pages.deliveries)
    shop.open_portal(page, alice)
    page.get_by_role("link", name="Update payment method").click()

    def type_card(number: str) -> None:
        page.get_by_label("Card number").fill(number)
        page.get_by_label("Expiration (MM/YY)").fill("12/34")
        page.get_by_label("CVC").fill("123")
        page.get_by_role("button", name="Save card").click()

    type_card("4000000000000002")
    assert page.get_by_role("alert").inner_text() == "Your card was declined."
    type_card("4000002500003155")
    page.get_by_role("button", name="Fail authentication").click()
    assert "unable to authenticate" in page.get_by_role("alert").inner_text()
    assert len(shop.pages.deliveries) == sent  # nothing happened at Stripe
    type_card("4000002500003155")
    page.get_by_role("button", name="Complete authentication").click()
    page.get_by_text("Your payment method was updated.").wait_for()
    shop.assert_in_sync(alice)


def test_return_to_the_app(page, shop):
    alice = shop.subscribed("alice")
    shop.open_portal(page, alice)
    page.get_by_role("link", name="Return to app.example.test").click()
    page.wait_for_url("https://app.example.test/billing")
    assert page.get_by_role("heading").inner_text() == "Back in the app"


def test_invoice_history_lists_the_paid_invoice(page, shop):
    alice = shop.subscribed("alice")
    shop.open_portal(page, alice)
    history = page.get_by_role("region", name="Invoice history")
    assert "Paid" in history.inner_text() and "$9.00" in history.inner_text()


def test_a_downgrade_scheduled_at_period_end_waits_for_the_renewal(page, shop):
    from harness.sim.portal_config import load_portal_configuration

    shop.world.portal = load_portal_configuration("schedule_downgrades")
    alice = shop.subscribed("alice", "price_pro_monthly")
    sent = len(shop.pages.deliveries)
    shop.open_portal(page, alice)
    page.get_by_role("link", name="Update subscription").click()
    page.get_by_role("link", name="Select Basic, $9.00 per month").click()
    page.get_by_text("No prorations: the new price applies from your next invoice.").wait_for()
    page.get_by_role("button", name="Confirm").click()
    page.get_by_text("Your plan will change at the end of the billing period.").wait_for()
    sub = shop.subscription(alice)
    assert sub.items[0].price == "price_pro_monthly" and sub.schedule is not None
    assert [d.type for d in shop.pages.deliveries[sent:]] == [
        "subscription_schedule.created", "customer.subscription.updated"]
    shop.assert_in_sync(alice)
    assert shop.target.state(alice)["plan"] == "pro"
