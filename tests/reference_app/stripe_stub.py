"""A stand-in Stripe API on pytest-httpserver, Stripe-shaped objects and signed deliveries.

Takes what a test says Stripe holds now, gives the JSON the app would fetch, plus signed webhook
bodies built like the captured payloads in the Stripe reference (basil and pre-basil shapes).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import re
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
import stripe
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

SECRET = "whsec_test_secret"
BASIL = "2025-03-31.basil"
PRE_BASIL = "2024-06-20"
PERIOD_START = 1_760_000_000
PERIOD_END = PERIOD_START + 30 * 86_400
PRICE_PLANS = {
    "price_basic_monthly": "basic",
    "price_pro_monthly": "pro",
    "price_pro_annual": "pro",
    "price_enterprise_monthly": "enterprise",
}
PLAN_ORDER = ["basic", "pro", "enterprise"]
SESSION_URL = "https://billing.stripe.com/p/session/test_YWNjdF8xTTJKVGtMa2RJd0h1N2l4"

_ids = itertools.count(1)


def new_id(prefix: str) -> str:
    return f"{prefix}_{next(_ids):06d}"


def subscription(
    sub_id: str,
    customer: str,
    price: str = "price_pro_monthly",
    *,
    status: str = "active",
    version: str = BASIL,
    cancel_at_period_end: bool = False,
    cancel_at: int | None = None,
    pause_collection: dict[str, Any] | None = None,
    billing_mode: str = "classic",
    period_end: int = PERIOD_END,
) -> dict[str, Any]:
    item = {
        "id": f"si_{sub_id[4:]}",
        "object": "subscription_item",
        "current_period_end": period_end,
        "current_period_start": PERIOD_START,
        "price": {"id": price, "object": "price", "type": "recurring"},
        "quantity": 1,
        "subscription": sub_id,
    }
    sub: dict[str, Any] = {
        "id": sub_id,
        "object": "subscription",
        "billing_mode": {"type": billing_mode},
        "cancel_at": cancel_at,
        "cancel_at_period_end": cancel_at_period_end,
        "canceled_at": None,
        "customer": customer,
        "items": {"object": "list", "data": [item], "has_more": False, "total_count": 1},
        "livemode": False,
        "pause_collection": pause_collection,
        "status": status,
    }
    if version < "2025-03-31":
        sub["current_period_end"] = period_end
        sub["current_period_start"] = PERIOD_START
    return sub


def invoice(
    customer: str, sub_id: str | None, *, version: str = BASIL, invoice_id: str | None = None
) -> dict[str, Any]:
    inv: dict[str, Any] = {
        "id": invoice_id or new_id("in"),
        "object": "invoice",
        "amount_paid": 2000,
        "billing_reason": "subscription_cycle",
        "customer": customer,
        "status": "paid",
    }
    if version >= "2025-03-31":
        inv["parent"] = {
            "quote_details": None,
            "subscription_details": {"metadata": {}, "subscription": sub_id},
            "type": "subscription_details",
        }
    else:
        inv["subscription"] = sub_id
        inv["paid"] = True
    return inv


def event(event_type: str, obj: dict[str, Any], *, version: str = BASIL) -> dict[str, Any]:
    return {
        "id": new_id("evt"),
        "object": "event",
        "api_version": version,
        "created": int(time.time()),
        "data": {"object": obj, "previous_attributes": {}},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def body_of(evt: dict[str, Any]) -> bytes:
    # Stripe sends pretty-printed JSON; the signature covers exactly these bytes.
    return json.dumps(evt, indent=2).encode()


def sign(body: bytes, secret: str = SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header, computed with the stripe package's own helper."""
    t = int(time.time()) if timestamp is None else timestamp
    v1 = stripe.WebhookSignature._compute_signature(f"{t}.{body.decode()}", secret)
    return f"t={t},v1={v1}"


def sign_bytes(body: bytes, secret: str = SECRET) -> str:
    """The same header for a body that is not text (which stripe's helper cannot take)."""
    t = int(time.time())
    v1 = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={v1}"


@dataclass
class FakeStripe:
    """Serves GET /v1/subscriptions/{id}, GET /v1/subscription_schedules/{id} and
    POST /v1/billing_portal/sessions from memory."""

    server: HTTPServer
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    schedules: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: list[dict[str, str]] = field(default_factory=list)
    fail_with: tuple[int, dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        self.server.expect_request("/v1/billing_portal/sessions", "POST").respond_with_handler(
            self._create_session
        )
        self.server.expect_request(
            re.compile(r"^/v1/subscriptions/[^/]+$"), "GET"
        ).respond_with_handler(self._retrieve_subscription)
        self.server.expect_request(
            re.compile(r"^/v1/subscription_schedules/[^/]+$"), "GET"
        ).respond_with_handler(self._retrieve_schedule)

    @property
    def api_base(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def put(self, sub: dict[str, Any]) -> dict[str, Any]:
        self.subscriptions[sub["id"]] = sub
        return sub

    def _retrieve_subscription(self, request: Request) -> Response:
        if self.fail_with is not None:
            return _json(*self.fail_with)
        sub = self.subscriptions.get(request.path.rsplit("/", 1)[-1])
        if sub is None:
            return _json(404, _error("resource_missing", "No such subscription"))
        return _json(200, sub)

    def _retrieve_schedule(self, request: Request) -> Response:
        sched = self.schedules.get(request.path.rsplit("/", 1)[-1])
        if sched is None:
            return _json(404, _error("resource_missing", "No such subscription_schedule"))
        return _json(200, sched)

    def _create_session(self, request: Request) -> Response:
        if self.fail_with is not None:
            return _json(*self.fail_with)
        params = dict(parse_qsl(request.get_data(as_text=True)))
        self.sessions.append(params)
        if "customer" not in params:
            return _json(400, _error("parameter_missing", "Missing required param: customer."))
        return _json(
            200,
            {
                "id": new_id("bps"),
                "object": "billing_portal.session",
                "configuration": params.get("configuration", "bpc_default"),
                "customer": params.get("customer"),
                "flow": None,
                "livemode": False,
                "return_url": params.get("return_url"),
                "url": SESSION_URL,
            },
        )


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"type": "invalid_request_error", "code": code, "message": message}}


def _json(status: int, payload: dict[str, Any]) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")


class Driver:
    """Talks to an app over ASGI the way Stripe and a browser would."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
                return await client.request(method, path, **kwargs)

        return asyncio.run(send())

    def deliver(
        self, evt: dict[str, Any], *, secret: str = SECRET, timestamp: int | None = None
    ) -> int:
        body = body_of(evt)
        return self.post_webhook(body, sign(body, secret, timestamp))

    def post_webhook(self, body: bytes, signature: str | None) -> int:
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["Stripe-Signature"] = signature
        return self.request("POST", "/webhooks/stripe", content=body, headers=headers).status_code

    def portal(self, user_id: str | None, **fields: str) -> httpx.Response:
        headers = {"X-User-Id": user_id} if user_id else {}
        return self.request("POST", "/billing/portal", data=fields, headers=headers)

    def state(self, customer: str) -> dict[str, Any]:
        return self.app.state(customer)


def fail_once(obj: Any, method: str, error: Exception | None = None) -> None:
    """Make obj.method raise once (a database failure), then behave normally again."""
    original = getattr(obj, method)

    def failing(*args: Any, **kwargs: Any) -> Any:
        setattr(obj, method, original)
        raise error or sqlite3.OperationalError("disk I/O error")

    setattr(obj, method, failing)
