"""An app written without the harness in mind, on the downgrade scheduled at period end: the
correct one passes, the one that shows the schedule's last phase as the current plan fails at
the checkpoint after the switch, by state.plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main

pytestmark = pytest.mark.http

APP = Path(__file__).parent / "apps" / "plan_badge_app.py"


def target(mode: str) -> dict:
    return {
        "app": {"command": ["{python}", str(APP), "{port}"],
                "ready_url": "http://127.0.0.1:{port}/healthz", "ready_timeout": 30,
                "env": {"MODE": mode, "STRIPE_API_BASE": "{stripe_api_base}",
                        "STRIPE_SECRET_KEY": "{stripe_secret_key}",
                        "STRIPE_WEBHOOK_SECRET": "{webhook_secret}", "PLANS": "{plans}"}},
        "webhook": {"url": "http://127.0.0.1:{port}/webhooks"},
        "plans": {"basic": ["price_basic_monthly"], "pro": ["price_pro_monthly"],
                  "enterprise": ["price_enterprise_monthly"]},
        "seed": {"url": "http://127.0.0.1:{port}/users",
                 "json": {"id": "{user_id}", "customer": "{customer_id}"},
                 "reset_url": "http://127.0.0.1:{port}/reset"},
        "state": {"url": "http://127.0.0.1:{port}/state?customer_id={customer_id}"},
    }


@pytest.mark.parametrize("mode", ["", "upcoming"])
def test_the_verdict_on_a_downgrade_scheduled_at_period_end(capsys, write_target, mode):
    code = main(["run", "--config", str(write_target(target(mode))), "--scenario",
                 "downgrade_at_period_end", "--delivery", "in_order", "--delivery", "shuffled",
                 "--api-version", "2025-03-31.basil", "--api-version", "2026-10-28.endive",
                 "--json"])
    report = json.loads(capsys.readouterr().out)
    if not mode:
        assert code == 0 and report["ok"], report
        return
    assert code == 1 and report["faults"].get("app")
    first = [r for r in report["results"] if not r["ok"]]
    assert len(first) == len(report["results"])  # every case catches it
    checks = {(v["checkpoint"], v["check"]) for r in first for v in r["violations"]}
    assert ("downgrade_scheduled", "state.plan") in checks
