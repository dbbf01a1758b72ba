"""Snapshots: the Stripe API and the cast a recorded event stream implies, with no World behind it.

Takes a stream's events; gives a `SnapshotStore` that answers the app's re-fetches with each
object as its newest event left it, and the customers (with the app users to seed) and API
version the stream is about.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..sim.simulator import SimCustomer
from ..versions import PINNED_VERSION
from .streams import EventStream

# -- the Stripe API a recorded stream implies ---------------------------------------------------


class SnapshotStore:
    """Stripe's API for a stream with no World behind it: each object as its newest event left it.

    `stand_at(i)` shows the objects as they were after stream item `i`: for each object id, the
    `data.object` of the newest event by `created` among items 0..i (stream order breaks ties).
    Those snapshots are in the stream's API version whatever version the app asks for, and
    `expand[]` is honoured only for top-level ids of objects the stream carries (a
    subscription's `discounts`, from customer.discount.* events): the app gets what the
    webhooks carried, not a re-rendering.
    """

    def __init__(self, events: Sequence[dict[str, Any]]) -> None:
        self._events = list(events)
        self._by_time = sorted(range(len(self._events)), key=lambda i: self._events[i]["created"])
        self.objects: dict[str, dict[str, Any]] = {}
        self.stand_at(len(self._events) - 1)

    def stand_at(self, index: int) -> None:
        objects: dict[str, dict[str, Any]] = {}
        for i in self._by_time:
            if i <= index:
                obj = self._events[i]["data"]["object"]
                if isinstance(obj.get("id"), str):
                    objects[obj["id"]] = obj
        self.objects = objects
        self._seen = {e["id"]: e for e in self._events[: index + 1]}

    def install(self, fake: Any) -> Any:
        """Serve this store from `fake` (a FakeStripe) in place of its World-backed routes."""
        fake.routes = []
        fake.add_route("GET", r"/v1/events/(?P<id>[^/]+)", self._event)
        fake.add_route("GET", r"/v1/(?P<collection>[a-z_/]+)/(?P<id>[A-Za-z0-9_]+)",
                       self._retrieve)
        fake.add_route("GET", r"/v1/(?P<collection>[a-z_/]+)", self._list)
        return fake

    def _event(self, call: Any) -> dict[str, Any]:
        found = self._seen.get(call.match["id"])
        if found is None:
            raise _no_such("event", call.match["id"])
        return found

    def _retrieve(self, call: Any) -> dict[str, Any]:
        obj = self.objects.get(call.match["id"])
        if obj is None or _collection(obj) != call.match["collection"]:
            raise _no_such(call.match["collection"].rstrip("s").replace("/", "."),
                           call.match["id"])
        paths = call.params.get("expand")
        if isinstance(paths, list):
            obj = dict(obj)
            for path in paths:
                if isinstance(path, str) and isinstance(obj.get(path), list):
                    obj[path] = [self.objects.get(v, v) if isinstance(v, str) else v
                                 for v in obj[path]]
        return obj

    def _list(self, call: Any) -> dict[str, Any]:
        """Lists filtered by `customer`, `subscription` and `status`, newest first."""
        collection = call.match["collection"]
        wanted = {k: call.params[k] for k in ("customer", "subscription", "status")
                  if isinstance(call.params.get(k), str)}
        found = [o for o in self.objects.values() if _collection(o) == collection
                 and all(o.get(k) == v for k, v in wanted.items())]
        found.sort(key=lambda o: o.get("created") or 0, reverse=True)
        return {"object": "list", "data": found, "has_more": False, "url": f"/v1/{collection}"}


def _collection(obj: dict[str, Any]) -> str:
    # Stripe's paths are the plural of the object name: checkout.session -> checkout/sessions.
    return str(obj.get("object", "")).replace(".", "/") + "s"


def _no_such(noun: str, object_id: str) -> Exception:
    from ..fake_stripe.errors import no_such

    return no_such(noun, object_id, "id", status=404)


# -- who the stream is about ---------------------------------------------------------------------


def stream_customers(stream: EventStream) -> list[SimCustomer]:
    """Every customer the events name (`data.object.customer`, or a customer object's own id)
    or the checkpoints expect, in order of first mention, each with the app user to seed: the
    checkout session's `client_reference_id` if the stream has one, else `user_<customer id>`.
    A stream does not keep the scenario's names for customers, so each is named by its id."""
    order: list[str] = []
    users: dict[str, str] = {}
    emails: dict[str, str] = {}
    for event in stream.events:
        obj = event["data"]["object"]
        cid = obj.get("id") if obj.get("object") == "customer" else obj.get("customer")
        if isinstance(cid, dict):
            cid = cid.get("id")
        if not isinstance(cid, str) or not cid:
            continue
        order.append(cid)
        if obj.get("object") == "customer" and isinstance(obj.get("email"), str):
            emails.setdefault(cid, obj["email"])
        details = obj.get("customer_details")
        if isinstance(details, dict) and isinstance(details.get("email"), str):
            emails.setdefault(cid, details["email"])
        if obj.get("object") == "checkout.session" and isinstance(
                obj.get("client_reference_id"), str):
            users.setdefault(cid, obj["client_reference_id"])
    for checkpoint in stream.checkpoints:
        order += list(checkpoint.expected)
    return [SimCustomer(cid, cid, users.get(cid, f"user_{cid}"),
                        emails.get(cid, f"{cid}@example.test"))
            for cid in dict.fromkeys(order)]


def stream_api_version(stream: EventStream) -> str:
    """The version the events were rendered in: the stream's, else the first event's."""
    if stream.api_version:
        return stream.api_version
    for event in stream.events:
        if isinstance(event.get("api_version"), str):
            return event["api_version"]
    return PINNED_VERSION
