"""The reference app as an ASGI application, plus the Python methods the harness calls.

Takes `AppSettings`, gives a `ReferenceApp`: routes /healthz, /billing/portal, /webhooks/stripe
and the test-only /__test/users and /__test/state, over an in-memory SQLite database.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .db import Database
from .portal import PortalRoute
from .reply import Reply
from .settings import AppSettings
from .webhooks import MAX_BODY_BYTES, WebhookProcessor

MAX_FORM_BYTES = 64 * 1024


class ReferenceApp:
    """A small, correct SaaS billing app. Call it as ASGI, or use its methods directly.

    The database, webhook and portal parts are classes given to the constructor, so a variant
    of the app replaces one small method instead of copying the app.
    """

    def __init__(
        self,
        settings: AppSettings,
        *,
        database: type[Database] = Database,
        webhooks: type[WebhookProcessor] = WebhookProcessor,
        portal: type[PortalRoute] = PortalRoute,
    ) -> None:
        self.settings = settings
        self.db = database()
        self.client = settings.stripe_client()
        self.webhooks = webhooks(settings, self.db, self.client)
        self.portal = portal(settings, self.db, self.client)

    @cached_property
    def starlette(self) -> Starlette:
        """The routes, built on the first request (the harness in-process calls the methods)."""
        return Starlette(
            routes=[
                Route("/healthz", self._healthz, methods=["GET"]),
                Route("/billing/portal", self._portal, methods=["POST"]),
                Route("/webhooks/stripe", self._webhook, methods=["POST"]),
                Route("/__test/users", self._seed_user, methods=["POST"]),
                Route("/__test/state", self._state, methods=["GET"]),
            ]
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.starlette(scope, receive, send)

    # Python API.

    def seed_user(self, id: str, email: str, stripe_customer_id: str | None) -> None:
        """Create or replace a user, as sign-up and checkout would have."""
        with self.db.transaction() as db:
            db.save_user(id, email, stripe_customer_id)

    def state(self, customer_id: str) -> dict[str, Any]:
        """What the app believes about one Stripe customer."""
        with self.db.reading() as db:
            user = db.user_by_customer(customer_id)
            rows = db.subscriptions_of(customer_id)
            invoices = db.paid_invoice_ids(customer_id)
        return {
            "plan": user.plan if user else "free",
            "subscriptions": {
                row.stripe_subscription_id: {
                    "status": row.status,
                    "price_id": row.stripe_price_id,
                    "current_period_end": row.current_period_end,
                    "cancel_at_period_end": row.cancel_at_period_end,
                    "paused": row.paused,
                    "collection_paused": row.collection_paused,
                    "quantity": row.quantity,
                    "cancellation_feedback": row.cancellation_feedback,
                    "coupon": row.coupon,
                }
                for row in rows
            },
            "paid_invoices": invoices,
        }

    def reset(self) -> None:
        """Empty every table."""
        self.db.reset()

    # Routes. Request bodies are read here; the database and Stripe work runs in a thread.

    def _healthz(self, request: Request) -> Response:
        return PlainTextResponse("ok")

    def _state(self, request: Request) -> Response:
        customer_id = request.query_params.get("customer_id")
        if not customer_id:
            return JSONResponse({"error": "customer_id is required"}, status_code=400)
        return JSONResponse(self.state(customer_id))

    async def _seed_user(self, request: Request) -> Response:
        body = await _read_body(request, MAX_FORM_BYTES)
        try:
            data = json.loads(body or b"")
            user = (data["id"], data["email"], data.get("stripe_customer_id"))
        except (ValueError, TypeError, KeyError, RecursionError):
            return JSONResponse({"error": "expected JSON {id, email, stripe_customer_id}"}, 400)
        await run_in_threadpool(self.seed_user, *user)
        return JSONResponse({"id": user[0]}, status_code=201)

    async def _portal(self, request: Request) -> Response:
        # Who is asking comes first: nothing an anonymous request sends is read or parsed.
        user_id = request.headers.get("x-user-id")
        refused = await run_in_threadpool(self.portal.refuse_anonymous, user_id)
        if refused is not None:
            return _response(refused)
        body = await _read_body(request, MAX_FORM_BYTES)
        if body is None:
            return _response(Reply(413, "body too large"))
        return _response(await run_in_threadpool(
            self._portal_reply, user_id, request.headers.get("content-type", ""), body,
            request.query_params))

    def open_portal(self, user_id: str | None, content_type: str, body: bytes,
                    query: Mapping[str, str]) -> Response:
        """What the /billing/portal route answers this request, without ASGI (the harness
        in-process calls this, as it calls the webhook handler)."""
        refused = self.portal.refuse_anonymous(user_id)
        if refused is not None:
            return _response(refused)
        if len(body) > MAX_FORM_BYTES:
            return _response(Reply(413, "body too large"))
        return _response(self._portal_reply(user_id, content_type, body, query))

    def _portal_reply(self, user_id: str | None, content_type: str, body: bytes,
                      query: Mapping[str, str]) -> Reply:
        fields = dict(query)
        parsed = _form_fields(content_type, body)
        if parsed is None:
            return Reply(400, "the body is not form data or a JSON object")
        fields.update(parsed)
        return self.portal.handle(user_id, fields)

    async def _webhook(self, request: Request) -> Response:
        body = await _read_body(request, MAX_BODY_BYTES)
        if body is None:
            return _response(Reply(413, "body too large"))
        signature = request.headers.get("stripe-signature")
        return _response(await run_in_threadpool(self.webhooks.handle, body, signature))


def create_app(settings: AppSettings) -> ReferenceApp:
    return ReferenceApp(settings)


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The raw body, or None when it is longer than limit (checked before and while reading)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _form_fields(content_type: str, body: bytes) -> dict[str, str] | None:
    """String fields of an urlencoded form or of a JSON object; None when the body is neither
    (invalid, not UTF-8, not an object, or nested past what the parser reads)."""
    try:
        if content_type.startswith("application/json"):
            data = json.loads(body) if body.strip() else {}
            if not isinstance(data, dict):
                return None
            return {k: v for k, v in data.items() if isinstance(v, str)}
        return dict(parse_qsl(body.decode("utf-8")))
    except (ValueError, RecursionError):
        return None


def _response(reply: Reply) -> Response:
    if reply.location is not None:
        return RedirectResponse(reply.location, status_code=reply.status)
    return JSONResponse({"message": reply.message}, status_code=reply.status)
