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


def check_request(route: Route, params: dict[str, Any]) -> str | None:
    """Refuse params as Stripe would; give a gap note for SDK params the handler ignores."""
    if route.template is None:
        return None
    spec = sdk_spec.by_template().get((route.method, route.template))
    if spec is None:
        return None
    check_params(params, spec.params)
    if route.honours is None:
        return None
    ignored = [k for k in params if k not in route.honours]
    if not ignored:
        return None
    return (f"parameters accepted but not supported by the fake: {', '.join(ignored)} "
            f"({route.describe()})")


@contextlib.contextmanager
def api_request(world: Any) -> Iterator[None]:
    """Everything a write does is one action of the app's API request: its events share one
    `request` with a `req_` id. A World without action bookkeeping needs nothing."""
    acting = getattr(world, "acting_as", None)
    begin = getattr(world, "begin_action", None)
    if acting is None or begin is None:
        yield
        return
    with acting("api"):
        outer = begin()
        try:
            yield
        finally:
            if outer:
                world.end_action()
