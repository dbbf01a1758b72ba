"""HostedPages: the portal and Checkout pages on the fake Stripe's own port.

Takes a running `FakeStripe` and, optionally, the app's webhook (a url or a Target) with its
secret; gives pages at `/p/session/<token>` (portal) and `/c/pay/<cs_test_id>` (Checkout), the
session urls the fake's API now answers with, and a journal of what the customer did. Each
action calls the World verb a scenario step calls, under the fake's lock, then sends the new
events to the app, signed, before the page answers.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..errors import ConfigError
from ..fake_stripe import FakeStripe, Route
from ..sim import SimEvent
from . import checkout, portal_pages
from .answers import Answer, PageError, Request, error_page
from .features import PortalFeatures
from .journal import Journal
from .portal_pages import Visit
from .webhooks import Delivered, Endpoint, WebhookSender

PORTAL_PREFIX = "/p/session/"
CHECKOUT_PREFIX = "/c/pay/"
SESSION_TTL = 300  # seconds to open a portal link (inferred: Stripe says "short-lived")
VISIT_TTL = 3600  # seconds a visited portal session stays usable (inferred)


@dataclass
class HostedPages:
    """Install with `HostedPages(fake, webhook=..., webhook_secret=...).install()`."""

    fake: FakeStripe
    webhook: Endpoint | None = None
    webhook_secret: str | None = None
    api_version: str | None = None  # the endpoint's version; default: the account's
    features: PortalFeatures = field(default_factory=PortalFeatures)
    configurations: Mapping[str, PortalFeatures | Mapping[str, Any]] = field(
        default_factory=dict)
    enabled_events: list[str] | None = None
    session_ttl: float = SESSION_TTL
    visit_ttl: float = VISIT_TTL
    clock: Callable[[], float] = time.time
    public_url: str | None = None  # where the browser reaches the fake, if not fake.url

    def __post_init__(self) -> None:
        self.visits: dict[str, Visit] = {}
        self.checkouts: dict[str, checkout.PendingCheckout] = {}
        self.journal = Journal()
        self.deliveries: list[Delivered] = []
        self._sender: WebhookSender | None = None
        self._send_lock = threading.Lock()
        self._routes: list[Route] = []
        self._served: dict[tuple[str, str], Route | None] = {}
        if self.webhook is not None and not self.webhook_secret:
            raise ConfigError("a webhook needs its signing secret (webhook_secret=whsec_...)")
        self.configurations = {k: v if isinstance(v, PortalFeatures)
                               else PortalFeatures.from_configuration(v)
                               for k, v in self.configurations.items()}

    # -- wiring --------------------------------------------------------------------------------

    def install(self) -> HostedPages:
        if not self.fake.running and self.public_url is None:
            raise ConfigError("the hosted pages need the fake Stripe served over HTTP: call "
                              "fake.start() first")
        if self.fake.pages is not None and self.fake.pages is not self:
            raise ConfigError("this fake Stripe already serves hosted pages")
        self.fake.pages = self
        # The fake's own handlers answer; these wrap them to point the urls at the pages.
        self._served = {key: self._find_route(*key) for key in (
            ("POST", "/v1/billing_portal/sessions"), ("POST", "/v1/checkout/sessions"),
            ("GET", "/v1/checkout/sessions/cs_test_x"))}
        self._routes = [self._wrap(method, path, pattern, handler) for method, path, pattern,
                        handler in (
            ("POST", "/v1/billing_portal/sessions", r"/v1/billing_portal/sessions",
             self._create_portal_session),
            ("POST", "/v1/checkout/sessions", r"/v1/checkout/sessions", self._create_checkout),
            ("GET", "/v1/checkout/sessions/cs_test_x", r"/v1/checkout/sessions/(?P<id>cs_[^/]+)",
             self._get_checkout))]
        self.fake.routes[:0] = self._routes
        if self.webhook is not None:
            self.connect(self.webhook, self.webhook_secret or "")
        return self

    def connect(self, webhook: Endpoint, secret: str | None = None, *,
                api_version: str | None = None) -> HostedPages:
        """Send events to this webhook from now on: a url, a Target (`deliver(body, headers)`)
        or a callable(body, headers) -> status. `secret` defaults to the one given before."""
        secret = secret or self.webhook_secret
        if not secret:
            raise ConfigError("a webhook needs its signing secret (secret=whsec_...)")
        if self._sender is not None:
            self._sender.close()
        self.webhook, self.webhook_secret = webhook, secret
        if api_version is not None:
            self.api_version = api_version
        try:
            self._sender = WebhookSender(webhook, secret, self.endpoint_version,
                                         self.fake.world.catalog,
                                         enabled_events=self.enabled_events)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        return self

    def _wrap(self, method: str, path: str, pattern: str, handler: Any) -> Route:
        """The fake's route with our handler in front (keeping how the fake validates it)."""
        own = self._served.get((method, path))
        if own is None:
            return Route.of(method, pattern, handler)
        return dataclasses.replace(own, handler=handler)

    def _find_route(self, method: str, path: str) -> Route | None:
        return next((r for r in self.fake.routes if r.match(method, path)), None)

    def served(self, method: str, path: str) -> Route | None:
        """The fake's own route for an endpoint the pages wrap, if it serves one."""
        sample = "/v1/checkout/sessions/cs_test_x" if path.startswith(
            "/v1/checkout/sessions/") else path
        return self._served.get((method, sample))

    def uninstall(self) -> None:
        if self.fake.pages is self:
            self.fake.pages = None
        self.fake.routes = [r for r in self.fake.routes if r not in self._routes]
        if self._sender is not None:
            self._sender.close()
            self._sender = None

    def __enter__(self) -> HostedPages:
        return self.install()

    def __exit__(self, *exc: object) -> None:
        self.uninstall()

    def reset(self) -> None:
        """Forget sessions, the journal and deliveries (after `fake.reset(world)`)."""
        self.visits.clear()
        self.checkouts.clear()
        self.journal.clear()
        self.deliveries.clear()
        if self._sender is not None:
            self._sender.catalog = self.fake.world.catalog
            self._sender.api_version = self.endpoint_version

    @property
    def world(self) -> Any:
        return self.fake.world

    @property
    def endpoint_version(self) -> str:
        return self.api_version or self.fake.world.api_version

    @property
    def base_url(self) -> str:
        return self.public_url or self.fake.url

    def features_for(self, configuration: str | None,
                     customer: str | None = None) -> PortalFeatures:
        """The one place a page learns what the portal configuration allows: one given to
        these pages by id, else the configuration the World holds for the customer, else one
        the fake's API holds, else the default."""
        if configuration in self.configurations:
            return self.configurations[configuration]  # type: ignore[return-value]
        portal_of = getattr(self.world, "portal_of", None)  # a World that plays configurations
        held = portal_of(customer) if portal_of is not None and customer else None
        if held is not None:
            dump = held.model_dump() if hasattr(held, "model_dump") else held
            return PortalFeatures.from_configuration(dump)
        # Configurations the fake's API holds (created with POST /v1/billing_portal/
        # configurations), wherever the fake keeps them.
        stores = [getattr(self.fake, "portal_configurations", None),
                  getattr(getattr(self.world, "api", None), "portal_configurations", None)]
        for store in stores:
            found = (store or {}).get(configuration) if configuration else None
            if found is None:
                continue
            data = found if isinstance(found, Mapping) else getattr(found, "features", found)
            if isinstance(data, PortalFeatures):
                return data
            if data:  # a configuration with no features set is the fake's default one
                return PortalFeatures.from_configuration(data)
        return self.features

    def expire(self, session: str) -> None:
        """End a portal session now (its id, token or url), as time would."""
        for visit in self.visits.values():
            if session in (visit.session_id, visit.token) or session.endswith(visit.token):
                visit.expired = True
                return
        raise ConfigError(f"no portal session {session!r} served by these pages")

    # -- what the customer does ------------------------------------------------------------

    def perform(self, action: Callable[[], Any]) -> Any:
        """Run one World change under the fake's lock, then send its events to the app."""
        with self.fake.lock:
            start = len(self.world.events)
            result = action()
            new: list[SimEvent] = self.world.events[start:]
        self.send(new)
        return result

    def send(self, events: list[SimEvent]) -> None:
        if self._sender is None or not events:
            return
        with self._send_lock:  # one journey at a time reaches the app in Stripe's order
            self.deliveries.extend(self._sender.send(events))

    def act(self, customer_id: str, action: str, **params: Any) -> None:
        """Take a scenario step for a customer without the browser (recorded in the journal),
        for example the Checkout that precedes a portal journey."""
        portal_pages.apply_step(self, customer_id, action, params)

    def save_journey(self, path: str, description: str = "A journey recorded on the "
                     "local hosted pages.") -> Any:
        return self.journal.save(path, description, catalog=self.world.catalog,
                                 api_version=self.world.api_version,
                                 billing_mode=self.world.billing_mode)

    def journey_yaml(self, name: str, description: str = "A journey recorded on the local "
                     "hosted pages.") -> str:
        return self.journal.yaml(name, description, catalog=self.world.catalog,
                                 api_version=self.world.api_version,
                                 billing_mode=self.world.billing_mode)

    # -- API routes ----------------------------------------------------------------------------

    def _create_portal_session(self, call: Any) -> dict[str, Any]:
        route = self.served("POST", "/v1/billing_portal/sessions")
        if route is None:
            from ..fake_stripe.portal import create_portal_session

            body = create_portal_session(call)
        else:
            body = route.handler(call)
        token = urlsplit(body["url"]).path.rsplit("/", 1)[-1]
        url = f"{self.base_url}{PORTAL_PREFIX}{token}"
        call.world.portal_sessions[body["id"]].url = url
        body["url"] = url
        after = call.params.get("after_expiration")
        self.visits[token] = Visit(body["id"], token, self.clock(),
                                   after_expiration=after if isinstance(after, dict) else None)
        return body

    def _create_checkout(self, call: Any) -> dict[str, Any]:
        return checkout.create_session(self, call)

    def _get_checkout(self, call: Any) -> dict[str, Any]:
        return checkout.retrieve_session(self, call)

    # -- the pages -----------------------------------------------------------------------------

    def __call__(self, method: str, path: str, query: str, headers: Mapping[str, str],
                 body: bytes) -> Answer | None:
        if not path.startswith((PORTAL_PREFIX, CHECKOUT_PREFIX)):
            return None
        if method not in ("GET", "POST", "HEAD"):
            return error_page(405, "Method not allowed", "This page takes GET and POST.")
        form = dict(parse_qsl(body.decode("utf-8", "replace"))) if method == "POST" else {}
        req = Request(method, path, dict(parse_qsl(query)), form)
        try:
            if path.startswith(PORTAL_PREFIX):
                return portal_pages.handle(self, req)
            return checkout.handle(self, req)
        except PageError as exc:
            return error_page(exc.status, exc.title, exc.message)
