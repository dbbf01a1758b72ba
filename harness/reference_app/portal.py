"""Portal-session route logic: send the signed-in user to the Stripe Customer Portal.

Takes the signed-in user id and the request's fields, gives a `Reply`: 303 to the session url,
or 401 / 404 / 400 / 502. The customer and the return url always come from the server side.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import stripe

from .db import Database, User
from .reply import Reply
from .settings import AppSettings

# Deep links into the portal (docs.stripe.com/customer-management/portal-deep-links).
FLOWS = frozenset(
    {
        "payment_method_update",
        "subscription_cancel",
        "subscription_update",
        "subscription_update_confirm",
    }
)


class PortalError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class PortalRoute:
    """Creates a billing portal session for the signed-in user's own Stripe customer."""

    def __init__(self, settings: AppSettings, db: Database, client: stripe.StripeClient) -> None:
        self.settings = settings
        self.db = db
        self.client = client

    def handle(self, user_id: str | None, fields: Mapping[str, str]) -> Reply:
        try:
            session = self.client.v1.billing_portal.sessions.create(
                self.session_params(user_id, fields)
            )
        except PortalError as exc:
            return Reply(exc.status, exc.message)
        except stripe.StripeError as exc:
            return self.stripe_error_reply(exc)
        return Reply(303, "to the customer portal", location=session.url)

    def refuse_anonymous(self, user_id: str | None) -> Reply | None:
        """401 before anything else is read, when no signed-in user is asking."""
        try:
            self.signed_in_user(user_id)
        except PortalError as exc:
            return Reply(exc.status, exc.message)
        return None

    def stripe_error_reply(self, exc: stripe.StripeError) -> Reply:
        """Stripe refused (4xx: say so) or failed (502: try again later); never a crash."""
        if isinstance(exc, stripe.InvalidRequestError):
            reason = exc.user_message or exc.code or "invalid request"
            return Reply(400, f"Stripe refused the portal session: {reason}")
        return Reply(502, "Stripe is unavailable, try again")

    def session_params(self, user_id: str | None, fields: Mapping[str, str]) -> dict[str, Any]:
        user = self.signed_in_user(user_id)
        customer = self.customer_for(user, fields)
        params: dict[str, Any] = {"customer": customer, "return_url": self.return_url(fields)}
        if self.settings.portal_configuration:
            params["configuration"] = self.settings.portal_configuration
        flow_data = self.flow_data(customer, fields)
        if flow_data is not None:
            params["flow_data"] = flow_data
        return params

    def signed_in_user(self, user_id: str | None) -> User:
        with self.db.reading() as db:
            user = db.user(user_id) if user_id else None
        if user is None:
            raise PortalError(401, "sign in first")
        return user

    def customer_for(self, user: User, fields: Mapping[str, str]) -> str:
        """The user's own customer; nothing in the request can choose another one."""
        if user.stripe_customer_id is None:
            raise PortalError(404, "no billing account yet")
        return user.stripe_customer_id

    def return_url(self, fields: Mapping[str, str]) -> str:
        # Fixed on the server: a return_url from the request would be an open redirect.
        return self.settings.portal_return_url

    def flow_data(self, customer: str, fields: Mapping[str, str]) -> dict[str, Any] | None:
        flow = fields.get("flow")
        if not flow:
            return None
        if flow not in FLOWS:
            raise PortalError(400, f"unknown flow {flow!r}")
        if flow == "payment_method_update":
            return {"type": flow}
        subscription = fields.get("subscription")
        if not subscription:
            raise PortalError(400, f"flow {flow} needs a subscription")
        if not self.owns_subscription(customer, subscription):
            raise PortalError(404, "no such subscription")
        details: dict[str, Any] = {"subscription": subscription}
        if flow == "subscription_update_confirm":
            details["items"] = [{"id": self.item_id(subscription), "price": self.price(fields)}]
        return {"type": flow, flow: details}

    def owns_subscription(self, customer: str, subscription_id: str) -> bool:
        with self.db.reading() as db:
            row = db.subscription(subscription_id)
        return row is not None and row.stripe_customer_id == customer

    def price(self, fields: Mapping[str, str]) -> str:
        price = fields.get("price")
        if not price:
            raise PortalError(400, "flow subscription_update_confirm needs a price")
        if price not in self.settings.price_plans:
            raise PortalError(400, f"unknown price {price!r}")
        return price

    def item_id(self, subscription_id: str) -> str:
        # Stripe allows one item here ("subscriptions with multiple items are not updatable").
        subscription = self.client.v1.subscriptions.retrieve(subscription_id)
        return subscription["items"]["data"][0]["id"]
