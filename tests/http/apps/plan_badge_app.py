"""A small billing app written without the harness in mind: Python's standard library only,
the signature checked by hand, one JSON file of customers. It re-reads the subscription from
Stripe on every subscription event and shows the plan of its price.

MODE=upcoming  fetches the subscription with its schedule expanded and shows "the plan the
               customer chose", the price of the schedule's last phase, as soon as a downgrade
               is scheduled
MODE=schedule_events  also applies subscription_schedule.created/updated that way (masked when
               Stripe's customer.subscription.updated follows, as it does in order)
"""

import base64
import hashlib
import hmac
import json
import os
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODE = os.environ.get("MODE", "")
API = os.environ["STRIPE_API_BASE"]
KEY = os.environ["STRIPE_SECRET_KEY"]
SECRET = os.environ["STRIPE_WEBHOOK_SECRET"].encode()
PLAN_OF = {price: plan for plan, prices in json.loads(os.environ["PLANS"]).items()
           for price in prices}
LOCK = threading.Lock()
CUSTOMERS = {}  # customer id -> {"subs": {sub id: row}}


def stripe_get(path):
    auth = base64.b64encode(f"{KEY}:".encode()).decode()
    request = urllib.request.Request(API + path, headers={"Authorization": f"Basic {auth}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def signed(header, body):
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    if abs(time.time() - int(parts.get("t", "0"))) > 300:
        return False
    mac = hmac.new(SECRET, parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, parts.get("v1", ""))


def remember(sub, price=None):
    customer = CUSTOMERS.get(sub["customer"])
    if customer is None:
        return
    item = sub["items"]["data"][0]
    customer["subs"][sub["id"]] = {
        "status": sub["status"], "price_id": price or item["price"]["id"],
        "current_period_end": item["current_period_end"]}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, payload=None):
        body = json.dumps(payload or {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path == "/healthz":
            return self.answer(200, {"ok": True})
        customer_id = urllib.parse.parse_qs(url.query).get("customer_id", [""])[0]
        with LOCK:
            subs = CUSTOMERS.get(customer_id, {"subs": {}})["subs"]
            live = [PLAN_OF.get(s["price_id"]) for s in subs.values()
                    if s["status"] not in ("canceled", "incomplete_expired")]
        ranks = list(dict.fromkeys(PLAN_OF.values()))
        plan = max((p for p in live if p), key=ranks.index, default="free")
        return self.answer(200, {"plan": plan, "subscriptions": subs})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/reset":
            with LOCK:
                CUSTOMERS.clear()
            return self.answer(200)
        if self.path == "/users":
            user = json.loads(body)
            with LOCK:
                if user.get("customer"):
                    CUSTOMERS[user["customer"]] = {"subs": {}}
            return self.answer(201)
        if not signed(self.headers.get("Stripe-Signature") or "", body):
            return self.answer(400, {"error": "bad signature"})
        event = json.loads(body)
        obj = event["data"]["object"]
        if event["type"].startswith("customer.subscription."):
            if MODE == "upcoming":
                sub = stripe_get(f"/v1/subscriptions/{obj['id']}?expand[]=schedule")
                phases = (sub.get("schedule") or {}).get("phases") or [{}]
                chosen = (phases[-1].get("items") or [{}])[0].get("price")
            else:
                sub, chosen = stripe_get(f"/v1/subscriptions/{obj['id']}"), None
            with LOCK:
                remember(sub, price=chosen)
        elif (MODE == "schedule_events" and obj.get("subscription") and event["type"] in
              ("subscription_schedule.created", "subscription_schedule.updated")):
            sub = stripe_get(f"/v1/subscriptions/{obj['subscription']}")
            with LOCK:
                remember(sub, price=obj["phases"][-1]["items"][0]["price"])
        return self.answer(200)


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
