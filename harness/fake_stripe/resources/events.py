"""Events (list, retrieve), webhook endpoints (create, list, retrieve, update, delete) and the
account (`GET /v1/account`).

Events are rendered in their own version, whatever the request's Stripe-Version, as Stripe keeps
an event as it was created. A webhook endpoint created here answers with the signing secret the
harness signs its deliveries with (`FakeStripe.webhook_secret`).
"""

from __future__ import annotations

from typing import Any

from ...render import render_event
from ...sim.api_objects import WebhookEndpoint
from .. import errors
from ..handlers import Call, as_array, as_int, as_string, event_version, expand, retrieve_event
from ..routes import Route
from .answers import answer, deleted, get, listing, metadata

LIST = {"limit", "starting_after", "ending_before"}


class _EventRow:
    """A SimEvent as `page()` sees it, rendered in its own version."""

    def __init__(self, call: Call, event: Any) -> None:
        self.id, self.created, self.event = event.id, event.created, event


def _created_filter(call: Call) -> Any:
    value = call.params.get("created")
    if value is None:
        return lambda t: True
    if isinstance(value, str):
        exact = as_int(value, "created")
        return lambda t: t == exact
    bounds = {k: as_int(v, f"created[{k}]") for k, v in value.items()}
    ops = {"gt": lambda t, b: t > b, "gte": lambda t, b: t >= b, "lt": lambda t, b: t < b,
           "lte": lambda t, b: t <= b}
    return lambda t: all(ops[k](t, b) for k, b in bounds.items())


def list_events(call: Call) -> dict[str, Any]:
    p = call.params
    if "type" in p and "types" in p:
        raise errors.invalid("You may only specify one of these parameters: type, types.")
    wanted = None
    if "type" in p:
        pattern = as_string(p["type"], "type")
        wanted = [pattern]
    elif "types" in p:
        wanted = [as_string(t, f"types[{i}]") for i, t in enumerate(as_array(p["types"],
                                                                             "types"))]
    created = _created_filter(call)

    def matches(event_type: str) -> bool:
        if wanted is None:
            return True
        return any(event_type == w or (w.endswith(".*") and event_type.startswith(w[:-1]))
                   for w in wanted)

    rows = [_EventRow(call, e) for e in call.world.events
            if matches(e.type) and created(e.created)]
    # page() renders with call.render; events need their own envelope, so render after paging.
    saved_expand = p.pop("expand", None)
    body = _page_rows(call, rows)
    if saved_expand is not None:
        p["expand"] = saved_expand
    return expand(call, body)


def _page_rows(call: Call, rows: list[_EventRow]) -> dict[str, Any]:
    from ..handlers import page

    original = call.render
    call.render = lambda row: render_event(  # type: ignore[method-assign, assignment]
        row.event, event_version(call, row.event), call.world.catalog)
    try:
        return page(call, rows, "/v1/events", "event")
    finally:
        call.render = original  # type: ignore[method-assign]


# -- webhook endpoints ---------------------------------------------------------------------------


def create_endpoint(call: Call) -> dict[str, Any]:
    p = call.params
    events = [as_string(e, f"enabled_events[{i}]")
              for i, e in enumerate(as_array(p["enabled_events"], "enabled_events"))]
    url = as_string(p["url"], "url")
    if not url.startswith(("http://", "https://")):
        raise errors.invalid("Invalid URL: URL must be publicly accessible and use http(s).",
                             "url")
    endpoint = WebhookEndpoint(
        call.world.ids.new("we"), url, events, call.world.now, call.fake.webhook_secret,
        api_version=p.get("api_version"), description=p.get("description"),
        metadata=metadata(p.get("metadata")))
    call.world.api.webhook_endpoints[endpoint.id] = endpoint
    body = answer(call, endpoint)
    body["secret"] = endpoint.secret  # shown on creation only, as Stripe does
    return body


def update_endpoint(call: Call) -> dict[str, Any]:
    endpoint = get(call, call.world.api.webhook_endpoints, "webhook_endpoint")
    p = call.params
    if "url" in p:
        endpoint.url = as_string(p["url"], "url")
    if "enabled_events" in p:
        endpoint.enabled_events = list(as_array(p["enabled_events"], "enabled_events"))
    if "disabled" in p:
        endpoint.status = "disabled" if p["disabled"] == "true" else "enabled"
    if "description" in p:
        endpoint.description = p["description"] or None
    if "metadata" in p:
        endpoint.metadata = metadata(p["metadata"])
    return answer(call, endpoint)


def delete_endpoint(call: Call) -> dict[str, Any]:
    endpoint = get(call, call.world.api.webhook_endpoints, "webhook_endpoint")
    del call.world.api.webhook_endpoints[endpoint.id]
    return deleted(endpoint.id, "webhook_endpoint")


# -- the account ---------------------------------------------------------------------------------


def account(call: Call) -> dict[str, Any]:
    """GET /v1/account: a test-mode standard account, US, USD, able to charge."""
    world = call.world
    account_id = "acct_1" + world.ids._account + "PortalHar"[: 15 - len(world.ids._account)]
    requirements = {"alternatives": [], "current_deadline": None, "currently_due": [],
                    "disabled_reason": None, "errors": [], "eventually_due": [],
                    "past_due": [], "pending_verification": []}
    return expand(call, {
        "id": account_id, "object": "account",
        "business_profile": {"mcc": None, "name": "Portal Harness", "support_email": None,
                             "support_phone": None, "support_url": None, "url": None},
        "business_type": None, "capabilities": {"card_payments": "active",
                                                "transfers": "active"},
        "charges_enabled": True, "country": "US", "created": world.start - 86400 * 365,
        "default_currency": "usd", "details_submitted": True, "email": None,
        "future_requirements": requirements, "metadata": {}, "payouts_enabled": True,
        "requirements": requirements,
        "settings": {"branding": {"icon": None, "logo": None, "primary_color": None,
                                  "secondary_color": None},
                     "card_payments": {"statement_descriptor_prefix": None},
                     "dashboard": {"display_name": "Portal Harness", "timezone": "Etc/UTC"},
                     "payments": {"statement_descriptor": "PORTAL HARNESS"}},
        "type": "standard"})


ROUTES = (
    Route.sdk("GET", "/v1/events", list_events,
              honours=LIST | {"type", "types", "created", "delivery_success"}),
    Route.sdk("GET", "/v1/events/{id}", retrieve_event),
    Route.sdk("POST", "/v1/webhook_endpoints", create_endpoint,
              honours={"url", "enabled_events", "api_version", "description", "metadata"}),
    Route.sdk("GET", "/v1/webhook_endpoints",
              lambda call: listing(call, list(call.world.api.webhook_endpoints.values()),
                                   "/v1/webhook_endpoints", "webhook_endpoint"), honours=LIST),
    Route.sdk("GET", "/v1/webhook_endpoints/{webhook_endpoint}",
              lambda call: answer(call, get(call, call.world.api.webhook_endpoints,
                                            "webhook_endpoint"))),
    Route.sdk("POST", "/v1/webhook_endpoints/{webhook_endpoint}", update_endpoint,
              honours={"url", "enabled_events", "disabled", "description", "metadata"}),
    Route.sdk("DELETE", "/v1/webhook_endpoints/{webhook_endpoint}", delete_endpoint),
    Route.sdk("GET", "/v1/account", account),
)
