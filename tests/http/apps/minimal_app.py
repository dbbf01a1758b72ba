"""A minimal app for the verdict tests: answers every webhook 200 and reports no state, except
where MODE asks it to misbehave in one precise way.

MODE=gap       on customer.subscription.created, asks the Stripe API for GET /v1/products/<id>
               (not served by the fake) and answers 500 when that fails
MODE=crash     exits (code 3) when customer.subscription.updated arrives
MODE=seed_500  answers 500 to the seed route, after logging why
MODE=stripe_404  on customer.subscription.created, fetches a subscription that does not exist
               and answers 500 when Stripe says so (a defect of the app, not a harness gap)
MODE=startup_gap  while starting, asks the Stripe API for GET /v1/climate/orders (not served
               by the fake), logs the failure and carries on
"""

import base64
import json
import os
import sys
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODE = os.environ.get("MODE", "")
API = os.environ["STRIPE_API_BASE"]
KEY = os.environ["STRIPE_SECRET_KEY"]


def stripe_get(path):
    auth = base64.b64encode(f"{KEY}:".encode()).decode()
    request = urllib.request.Request(API + path, headers={"Authorization": f"Basic {auth}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body=b"{}"):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.answer(200, b"{}")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/seed" and MODE == "seed_500":
            print("seed failed: users table is missing", flush=True)
            return self.answer(500, b'{"error": "no such table: users"}')
        if self.path != "/webhooks" or not self.headers.get("Stripe-Signature"):
            return self.answer(400 if self.path == "/webhooks" else 200)
        event = json.loads(body)
        if MODE == "crash" and event["type"] == "customer.subscription.updated":
            print(f"fatal: cannot handle {event['id']}", flush=True)
            os._exit(3)
        if MODE in ("gap", "stripe_404") and event["type"] == "customer.subscription.created":
            path = "/v1/tax_rates/txr_vat" if MODE == "gap" else "/v1/subscriptions/sub_gone"
            try:
                stripe_get(path)
            except urllib.error.HTTPError as exc:
                return self.answer(500, json.dumps({"error": exc.code}).encode())
        return self.answer(200)


if MODE == "startup_gap":
    try:
        stripe_get("/v1/climate/orders")
    except urllib.error.HTTPError as exc:
        print(f"could not list climate orders: {exc.code}", flush=True)
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
