"""Billing backend that mirrors Stripe objects into SQLite, field for field.

Starlette under uvicorn, the official `stripe` package (StripeClient, the SDK's own API
version), sqlite3. The webhook handler never trusts the event snapshot: it re-fetches the
object named in the event and upserts it as Stripe returns it, so columns hold exactly what
Stripe's API shows (`cancel_at_period_end`, `cancel_at`, `pause_collection` as JSON, ...).
Access is derived from the mirrored rows: the user's plan is the highest plan among their
subscriptions that have not ended.

Routes: GET /healthz; POST /billing/portal (signed-in user: cookie `session`; 303 to Stripe);
POST /stripe/webhook; test support (off when APP_ENV=production): POST /test-support/users,
POST /test-support/reset.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time

import stripe
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

DB_PATH = os.environ.get("DB_PATH", "mirror.db")
APP_URL = os.environ.get("APP_URL", "http://127.0.0.1:8000")
WEBHOOK_SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]
PLANS = json.loads(os.environ.get("PLANS", '{"basic": ["price_basic_monthly"], '
                                           '"pro": ["price_pro_monthly", "price_pro_annual"], '
                                           '"enterprise": ["price_enterprise_monthly"]}'))
PLAN_OF_PRICE = {price: plan for plan, prices in PLANS.items() for price in prices}
PLAN_RANK = {plan: rank for rank, plan in enumerate(PLANS)}
ENDED = ("canceled", "incomplete_expired")

client = stripe.StripeClient(
    os.environ["STRIPE_SECRET_KEY"],
    base_addresses={"api": os.environ["STRIPE_API_BASE"]} if "STRIPE_API_BASE" in os.environ
    else None,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    user_id TEXT PRIMARY KEY, email TEXT NOT NULL, stripe_customer_id TEXT UNIQUE,
    plan TEXT
);
CREATE TABLE IF NOT EXISTS stripe_subscriptions (
    id TEXT PRIMARY KEY, customer TEXT NOT NULL, status TEXT NOT NULL, price_id TEXT,
    current_period_start INTEGER, current_period_end INTEGER,
    cancel_at_period_end BOOLEAN NOT NULL, cancel_at INTEGER, canceled_at INTEGER,
    ended_at INTEGER, pause_collection TEXT, created INTEGER, synced_at REAL,
    discount_coupon TEXT
);
CREATE TABLE IF NOT EXISTS stripe_invoices (
    id TEXT PRIMARY KEY, customer TEXT NOT NULL, status TEXT, amount_paid INTEGER,
    created INTEGER
);
CREATE TABLE IF NOT EXISTS stripe_events (id TEXT PRIMARY KEY, type TEXT, received_at REAL);
"""

write_lock = threading.Lock()  # SQLite takes one writer at a time


def db() -> sqlite3.Connection:
    conn = sqlite3.connect(DB_PATH, timeout=30, isolation_level=None)
    conn.row_factory = sqlite3.Row
    return conn


def init_db() -> None:
    os.makedirs(os.path.dirname(os.path.abspath(DB_PATH)), exist_ok=True)
    with db() as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(SCHEMA)


# -- mirroring ---------------------------------------------------------------------------------


def upsert_subscription(conn: sqlite3.Connection, sub: stripe.Subscription) -> None:
    sub = sub.to_dict()  # a StripeObject is not a dict; its to_dict() is, recursively
    item = sub["items"]["data"][0]
    pause = sub.get("pause_collection")
    discounts = sub.get("discounts") or []  # fetched with expand[]=discounts
    coupon = discounts[0]["source"]["coupon"] if discounts else None  # clover and later
    conn.execute(
        """INSERT INTO stripe_subscriptions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)
           ON CONFLICT(id) DO UPDATE SET status=excluded.status, price_id=excluded.price_id,
             current_period_start=excluded.current_period_start,
             current_period_end=excluded.current_period_end,
             cancel_at_period_end=excluded.cancel_at_period_end, cancel_at=excluded.cancel_at,
             canceled_at=excluded.canceled_at, ended_at=excluded.ended_at,
             pause_collection=excluded.pause_collection, synced_at=excluded.synced_at,
             discount_coupon=excluded.discount_coupon""",
        (sub["id"], sub["customer"], sub["status"], item["price"]["id"],
         item.get("current_period_start"), item.get("current_period_end"),
         sub["cancel_at_period_end"], sub.get("cancel_at"), sub.get("canceled_at"),
         sub.get("ended_at"), json.dumps(pause) if pause else None, sub["created"],
         time.time(), coupon))
    refresh_plan(conn, sub["customer"])


def refresh_plan(conn: sqlite3.Connection, customer: str) -> None:
    rows = conn.execute("SELECT price_id, status FROM stripe_subscriptions WHERE customer = ?",
                        (customer,)).fetchall()
    plans = [PLAN_OF_PRICE[r["price_id"]] for r in rows
             if r["status"] not in ENDED and r["price_id"] in PLAN_OF_PRICE]
    best = max(plans, key=PLAN_RANK.__getitem__) if plans else None
    conn.execute("UPDATE accounts SET plan = ? WHERE stripe_customer_id = ?", (best, customer))


def upsert_invoice(conn: sqlite3.Connection, invoice: stripe.Invoice) -> None:
    invoice = invoice.to_dict()
    conn.execute(
        """INSERT INTO stripe_invoices VALUES (?,?,?,?,?)
           ON CONFLICT(id) DO UPDATE SET status=excluded.status,
             amount_paid=excluded.amount_paid""",
        (invoice["id"], invoice["customer"], invoice["status"], invoice["amount_paid"],
         invoice["created"]))


def handle_event(event: stripe.Event) -> None:
    obj = event.data.object.to_dict()
    # Fetch first, outside the transaction: the API's answer is newer than any snapshot.
    if event.type.startswith("customer.subscription."):
        fresh = client.v1.subscriptions.retrieve(obj["id"], {"expand": ["discounts"]})
        apply = upsert_subscription
    elif event.type.startswith("invoice.") and obj.get("id"):
        fresh, apply = client.v1.invoices.retrieve(obj["id"]), upsert_invoice
    else:
        fresh, apply = None, None
    with write_lock, db() as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            seen = conn.execute("SELECT 1 FROM stripe_events WHERE id = ?", (event.id,))
            if seen.fetchone() is None:
                if apply is not None:
                    apply(conn, fresh)
                conn.execute("INSERT INTO stripe_events VALUES (?,?,?)",
                             (event.id, event.type, time.time()))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


# -- routes ------------------------------------------------------------------------------------


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def stripe_webhook(request: Request) -> Response:
    payload = await request.body()
    try:
        event = stripe.Webhook.construct_event(
            payload, request.headers.get("stripe-signature", ""), WEBHOOK_SECRET)
    except (ValueError, stripe.SignatureVerificationError):
        return JSONResponse({"error": "invalid signature"}, status_code=400)
    await run_in_threadpool(handle_event, event)
    return JSONResponse({"received": True})


async def billing_portal(request: Request) -> Response:
    user_id = request.cookies.get("session")
    with db() as conn:
        account = conn.execute("SELECT * FROM accounts WHERE user_id = ?",
                               (user_id,)).fetchone() if user_id else None
    if account is None:
        return JSONResponse({"error": "sign in first"}, status_code=401)
    if not account["stripe_customer_id"]:
        return JSONResponse({"error": "no billing account"}, status_code=404)
    session = await run_in_threadpool(client.v1.billing_portal.sessions.create, {
        "customer": account["stripe_customer_id"], "return_url": f"{APP_URL}/settings/billing"})
    return RedirectResponse(session.url, status_code=303)


async def create_user(request: Request) -> Response:
    body = await request.json()
    with write_lock, db() as conn:
        conn.execute("INSERT OR REPLACE INTO accounts (user_id, email, stripe_customer_id) "
                     "VALUES (?,?,?)", (body["user_id"], body["email"],
                                       body.get("stripe_customer_id")))
    return JSONResponse({"ok": True}, status_code=201)


async def reset(request: Request) -> Response:
    with write_lock, db() as conn:
        for table in ("accounts", "stripe_subscriptions", "stripe_invoices", "stripe_events"):
            conn.execute(f"DELETE FROM {table}")  # fixed table names
    return Response(status_code=204)


routes = [
    Route("/healthz", healthz),
    Route("/stripe/webhook", stripe_webhook, methods=["POST"]),
    Route("/billing/portal", billing_portal, methods=["POST"]),
]
if os.environ.get("APP_ENV") != "production":
    routes += [Route("/test-support/users", create_user, methods=["POST"]),
               Route("/test-support/reset", reset, methods=["POST"])]

init_db()
app = Starlette(routes=routes)
