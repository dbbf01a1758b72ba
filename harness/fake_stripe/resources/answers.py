"""Helpers every resource module uses: lookups, answers, lists, searches, World errors."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ...errors import ConfigError, ScenarioError
from ...sim.api_writes import seed_catalog
from .. import errors, search
from ..handlers import Call, as_int, as_string, created_of, expand, page

Handler = Callable[[Call], Any]


@contextlib.contextmanager
def world_errors() -> Iterator[None]:
    """A verb that refuses (ScenarioError) answers Stripe's 400 invalid_request_error."""
    try:
        yield
    except (ScenarioError, ConfigError) as exc:
        raise errors.invalid(str(exc)) from None


def answer(call: Call, obj: Any) -> dict[str, Any]:
    """The object rendered in the request's version, with expand[] applied."""
    body = call.render(obj)
    overlay = call.world.api.overlays.get(getattr(obj, "id", ""))
    if overlay:
        body.update({k: v for k, v in overlay.items() if k in body})
    return expand(call, body)


def get(call: Call, store: Mapping[str, Any], noun: str, object_id: str | None = None,
        *, param: str | None = None) -> Any:
    """The object, or Stripe's resource_missing: 404 for a path id, 400 for a body param."""
    object_id = object_id if object_id is not None else path_id(call)
    obj = store.get(object_id)
    if obj is None:
        raise errors.no_such(noun, object_id, param or "id", status=400 if param else 404)
    return obj


def path_id(call: Call) -> str:
    groups = call.match.groupdict()
    return next(iter(groups.values()))


def deleted(object_id: str, kind: str) -> dict[str, Any]:
    return {"id": object_id, "object": kind, "deleted": True}


def products(call: Call) -> dict[str, Any]:
    seed_catalog(call.world)
    return call.world.api.products


def prices(call: Call) -> dict[str, Any]:
    seed_catalog(call.world)
    return call.world.api.prices


def listing(call: Call, objects: list[Any], url: str, noun: str) -> dict[str, Any]:
    body = page(call, objects, url, noun)
    overlays = call.world.api.overlays
    for item in body["data"]:
        overlay = overlays.get(item.get("id", ""))
        if overlay:
            item.update({k: v for k, v in overlay.items() if k in item})
    return body


def searching(call: Call, objects: list[Any], url: str, resource: str,
              fields: set[str]) -> dict[str, Any]:
    """A search_result object: objects matching `query`, newest first, paged by `page`."""
    query = as_string(call.params.get("query", ""), "query")
    test = search.parse(query, resource, fields)
    limit = as_int(call.params.get("limit", "10"), "limit", low=1, high=100)
    start = search.read_page_token(call.params["page"]) if "page" in call.params else 0
    ordered = sorted(reversed(objects), key=created_of, reverse=True)
    matches = [body for body in (call.render(o) for o in ordered) if test(body)]
    window = matches[start:start + limit]
    more = len(matches) > start + limit
    body = {"object": "search_result", "data": window, "has_more": more,
            "next_page": search.page_token(start + limit) if more else None, "url": url}
    return expand(call, body)


def metadata(value: Any, param: str = "metadata") -> dict[str, str]:
    if value in (None, ""):
        return {}
    if isinstance(value, list):  # metadata[0]=x
        return {str(i): v for i, v in enumerate(value)}
    if not isinstance(value, dict):
        raise errors.invalid("Invalid hash", param)
    return {k: v for k, v in value.items() if v != ""}


def flag(value: Any, param: str) -> bool:
    if value in ("true", True):
        return True
    if value in ("false", False):
        return False
    raise errors.invalid(f"Invalid boolean: {value}", param)


def customer_param(call: Call, param: str = "customer", *, required: bool = False) -> str | None:
    value = call.params.get(param)
    if value in (None, ""):
        if required:
            raise errors.missing(param)
        return None
    value = as_string(value, param)
    if value not in call.world.customers:
        raise errors.no_such("customer", value, param)
    return value
