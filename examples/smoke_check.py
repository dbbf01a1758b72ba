"""Smoke check for the example apps, without portal-harness.

Starts a tiny stand-in for the Stripe REST API (GET /v1/subscriptions/<id>,
POST /v1/billing_portal/sessions), starts one example app against it, sends signed
webhooks over real HTTP and reads back what the app stored. For a flawed variant it
checks that the flaw shows up.

    python examples/smoke_check.py                      # every app and variant
    python examples/smoke_check.py node python:period_top_level

Needs `npm ci` in examples/node-app for the Node app. Uses ports 8301 (Node) and 8302 (Python).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WEBHOOK_SECRET = "whsec_smoke_check_secret"
SECRET_KEY = "sk_test_smoke_check"
APPS = {
    "node": {"cwd": HERE / "node-app", "command": ["node", "server.js"], "port": 8301},
    "python": {"cwd": HERE / "python-app", "command": [sys.executable, "app.py"], "port": 8302},
}
# variant -> checks that must FAIL with it (every other check must pass)
VARIANTS = {
    "node": {
        "": set(),
        "snapshot": {"late_older_event_ignored", "plan_from_remaining_subscription"},
        "no_dedupe": {"invoice_recorded_once"},
    },
    "python": {
        "": set(),
        # every subscription event is answered 500, so nothing about subscriptions is stored
        "period_top_level": {
            "created_200", "plan_pro", "period_from_items", "subscription_row", "cancel_200",
            "flexible_cancel_seen", "deleted_200", "late_update_200", "ended_cancel_not_pending",
            "late_older_event_ignored", "plan_from_remaining_subscription", "retry_200",
            "plan_enterprise", "sql_state",
        },
        "cancel_flag_only": {"flexible_cancel_seen"},
    },
}
NOW = int(time.time())


# ---------------------------------------------------------------- stand-in Stripe API


class FakeStripe:
    def __init__(self) -> None:
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.fail_retrieve: set[str] = set()
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _record(self, body: str = "") -> None:
                fake.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "form": urllib.parse.parse_qs(body),
                    }
                )

            def do_GET(self) -> None:
                self._record()
                prefix = "/v1/subscriptions/"
                sub_id = self.path.split("?")[0][len(prefix) :]
                if self.path.startswith(prefix) and sub_id in fake.fail_retrieve:
                    return self._json(500, {"error": {"type": "api_error", "message": "boom"}})
                if self.path.startswith(prefix) and sub_id in fake.subscriptions:
                    return self._json(200, fake.subscriptions[sub_id])
                return self._json(
                    404,
                    {
                        "error": {
                            "type": "invalid_request_error",
                            "code": "resource_missing",
                            "message": f"No such subscription: '{sub_id}'",
                        }
                    },
                )

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                self._record(body)
                if self.path == "/v1/billing_portal/sessions":
                    form = urllib.parse.parse_qs(body)
                    return self._json(
                        200,
                        {
                            "id": "bps_smoke",
                            "object": "billing_portal.session",
                            "configuration": "bpc_smoke",
                            "created": NOW,
                            "customer": form["customer"][0],
                            "flow": None,
                            "livemode": False,
                            "locale": None,
                            "on_behalf_of": None,
                            "return_url": form.get("return_url", [None])[0],
                            "url": "https://billing.stripe.com/p/session/test_smoke",
                        },
                    )
                return self._json(404, {"error": {"type": "invalid_request_error"}})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def subscription(
    sub_id: str,
    customer: str,
    price: str,
    status: str = "active",
    period_end: int = NOW + 30 * 86400,
    cancel_at: int | None = None,
    cancel_at_period_end: bool = False,
    mode: str = "classic",
) -> dict[str, Any]:
    """A subscription as API 2025-03-31.basil renders it (trimmed)."""
    return {
        "id": sub_id,
        "object": "subscription",
        "billing_mode": {"type": mode},
        "cancel_at": cancel_at,
        "cancel_at_period_end": cancel_at_period_end,
        "canceled_at": NOW if status == "canceled" else None,
        "customer": customer,
        "items": {
            "object": "list",
            "data": [
                {
                    "id": f"si_{sub_id[4:]}",
                    "object": "subscription_item",
                    "current_period_start": period_end - 30 * 86400,
                    "current_period_end": period_end,
                    "price": {"id": price, "object": "price"},
                    "quantity": 1,
                    "subscription": sub_id,
                }
            ],
            "has_more": False,
        },
        "livemode": False,
        "pause_collection": None,
        "status": status,
    }


def invoice(inv_id: str, customer: str, sub_id: str) -> dict[str, Any]:
    return {
        "id": inv_id,
        "object": "invoice",
        "amount_paid": 2000,
        "customer": customer,
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": sub_id, "metadata": {}},
        },
        "status": "paid",
        "status_transitions": {"paid_at": NOW},
    }


_event_counter = 0


def event(etype: str, obj: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    global _event_counter
    _event_counter += 1
    return {
        "id": event_id or f"evt_smoke_{_event_counter:04d}",
        "object": "event",
        "api_version": "2025-03-31.basil",
        "created": NOW + _event_counter,
        "data": {"object": copy.deepcopy(obj)},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": etype,
    }


# ---------------------------------------------------------------- HTTP helpers


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def http(
    method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with OPENER.open(req, timeout=20) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, t: int | None = None) -> str:
    t = int(time.time()) if t is None else t
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


# ---------------------------------------------------------------- the check


def run_variant(app_name: str, bug: str) -> tuple[list[str], str]:
    """Returns the names of the checks that failed, and the app's log."""
    spec = APPS[app_name]
    base = f"http://127.0.0.1:{spec['port']}"
    fake = FakeStripe()
    tmp = tempfile.mkdtemp(prefix="smoke-")
    db_path = os.path.join(tmp, "app.db")
    env = {
        **os.environ,
        "PORT": str(spec["port"]),
        "DB_PATH": db_path,
        "STRIPE_API_BASE": fake.base,
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "BUG": bug,
    }
    log = open(os.path.join(tmp, "app.log"), "w+")  # noqa: SIM115
    proc = subprocess.Popen(spec["command"], cwd=spec["cwd"], env=env, stdout=log, stderr=log)
    failed: list[str] = []

    def check(name: str, ok: bool, detail: Any = "") -> None:
        print(f"    {'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f"  {detail}"))
        if not ok:
            failed.append(name)

    def deliver(evt: dict[str, Any], signature: str | None = None) -> int:
        payload = json.dumps(evt, indent=2).encode()  # indented: raw bytes must be verified
        status, _, _ = http(
            "POST",
            f"{base}/api/webhooks/stripe",
            payload,
            {
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": signature or sign(payload),
            },
        )
        return status

    def state(customer: str) -> dict[str, Any]:
        status, _, body = http("GET", f"{base}/__test/state?customer_id={customer}")
        assert status == 200, (status, body)
        return json.loads(body)

    try:
        deadline = time.time() + 30
        while True:
            try:
                if http("GET", f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                log.seek(0)
                raise RuntimeError(f"{app_name} did not start:\n{log.read()}")
            time.sleep(0.1)

        seed = {"id": "user_1", "email": "a@example.com", "stripe_customer_id": "cus_1"}
        status, _, _ = http("POST", f"{base}/__test/users", json.dumps(seed).encode())
        check("seed_user", status in (200, 201), status)
        http("POST", f"{base}/__test/users", json.dumps({"id": "user_2"}).encode())

        # portal route
        check("portal_401_anonymous", http("POST", f"{base}/api/billing/portal")[0] == 401)
        s, _, _ = http("POST", f"{base}/api/billing/portal", b"", {"X-User-Id": "nobody"})
        check("portal_401_unknown_user", s == 401, s)
        s, _, _ = http("POST", f"{base}/api/billing/portal", b"", {"X-User-Id": "user_2"})
        check("portal_404_no_customer", s == 404, s)
        s, h, _ = http("POST", f"{base}/api/billing/portal", b"", {"X-User-Id": "user_1"})
        sent = [r for r in fake.requests if r["path"] == "/v1/billing_portal/sessions"]
        check(
            "portal_303_to_session",
            s == 303 and h.get("Location") == "https://billing.stripe.com/p/session/test_smoke",
            (s, h.get("Location")),
        )
        check(
            "portal_session_params",
            len(sent) == 1
            and sent[0]["form"].get("customer") == ["cus_1"]
            and sent[0]["form"].get("return_url") == [f"{base}/dashboard/billing"]
            and sent[0]["headers"].get("Stripe-Version") == "2025-03-31.basil"
            and sent[0]["headers"].get("Authorization") == f"Bearer {SECRET_KEY}",
            sent,
        )

        # signature
        sub = subscription("sub_A", "cus_1", "price_pro_monthly")
        created = event("customer.subscription.created", sub)
        check("bad_signature_400", deliver(created, sign(b"other")) == 400)
        stale = sign(json.dumps(created, indent=2).encode(), t=int(time.time()) - 3600)
        check("stale_signature_400", deliver(created, stale) == 400)

        # creation
        fake.subscriptions["sub_A"] = sub
        check("created_200", deliver(created) == 200)
        st = state("cus_1")
        row = st["subscriptions"].get("sub_A", {})
        check("plan_pro", st["plan"] == "pro", st)
        check("period_from_items", row.get("current_period_end") == NOW + 30 * 86400, row)
        check(
            "subscription_row",
            row.get("status") == "active"
            and row.get("price_id") == "price_pro_monthly"
            and row.get("cancel_at_period_end") is False
            and row.get("paused") is False,
            row,
        )

        # flexible-mode scheduled cancellation: cancel_at set, cancel_at_period_end false
        flex = subscription(
            "sub_A", "cus_1", "price_pro_monthly", cancel_at=NOW + 30 * 86400, mode="flexible"
        )
        fake.subscriptions["sub_A"] = flex
        check("cancel_200", deliver(event("customer.subscription.updated", flex)) == 200)
        row = state("cus_1")["subscriptions"].get("sub_A", {})
        check("flexible_cancel_seen", row.get("cancel_at_period_end") is True, row)

        # out of order: the deletion arrives first, an older update arrives late
        older = event(
            "customer.subscription.updated", subscription("sub_A", "cus_1", "price_pro_annual")
        )
        gone = subscription(
            "sub_A", "cus_1", "price_pro_monthly", status="canceled", cancel_at_period_end=True
        )
        fake.subscriptions["sub_A"] = gone
        check("deleted_200", deliver(event("customer.subscription.deleted", gone)) == 200)
        check("late_update_200", deliver(older) == 200)
        st = state("cus_1")
        row = st["subscriptions"].get("sub_A", {})
        check("ended_cancel_not_pending", row.get("cancel_at_period_end") is False, row)
        check(
            "late_older_event_ignored",
            row.get("status") == "canceled" and st["plan"] == "free",
            st,
        )

        # highest plan among live subscriptions
        basic = subscription("sub_B", "cus_1", "price_basic_monthly")
        fake.subscriptions["sub_B"] = basic
        deliver(event("customer.subscription.created", basic))
        check("plan_from_remaining_subscription", state("cus_1")["plan"] == "basic")

        # invoices: one delivery duplicated, plus the sibling payment_succeeded event
        paid = event("invoice.paid", invoice("in_1", "cus_1", "sub_B"))
        statuses = [
            deliver(paid),
            deliver(paid),
            deliver(event("invoice.payment_succeeded", invoice("in_1", "cus_1", "sub_B"))),
        ]
        check("invoice_200", statuses == [200, 200, 200], statuses)
        check("invoice_recorded_once", state("cus_1")["paid_invoices"] == ["in_1"], state("cus_1"))

        # processing error -> 5xx; the redelivery succeeds once the API answers again
        broken = subscription("sub_C", "cus_1", "price_enterprise_monthly")
        fake.subscriptions["sub_C"] = broken
        fake.fail_retrieve.add("sub_C")
        evt = event("customer.subscription.created", broken)
        if bug == "snapshot":
            check("error_500", True)  # the snapshot variant never calls the API
        else:
            check("error_500", deliver(evt) >= 500)
        fake.fail_retrieve.clear()
        check("retry_200", deliver(evt) == 200)
        check("plan_enterprise", state("cus_1")["plan"] == "enterprise")

        check("other_type_200", deliver(event("payment_method.attached", {"id": "pm_1"})) == 200)

        if app_name == "python":  # the [state] SQL of the target file
            conn = sqlite3.connect(db_path)
            plan = conn.execute(
                "SELECT plan FROM users WHERE stripe_customer_id = ?", ("cus_1",)
            ).fetchone()
            rows = conn.execute(
                "SELECT stripe_subscription_id AS id, status, stripe_price_id AS price_id,"
                " current_period_end, cancel_at_period_end, paused, collection_paused"
                " FROM subscriptions WHERE stripe_customer_id = ?",
                ("cus_1",),
            ).fetchall()
            conn.close()
            check("sql_state", plan == ("enterprise",) and len(rows) == 3, (plan, rows))
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        fake.close()
        log.seek(0)
        app_log = log.read()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return failed, app_log


def main(argv: list[str]) -> int:
    wanted = argv or [f"{a}:{b}" if b else a for a in VARIANTS for b in VARIANTS[a]]
    problems = []
    for item in wanted:
        app_name, _, bug = item.partition(":")
        print(f"{app_name} BUG={bug or '(none)'}")
        failed_list, app_log = run_variant(app_name, bug)
        failed, expected = set(failed_list), VARIANTS[app_name][bug]
        if failed != expected:
            print(f"--- {app_name} log ---\n{app_log}---")
            problems.append(f"{item}: failed {sorted(failed)}, expected {sorted(expected)}")
    print("\n".join(problems) if problems else "all variants behaved as expected")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
