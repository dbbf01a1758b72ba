"""An app written in another habit for the invoice.upcoming tests: the standard library only,
its own HMAC check, and a sync that re-reads the subscription from Stripe on every
subscription or invoice event, keyed by subscription id; invoices are recorded from
`invoice.paid`.

MODE=upcoming_renews  also handles invoice.upcoming, as many "renewal" handlers do: it takes
                      the previewed line's period end as the subscription's new period end.
"""

import base64
import hashlib
import hmac
import json
import os
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

MODE = os.environ.get("MODE", "")
API = os.environ["STRIPE_API_BASE"]
KEY = os.environ["STRIPE_SECRET_KEY"]
SECRET = os.environ["STRIPE_WEBHOOK_SECRET"].encode()
PLANS = {price: plan for plan, prices in json.loads(os.environ["PLANS"]).items()
         for price in prices}
RANK = list(json.loads(os.environ["PLANS"]))
LOCK = threading.Lock()
USERS: dict = {}   # customer id -> {"subs": {id: row}, "invoices": set()}
SEEN: set = set()


def stripe_get(path):
    auth = base64.b64encode(f"{KEY}:".encode()).decode()
    request = urllib.request.Request(API + path, headers={"Authorization": f"Basic {auth}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def signed(body, header):
    parts = dict(p.split("=", 1) for p in (header or "").split(",") if "=" in p)
    if "t" not in parts or abs(time.time() - int(parts["t"])) > 300:
        return False
    expected = hmac.new(SECRET, parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, v) for k, v in
               (p.split("=", 1) for p in header.split(",")) if k == "v1")


def subscription_of(invoice):
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    return details.get("subscription") or invoice.get("subscription")


def sync(customer, sub_id):
    sub = stripe_get(f"/v1/subscriptions/{sub_id}")
    item = sub["items"]["data"][0]
    USERS[customer]["subs"][sub_id] = {
        "status": sub["status"], "price_id": item["price"]["id"],
        "current_period_end": item["current_period_end"],
        "cancel_at_period_end": sub["cancel_at_period_end"], "cancel_at": sub["cancel_at"]}


def apply(event):
    obj = event["data"]["object"]
    customer = obj.get("customer")
    if customer not in USERS:
        return
    kind = event["type"]
    if kind.startswith("customer.subscription."):
        sync(customer, obj["id"])
    elif kind in ("invoice.paid", "invoice.payment_failed") and subscription_of(obj):
        sync(customer, subscription_of(obj))
        if kind == "invoice.paid":
            USERS[customer]["invoices"].add(obj["id"])
    elif kind == "invoice.upcoming" and MODE == "upcoming_renews":
        sub_id = subscription_of(obj)
        if sub_id in USERS[customer]["subs"]:
            USERS[customer]["subs"][sub_id]["current_period_end"] = (
                obj["lines"]["data"][0]["period"]["end"])


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, data=None):
        body = json.dumps(data or {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/healthz":
            return self.answer(200)
        customer = parse_qs(url.query).get("customer_id", [""])[0]
        with LOCK:
            user = USERS.get(customer, {"subs": {}, "invoices": set()})
            live = [r["price_id"] for r in user["subs"].values()
                    if r["status"] not in ("canceled", "incomplete_expired")]
            plans = [PLANS[p] for p in live if p in PLANS]
            plan = max(plans, key=RANK.index) if plans else "free"
            return self.answer(200, {"plan": plan, "subscriptions": user["subs"],
                                     "paid_invoices": sorted(user["invoices"])})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/seed":
            data = json.loads(body)
            with LOCK:
                if data.get("customer"):
                    USERS.setdefault(data["customer"], {"subs": {}, "invoices": set()})
            return self.answer(200)
        if not signed(body, self.headers.get("Stripe-Signature")):
            return self.answer(400)
        event = json.loads(body)
        with LOCK:
            if event["id"] in SEEN:
                return self.answer(200)
            try:
                apply(event)
            except Exception as exc:  # Stripe retries a 5xx
                return self.answer(500, {"error": repr(exc)})
            SEEN.add(event["id"])
        return self.answer(200)


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
