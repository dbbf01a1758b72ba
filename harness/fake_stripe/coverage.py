"""COVERAGE.md: what the fake Stripe serves, generated from its route table.

`python -m harness.fake_stripe.coverage > COVERAGE.md` writes it (a test keeps it current);
`--unserved` lists every other /v1 endpoint the installed stripe-python defines, each of which
the fake answers with Stripe's unknown-URL 404 and logs as a harness gap.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from . import sdk_spec
from .routes import ROUTES, Route

HEADER = """# Coverage of the fake Stripe API

Generated from the fake's route table by `python -m harness.fake_stripe.coverage > COVERAGE.md`;
`tests/fake_stripe/test_coverage.py` fails when it is out of date.

- **validated**: parameters are checked against stripe-python's own definition of the endpoint
  (its `stripe.params` TypedDicts): an unknown parameter is Stripe's 400 "Received unknown
  parameter: a[b]", a missing required one "Missing required param: a[b].".
- **stateful**: the call changes the simulated World and emits Stripe's events for it, rendered
  by the same code as the webhooks.
- **parameters acted on**: the top-level parameters the fake honours; any other parameter the
  SDK defines is accepted (as Stripe would) and the request is logged with a `gap` note
  naming it. "all" means the handler reads every parameter it is given.

Every other endpoint stripe-python defines answers Stripe's 404 "Unrecognized request URL" and is
logged as a harness gap ("not implemented by the fake"); `python -m harness.fake_stripe.coverage
--unserved` lists them for the installed SDK. Every endpoint below is exercised through
stripe-python in `tests/fake_stripe/` (those marked "not in this SDK", removed from Stripe's API
in 2025-03-31.basil and served for older versions only, through raw requests).
"""


def _resource(route: Route) -> str:
    parts = (route.template or route.pattern.pattern).split("/")[2:]
    head = parts[0]
    if head in ("checkout", "billing_portal", "entitlements") and len(parts) > 1:
        head = f"{head}/{parts[1]}"
    return head


def rows(routes: Iterable[Route] = ROUTES) -> list[tuple[str, ...]]:
    known = sdk_spec.by_template()
    out = []
    for route in routes:
        template = route.template or route.pattern.pattern
        if not template.startswith("/v1/"):
            continue
        spec = known.get((route.method, template))
        sdk = f"`{spec.service}.{spec.name}`" if spec else "(not in this SDK)"
        honours = ("all" if route.honours is None
                   else ", ".join(sorted(route.honours - {"expand"})) or "(none)")
        out.append((_resource(route), route.method, template, sdk,
                    "yes" if spec else "no", "yes" if route.stateful else "no", honours))
    return sorted(out, key=lambda r: (r[0], r[2], r[1]))


def render() -> str:
    lines = [HEADER]
    current = None
    for resource, method, template, sdk, validated, stateful, honours in rows():
        if resource != current:
            current = resource
            lines.append(f"\n## {resource}\n")
            lines.append("| endpoint | stripe-python | validated | stateful | "
                         "parameters acted on |")
            lines.append("|---|---|---|---|---|")
        lines.append(f"| `{method} {template}` | {sdk} | {validated} | {stateful} | "
                     f"{honours} |")
    return "\n".join(lines) + "\n"


def unserved() -> list[str]:
    served = {(r.method, r.template) for r in ROUTES}
    return [r.describe() for r in sdk_spec.sdk_routes()
            if (r.method, r.template) not in served]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--unserved"]:
        print("\n".join(sorted(unserved(), key=lambda s: s.split(" ", 1)[::-1])))
        return 0
    if args:
        print("usage: python -m harness.fake_stripe.coverage [--unserved]", file=sys.stderr)
        return 2
    sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
