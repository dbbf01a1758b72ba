"""What the fake does with a request before its handler runs: SDK validation and gap notes.

`unserved` answers a request no route serves as Stripe answers an unknown URL (404) and says why
in the gap note: an endpoint stripe-python defines that the fake does not implement, or a URL the
SDK does not define either. `check_request` validates the params against the SDK's definition of
the endpoint and notes parameters the SDK defines but the handler does not act on.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import stripe

from . import errors, sdk_spec
from .errors import StripeApiError
from .routes import Route
from .validate import check_params

BASIL = "2025-03-31"


def unserved(method: str, path: str) -> StripeApiError:
    """Stripe's unknown-URL 404, carrying the harness gap it stands for."""
    known = sdk_spec.find(method, path)
    if known is not None:
        route = known[0]
        gap = (f"not implemented by the fake: {route.describe()} (stripe-python "
               f"{route.service}.{route.name})")
    else:
        gap = (f"unrecognized URL: {method} {path} is not served by the fake and no "
               f"stripe-python {stripe.VERSION} method calls it")
    return errors.unrecognized_url(method, path, gap=gap)


def check_request(route: Route, params: dict[str, Any], version: str | None = None) -> str | None:
    """Refuse params as Stripe would; give a gap note for SDK params the handler ignores.

    The SDK describes the newest API version. A request in a version before
    2025-03-31.basil (the release that removed many parameters) may send a top-level parameter
    since removed: it is accepted (not acted on) and noted as a gap rather than refused, since
    Stripe may have taken it in that version. From basil on, an unknown name is Stripe's 400."""
    if route.template is None:
        return None
    spec = sdk_spec.by_template().get((route.method, route.template))
    if spec is None:
        return None
    notes = []
    older = version is not None and version[:10] < BASIL
    checked = params
    for _ in range(len(params) + 1):
        try:
            check_params(checked, spec.params)
            break
        except StripeApiError as exc:
            if not (older and exc.code == "parameter_unknown" and exc.param in checked):
                raise
            notes.append(f"parameter {exc.param} is not in stripe-python {stripe.VERSION}'s "
                         f"definition (API {stripe.api_version}); accepted for {version}")
            checked = {k: v for k, v in checked.items() if k != exc.param}
    if route.honours is not None:
        ignored = [k for k in checked if k not in route.honours]
        if ignored:
            notes.append(f"parameters accepted but not supported by the fake: "
                         f"{', '.join(ignored)} ({route.describe()})")
    return "; ".join(notes) or None


@contextlib.contextmanager
def api_request(world: Any, request_id: str, idempotency_key: str | None) -> Iterator[None]:
    """Everything a write does is one action of the app's API request: its events share one
    `request`, `{id: <this response's Request-Id>, idempotency_key: <the key sent>}`, as
    Stripe's do. A World without action bookkeeping needs nothing."""
    acting = getattr(world, "acting_as", None)
    begin = getattr(world, "begin_action", None)
    if acting is None or begin is None:
        yield
        return
    with acting("api"):
        outer = begin()
        requests = getattr(world, "_requests", None)
        if outer and isinstance(requests, dict):
            requests["api"] = (request_id, idempotency_key)
        try:
            yield
        finally:
            if outer:
                world.end_action()
