"""Who may talk to `portal-harness serve`, and where its plays may deliver.

Takes a request's method, path and headers (or a webhook url); gives a refusal (status and
message) or None. Every request must name this service by a loopback Host (no DNS rebinding)
and may not come from a page on another origin; the /_harness control routes also need the
per-run token; webhook urls must be loopback unless their host is allowed on the command line.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from .errors import ConfigError

TOKEN_HEADER = "X-Harness-Token"
TOKEN_ENV = "PORTAL_HARNESS_TOKEN"
OPEN_PATHS = frozenset({"/_harness/health"})  # a liveness probe: reveals the clock, no more
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost"})


def new_token() -> str:
    return secrets.token_urlsafe(24)


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ServeAccess:
    """The checks `StripeService` applies to each request it receives over HTTP."""

    def __init__(self, token: str, port: int, allowed_webhook_hosts: Iterable[str] = ()) -> None:
        self.token = token
        self.port = port
        self.allowed_webhook_hosts = {h.lower().strip("[]") for h in allowed_webhook_hosts}

    def refusal(self, path: str, headers: Mapping[str, str]) -> tuple[int, str] | None:
        """(status, message) when the request must be refused, else None."""
        lowered = {k.lower(): v for k, v in headers.items()}
        host = lowered.get("host", "")
        name, _, port = host.rpartition(":") if not host.endswith("]") else (host, "", "")
        if not is_loopback(name or host) or (port and port != str(self.port)):
            return 403, (f"Host {host[:80]!r} is not this service's loopback address; "
                         "portal-harness serve answers only requests made to 127.0.0.1 or "
                         "localhost (a page that rebinds a domain to loopback is refused)")
        origin = lowered.get("origin")
        if origin is not None and not self._own_origin(origin):
            return 403, (f"Origin {origin[:80]!r} is refused: portal-harness serve does not "
                         "answer web pages (CORS is never granted)")
        if lowered.get("sec-fetch-site") in ("cross-site", "same-site"):
            return 403, "cross-site requests from a browser are refused"
        if path.startswith("/_harness/") and path not in OPEN_PATHS:
            sent = lowered.get(TOKEN_HEADER.lower(), "")
            if not sent:
                return 401, (f"the /_harness control routes need the {TOKEN_HEADER} header "
                             f"(the {TOKEN_ENV} value serve printed at start)")
            if not hmac.compare_digest(sent.encode(), self.token.encode()):
                return 401, f"wrong {TOKEN_HEADER}; use the {TOKEN_ENV} value serve printed"
        return None

    def _own_origin(self, origin: str) -> bool:
        parts = urlsplit(origin)
        return (parts.scheme in ("http", "https") and is_loopback(parts.hostname or "")
                and parts.port == self.port)

    def check_webhook_url(self, url: str) -> str:
        """The url if a play may post signed events to it; ConfigError naming it otherwise."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"webhook_url {url[:200]!r}: expected an http(s) url")
        host = parts.hostname.lower()
        if not is_loopback(host) and host not in self.allowed_webhook_hosts:
            raise ConfigError(f"webhook_url {url[:200]!r}: plays deliver only to loopback "
                              f"(127.0.0.1, localhost); start serve with --allow-webhook-host "
                              f"{host} to deliver there")
        return url
