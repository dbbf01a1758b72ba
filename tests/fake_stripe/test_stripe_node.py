"""A sample of the fake through stripe-node (the Node example app's pinned `stripe`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.fake_stripe import FakeStripe

from .accounts import make_account

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "examples" / "node-app" / "node_modules"


@pytest.fixture
def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.skip("node is not installed")
    if not (NODE_MODULES / "stripe").is_dir():
        pytest.skip("run `npm ci` in examples/node-app first (CI does)")
    return found


def test_stripe_node_creates_reads_pages_searches_and_gets_stripes_errors(node: str) -> None:
    world, _, _ = make_account()
    with FakeStripe(world) as fake:
        proc = subprocess.run(
            [node, str(Path(__file__).with_name("node_tour.js")), fake.url, fake.api_key],
            capture_output=True, text=True, timeout=60,
            env={**os.environ, "NODE_PATH": str(NODE_MODULES)})
        assert proc.returncode == 0, proc.stderr
        out = json.loads(proc.stdout)
        assert out["customer"] == "node@example.test"
        assert out["expanded"] == "list"
        assert out["product"] == "Pro"
        assert out["prices"] == sorted(world.catalog.prices)  # auto-paged one at a time
        assert out["session"] == ["open", True]
        assert out["lineItems"] == ["price_basic_monthly"]
        assert out["search"] == [True]
        assert out["account"] == "account"
        assert out["trialSession"] == "open"
        assert out["preview"] == 2  # a seat change's credit and debit
        assert out["quantity"] == 2
        assert out["refund"] == ["succeeded", 100]
        assert out["intent"] == "succeeded"
        assert out["events"] == ["refund.created", "charge.refunded"]  # newest first
        assert out["secret"] is True
        assert out["unknown"] == ["StripeInvalidRequestError", 400,
                                  "Received unknown parameter: emial", "emial"]
        assert out["unserved"][0] == 404
        assert [g.path for g in fake.gaps] == ["/v1/charges/ch_missing/capture"]
        versions = {r.stripe_version for r in fake.requests}
        assert versions == {"2026-10-28.endive"}  # stripe-node 23.1 pins it
