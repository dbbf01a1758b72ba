"""Run the reference app under uvicorn: `python -m harness.reference_app --port 8000 ...`.

Takes the Stripe endpoint, keys, API version and plan catalog as options, gives a running server
and prints one line when it is ready to accept requests.
"""

from __future__ import annotations

import argparse
import json
import sys

import uvicorn

from .app import create_app
from .settings import AppSettings


def parse_plans(text: str) -> tuple[dict[str, str], list[str]]:
    """'{"pro": ["price_pro_monthly", ...], ...}' (lowest plan first) -> price_plans, plan_order."""
    plans = json.loads(text)
    if not isinstance(plans, dict) or not all(
        isinstance(prices, list) and all(isinstance(p, str) for p in prices)
        for prices in plans.values()
    ):
        raise ValueError("expected a JSON object of plan name -> list of price ids")
    price_plans = {price: plan for plan, prices in plans.items() for price in prices}
    return price_plans, list(plans)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m harness.reference_app", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--api-base", required=True, help="Stripe API base url")
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--webhook-secret", required=True, help="whsec_...")
    parser.add_argument("--api-version", required=True, help="e.g. 2025-03-31.basil")
    parser.add_argument("--plans", required=True, help="JSON: plan -> [price ids], lowest first")
    parser.add_argument("--site-url", default="https://app.example.test")
    parser.add_argument("--portal-configuration", default=None, help="bpc_... (optional)")
    return parser


class _Server(uvicorn.Server):
    async def startup(self, sockets=None) -> None:
        await super().startup(sockets)
        if self.started:
            host, port = self.servers[0].sockets[0].getsockname()[:2]
            print(f"reference app ready on http://{host}:{port}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        price_plans, plan_order = parse_plans(args.plans)
        settings = AppSettings(
            stripe_api_key=args.api_key,
            stripe_api_base=args.api_base,
            webhook_secret=args.webhook_secret,
            api_version=args.api_version,
            price_plans=price_plans,
            plan_order=plan_order,
            site_url=args.site_url,
            portal_configuration=args.portal_configuration,
        )
    except ValueError as exc:
        parser.error(f"--plans: {exc}")
    config = uvicorn.Config(
        create_app(settings), host=args.host, port=args.port, log_level="warning"
    )
    _Server(config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
