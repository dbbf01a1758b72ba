"""The fake Stripe REST API: a side room that serves the simulator's World over HTTP.

Takes a live `harness.sim.World`; gives `FakeStripe`, which answers /v1 requests as Stripe would
(rendered by `harness.render` in the request's API version), logs them for contract checks, and
serves in process (`stripe_client()`) or on a local port (`start()`).
"""

from . import library_compat  # noqa: F401  (registers what real libraries expand)
from .errors import StripeApiError
from .handlers import Call
from .routes import ROUTES, Route
from .server import FakeStripe, LoggedRequest
from .transport import DispatchHTTPClient, LocalServer

__all__ = [
    "ROUTES",
    "Call",
    "DispatchHTTPClient",
    "FakeStripe",
    "LocalServer",
    "LoggedRequest",
    "Route",
    "StripeApiError",
]
