"""The Checkout page with Stripe's test cards, in Chromium: success, decline, authentication."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

SUCCESS = "https://app.example.test/billing?session_id={CHECKOUT_SESSION_ID}"


def checkout_session(shop, customer: str, price: str = "price_pro_monthly"):
    """What the app's "Upgrade" button does: a Checkout session for the signed-in user."""
    return shop.fake.stripe_client().v1.checkout.sessions.create({
        "mode": "subscription", "customer": customer,
        "client_reference_id": shop.users[customer],
        "line_items": [{"price": price, "quantity": 1}],
        "success_url": SUCCESS, "cancel_url": "https://app.example.test/pricing"})


def pay(page, number: str) -> None:
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiration (MM/YY)").fill("12/34")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Subscribe").click()


def test_a_card_that_succeeds_subscribes_and_returns_to_success_url(page, shop):
    alice = shop.customer("alice")
    session = checkout_session(shop, alice)
    assert session.status == "open" and session.url.startswith(shop.fake.url + "/c/pay/")
    page.goto(session.url)
    assert page.get_by_role("heading", name="Subscribe to Pro").is_visible()
    assert page.get_by_label("Price").inner_text() == "$29.00"
    pay(page, "4242 4242 4242 4242")
    page.wait_for_url(SUCCESS.replace("{CHECKOUT_SESSION_ID}", session.id))
    done = shop.fake.stripe_client().v1.checkout.sessions.retrieve(session.id)
    assert done.status == "complete" and done.subscription
    completed = [d for d in shop.pages.deliveries if d.type == "checkout.session.completed"]
    assert [d.object_id for d in completed] == [session.id]
    shop.assert_in_sync(alice)
    assert shop.target.state(alice)["plan"] == "pro"
    # a paid session does not take a second payment
    page.goto(session.url)
    assert page.get_by_role("heading", name="Thanks for subscribing").is_visible()


def test_a_declined_card_creates_nothing(page, shop):
    alice = shop.customer("alice")
    session = checkout_session(shop, alice)
    page.goto(session.url)
    pay(page, "4000000000000002")
    assert page.get_by_role("alert").inner_text() == "Your card was declined."
    assert shop.world.subscriptions_of(alice) == []
    assert shop.pages.deliveries == []
    assert shop.fake.stripe_client().v1.checkout.sessions.retrieve(session.id).status == "open"
    shop.assert_in_sync(alice)
    assert shop.target.state(alice)["plan"] == "free"


def test_authentication_fails_then_passes(page, shop):
    alice = shop.customer("alice")
    session = checkout_session(shop, alice, "price_basic_monthly")
    page.goto(session.url)
    pay(page, "4000002500003155")
    page.get_by_role("heading", name="Authentication required").wait_for()
    page.get_by_role("button", name="Fail authentication").click()
    assert "unable to authenticate" in page.get_by_role("alert").inner_text()
    assert shop.world.subscriptions_of(alice) == []
    pay(page, "4000002500003155")
    page.get_by_role("button", name="Complete authentication").click()
    page.wait_for_url("https://app.example.test/billing?session_id=*")
    shop.assert_in_sync(alice)
    assert shop.target.state(alice)["plan"] == "basic"


@pytest.mark.parametrize("number,message", [
    ("4242 4242 4242 4241", "Your card number is invalid."),
    ("4111111111111111", "non test card"),  # a real-looking number: refused in test mode
])
def test_a_bad_number_is_refused_at_the_form(page, shop, number, message):
    alice = shop.customer("alice")
    page.goto(checkout_session(shop, alice).url)
    pay(page, number)
    assert message in page.get_by_role("alert").inner_text()
    assert shop.world.subscriptions_of(alice) == []


def test_checkout_by_email_creates_the_customer(page, shop):
    session = shop.fake.stripe_client().v1.checkout.sessions.create({
        "mode": "subscription", "customer_email": "carol@example.test",
        "line_items": [{"price": "price_basic_monthly"}], "success_url": SUCCESS})
    page.goto(session.url)
    pay(page, "4242424242424242")
    page.wait_for_url("https://app.example.test/billing?session_id=*")
    types = [d.type for d in shop.pages.deliveries]
    assert types[0] == "customer.created" and "checkout.session.completed" in types
    customer = shop.fake.stripe_client().v1.checkout.sessions.retrieve(session.id).customer
    assert shop.world.customers[customer].email == "carol@example.test"


def test_back_goes_to_cancel_url(page, shop):
    alice = shop.customer("alice")
    page.goto(checkout_session(shop, alice).url)
    page.get_by_role("link", name="Back").click()
    page.wait_for_url("https://app.example.test/pricing")
    assert shop.pages.deliveries == []


def test_a_payment_mode_session_is_not_completed_here(page, shop):
    """The page completes subscription sessions only: a fake that refuses other modes says so
    at creation (param `mode`), one that creates them gets a 501 page, never a payment."""
    import stripe

    client = shop.fake.stripe_client()
    try:
        session = client.v1.checkout.sessions.create({
            "mode": "payment", "line_items": [{"price": "price_basic_monthly"}],
            "success_url": SUCCESS})
    except stripe.InvalidRequestError as refused:
        assert refused.param == "mode"
    else:
        assert page.goto(session.url).status == 501
        assert "subscription" in page.get_by_role("alert").inner_text()
    assert shop.world.subscriptions == {}
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.checkout.sessions.create({"mode": "subscription", "success_url": SUCCESS,
                                            "line_items": [{"price": "price_nope"}]})
    assert refused.value.code == "resource_missing"
