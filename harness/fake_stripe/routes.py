"""The routing table of the fake Stripe: (method, path pattern, handler), read top to bottom.

Stripe's own endpoints live under /v1 and need the API key; the harness's control routes live
under /_harness and need none. To serve another endpoint, add a `Route` here (or call
`FakeStripe.add_route` on one instance).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from . import handlers, portal
from .handlers import Call, Handler

CONTROL_PREFIX = "/_harness/"


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler

    @classmethod
    def of(cls, method: str, pattern: str, handler: Handler) -> Route:
        return cls(method.upper(), re.compile(pattern), handler)

    def match(self, method: str, path: str) -> re.Match[str] | None:
        return self.pattern.fullmatch(path) if method == self.method else None

    def describe(self) -> str:
        return f"{self.method} {self.pattern.pattern}"


def health(call: Call) -> dict[str, Any]:
    """GET /_harness/health: the fake is up; shows the World's clock and account version."""
    return {"ok": True, "api_version": call.world.api_version, "now": call.world.now,
            "requests": len(call.fake.requests)}


_ID = r"(?P<id>[^/]+)"

ROUTES: tuple[Route, ...] = (
    Route.of("POST", r"/v1/billing_portal/sessions", portal.create_portal_session),
    Route.of("GET", r"/v1/subscriptions", handlers.list_subscriptions),
    Route.of("GET", rf"/v1/subscriptions/{_ID}",
             handlers.retrieve("subscriptions", "subscription")),
    Route.of("GET", r"/v1/invoices", handlers.list_invoices),
    Route.of("GET", rf"/v1/invoices/{_ID}", handlers.retrieve("invoices", "invoice")),
    Route.of("GET", rf"/v1/customers/{_ID}", handlers.retrieve("customers", "customer")),
    Route.of("GET", rf"/v1/payment_methods/{_ID}",
             handlers.retrieve("payment_methods", "PaymentMethod")),
    Route.of("GET", rf"/v1/invoiceitems/{_ID}",
             handlers.retrieve("invoice_items", "invoiceitem")),
    Route.of("GET", rf"/v1/checkout/sessions/{_ID}",
             handlers.retrieve("checkout_sessions", "checkout.session")),
    Route.of("GET", rf"/v1/setup_intents/{_ID}",
             handlers.retrieve("setup_intents", "setupintent")),
    Route.of("GET", rf"/v1/events/{_ID}", handlers.retrieve_event),
    Route.of("GET", r"/_harness/health", health),
)
