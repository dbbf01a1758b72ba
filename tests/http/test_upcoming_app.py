"""invoice.upcoming against an app nobody here designed around (tests/http/apps/
invoice_sync_app.py: stdlib, its own HMAC check, a re-fetching sync): the correct variant passes
the renewal and trial flows in every default version; the one that takes the preview for the
renewal fails, at the checkpoint between the announcement and the renewal (or the trial's
end), by the period end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main

pytestmark = pytest.mark.http

APP = Path(__file__).parent / "apps" / "invoice_sync_app.py"


def target(token: str, mode: str) -> dict:
    return {
        "app": {"command": ["{python}", str(APP), "{port}", token],
                "ready_url": "http://127.0.0.1:{port}/healthz", "ready_timeout": 30,
                "env": {"MODE": mode, "STRIPE_API_BASE": "{stripe_api_base}",
                        "STRIPE_SECRET_KEY": "{stripe_secret_key}",
                        "STRIPE_WEBHOOK_SECRET": "{webhook_secret}", "PLANS": "{plans}"}},
        "webhook": {"url": "http://127.0.0.1:{port}/webhooks"},
        "plans": {"basic": ["price_basic_monthly"],
                  "pro": ["price_pro_monthly", "price_pro_annual"],
                  "enterprise": ["price_enterprise_monthly"]},
        "seed": {"url": "http://127.0.0.1:{port}/seed", "json": {"customer": "{customer_id}"}},
        "state": {"url": "http://127.0.0.1:{port}/state?customer_id={customer_id}"},
    }


def run(capsys, path: Path) -> tuple[int, dict]:
    code = main(["run", "--config", str(path), "--scenario", "renewal", "--scenario",
                 "trial_to_paid", "--delivery", "in_order", "--delivery", "shuffled", "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_a_correct_app_passes_the_announced_renewals(capsys, write_target, token, no_leftovers):
    code, report = run(capsys, write_target(target(token, "")))
    assert code == 0, [v for r in report["results"] for v in r["violations"]]
    assert len(report["results"]) == 2 * 2 * 4 + 2 * 2  # plus the crossed basil/flexible cases
    no_leftovers()


def test_an_app_that_renews_on_the_preview_fails_by_the_period_end(capsys, write_target, token):
    code, report = run(capsys, write_target(target(token, "upcoming_renews")))
    assert code == 1
    failed = [r for r in report["results"] if not r["ok"]]
    assert len(failed) == len(report["results"])
    checks = {(v["check"], v["checkpoint"]) for r in failed for v in r["violations"]}
    # caught days before the renewal, at the checkpoint after the announcement
    assert checks == {("state.current_period_end", "renewal_announced"),
                      ("state.current_period_end", "trial_ending")}
