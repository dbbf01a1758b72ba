"""Stripe's hosted pages, locally: a customer portal and a Checkout page served by the fake.

Takes a running `FakeStripe` (and the app's webhook, to send events as the customer acts);
gives `HostedPages`, which makes the fake's portal and Checkout session urls open plain HTML
pages a person or a browser test clicks through. Each action calls the World verb a scenario
step calls, so the app receives the same signed events; a journey saves as a scenario file.
"""

from .app import HostedPages
from .cards import TEST_CARDS, TestCard
from .features import CANCELLATION_REASONS, PortalFeatures
from .webhooks import Delivered

__all__ = ["CANCELLATION_REASONS", "TEST_CARDS", "Delivered", "HostedPages", "PortalFeatures",
           "TestCard"]
