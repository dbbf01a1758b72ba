"""The app's own checkout route ([checkout] in a target file), called as the harness's user."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .http import fill
from .inprocess import PortalAnswer


def post_checkout(target: Any, user_id: str | None, email: str, customer_id: str, plan: str,
                  price_id: str, *, quantity: int = 1,
                  trial_days: int | None = None) -> PortalAnswer:
    """POST [checkout].url as the signed-in user (anonymously when user_id is None)."""
    spec = target.spec.checkout
    values = {**target.values, "user_id": user_id or "", "email": email,
              "customer_id": customer_id, "plan": plan, "price_id": price_id,
              "quantity": str(quantity),
              "trial_days": "" if trial_days is None else str(trial_days)}
    headers = fill(spec.headers, values) if user_id is not None else {}
    kw: dict[str, Any] = {}
    if spec.json_body is not None:
        kw["json"] = fill(spec.json_body, values)
    elif spec.form is not None:
        kw["data"] = fill(spec.form, values)
    r = target._post(fill(spec.url, values), "[checkout].url", headers=headers, **kw)
    return PortalAnswer(r.status_code, r.headers.get("location"), r.text[:2000])


def asks_for(spec: Any, placeholder: str) -> bool:
    """Whether the [checkout] request passes `{placeholder}` to the app's route."""
    return "{" + placeholder + "}" in repr((spec.url, spec.headers, spec.json_body, spec.form))


def visit_success_url(target: Any, user_id: str, session: Any) -> PortalAnswer | None:
    """GET the session's success_url as the customer's browser does after paying: Stripe
    sends it there with `{CHECKOUT_SESSION_ID}` replaced, and many apps record the purchase
    on that page (retrieving the session) rather than, or as well as, from webhooks. Only an
    address on the app's own host is visited; None when there is none."""
    url = getattr(session, "success_url", None)
    if not url or origin(url) != origin(target.checkout_url):
        return None
    spec = target.spec.checkout
    values = {**target.values, "user_id": user_id}
    r = target._post(url.replace("{CHECKOUT_SESSION_ID}", session.id),
                     "the Checkout session's success_url", method="GET",
                     headers=fill(spec.headers, values))
    return PortalAnswer(r.status_code, r.headers.get("location"), r.text[:2000])


def origin(url: str) -> str:
    """scheme://host[:port] of a url: what "on the app's own host" compares."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
