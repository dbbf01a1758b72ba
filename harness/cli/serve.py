"""`portal-harness serve`: the fake Stripe API as a local service for an app you start yourself.

Prints the environment to give the app (STRIPE_API_BASE=..., in .env format), then serves until
Ctrl-C; POST /_harness/play plays a scenario at the webhook url and answers the report.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable

from ..versions import KNOWN_VERSIONS, PINNED_VERSION

DEFAULT_PORT = 12150


def register(sub: argparse._SubParsersAction, matrix_args: Callable,
             common_sim: Callable) -> None:
    p = sub.add_parser(
        "serve", help="serve the fake Stripe API for an app you start yourself; play "
                      "scenarios at its webhook url on request",
        description="Serve the fake Stripe API on loopback until Ctrl-C. Prints the "
                    "environment to give your app and the control token, then: POST "
                    "/_harness/play (fields scenario, api_version, seed, delivery, webhook_url, "
                    "billing_mode; form or JSON) plays a scenario and forwards its signed "
                    "events; POST /_harness/reset starts over; GET /_harness/events lists what "
                    "was delivered. Control routes need the X-Harness-Token header (the "
                    "printed PORTAL_HARNESS_TOKEN, or that variable's value when it is set); "
                    "only loopback Hosts are answered and browser pages are refused.")
    p.add_argument("--port", type=int, default=DEFAULT_PORT,
                   help=f"loopback port (default {DEFAULT_PORT}; 0 picks a free one)")
    p.add_argument("--api-version", default=PINNED_VERSION, choices=KNOWN_VERSIONS, metavar="V",
                   help="the account's default API version and the webhook endpoint's "
                        f"(default {PINNED_VERSION})")
    p.add_argument("--webhook-url", metavar="URL",
                   help="where plays deliver events (a play request may name another)")
    p.add_argument("--webhook-secret", metavar="S", default=None,
                   help="the endpoint's signing secret, whsec_... (default: the harness's)")
    p.add_argument("--scenario-dir", action="append", default=[], metavar="DIR",
                   help="a folder of scenario files plays may name (repeatable; the built-ins "
                        "are always available; a play never opens a path)")
    p.add_argument("--allow-webhook-host", action="append", default=[], metavar="HOST",
                   help="a non-loopback host plays may deliver to (repeatable; default: "
                        "loopback only, plus the host of --webhook-url)")
    common_sim(p)
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    from ..scenario.catalog import load_catalog
    from ..serve import PLAY_PATH, StripeService
    from ..serve_access import TOKEN_ENV, TOKEN_HEADER
    from ..targets.files import DEFAULT_SECRET

    service = StripeService(
        catalog=load_catalog(args.catalog) if args.catalog else None,
        api_version=args.api_version, webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret or DEFAULT_SECRET, seed=args.seed,
        billing_mode=args.billing_mode, port=args.port,
        token=os.environ.get(TOKEN_ENV) or None, scenario_dirs=args.scenario_dir,
        allow_webhook_hosts=args.allow_webhook_host)
    auth = f"-H '{TOKEN_HEADER}: ${TOKEN_ENV}'"
    stopped = threading.Event()
    with service:
        for key, value in service.environment().items():
            print(f"{key}={value}")
        target = args.webhook_url or "(none: pass webhook_url when playing)"
        print(f"# fake Stripe API {service.url}, API version {service.api_version}; "
              f"webhooks to {target}")
        print(f"# play:   curl -s -X POST {service.url}{PLAY_PATH} {auth} -d scenario=upgrade"
              " -d delivery=shuffled")
        print(f"# events: curl -s {service.url}/_harness/events {auth}")
        print(f"# reset:  curl -s -X POST {service.url}/_harness/reset {auth}")
        print("# Ctrl-C to stop", flush=True)
        previous = signal.signal(signal.SIGTERM, lambda *_: stopped.set())
        try:
            while not stopped.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
    print("portal-harness: serve stopped", file=sys.stderr)
    return 0
