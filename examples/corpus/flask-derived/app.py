"""Flask billing backend that keeps derived flags, written against API version 2024-06-20.

The classic `stripe` module style (stripe.api_key, stripe.Subscription.list). The webhook does
not read the event's object beyond the customer id: for any billing event it re-syncs that
customer from the API (all their subscriptions, all their paid invoices), so a late or
duplicated event only repeats a sync. What it keeps is what the product needs, not Stripe's
fields: per subscription a `plan` looked up from the price, `is_canceling`, `is_paused`,
and the renewal date as a datetime; per user the effective plan.

Routes: GET /health; GET or POST /account/billing-portal (Authorization: Bearer <user id>, 303);
POST /hooks/stripe; internal (off when FLASK_ENV=production): POST /internal/users,
POST /internal/reset, GET /internal/billing-state?customer=cus_...
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import threading

import stripe
from flask import Flask, abort, g, jsonify, redirect, request

stripe.api_key = os.environ["STRIPE_SECRET_KEY"]
stripe.api_version = "2024-06-20"
if os.environ.get("STRIPE_API_BASE"):
    stripe.api_base = os.environ["STRIPE_API_BASE"]
WEBHOOK_SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]
SITE_URL = os.environ.get("SITE_URL", "http://localhost:5000")
PLANS = json.loads(os.environ["PLANS"])  # {"basic": ["price_..."], ...}, lowest first
PRICE_TO_PLAN = {price: plan for plan, prices in PLANS.items() for price in prices}
TIERS = list(PLANS)
LIVE = ("trialing", "active", "past_due", "unpaid", "incomplete", "paused")

# The events after which the customer's billing may have changed (the Dashboard's list for a
# subscription integration); every customer.subscription.* event too.
SYNC_ON = ("checkout.session.completed", "invoice.paid", "invoice.payment_succeeded",
           "invoice.payment_failed", "invoice.marked_uncollectible", "invoice.voided")

app = Flask(__name__)
sync_lock = threading.Lock()

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY, email TEXT, customer_id TEXT UNIQUE, plan TEXT DEFAULT 'free');
CREATE TABLE IF NOT EXISTS subscriptions (
  id TEXT PRIMARY KEY, user_id TEXT, status TEXT, plan TEXT, price TEXT,
  renews_at TEXT, is_canceling INTEGER, is_paused INTEGER, coupon TEXT);
CREATE TABLE IF NOT EXISTS payments (invoice_id TEXT PRIMARY KEY, user_id TEXT, amount INTEGER);
"""


def get_db() -> sqlite3.Connection:
    if "db" not in g:
        g.db = sqlite3.connect(os.environ.get("DATABASE", "billing.db"), timeout=30)
        g.db.row_factory = sqlite3.Row
    return g.db


@app.teardown_appcontext
def close_db(exc: BaseException | None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


with app.app_context():
    get_db().executescript(SCHEMA)


def sync_customer(customer_id: str) -> None:
    """Bring one customer's subscriptions and payments in line with Stripe."""
    user = get_db().execute("SELECT * FROM users WHERE customer_id = ?",
                            (customer_id,)).fetchone()
    if user is None:
        return  # not one of ours (yet)
    subs = list(stripe.Subscription.list(customer=customer_id, status="all",
                                         limit=100).auto_paging_iter())
    invoices = list(stripe.Invoice.list(customer=customer_id, status="paid",
                                        limit=100).auto_paging_iter())
    db = get_db()
    with db:  # one transaction
        for sub in subs:
            price = sub["items"]["data"][0]["price"]["id"]
            ending = sub.status in LIVE and (sub.cancel_at_period_end or bool(sub.cancel_at))
            renews = dt.datetime.fromtimestamp(sub.current_period_end, dt.UTC).isoformat()
            discount = sub["discount"]  # the app's pinned version (2024-06-20) still has it
            db.execute("INSERT OR REPLACE INTO subscriptions VALUES (?,?,?,?,?,?,?,?,?)",
                       (sub.id, user["id"], sub.status, PRICE_TO_PLAN.get(price), price,
                        renews, ending, sub.status in LIVE and bool(sub.pause_collection),
                        discount.coupon.id if discount else None))
        for invoice in invoices:
            db.execute("INSERT OR IGNORE INTO payments VALUES (?,?,?)",
                       (invoice.id, user["id"], invoice.amount_paid))
        tiers = [TIERS.index(PRICE_TO_PLAN[s["items"]["data"][0]["price"]["id"]])
                 for s in subs if s.status in LIVE]
        db.execute("UPDATE users SET plan = ? WHERE id = ?",
                   (TIERS[max(tiers)] if tiers else "free", user["id"]))


@app.get("/health")
def health():
    return {"ok": True}


@app.post("/hooks/stripe")
def stripe_hook():
    try:
        event = stripe.Webhook.construct_event(
            request.get_data(), request.headers.get("Stripe-Signature"), WEBHOOK_SECRET)
    except (ValueError, stripe.SignatureVerificationError):
        abort(400)
    if event.type.startswith("customer.subscription.") or event.type in SYNC_ON:
        customer = event.data.object.to_dict().get("customer")
        if customer:
            with sync_lock:
                sync_customer(customer)
    return {"received": True}


@app.route("/account/billing-portal", methods=["GET", "POST"])  # a link or a form
def billing_portal():
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    user = get_db().execute("SELECT * FROM users WHERE id = ?", (token,)).fetchone()
    if user is None:
        abort(401)
    if not user["customer_id"]:
        return jsonify(error="You have no subscription yet."), 404
    session = stripe.billing_portal.Session.create(customer=user["customer_id"],
                                                   return_url=f"{SITE_URL}/account")
    return redirect(session.url, code=303)


if os.environ.get("FLASK_ENV") != "production":

    @app.post("/internal/users")
    def internal_create_user():
        data = request.get_json()
        with get_db() as db:
            db.execute("INSERT OR REPLACE INTO users (id, email, customer_id) VALUES (?,?,?)",
                       (data["id"], data["email"], data.get("customer")))
        return {"id": data["id"]}, 201

    @app.post("/internal/reset")
    def internal_reset():
        with get_db() as db:
            db.executescript("DELETE FROM users; DELETE FROM subscriptions; "
                             "DELETE FROM payments;")
        return "", 204

    @app.get("/internal/billing-state")
    def internal_billing_state():
        """The contract harness's view of one customer (see its "Minimal app contract")."""
        db = get_db()
        user = db.execute("SELECT * FROM users WHERE customer_id = ?",
                          (request.args["customer"],)).fetchone()
        if user is None:
            return {"plan": None, "subscriptions": [], "paid_invoices": []}
        subs = db.execute("SELECT * FROM subscriptions WHERE user_id = ?", (user["id"],))
        paid = db.execute("SELECT invoice_id FROM payments WHERE user_id = ?", (user["id"],))
        return {
            "plan": user["plan"],
            "subscriptions": [
                {"id": s["id"], "status": s["status"], "price_id": s["price"],
                 "current_period_end": s["renews_at"],
                 "cancel_at_period_end": bool(s["is_canceling"]),
                 "collection_paused": bool(s["is_paused"]), "coupon": s["coupon"]}
                for s in subs],
            "paid_invoices": [p["invoice_id"] for p in paid],
        }
