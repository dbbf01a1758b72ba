"""The app as a whole: routes, the Python API, settings, the command line and its isolation."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import stripe
from conftest import CUSTOMER
from stripe_stub import SECRET, Driver, event, sign, subscription

import harness.reference_app
from harness.reference_app import AppSettings, create_app
from harness.reference_app.__main__ import parse_plans

PACKAGE = Path(harness.reference_app.__file__).parent
ALLOWED_IMPORTS = {"stripe", "starlette", "uvicorn"}


def test_healthz_answers_200(driver):
    assert driver.request("GET", "/healthz").status_code == 200


def test_test_routes_seed_a_user_and_read_the_state(driver, fake_stripe):
    seeded = driver.request(
        "POST",
        "/__test/users",
        json={"id": "u_e", "email": "e@x.test", "stripe_customer_id": "cus_e"},
    )
    assert seeded.status_code == 201
    sub = fake_stripe.put(subscription("sub_e", "cus_e", "price_basic_monthly"))
    assert driver.deliver(event("customer.subscription.created", sub)) == 200
    response = driver.request("GET", "/__test/state", params={"customer_id": "cus_e"})
    assert response.status_code == 200
    assert response.json() == driver.app.state("cus_e")
    assert response.json()["plan"] == "basic"


@pytest.mark.parametrize("payload", [b"{}", b"not json", b'{"id": "u"}'])
def test_seeding_route_rejects_bad_input(driver, payload):
    assert driver.request("POST", "/__test/users", content=payload).status_code == 400


def test_state_has_exactly_the_documented_keys(driver, fake_stripe):
    sub = fake_stripe.put(subscription("sub_1", CUSTOMER))
    driver.deliver(event("customer.subscription.created", sub))
    state = driver.state(CUSTOMER)
    assert set(state) == {"plan", "subscriptions", "paid_invoices"}
    assert set(state["subscriptions"]["sub_1"]) == {
        "status",
        "price_id",
        "current_period_end",
        "cancel_at_period_end",
        "paused",
        "collection_paused",
        "quantity",
        "cancellation_feedback",
        "coupon",
    }


def test_reset_empties_the_database(driver, fake_stripe):
    sub = fake_stripe.put(subscription("sub_1", CUSTOMER))
    driver.deliver(event("customer.subscription.created", sub))
    driver.app.reset()
    assert driver.state(CUSTOMER) == {"plan": "free", "subscriptions": {}, "paid_invoices": []}
    assert driver.portal("u_alice").status_code == 401


def test_a_given_http_client_carries_every_stripe_call_in_process(settings):
    calls: list[tuple[str, str]] = []

    class InProcess(stripe.HTTPClient):
        name = "in-process"

        def request(self, method, url, headers, post_data=None, *, _usage=None):
            calls.append((method, url))
            sub = subscription("sub_1", CUSTOMER)
            return json.dumps(sub), 200, {}

        def close(self):
            pass

    settings.stripe_api_base = "http://stripe.invalid"
    settings.http_client = InProcess()
    app = create_app(settings)
    app.seed_user("u_alice", "alice@example.test", CUSTOMER)
    assert (
        Driver(app).deliver(event("customer.subscription.updated", subscription("sub_1", CUSTOMER)))
        == 200
    )
    assert calls == [("get", "http://stripe.invalid/v1/subscriptions/sub_1")]


def test_settings_reject_a_price_mapped_to_an_unknown_plan():
    with pytest.raises(ValueError, match="plan_order"):
        AppSettings("sk", "http://x", SECRET, "2025-03-31.basil", {"price_a": "gold"}, ["pro"])


def test_plans_option_maps_prices_to_plans_in_order():
    prices, order = parse_plans('{"basic": ["price_b"], "pro": ["price_pm", "price_pa"]}')
    assert prices == {"price_b": "basic", "price_pm": "pro", "price_pa": "pro"}
    assert order == ["basic", "pro"]
    with pytest.raises(ValueError):
        parse_plans('{"pro": "price_pm"}')


@pytest.mark.http
def test_command_line_serves_the_app_and_prints_one_ready_line(fake_stripe):
    command = [
        sys.executable,
        "-m",
        "harness.reference_app",
        "--port",
        "0",
        "--api-base",
        fake_stripe.api_base,
        "--api-key",
        "sk_test_1",
        "--webhook-secret",
        SECRET,
        "--api-version",
        "2025-03-31.basil",
        "--plans",
        '{"pro": ["price_pro_monthly"]}',
    ]
    root = str(PACKAGE.parent.parent)
    env = {"PYTHONPATH": root, "PATH": "/usr/bin:/bin"}
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env, cwd=root) as proc:
        try:
            line = proc.stdout.readline()
            assert line.startswith("reference app ready on http://127.0.0.1:")
            url = line.split(" on ")[1].strip()
            body = json.dumps(event("customer.updated", {"id": CUSTOMER})).encode()
            assert httpx.get(f"{url}/healthz").status_code == 200
            headers = {"Stripe-Signature": sign(body)}
            assert (
                httpx.post(f"{url}/webhooks/stripe", content=body, headers=headers).status_code
                == 200
            )
        finally:
            proc.terminate()


def _modules():
    return sorted(PACKAGE.glob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_reference_app_imports_only_the_stdlib_stripe_and_starlette(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            continue
        names = (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module]
            if isinstance(node, ast.ImportFrom)
            else []
        )
        for name in names:
            top = name.split(".")[0]
            assert top in ALLOWED_IMPORTS or top in sys.stdlib_module_names, f"{path.name}: {name}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_modules_are_small_with_a_short_docstring(path):
    text = path.read_text()
    docstring = ast.get_docstring(ast.parse(text))
    assert docstring is not None
    assert 2 <= len(docstring.splitlines()) <= 5
    assert len(text.splitlines()) < 400
