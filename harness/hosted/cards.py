"""Stripe's test card numbers, as the hosted pages read what a customer types.

Takes the digits typed into a card field; gives a `TestCard`: what Stripe does with it (succeed,
decline, ask for authentication first) and the simulator's card it becomes.
https://docs.stripe.com/testing#cards lists the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TestCard:
    number: str
    brand: str
    outcome: str  # "succeeds" | "declined" | "authentication" | "declines_later"
    sim_card: str  # the simulator's card name (harness.sim CARDS)
    decline_code: str | None = None

    __test__ = False  # not a pytest class

    @property
    def last4(self) -> str:
        return self.number[-4:]


TEST_CARDS = {c.number: c for c in (
    TestCard("4242424242424242", "visa", "succeeds", "visa"),
    TestCard("5555555555554444", "mastercard", "succeeds", "mastercard"),
    TestCard("4000000000000002", "visa", "declined", "visa", "generic_decline"),
    TestCard("4000000000009995", "visa", "declined", "visa", "insufficient_funds"),
    # 3D Secure 2, "authentication required on all transactions" (testing#regulatory-cards)
    TestCard("4000002500003155", "visa", "authentication", "visa"),
    TestCard("4000002760003184", "visa", "authentication", "visa"),
    # "attaches to a customer, but charges fail": saved in the portal, declines at renewal
    TestCard("4000000000000341", "visa", "declines_later", "declining"),
)}

DECLINE_MESSAGES = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "authentication_failed": "We are unable to authenticate your payment method. Please "
                             "choose a different payment method and try again.",
}


class CardError(ValueError):
    """What the card form shows under the field."""


def read_card(number: str, expiry: str, cvc: str) -> TestCard:
    """The test card typed, or CardError with the message the form shows."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if not digits:
        raise CardError("Your card number is incomplete.")
    if len(digits) < 13 or not _luhn(digits):
        raise CardError("Your card number is invalid.")
    month, _, year = expiry.replace(" ", "").partition("/")
    if not (month.isdigit() and year.isdigit() and 1 <= int(month) <= 12 and len(year) == 2):
        raise CardError("Your card's expiration date is incomplete.")
    if not (cvc.isdigit() and len(cvc) in (3, 4)):
        raise CardError("Your card's security code is incomplete.")
    card = TEST_CARDS.get(digits)
    if card is None:
        # Stripe refuses real card numbers in test mode.
        raise CardError("Your card was declined. Your request was in test mode, but used a "
                        "non test card. For a list of valid test cards, visit: "
                        "https://stripe.com/docs/testing.")
    return card


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0
