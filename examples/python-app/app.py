"""Example SaaS billing backend: Stripe Customer Portal + subscription webhooks.

Standard library only (http.server, sqlite3) plus the official ``stripe`` package.

Routes
  GET  /healthz                 liveness
  POST /api/billing/portal      signed-in user -> 303 to a Stripe portal session
  POST /api/webhooks/stripe     Stripe webhooks (signature checked over the raw body)
  GET  /dashboard/billing       where the portal sends the customer back
  POST /__test/users            test only: create a user linked to a Stripe customer
  GET  /__test/state            test only: what the app believes about one customer (JSON)
  POST /__test/reset            test only: delete every user, subscription, invoice and event

Environment
  PORT, HOST, DB_PATH, APP_URL, STRIPE_API_BASE, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET,
  STRIPE_PORTAL_CONFIGURATION (optional), PLAN_PRICES (optional JSON), APP_ENV, BUG

Flaw switches (env BUG, comma separated), for demonstrating what the harness catches:
  period_top_level   read subscription["current_period_end"], as code written before API
                     2025-03-31.basil does; basil moved it to items.data[].current_period_end,
                     so every subscription event fails with KeyError and is answered 500
  cancel_flag_only   treat only cancel_at_period_end as "cancellation scheduled"; in flexible
                     billing mode (the default for new subscriptions from 2025-09-30.clover)
                     Stripe leaves it false and sets cancel_at instead
"""

from __future__ import annotations

import contextlib
import html
import json
import logging
import os
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import stripe

STRIPE_API_VERSION = "2025-03-31.basil"
KNOWN_BUGS = ("period_top_level", "cancel_flag_only")
ENDED_STATUSES = ("canceled", "incomplete_expired")  # no longer grant access
DEFAULT_PLAN_PRICES = {  # lowest plan first
    "basic": ["price_basic_monthly"],
    "pro": ["price_pro_monthly", "price_pro_annual"],
    "enterprise": ["price_enterprise_monthly"],
}
MAX_BODY = 1024 * 1024

log = logging.getLogger("python-app")

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY,
  email TEXT,
  stripe_customer_id TEXT UNIQUE,
  plan TEXT NOT NULL DEFAULT 'free'
);
CREATE TABLE IF NOT EXISTS subscriptions (
  stripe_subscription_id TEXT PRIMARY KEY,
  stripe_customer_id TEXT NOT NULL,
  status TEXT NOT NULL,
  stripe_price_id TEXT,
  current_period_end INTEGER,
  cancel_at_period_end INTEGER NOT NULL DEFAULT 0,
  cancel_at INTEGER,
  paused INTEGER NOT NULL DEFAULT 0,
  collection_paused INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS subscriptions_customer ON subscriptions (stripe_customer_id);
CREATE TABLE IF NOT EXISTS invoices (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  stripe_invoice_id TEXT NOT NULL UNIQUE,
  stripe_customer_id TEXT,
  stripe_subscription_id TEXT,
  amount_paid INTEGER,
  status TEXT NOT NULL,
  paid_at INTEGER
);
CREATE TABLE IF NOT EXISTS webhook_events (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  processed_at INTEGER NOT NULL
);
"""

UPSERT_SUBSCRIPTION = """
INSERT INTO subscriptions (stripe_subscription_id, stripe_customer_id, status, stripe_price_id,
    current_period_end, cancel_at_period_end, cancel_at, paused, collection_paused, updated_at)
VALUES (:id, :customer, :status, :price_id, :current_period_end, :cancel_at_period_end,
    :cancel_at, :paused, :collection_paused, :updated_at)
ON CONFLICT (stripe_subscription_id) DO UPDATE SET
    stripe_customer_id = excluded.stripe_customer_id, status = excluded.status,
    stripe_price_id = excluded.stripe_price_id, current_period_end = excluded.current_period_end,
    cancel_at_period_end = excluded.cancel_at_period_end, cancel_at = excluded.cancel_at,
    paused = excluded.paused, collection_paused = excluded.collection_paused,
    updated_at = excluded.updated_at
"""


class Config:
    def __init__(self, env: dict[str, str]) -> None:
        self.port = int(env.get("PORT", "8302"))
        self.host = env.get("HOST", "127.0.0.1")
        self.db_path = os.path.abspath(env.get("DB_PATH", "app.db"))
        self.app_url = env.get("APP_URL", f"http://127.0.0.1:{self.port}").rstrip("/")
        self.return_url = f"{self.app_url}/dashboard/billing"
        self.test_routes = env.get("APP_ENV", "development") != "production"
        self.webhook_secret = _required(env, "STRIPE_WEBHOOK_SECRET")
        self.secret_key = _required(env, "STRIPE_SECRET_KEY")
        self.api_base = env.get("STRIPE_API_BASE") or None
        self.portal_configuration = env.get("STRIPE_PORTAL_CONFIGURATION") or None
        plan_prices = (
            json.loads(env["PLAN_PRICES"]) if env.get("PLAN_PRICES") else DEFAULT_PLAN_PRICES
        )
        self.plan_rank = list(plan_prices)  # index = rank
        self.plan_by_price = {p: plan for plan, prices in plan_prices.items() for p in prices}
        self.bugs = {b.strip() for b in env.get("BUG", "").split(",") if b.strip()}
        unknown = self.bugs - set(KNOWN_BUGS)
        if unknown:
            sys.exit(f"unknown BUG={','.join(sorted(unknown))}; known: {', '.join(KNOWN_BUGS)}")


def _required(env: dict[str, str], name: str) -> str:
    value = env.get(name)
    if not value:
        sys.exit(f"missing environment variable {name}")
    return value


class BillingApp:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.stripe = stripe.StripeClient(
            config.secret_key,
            base_addresses={"api": config.api_base} if config.api_base else None,
            stripe_version=STRIPE_API_VERSION,
            max_network_retries=1,
        )
        os.makedirs(os.path.dirname(config.db_path), exist_ok=True)
        with contextlib.closing(sqlite3.connect(config.db_path, timeout=30)) as conn:
            # Write-ahead log: readers (the dashboard, a test reading the file) never block the
            # webhook writer, and a commit appends to the log instead of rewriting pages.
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)  # executescript manages its own transaction
        # Webhooks for one subscription are handled one at a time, so a slow API fetch
        # for an earlier delivery never overwrites what a later delivery fetched.
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    # ------------------------------------------------------------ database

    @contextlib.contextmanager
    def db(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        """A connection whose block is one transaction (committed on success)."""
        conn = sqlite3.connect(self.config.db_path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA synchronous=NORMAL")  # the usual setting with WAL: durable enough
        conn.row_factory = sqlite3.Row
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

    def _lock_for(self, key: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(key, threading.Lock())

    # ------------------------------------------------------------ billing logic

    def subscription_row(self, sub: dict[str, Any]) -> dict[str, Any]:
        """Subscription object (API 2025-03-31.basil or later) -> database row."""
        items = (sub.get("items") or {}).get("data") or []
        item = items[0] if items else {}
        if "period_top_level" in self.config.bugs:
            period_end = sub["current_period_end"]  # gone since basil: KeyError
        else:
            period_end = item.get("current_period_end")
        # "A cancellation is scheduled": classic billing mode sets cancel_at_period_end,
        # flexible mode sets only cancel_at. Once the subscription has ended, nothing is pending.
        if "cancel_flag_only" in self.config.bugs:
            cancel_scheduled = bool(sub.get("cancel_at_period_end"))
        else:
            cancel_scheduled = (
                bool(sub.get("cancel_at_period_end")) or sub.get("cancel_at") is not None
            )
        cancel_scheduled = cancel_scheduled and sub["status"] not in ENDED_STATUSES
        return {
            "id": sub["id"],
            "customer": _id_of(sub.get("customer")),
            "status": sub["status"],
            "price_id": (item.get("price") or {}).get("id"),
            "current_period_end": period_end,
            "cancel_at_period_end": int(cancel_scheduled),
            "cancel_at": sub.get("cancel_at"),
            "paused": int(sub["status"] == "paused"),
            "collection_paused": int(sub.get("pause_collection") is not None),
            "updated_at": int(time.time()),
        }

    def plan_for(self, conn: sqlite3.Connection, customer_id: str) -> str:
        """The highest plan among the customer's subscriptions that have not ended."""
        rows = conn.execute(
            "SELECT stripe_price_id FROM subscriptions WHERE stripe_customer_id = ?"
            f" AND status NOT IN ({', '.join('?' for _ in ENDED_STATUSES)})",
            (customer_id, *ENDED_STATUSES),
        ).fetchall()
        ranks = [
            self.config.plan_rank.index(self.config.plan_by_price[r["stripe_price_id"]])
            for r in rows
            if r["stripe_price_id"] in self.config.plan_by_price
        ]
        return self.config.plan_rank[max(ranks)] if ranks else "free"

    def refresh_plan(self, conn: sqlite3.Connection, customer_id: str | None) -> None:
        if customer_id:
            conn.execute(
                "UPDATE users SET plan = ? WHERE stripe_customer_id = ?",
                (self.plan_for(conn, customer_id), customer_id),
            )

    @staticmethod
    def already_processed(conn: sqlite3.Connection, event_id: str) -> bool:
        return (
            conn.execute("SELECT 1 FROM webhook_events WHERE id = ?", (event_id,)).fetchone()
            is not None
        )

    @staticmethod
    def mark_processed(conn: sqlite3.Connection, event: dict[str, Any]) -> None:
        conn.execute(
            "INSERT OR IGNORE INTO webhook_events (id, type, processed_at) VALUES (?, ?, ?)",
            (event["id"], event["type"], int(time.time())),
        )

    def _seen(self, event_id: str) -> bool:
        with self.db(write=False) as conn:
            return self.already_processed(conn, event_id)

    def current_subscription(self, event: dict[str, Any]) -> dict[str, Any]:
        snapshot = event["data"]["object"]
        try:
            return self.stripe.v1.subscriptions.retrieve(snapshot["id"]).to_dict()
        except stripe.InvalidRequestError as exc:
            # A deleted (canceled) subscription is final, so its snapshot cannot be stale.
            if event["type"] == "customer.subscription.deleted" and exc.http_status == 404:
                return snapshot
            raise

    def handle_event(self, event: dict[str, Any]) -> str:
        if self._seen(event["id"]):
            return "duplicate"
        etype = event["type"]
        obj = event["data"]["object"]

        if etype.startswith("customer.subscription."):
            with self._lock_for(obj["id"]):
                if self._seen(event["id"]):
                    return "duplicate"
                # Events arrive late and out of order: fetch the current subscription
                # instead of trusting the snapshot in the event.
                sub = self.current_subscription(event)
                row = self.subscription_row(sub)
                with self.db() as conn:
                    conn.execute(UPSERT_SUBSCRIPTION, row)
                    self.refresh_plan(conn, row["customer"])
                    self.mark_processed(conn, event)
                return f"subscription {row['id']} {row['status']}"

        if etype in ("invoice.paid", "invoice.payment_succeeded"):
            # basil moved invoice.subscription to invoice.parent.subscription_details.subscription
            details = (obj.get("parent") or {}).get("subscription_details") or {}
            with self.db() as conn:
                conn.execute(
                    """INSERT OR IGNORE INTO invoices (stripe_invoice_id, stripe_customer_id,
                           stripe_subscription_id, amount_paid, status, paid_at)
                       VALUES (?, ?, ?, ?, 'paid', ?)""",
                    (
                        obj["id"],
                        _id_of(obj.get("customer")),
                        _id_of(details.get("subscription")),
                        obj.get("amount_paid"),
                        (obj.get("status_transitions") or {}).get("paid_at"),
                    ),
                )
                self.mark_processed(conn, event)
            return f"invoice {obj['id']} paid"

        with self.db() as conn:
            self.mark_processed(conn, event)
        return "ignored"

    def seed_user(self, body: dict[str, Any]) -> dict[str, Any]:
        customer_id = body.get("stripe_customer_id") or None
        with self.db() as conn:
            conn.execute(
                """INSERT INTO users (id, email, stripe_customer_id) VALUES (?, ?, ?)
                   ON CONFLICT (id) DO UPDATE SET email = excluded.email,
                       stripe_customer_id = excluded.stripe_customer_id""",
                (body["id"], body.get("email"), customer_id),
            )
            self.refresh_plan(conn, customer_id)
            return dict(conn.execute("SELECT * FROM users WHERE id = ?", (body["id"],)).fetchone())

    def state(self, customer_id: str) -> dict[str, Any] | None:
        with self.db(write=False) as conn:
            user = conn.execute(
                "SELECT plan FROM users WHERE stripe_customer_id = ?", (customer_id,)
            ).fetchone()
            if user is None:
                return None
            subs = conn.execute(
                "SELECT * FROM subscriptions WHERE stripe_customer_id = ?"
                " ORDER BY stripe_subscription_id",
                (customer_id,),
            ).fetchall()
            invoices = conn.execute(
                "SELECT stripe_invoice_id FROM invoices"
                " WHERE stripe_customer_id = ? AND status = 'paid' ORDER BY id",
                (customer_id,),
            ).fetchall()
        return {
            "plan": user["plan"],
            "subscriptions": {
                s["stripe_subscription_id"]: {
                    "status": s["status"],
                    "price_id": s["stripe_price_id"],
                    "current_period_end": s["current_period_end"],
                    "cancel_at_period_end": bool(s["cancel_at_period_end"]),
                    "paused": bool(s["paused"]),
                    "collection_paused": bool(s["collection_paused"]),
                }
                for s in subs
            },
            "paid_invoices": [r["stripe_invoice_id"] for r in invoices],
        }

    def reset(self) -> None:
        """Test only: forget every user, subscription, invoice and processed event."""
        with self.db() as conn:
            for table in ("webhook_events", "invoices", "subscriptions", "users"):
                conn.execute(f"DELETE FROM {table}")

    def user(self, user_id: str | None) -> sqlite3.Row | None:
        if not user_id:
            return None
        with self.db(write=False) as conn:
            return conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()


def _id_of(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("id")
    return value


class Handler(BaseHTTPRequestHandler):
    app: BillingApp  # set on the subclass made by serve()
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes; with Nagle's algorithm on, the second waits for
    # the client's delayed ACK (about 40 ms on Linux) on every keep-alive response.
    disable_nagle_algorithm = True

    # ------------------------------------------------------------ plumbing

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: Any = b"", headers: dict[str, str] | None = None) -> None:
        if isinstance(body, (dict, list)):
            payload, ctype = json.dumps(body).encode(), "application/json"
        elif isinstance(body, str):
            payload, ctype = body.encode(), "text/plain; charset=utf-8"
        else:
            payload, ctype = body, "text/plain; charset=utf-8"
        headers = {"Content-Type": ctype, **(headers or {})}
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _current_user(self) -> sqlite3.Row | None:
        # Stand-in for the app's session auth: the signed-in user's id in a header.
        return self.app.user(self.headers.get("X-User-Id"))

    # ------------------------------------------------------------ routes

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/healthz":
            return self._send(200, {"status": "ok"})
        if url.path == "/dashboard/billing":
            user = self._current_user()
            plan = user["plan"] if user else "unknown (not signed in)"
            page = (
                "<!doctype html><title>Billing</title><h1>Billing</h1>"
                f"<p>Current plan: {html.escape(plan)}</p>"
            )
            return self._send(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"})
        if url.path == "/__test/state" and self.app.config.test_routes:
            customer_id = (parse_qs(url.query).get("customer_id") or [""])[0]
            if not customer_id:
                return self._send(400, {"error": "customer_id is required"})
            state = self.app.state(customer_id)
            if state is None:
                return self._send(404, {"error": f"no user with customer {customer_id}"})
            return self._send(200, state)
        return self._send(404, {"error": "not found"})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        try:
            raw = self._body()
        except ValueError:
            self.close_connection = True
            return self._send(413, {"error": "body too large"})
        if path == "/api/webhooks/stripe":
            return self._webhook(raw)
        if path == "/api/billing/portal":
            return self._portal()
        if path == "/__test/users" and self.app.config.test_routes:
            return self._seed(raw)
        if path == "/__test/reset" and self.app.config.test_routes:
            self.app.reset()
            return self._send(HTTPStatus.NO_CONTENT)
        return self._send(404, {"error": "not found"})

    def _webhook(self, raw: bytes) -> None:
        # Verify over the raw bytes: re-serialised JSON would not match the signature.
        try:
            self.app.stripe.construct_event(
                raw, self.headers.get("Stripe-Signature", ""), self.app.config.webhook_secret
            )
        except (stripe.SignatureVerificationError, ValueError) as exc:
            log.warning("webhook rejected: %s", exc)
            return self._send(400, {"error": f"Webhook signature verification failed: {exc}"})
        event = json.loads(raw)
        try:
            outcome = self.app.handle_event(event)
        except Exception:
            # A 5xx makes Stripe retry the delivery later.
            log.exception("webhook %s %s failed", event.get("id"), event.get("type"))
            return self._send(500, {"error": "processing failed"})
        log.info("webhook %s %s: %s", event["id"], event["type"], outcome)
        return self._send(200, {"received": True, "outcome": outcome})

    def _portal(self) -> None:
        user = self._current_user()
        if user is None:
            return self._send(401, "Unauthorized")
        if not user["stripe_customer_id"]:
            return self._send(404, "No billing account found")
        params: dict[str, Any] = {
            "customer": user["stripe_customer_id"],
            "return_url": self.app.config.return_url,
        }
        if self.app.config.portal_configuration:
            params["configuration"] = self.app.config.portal_configuration
        try:
            session = self.app.stripe.v1.billing_portal.sessions.create(params=params)
        except stripe.StripeError as exc:
            log.error("portal session failed: %s", exc)
            return self._send(502, {"error": "Could not open the billing portal"})
        return self._send(HTTPStatus.SEE_OTHER, b"", {"Location": session.url})

    def _seed(self, raw: bytes) -> None:
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            return self._send(400, {"error": "invalid JSON"})
        if not isinstance(body, dict) or not isinstance(body.get("id"), str) or not body["id"]:
            return self._send(400, {"error": "id is required"})
        return self._send(201, self.app.seed_user(body))


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # listen backlog; the default 5 drops bursts of deliveries


def serve(config: Config) -> None:
    app = BillingApp(config)
    handler = type("BoundHandler", (Handler,), {"app": app})
    server = Server((config.host, config.port), handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    flaws = f" with flaws: {', '.join(sorted(config.bugs))}" if config.bugs else ""
    log.info(
        "python-app listening on http://%s:%d (db %s)%s",
        config.host,
        config.port,
        config.db_path,
        flaws,
    )
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    serve(Config(dict(os.environ)))


if __name__ == "__main__":
    main()
