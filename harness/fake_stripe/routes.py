"""The routing table of the fake Stripe: (method, path pattern, handler), read top to bottom.

Stripe's own endpoints live under /v1 and need the API key; each is named by the path template
stripe-python calls (`/v1/customers/{customer}`), so its parameters are checked against the SDK's
own definitions before the handler runs (`sdk_spec`, `validate`). The harness's control routes
live under /_harness and need none. To serve another endpoint, add it to a module in
`resources/` (or call `FakeStripe.add_route` on one instance).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .handlers import Call, Handler
from .sdk_spec import specificity, template_pattern

CONTROL_PREFIX = "/_harness/"


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    template: str | None = None  # the SDK's path template; None for harness-only routes
    stateful: bool = False  # writes change the World and emit Stripe's events
    honours: frozenset[str] | None = None  # top-level params acted on; None: all of them

    @classmethod
    def of(cls, method: str, pattern: str, handler: Handler) -> Route:
        return cls(method.upper(), re.compile(pattern), handler)

    @classmethod
    def sdk(cls, method: str, template: str, handler: Handler, *, stateful: bool = False,
            honours: set[str] | frozenset[str] | None = None) -> Route:
        """A Stripe endpoint named by the template stripe-python uses for it."""
        return cls(method.upper(), template_pattern(template), handler, template, stateful,
                   None if honours is None else frozenset(honours) | {"expand"})

    def match(self, method: str, path: str) -> re.Match[str] | None:
        return self.pattern.fullmatch(path) if method == self.method else None

    def describe(self) -> str:
        return f"{self.method} {self.template or self.pattern.pattern}"


def health(call: Call) -> dict[str, Any]:
    """GET /_harness/health: the fake is up; shows the World's clock and account version."""
    return {"ok": True, "api_version": call.world.api_version, "now": call.world.now,
            "requests": len(call.fake.requests)}


def _stripe_routes() -> tuple[Route, ...]:
    from .resources import ROUTES as served

    # Literal segments before placeholders, so /v1/customers/search wins over /{customer}.
    return tuple(sorted(served, key=lambda r: specificity(r.template or "")))


ROUTES: tuple[Route, ...] = (
    *_stripe_routes(),
    Route.of("GET", r"/_harness/health", health),
)
