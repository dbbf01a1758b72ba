"""Events to the app as a customer acts: each new event rendered, signed and sent at once.

Takes the simulator's new events after a page action and the endpoint (a url, or anything with
`deliver(body, headers) -> status` such as a Target); gives one signed delivery per event, in
Stripe's order, logged with the app's answer. A refused delivery is not retried here (the pages
are a journey, not a delivery plan); the log shows it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from ..delivery.signing import sign_payload
from ..render.events import Event, matches
from ..scenario.catalog import Catalog
from ..sim import SimEvent

Endpoint = str | Callable[[bytes, Mapping[str, str]], int] | Any


@dataclass(frozen=True)
class Delivered:
    """One delivery the pages made: which event, where, and what the app answered."""

    event_id: str
    type: str
    object_id: str
    status: int | None  # None: the app could not be reached
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class WebhookSender:
    """Signs and sends events to one endpoint, rendered in its API version."""

    def __init__(self, endpoint: Endpoint, secret: str, api_version: str, catalog: Catalog, *,
                 enabled_events: list[str] | None = None, timeout: float = 30) -> None:
        if not secret.startswith("whsec_"):
            raise ValueError(f"webhook secret {secret[:6]!r}...: a signing secret starts "
                             "with whsec_")
        self.endpoint = endpoint
        self.secret = secret
        self.api_version = api_version
        self.catalog = catalog
        self.enabled_events = enabled_events
        self._http = httpx.Client(timeout=timeout) if isinstance(endpoint, str) else None

    def send(self, events: Sequence[SimEvent]) -> list[Delivered]:
        out = []
        for sim_event in events:
            if not matches(sim_event.type, self.enabled_events):
                continue
            event = Event.from_sim(sim_event, self.api_version, self.catalog)
            headers = {"Stripe-Signature": sign_payload(event.body, self.secret),
                       "Content-Type": "application/json; charset=utf-8",
                       "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"}
            out.append(self._post(event, headers))
        return out

    def _post(self, event: Event, headers: dict[str, str]) -> Delivered:
        endpoint = self.endpoint
        try:
            if self._http is not None:
                status = self._http.post(endpoint, content=event.body,
                                         headers=headers).status_code
            elif hasattr(endpoint, "deliver"):
                status = endpoint.deliver(event.body, headers)
            else:
                status = endpoint(event.body, headers)
        except httpx.HTTPError as exc:
            return Delivered(event.id, event.type, event.object_id, None,
                             f"{endpoint} is unreachable: {exc}")
        return Delivered(event.id, event.type, event.object_id, status)

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
