"""A small FastAPI + SQLite billing app, as many teams write one: the benchmark's app over HTTP.

It verifies each webhook with `stripe.Webhook.construct_event`, applies each event once,
re-reads the subscription from Stripe with the official client, and keeps users, subscriptions
and paid invoices in SQLite. Test-only routes seed users and report state. Not part of the
package: `pip install fastapi` to run it (`benchmarks/fastapi_app/harness.toml` starts it).

Environment: PORT, DB_PATH, STRIPE_API_BASE, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET,
STRIPE_API_VERSION, PLAN_PRICES (JSON: plan -> price ids, lowest plan first).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from contextlib import contextmanager
from typing import Any

import stripe
import uvicorn
from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.responses import PlainTextResponse

PLANS: dict[str, list[str]] = json.loads(os.environ.get("PLAN_PRICES", "{}"))
PRICE_PLAN = {price: plan for plan, prices in PLANS.items() for price in prices}
RANK = {plan: i for i, plan in enumerate(PLANS)}
ENDED = {"canceled", "incomplete_expired"}
WEBHOOK_SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]

client = stripe.StripeClient(
    os.environ["STRIPE_SECRET_KEY"], base_addresses={"api": os.environ["STRIPE_API_BASE"]},
    stripe_version=os.environ.get("STRIPE_API_VERSION"), max_network_retries=0)

db = sqlite3.connect(os.environ["DB_PATH"], check_same_thread=False, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.executescript("""
CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, email TEXT, customer TEXT UNIQUE,
                                  plan TEXT NOT NULL DEFAULT 'free');
CREATE TABLE IF NOT EXISTS subscriptions (id TEXT PRIMARY KEY, customer TEXT, status TEXT,
    price TEXT, period_end INTEGER, cancel_pending INTEGER, paused INTEGER,
    collection_paused INTEGER);
CREATE TABLE IF NOT EXISTS invoices (id TEXT PRIMARY KEY, customer TEXT, status TEXT);
CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY);
""")
lock = threading.Lock()
app = FastAPI()


@contextmanager
def transaction():
    with lock:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")


@app.get("/healthz", response_class=PlainTextResponse)
def healthz() -> str:
    return "ok"


@app.post("/webhooks/stripe")
async def webhook(request: Request, stripe_signature: str = Header(None)) -> dict[str, str]:
    body = await request.body()
    try:
        event = stripe.Webhook.construct_event(body, stripe_signature or "", WEBHOOK_SECRET)
    except (ValueError, stripe.SignatureVerificationError):
        raise HTTPException(400, "invalid event") from None
    return await _apply(event.to_dict())


async def _apply(event: dict[str, Any]) -> dict[str, str]:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(apply, event)


def apply(event: dict[str, Any]) -> dict[str, str]:
    obj, kind = event["data"]["object"], event["type"]
    sub_id = None
    if kind.startswith("customer.subscription."):
        sub_id = obj["id"]
    elif kind in ("invoice.payment_failed", "checkout.session.completed"):
        sub_id = obj.get("subscription") or (
            ((obj.get("parent") or {}).get("subscription_details") or {}).get("subscription"))
    sub = client.v1.subscriptions.retrieve(sub_id).to_dict() if sub_id else None
    with transaction() as tx:
        if tx.execute("SELECT 1 FROM events WHERE id = ?", (event["id"],)).fetchone():
            return {"status": "duplicate"}
        if sub is not None:
            save_subscription(tx, sub)
        elif kind in ("invoice.paid", "invoice.payment_succeeded"):
            tx.execute("INSERT OR IGNORE INTO invoices VALUES (?, ?, ?)",
                       (obj["id"], obj["customer"], obj["status"]))
        tx.execute("INSERT INTO events VALUES (?)", (event["id"],))
    return {"status": "applied"}


def save_subscription(tx: sqlite3.Connection, sub: dict[str, Any]) -> None:
    item = sub["items"]["data"][0]
    cancel = sub["status"] != "canceled" and bool(sub["cancel_at_period_end"]
                                                  or sub.get("cancel_at"))
    tx.execute("INSERT OR REPLACE INTO subscriptions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               (sub["id"], sub["customer"], sub["status"], item["price"]["id"],
                item["current_period_end"], cancel, sub["status"] == "paused",
                sub.get("pause_collection") is not None))
    rows = tx.execute("SELECT status, price FROM subscriptions WHERE customer = ?",
                      (sub["customer"],)).fetchall()
    plans = [PRICE_PLAN[price] for status, price in rows
             if status not in ENDED and price in PRICE_PLAN]
    tx.execute("UPDATE users SET plan = ? WHERE customer = ?",
               (max(plans, key=RANK.__getitem__, default="free"), sub["customer"]))


@app.post("/__test/users")
def seed(user: dict[str, Any]) -> dict[str, str]:
    with transaction() as tx:
        tx.execute("INSERT OR REPLACE INTO users (id, email, customer) VALUES (?, ?, ?)",
                   (user["id"], user["email"], user["stripe_customer_id"] or None))
    return {"status": "ok"}


@app.get("/__test/state")
def state(customer_id: str) -> dict[str, Any]:
    with lock:
        user = db.execute("SELECT plan FROM users WHERE customer = ?",
                          (customer_id,)).fetchone()
        subs = db.execute("SELECT * FROM subscriptions WHERE customer = ?",
                          (customer_id,)).fetchall()
        paid = db.execute("SELECT id FROM invoices WHERE customer = ? AND status = 'paid'",
                          (customer_id,)).fetchall()
    return {
        "plan": user[0] if user else "free",
        "subscriptions": {s[0]: {"status": s[2], "price_id": s[3], "current_period_end": s[4],
                                 "cancel_at_period_end": bool(s[5]), "paused": bool(s[6]),
                                 "collection_paused": bool(s[7])} for s in subs},
        "paid_invoices": [row[0] for row in paid],
    }


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_level="warning")
