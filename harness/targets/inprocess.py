"""Targets: the app under test, behind one small protocol.

Takes what a case needs (API version, webhook secret, the fake Stripe API, the catalog); gives
deliver(body, headers) -> status, state(customer) -> BillingState dict, seed(customer), and
optionally portal(...). Built in: the reference app in-process (`ReferenceTarget`, ASGI without
sockets) and any app over HTTP (`HttpTarget`, in harness.targets.http).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ..errors import TargetError
from ..scenario.catalog import Catalog


@dataclass
class CaseContext:
    """What a target is told at the start of each case (scenario x version x delivery)."""

    api_version: str
    webhook_secret: str = field(repr=False)
    catalog: Catalog
    fake: Any  # harness.fake_stripe.FakeStripe
    label: str = ""


PORTAL_BODY_LIMIT = 4000  # enough for a JSON answer holding a portal session url


@dataclass
class PortalAnswer:
    status: int
    location: str | None
    body: str = ""


@runtime_checkable
class Target(Protocol):
    name: str

    def start_case(self, ctx: CaseContext) -> None: ...
    def seed(self, user_id: str, email: str, customer_id: str | None) -> None: ...
    def deliver(self, body: bytes, headers: Mapping[str, str]) -> int: ...
    def state(self, customer_id: str) -> dict[str, Any]: ...
    def close(self) -> None: ...


class AsgiClient:
    """Calls an ASGI app from synchronous code, through one event loop in a helper thread.

    Works in a Jupyter kernel (whose own loop is already running) and costs tens of
    microseconds per request, where a socket round trip costs a millisecond.
    """

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="harness-asgi")
        self._thread.start()

    def request(self, app: Any, method: str, path: str, *, headers: Mapping[str, str],
                body: bytes = b"", query: str = "") -> tuple[int, dict[str, str], bytes]:
        fut = asyncio.run_coroutine_threadsafe(
            _call_asgi(app, method, path, query, headers, body), self._loop)
        return fut.result(timeout=60)

    def close(self) -> None:
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)


async def _call_asgi(app: Any, method: str, path: str, query: str,
                     headers: Mapping[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": query.encode(), "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 50000),
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1"))
                    for k, v in {**headers, "content-length": str(len(body))}.items()],
    }
    sent = False
    status = 500
    out_headers: dict[str, str] = {}
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            for k, v in message.get("headers", []):
                out_headers[k.decode("latin-1").lower()] = v.decode("latin-1")
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    try:
        await app(scope, receive, send)
    except Exception as exc:  # an app crash is a 500, as a real server would answer
        return 500, {}, f"{type(exc).__name__}: {exc}".encode()
    return status, out_headers, b"".join(chunks)


@dataclass
class ReferenceTarget:
    """The built-in reference app (or one of its planted-defect mutants), in-process.

    Its Stripe calls go to the fake Stripe API through an in-memory HTTP client. Deliveries call
    its webhook handler with the raw body and the signature header, exactly what its route
    hands over, and portal requests call the function behind its portal route (`asgi=True`
    sends both through the ASGI routes instead, thread hops slower).
    """

    mutant: str | None = None
    asgi: bool = False
    name: str = "reference"
    webhook_path: str = "/webhooks/stripe"
    portal_path: str = "/billing/portal"
    fault_fired: bool = False
    _asgi: AsgiClient | None = field(default=None, repr=False)
    app: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.mutant:
            self.name = f"reference+{self.mutant}"

    def start_case(self, ctx: CaseContext) -> None:
        from .. import reference_app

        settings = reference_app.AppSettings(
            stripe_api_key=ctx.fake.api_key, stripe_api_base=(ctx.fake.url if ctx.fake.running else "http://127.0.0.1:9"),
            webhook_secret=ctx.webhook_secret, api_version=ctx.api_version,
            price_plans=ctx.catalog.price_plans(), plan_order=list(ctx.catalog.plans),
            http_client=ctx.fake.http_client(),
        )
        if self.mutant:
            from .mutants import create_mutant_app

            self.app = create_mutant_app(self.mutant, settings)
        else:
            self.app = reference_app.create_app(settings)
        if self._asgi is None:
            self._asgi = AsgiClient()

    def _request(self, method: str, path: str, headers: Mapping[str, str], body: bytes = b"",
                 query: str = "") -> tuple[int, dict[str, str], bytes]:
        if self.app is None or self._asgi is None:
            raise TargetError("the reference target has no case started")
        return self._asgi.request(self.app, method, path, headers=headers, body=body, query=query)

    def seed(self, user_id: str, email: str, customer_id: str | None) -> None:
        self.app.seed_user(user_id, email, customer_id)

    def deliver(self, body: bytes, headers: Mapping[str, str]) -> int:
        if not self.asgi:
            signature = next((v for k, v in headers.items()
                              if k.lower() == "stripe-signature"), None)
            return self.app.webhooks.handle(body, signature).status
        status, _, _ = self._request("POST", self.webhook_path,
                                     {"content-type": "application/json", **headers}, body)
        return status

    def deliver_with_fault(self, body: bytes, headers: Mapping[str, str], *,
                           fail_at_write: int = 2) -> int:
        """Deliver while the app's database fails at its `fail_at_write`-th write statement
        (a lost connection mid-transaction): a correct app rolls back and answers 5xx."""
        db = self.app.db
        real = db.conn
        db.conn = failing = _FailingConnection(real, fail_at_write)
        try:
            return self.deliver(body, headers)
        finally:
            db.conn = real
            self.fault_fired = failing.fired

    def state(self, customer_id: str) -> dict[str, Any]:
        return self.app.state(customer_id)

    def portal(self, user_id: str | None, *, form: Mapping[str, str] | None = None,
               query: Mapping[str, str] | None = None,
               json: Mapping[str, Any] | None = None) -> PortalAnswer:
        import json as jsonlib
        from urllib.parse import urlencode

        headers = {"content-type": "application/x-www-form-urlencoded"}
        body = urlencode(form or {}).encode()
        if json is not None:
            headers = {"content-type": "application/json"}
            body = jsonlib.dumps(dict(json)).encode()
        if user_id is not None:
            headers["x-user-id"] = user_id
        if not self.asgi and self.app is not None:
            # What the route answers, without ASGI's threads (as deliveries do).
            try:
                reply = self.app.open_portal(user_id, headers["content-type"], body,
                                             query or {})
            except Exception as exc:  # a crash is a 500, as through the server (_call_asgi)
                return PortalAnswer(500, None, f"{type(exc).__name__}: {exc}"[:PORTAL_BODY_LIMIT])
            return PortalAnswer(reply.status_code, reply.headers.get("location"),
                                reply.body.decode("utf-8", "replace")[:PORTAL_BODY_LIMIT])
        status, out, answer = self._request("POST", self.portal_path, headers, body,
                                            urlencode(query or {}))
        return PortalAnswer(status, out.get("location"),
                            answer.decode("utf-8", "replace")[:PORTAL_BODY_LIMIT])

    def close(self) -> None:
        if self._asgi is not None:
            self._asgi.close()
            self._asgi = None


class _FailingConnection:
    """A sqlite3 connection stand-in whose n-th INSERT/UPDATE/DELETE raises, once."""

    def __init__(self, conn: Any, fail_at: int) -> None:
        self._conn = conn
        self._left = fail_at
        self.fired = False

    def execute(self, sql: str, *args: Any) -> Any:
        if sql.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            self._left -= 1
            if self._left == 0:
                import sqlite3

                self.fired = True
                raise sqlite3.OperationalError("disk I/O error (injected by the harness)")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)
