"""Example SaaS that owns its whole Stripe journey: when a user first picks a plan it creates
their Stripe customer and a Checkout session, then keeps subscriptions in sync from webhooks;
the Customer Portal handles changes afterwards.

Standard library (http.server, sqlite3) plus the official ``stripe`` package.

Routes
  GET  /healthz                 liveness
  POST /signup                  {id, email}: a new user (no Stripe customer yet)
  POST /billing/checkout        signed-in user, {plan, seats?, trial_days?}: their Stripe
                                customer (created on the first checkout), then 303 to a new
                                Checkout session
  GET  /billing/success         where Checkout sends the paying user back (?session_id=...):
                                records the subscription at once, before any webhook, then 303
                                to /account
  POST /billing/portal          signed-in user: 303 to a Customer Portal session
  POST /webhooks/stripe         Stripe webhooks (signature checked over the raw body)
  GET  /__test/state            test only: what the app believes about one customer (JSON)
  POST /__test/reset            test only: forget everything

The signed-in user is the X-User-Id header (a stand-in for the app's session cookie).
Environment: PORT, DB_PATH, APP_URL, STRIPE_API_BASE, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET,
PLAN_PRICES (JSON, lowest plan first), BUG.

Flaw switches (env BUG, comma separated), to show what the checkout contract catches:
  payment_mode         sells the plan as a one-off payment (mode=payment)
  email_from_request   no customer on the session; customer_email taken from the request body
  external_success     success_url on another host (a marketing site's thank-you page)
  success_crash        the success page reads the session's subscription without expanding
                       it (a string id), and crashes
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import stripe

API_VERSION = "2025-03-31.basil"
ENDED = ("canceled", "incomplete_expired")
BUGS = set(filter(None, os.environ.get("BUG", "").split(",")))
PLAN_PRICES: dict[str, list[str]] = json.loads(os.environ.get("PLAN_PRICES") or json.dumps(
    {"basic": ["price_basic_monthly"], "pro": ["price_pro_monthly", "price_pro_annual"],
     "enterprise": ["price_enterprise_monthly"]}))
PLAN_OF = {price: plan for plan, prices in PLAN_PRICES.items() for price in prices}
APP_URL = os.environ.get("APP_URL", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}")
WEBHOOK_SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]

client = stripe.StripeClient(
    os.environ["STRIPE_SECRET_KEY"], stripe_version=API_VERSION,
    base_addresses={"api": os.environ.get("STRIPE_API_BASE", "https://api.stripe.com")})

db = sqlite3.connect(os.environ.get("DB_PATH", "checkout-app.db"), isolation_level=None)
db.row_factory = sqlite3.Row
db.executescript("""
CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, email TEXT, customer_id TEXT UNIQUE);
CREATE TABLE IF NOT EXISTS subscriptions (id TEXT PRIMARY KEY, customer_id TEXT, status TEXT,
  price_id TEXT, current_period_end INTEGER, cancel_at_period_end INTEGER,
  collection_paused INTEGER);
CREATE TABLE IF NOT EXISTS invoices (id TEXT PRIMARY KEY, customer_id TEXT, status TEXT);
CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY);
""")


def pending_cancel(sub: dict[str, Any]) -> bool:
    """A cancellation is scheduled: classic mode sets cancel_at_period_end, flexible mode only
    cancel_at; once the subscription has ended nothing is pending any more."""
    if sub["status"] in ENDED:
        return False
    return bool(sub["cancel_at_period_end"] or sub.get("cancel_at"))


def sync_subscription(sub_id: str) -> None:
    """Store the subscription as Stripe has it now, whatever event named it (late events
    cannot undo newer state)."""
    sub = client.v1.subscriptions.retrieve(sub_id).to_dict()
    item = sub["items"]["data"][0]
    db.execute("INSERT OR REPLACE INTO subscriptions VALUES (?, ?, ?, ?, ?, ?, ?)", (
        sub["id"], sub["customer"], sub["status"], item["price"]["id"],
        item["current_period_end"], int(pending_cancel(sub)),
        int(sub.get("pause_collection") is not None)))


def handle(event: dict[str, Any]) -> None:
    obj = event["data"]["object"]
    kind = event["type"]
    if kind.startswith("customer.subscription."):
        sync_subscription(obj["id"])
    elif kind == "checkout.session.completed" and obj.get("subscription"):
        sync_subscription(obj["subscription"])
    elif kind in ("invoice.paid", "invoice.payment_succeeded"):
        inv = client.v1.invoices.retrieve(obj["id"])
        db.execute("INSERT OR REPLACE INTO invoices VALUES (?, ?, ?)",
                   (inv["id"], inv["customer"], inv["status"]))


def state(customer_id: str) -> dict[str, Any]:
    subs = db.execute("SELECT * FROM subscriptions WHERE customer_id = ?",
                      (customer_id,)).fetchall()
    plans = [PLAN_OF.get(s["price_id"]) for s in subs if s["status"] not in ENDED]
    ranked = [p for p in PLAN_PRICES if p in plans]
    return {
        "plan": ranked[-1] if ranked else "free",
        "subscriptions": {s["id"]: {k: v for k, v in dict(s).items()
                                    if k not in ("id", "customer_id")} for s in subs},
        "paid_invoices": [r["id"] for r in db.execute(
            "SELECT id FROM invoices WHERE customer_id = ? AND status = 'paid'", (customer_id,))],
    }


class Handler(BaseHTTPRequestHandler):
    def _send(self, status: int, body: Any = None, location: str | None = None) -> None:
        data = json.dumps(body if body is not None else {}).encode()
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _user(self) -> sqlite3.Row | None:
        uid = self.headers.get("X-User-Id")
        return db.execute("SELECT * FROM users WHERE id = ?", (uid,)).fetchone() if uid else None

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/healthz":
            return self._send(200, {"ok": True})
        if url.path == "/__test/state":
            return self._send(200, state(parse_qs(url.query)["customer_id"][0]))
        if url.path == "/billing/success":
            try:
                return self.success(parse_qs(url.query).get("session_id", [""])[0])
            except Exception as exc:  # as a web framework would: a 500 page, and a log line
                print(f"success page failed: {exc!r}", file=sys.stderr, flush=True)
                return self._send(500, {"error": "something went wrong"})
        self._send(404, {"error": "not found"})

    def success(self, session_id: str) -> None:
        """The paying user is back: record the subscription now rather than wait for the
        webhook, so the account page shows the plan at once (the webhook syncs it too)."""
        user = self._user()
        if user is None or not session_id:
            return self._send(303, location=APP_URL + "/pricing")
        expand = [] if "success_crash" in BUGS else ["subscription"]
        session = client.v1.checkout.sessions.retrieve(session_id, params={"expand": expand})
        if session.customer != user["customer_id"]:  # someone else's session id
            return self._send(403, {"error": "not your checkout"})
        sync_subscription(session.subscription["id"])
        self._send(303, location=APP_URL + "/account")

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        routes = {"/signup": self.signup, "/billing/checkout": self.checkout,
                  "/billing/portal": self.portal, "/webhooks/stripe": self.webhook,
                  "/__test/reset": self.reset}
        if path not in routes:
            return self._send(404, {"error": "not found"})
        try:
            routes[path]()
        except stripe.StripeError as exc:
            self._send(502, {"error": f"stripe: {exc.user_message or exc}"})

    def signup(self) -> None:
        data = json.loads(self._body() or b"{}")
        db.execute("INSERT OR REPLACE INTO users VALUES (?, ?, NULL)", (data["id"], data["email"]))
        self._send(201, {"id": data["id"]})

    def _customer_of(self, user: sqlite3.Row) -> str:
        """The user's Stripe customer, created on their first checkout."""
        if user["customer_id"]:
            return user["customer_id"]
        customer = client.v1.customers.create(
            params={"email": user["email"], "metadata": {"user_id": user["id"]}})
        db.execute("UPDATE users SET customer_id = ? WHERE id = ?", (customer.id, user["id"]))
        return customer.id

    def checkout(self) -> None:
        user = self._user()
        if user is None:
            return self._send(401, {"error": "sign in first"})
        data = json.loads(self._body() or b"{}")
        prices = PLAN_PRICES.get(data.get("plan", ""))
        if not prices:
            return self._send(400, {"error": "unknown plan"})
        params: dict[str, Any] = {
            "mode": "payment" if "payment_mode" in BUGS else "subscription",
            "line_items": [{"price": prices[0], "quantity": int(data.get("seats") or 1)}],
            "client_reference_id": user["id"],
            "success_url": ("https://example.com/thanks" if "external_success" in BUGS
                            else APP_URL + "/billing/success?session_id={CHECKOUT_SESSION_ID}"),
            "cancel_url": APP_URL + "/pricing",
        }
        if data.get("trial_days"):  # the pricing page's "start a free trial" button
            params["subscription_data"] = {"trial_period_days": int(data["trial_days"])}
        if "email_from_request" in BUGS:
            params["customer_email"] = data.get("email") or "someone@example.test"
        else:
            params["customer"] = self._customer_of(user)
        session = client.v1.checkout.sessions.create(params=params)
        self._send(303, {"url": session.url}, location=session.url)

    def portal(self) -> None:
        user = self._user()
        if user is None:
            return self._send(401, {"error": "sign in first"})
        if not user["customer_id"]:
            return self._send(404, {"error": "no billing account yet"})
        session = client.v1.billing_portal.sessions.create(
            params={"customer": user["customer_id"], "return_url": APP_URL + "/account"})
        self._send(303, {"url": session.url}, location=session.url)

    def webhook(self) -> None:
        payload = self._body()
        try:
            stripe.Webhook.construct_event(
                payload, self.headers.get("Stripe-Signature", ""), WEBHOOK_SECRET)
            event = json.loads(payload)
        except (ValueError, stripe.SignatureVerificationError):
            return self._send(400, {"error": "bad signature"})
        if db.execute("SELECT 1 FROM events WHERE id = ?", (event["id"],)).fetchone():
            return self._send(200, {"duplicate": True})
        try:
            db.execute("BEGIN")
            handle(event)
            db.execute("INSERT INTO events VALUES (?)", (event["id"],))
            db.execute("COMMIT")
        except Exception as exc:
            db.execute("ROLLBACK")
            print(f"webhook {event['type']} failed: {exc!r}", file=sys.stderr, flush=True)
            return self._send(500, {"error": "failed"})
        self._send(200, {"ok": True})

    def reset(self) -> None:
        for table in ("users", "subscriptions", "invoices", "events"):
            db.execute(f"DELETE FROM {table}")
        self._send(200, {"ok": True})

    def log_message(self, *args: Any) -> None:  # quiet
        pass


if __name__ == "__main__":
    HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
