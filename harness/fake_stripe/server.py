"""FakeStripe: Stripe's REST API over a live World, one `dispatch()` behind every transport.

Takes requests (method, path, query, headers, body) and the World the scenario keeps changing;
gives Stripe-shaped responses rendered in the request's API version, a log of the newest 10,000
requests for contract checks (a ring buffer), and `check()`, which re-raises any bug a handler hit.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import re
import string
import threading
from collections import deque
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import stripe

from ..delivery.signing import DEFAULT_WEBHOOK_SECRET
from ..errors import ConfigError
from ..sim import World
from ..versions import KNOWN_VERSIONS, check_version
from . import errors
from .errors import StripeApiError
from .forms import MAX_BODY_BYTES, decode_form
from .handlers import Call, Handler
from .keys import DEFAULT_API_KEY
from .routes import CONTROL_PREFIX, ROUTES, Route
from .served import api_request, check_request, unserved
from .transport import Dispatch, DispatchHTTPClient, LocalServer

# The request log and the idempotency cache keep this many entries, oldest dropped first.
MAX_LOGGED_REQUESTS = 10_000
IN_PROCESS_BASE = "http://fake-stripe.invalid"  # never resolves, so nothing leaks to a network
_ALPHABET = string.ascii_letters + string.digits

# A date-shaped API version (2020-08-27, 2023-10-16), as Stripe names every version before
# 2024-09-30; those before KNOWN_VERSIONS[0] are answered in its shape.
OLDER_VERSION = re.compile(r"^20[1-2][0-9]-[01][0-9]-[0-3][0-9]$")


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)

class LoggedRequest:
    """One request the fake answered, for contract checks ("which customer, which return_url")."""

    method: str
    path: str
    params: dict[str, Any]
    api_version: str | None  # the version the response was rendered in (None if refused)
    stripe_version: str | None  # the Stripe-Version header as sent, if any
    status: int
    request_id: str
    idempotency_key: str | None = None
    response: dict[str, Any] = field(default_factory=dict, repr=False)
    replayed: bool = False  # answered from the idempotency cache
    # Why the harness could not serve it (an unknown route, a parameter Stripe accepts that the
    # fake refuses, a bug of the fake); None for a served request or one of Stripe's own 4xx.
    gap: str | None = None

    @property
    def error(self) -> dict[str, Any] | None:
        return self.response.get("error") if self.status >= 400 else None


class FakeStripe:
    """Serves `world` as Stripe's API would, always as it stands now.

    The caller keeps changing the World while apps call in; hold `fake.lock` around changes made
    while a real server thread may be answering.
    """

    def __init__(self, world: World, *, api_key: str = DEFAULT_API_KEY,
                 default_api_version: str | None = None,
                 configurations: tuple[str, ...] = (),
                 webhook_secret: str | None = None,
                 max_requests: int = MAX_LOGGED_REQUESTS) -> None:
        if default_api_version is not None:
            check_version(default_api_version)
        self.api_key = api_key
        self.default_api_version = default_api_version
        self.extra_configurations = tuple(configurations)
        # What POST /v1/webhook_endpoints hands out: the secret the harness signs with.
        self.webhook_secret = webhook_secret or DEFAULT_WEBHOOK_SECRET
        self.routes: list[Route] = list(ROUTES)
        self.max_requests = max_requests
        # Pages a browser opens (harness.hosted installs them): tried before the JSON API.
        self.pages: Dispatch | None = None
        self.lock = threading.RLock()
        self._server: LocalServer | None = None
        self.reset(world)

    # -- state -------------------------------------------------------------------------------

    def reset(self, world: World | None = None) -> None:
        """Forget requests, errors and idempotency keys; optionally serve a new World."""
        with self.lock:
            if world is not None:
                self.world = world
            self._rng = random.Random(f"fake-stripe:{self.world.seed}")
            self.configuration_id = "bpc_1" + self._token(23)
            self.configuration_ids = {self.configuration_id, *self.extra_configurations}
            # A ring buffer: the newest max_requests requests (a long-running serve stays small).
            self.requests: deque[LoggedRequest] = deque(maxlen=self.max_requests)
            self.errors: list[BaseException] = []
            self._idempotent: dict[str, tuple[tuple[Any, ...], int, dict[str, Any], str]] = {}

    def add_route(self, method: str, pattern: str, handler: Handler) -> None:
        """Serve one more endpoint on this instance; routes are tried in order."""
        self.routes.append(Route.of(method, pattern, handler))

    def check(self) -> None:
        """Re-raise the first exception a handler hit since the last check (bugs fail loudly)."""
        with self.lock:
            found, self.errors = self.errors, []
        if found:
            first = found[0]
            if len(found) > 1:
                first.add_note(f"the fake Stripe hit {len(found) - 1} more error(s): "
                               f"{found[1:]!r}")
            raise first

    @property
    def approximated(self) -> list[LoggedRequest]:
        """Requests that named a Stripe-Version older than the oldest the fake renders, each
        answered in that oldest version's shape (`api_version`)."""
        with self.lock:
            return [r for r in self.requests
                    if r.stripe_version and r.api_version
                    and r.stripe_version.strip() != r.api_version]

    @property
    def gaps(self) -> list[LoggedRequest]:
        """The logged requests the harness could not serve (each with its `gap`)."""
        with self.lock:
            return [r for r in self.requests if r.gap is not None]

    def requests_to(self, path: str, *, method: str | None = None) -> list[LoggedRequest]:
        """Logged requests whose path equals `path` (or fully matches it as a regex)."""
        pattern = re.compile(path if path.startswith("^") else re.escape(path))
        return [r for r in self.requests if pattern.fullmatch(r.path)
                and (method is None or r.method == method.upper())]

    # -- the one entry point -----------------------------------------------------------------

    def dispatch(self, method: str, path: str, query: str, headers: Mapping[str, str],
                 body: bytes) -> tuple[int, dict[str, str], bytes]:
        """Answer one request: (status, response headers, JSON body)."""
        method = method.upper()
        if self.pages is not None:
            page = self.pages(method, path, query, headers, body)
            if page is not None:
                return page
        lowered = {k.lower(): v for k, v in headers.items()}
        sent_version = lowered.get("stripe-version")
        idem = lowered.get("idempotency-key") if method == "POST" else None
        # Decoding needs no shared state, so it runs before the lock: a large or hostile body
        # never holds up other requests.
        params: dict[str, Any] = {}
        refused: StripeApiError | None = None
        try:
            params = self._params(query, body)
        except StripeApiError as exc:
            refused = exc
        with self.lock:
            request_id = "req_" + self._token(14)
            version: str | None = None
            replayed_from: str | None = None
            gap: str | None = None
            try:
                if not path.startswith(CONTROL_PREFIX):
                    self._authenticate(lowered)
                version = self._version(sent_version)
                if refused is not None:
                    raise refused
                route, match = self._route(method, path)
                cached = self._idempotent.get(idem) if idem else None
                if cached is not None:
                    status, payload, replayed_from = self._replay(cached, idem, method, path,
                                                                  params)
                else:
                    gap = check_request(route, params, version)
                    call = Call(self, self.world, method, path, params, version, match)
                    writing = method != "GET"
                    with api_request(self.world, request_id, idem) if writing else nullcontext():
                        result = route.handler(call)
                    if call.notes:
                        gap = "; ".join(n for n in (gap, *call.notes) if n)
                    status, payload = result if isinstance(result, tuple) else (200, result)
                    if idem and 200 <= status < 300:  # Stripe saves results that executed
                        if len(self._idempotent) >= self.max_requests:  # forget the oldest
                            del self._idempotent[next(iter(self._idempotent))]
                        self._idempotent[idem] = ((method, path, params), status, payload,
                                                  request_id)
            except StripeApiError as exc:
                status, payload = exc.status, exc.body(request_id, self.world.now)
                gap = exc.gap
            except Exception as exc:  # a bug in the fake: answer 500, re-raise in check()
                self.errors.append(exc)
                failure = errors.internal(exc)
                status, payload = failure.status, failure.body(request_id, self.world.now)
                gap = failure.gap
            out_headers = {
                "Content-Type": "application/json",
                "Request-Id": request_id,
                "Stripe-Version": version or self.default_api_version or self.world.api_version,
            }
            if idem:
                out_headers["Idempotency-Key"] = idem
            if replayed_from:
                out_headers["Idempotent-Replayed"] = "true"
                out_headers["Original-Request"] = replayed_from
            if status >= 500:
                out_headers["Stripe-Should-Retry"] = "false"
            self.requests.append(LoggedRequest(
                method, path, params, version, sent_version, status, request_id, idem,
                payload, replayed_from is not None, gap))
        return status, out_headers, json.dumps(payload).encode("utf-8")

    def _token(self, n: int) -> str:
        return "".join(self._rng.choices(_ALPHABET, k=n))

    def _authenticate(self, headers: Mapping[str, str]) -> None:
        """Bearer auth, or basic auth with the key as user (curl -u sk_test_...:)."""
        auth = headers.get("authorization", "").strip()
        scheme, _, value = auth.partition(" ")
        key = value.strip()
        if scheme.lower() == "basic":
            try:
                key = base64.b64decode(key, validate=True).decode("utf-8").partition(":")[0]
            except (binascii.Error, UnicodeDecodeError):
                key = ""
        elif scheme.lower() != "bearer":
            key = ""
        if not key:
            raise errors.no_api_key()
        if key != self.api_key:
            raise errors.invalid_api_key(key)

    def _version(self, sent: str | None) -> str:
        """The Stripe-Version header if sent, else the fake's default, else the account's."""
        if sent is None:
            return self.default_api_version or self.world.api_version
        sent = sent.strip()
        if OLDER_VERSION.match(sent) and _is_date(sent) and sent < KNOWN_VERSIONS[0]:
            # A real version from before the ones modelled (a library pinning 2020-08-27):
            # answered in the oldest modelled shape; `FakeStripe.approximated` lists them.
            return KNOWN_VERSIONS[0]
        try:
            return check_version(sent)
        except ConfigError:
            raise errors.invalid(
                f"Invalid Stripe API version: {sent}. This fake Stripe renders "
                f"{KNOWN_VERSIONS[0]} through {KNOWN_VERSIONS[-1]}.") from None

    @staticmethod
    def _params(query: str, body: bytes) -> dict[str, Any]:
        if len(body) > MAX_BODY_BYTES:
            raise StripeApiError(413, f"Request body too large: {len(body)} bytes; the fake "
                                 f"Stripe API reads at most {MAX_BODY_BYTES} bytes.")
        params = decode_form(query) if query else {}
        if body:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                raise errors.invalid("Invalid request body: not UTF-8 form data") from None
            params.update(decode_form(text))
        return params

    def _route(self, method: str, path: str) -> tuple[Route, re.Match[str]]:
        """The first route that serves the request, or Stripe's unknown-URL 404 (a gap)."""
        for route in self.routes:
            match = route.match(method, path)
            if match is not None:
                return route, match
        raise unserved(method, path)

    @staticmethod
    def _replay(cached: tuple[tuple[Any, ...], int, dict[str, Any], str], key: str,
                method: str, path: str, params: dict[str, Any]
                ) -> tuple[int, dict[str, Any], str]:
        """Same key, same request: the saved response. Same key, other params: 400
        (https://docs.stripe.com/api/idempotent_requests)."""
        request, status, payload, original = cached
        if request != (method, path, params):
            raise StripeApiError(
                400, "Keys for idempotent requests can only be used with the same parameters "
                f"they were first used with. Try using a key other than '{key}' if you meant "
                "to execute a different request.", type="idempotency_error")
        return status, payload, original

    # -- transports --------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> FakeStripe:
        """Serve on a real local HTTP server (a daemon thread); returns self."""
        if self._server is None:
            self._server = LocalServer(self.dispatch, host, port)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake Stripe is not serving HTTP; call start() first")
        return self._server.url

    def http_client(self) -> DispatchHTTPClient:
        """A stripe.HTTPClient that calls dispatch() directly: no socket, no thread."""
        return DispatchHTTPClient(self.dispatch)

    def stripe_client(self, *, over_http: bool = False, stripe_version: str | None = None,
                      api_key: str | None = None) -> stripe.StripeClient:
        """A StripeClient aimed at this fake, retries off.

        In process by default; `over_http=True` goes through the real server and stripe-python's
        own HTTP client. Without `stripe_version` the client sends the SDK's pinned version, as
        an app's client would.
        """
        if over_http:
            base, client = self.url, None
        else:
            base, client = (self.url if self.running else IN_PROCESS_BASE), self.http_client()
        return stripe.StripeClient(
            api_key or self.api_key, base_addresses={"api": base}, http_client=client,
            max_network_retries=0, stripe_version=stripe_version)

    def __enter__(self) -> FakeStripe:
        return self.start()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.stop()
        if exc_type is None:
            self.check()

    def __repr__(self) -> str:
        where = self._server.url if self._server else "in process"
        return (f"<FakeStripe {where} world={self.world.api_version} seed={self.world.seed} "
                f"requests={len(self.requests)}>")
