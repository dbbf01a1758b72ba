"""The portal-session route's contract, checked through the target and the fake Stripe API.

Takes a target with a `portal(user_id, form=..., query=..., json=...)` method and the case's
simulator; gives Violations: no signed-in user refused; a user without a billing account gets
a 4xx; the answer leads to the new session (a redirect, or a JSON body holding its url, as
single-page apps expect); and whatever a request says, through a JSON body, a form body or the
query string, under any of the names apps use, the session opens for the signed-in user's own
customer and its return_url stays on the app's own host.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from .faults import request_marker, requests_since
from .invariants import Violation

HOSTILE_RETURN_URL = "https://attacker.example/phish"
# The names apps read a customer id and a return address under (snake, camel, framework habits).
CUSTOMER_KEYS = ("customer", "customer_id", "customerId", "stripe_customer_id",
                 "stripeCustomerId")
RETURN_KEYS = ("return_url", "returnUrl", "redirect", "redirect_url", "redirectUrl",
               "redirect_to", "redirectTo", "next", "return_to", "returnTo", "url")
CHANNELS = ("json", "form", "query")
CHANNEL_NAMES = {"json": "its JSON body", "form": "its form body", "query": "its query string"}


def portal_violations(target: Any, sim: Any, *, fake: Any = None) -> list[Violation]:
    """`fake`, the fake Stripe API the app calls, lets a failure show what Stripe answered."""
    world = sim.world
    alice = next(iter(sim.customers.values()))
    out: list[Violation] = []

    def v(check: str, message: str, expected: Any, actual: Any) -> None:
        out.append(Violation(check, message, None, alice.name, expected, actual))

    def stripe_said(since: Any) -> str:
        """", after the fake Stripe API answered ..." for its 4xx answers since `since`."""
        if fake is None:
            return ""
        said = [f"{r.method} {r.path} -> {r.status} "
                f"{(r.error or {}).get('code') or (r.error or {}).get('message', '')[:80]}"
                for r in requests_since(fake, since) if r.status >= 400 and r.gap is None]
        return f", after the fake Stripe API answered {'; '.join(said)}" if said else ""

    mark = request_marker(fake)
    answer = target.portal(None)
    if not 400 <= answer.status < 500:
        v("portal.no_user", f"a request without a signed-in user was answered {answer.status}",
          "4xx", answer.status)
    known = set(world.customers)  # a customer the app makes at sign-up is the user's own
    target.seed("user_nobilling", "nobilling@example.test", None)
    mark = request_marker(fake)
    opened_before = len(world.portal_sessions)
    answer = target.portal("user_nobilling")
    if not 400 <= answer.status < 500 and not _made_its_own_customer(
            world, known, opened_before, answer, "nobilling@example.test"):
        v("portal.no_customer", f"a user without a billing account got {answer.status}"
          f"{stripe_said(mark)}", "4xx (or a portal for a customer made for that user)",
          answer.status)

    before = len(world.portal_sessions)
    mark = request_marker(fake)
    answer = target.portal(alice.user_id)
    sessions = list(world.portal_sessions.values())
    own = sessions[-1] if len(sessions) > before else None
    if own is None or not _leads_to(answer, own.url):
        v("portal.redirect", f"the portal route answered {answer.status} "
          f"(Location {answer.location!r}) instead of a redirect to the new session's url "
          f"(or a JSON body holding it){stripe_said(mark)}", "3xx to the session url",
          answer.status)
    own_hosts = {_host(getattr(target, "portal_url", None))}
    if own is not None and own.return_url:
        own_hosts.add(_host(own.return_url))

    other = world.create_customer("mallory@example.test", "Mallory")
    # Customer and return address are probed apart: an app that refuses a foreign customer
    # (403) must still be asked whether it honours a foreign return address.
    channels = getattr(target, "portal_channels", CHANNELS)
    for channel in channels:
        opened = _probe(target, world, alice.user_id, channel,
                        dict.fromkeys(CUSTOMER_KEYS, other.id))
        wrong = [s for s in opened if s.customer != alice.customer_id]
        if wrong:
            key = _culprit(target, world, alice, channel, CUSTOMER_KEYS, other.id,
                           lambda s: s.customer != alice.customer_id)
            v("portal.wrong_customer", f"a request naming customer {other.id} in "
              f"{CHANNEL_NAMES[channel]} ({key}) opened a portal session for it, not for "
              f"the signed-in user's {alice.customer_id}", alice.customer_id,
              wrong[0].customer)
    for channel in channels:
        for hostile_url in _hostile_urls(own.return_url if own is not None else None):
            opened = _probe(target, world, alice.user_id, channel,
                            dict.fromkeys(RETURN_KEYS, hostile_url))
            away = [s for s in opened if s.return_url and _host(s.return_url) not in own_hosts]
            if away:
                key = _culprit(target, world, alice, channel, RETURN_KEYS, hostile_url,
                               lambda s: bool(s.return_url)
                               and _host(s.return_url) not in own_hosts)
                v("portal.return_url", f"a return address in {CHANNEL_NAMES[channel]} ({key}: "
                  f"{hostile_url}) became the session's return_url, off the app's own host "
                  f"{sorted(h for h in own_hosts if h)}: an open redirect",
                  "a url on the app's own host", away[0].return_url)
                break  # one finding per channel
    return out


def _probe(target: Any, world: Any, user_id: str, channel: str,
           fields: dict[str, str]) -> list[Any]:
    """Send `fields` through one channel; the sessions the request opened."""
    before = len(world.portal_sessions)
    target.portal(user_id, **{channel: fields})
    return list(world.portal_sessions.values())[before:]


def _culprit(target: Any, world: Any, alice: Any, channel: str, keys: tuple[str, ...],
             value: str, bad: Any) -> str:
    """Which name the app read the hostile value from (one request per name until found)."""
    for key in keys:
        if any(bad(s) for s in _probe(target, world, alice.user_id, channel, {key: value})):
            return key
    return "several names together"


def _hostile_urls(own_return_url: str | None) -> Iterator[str]:
    """An attacker's site; and, when the app has a return url, the same origin followed by
    `@attacker.example`, which passes a check that only compares the start of the string."""
    yield HOSTILE_RETURN_URL
    if own_return_url:
        parts = urlsplit(own_return_url)
        yield f"{parts.scheme}://{parts.netloc}@attacker.example/phish"


def _host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def _made_its_own_customer(world: Any, known: set[str], opened_before: int, answer: Any,
                           email: str) -> bool:
    """A route may create the user's Stripe customer at sign-up or on demand (libraries "get or
    create" one by the user's email) and open the portal for it: every session opened is for a
    customer the app created for this user (after `known` was taken, with the user's email),
    and the answer leads to it."""
    opened = list(world.portal_sessions.values())[opened_before:]
    return bool(opened) and all(
        s.customer not in known and world.customers[s.customer].email == email
        and _leads_to(answer, s.url) for s in opened)


def _leads_to(answer: Any, url: str) -> bool:
    """A redirect to `url`, or (single-page apps) a 2xx JSON body holding it."""
    if 300 <= answer.status < 400:
        return answer.location == url
    if 200 <= answer.status < 300 and answer.body:
        try:
            data = json.loads(answer.body)
        except ValueError:
            return False
        return url in _strings(data)
    return False


def _strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)
