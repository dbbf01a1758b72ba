"""The portal-session route's contract, checked through the target and the fake Stripe API.

Takes a target with a `portal(user_id, form=..., query=...)` method and the case's simulator;
gives Violations: no signed-in user refused; a user without a billing account gets a 4xx; the
session opens for the signed-in user's own customer whatever the request says; the request
cannot choose return_url; the answer redirects to the session url.
"""

from __future__ import annotations

from typing import Any

from .invariants import Violation

HOSTILE_RETURN_URL = "https://attacker.example/phish"


def portal_violations(target: Any, sim: Any) -> list[Violation]:
    world = sim.world
    alice = next(iter(sim.customers.values()))
    out: list[Violation] = []

    def v(check: str, message: str, expected: Any, actual: Any) -> None:
        out.append(Violation(check, message, None, alice.name, expected, actual))

    answer = target.portal(None)
    if not 400 <= answer.status < 500:
        v("portal.no_user", f"a request without a signed-in user was answered {answer.status}",
          "4xx", answer.status)
    target.seed("user_nobilling", "nobilling@example.test", None)
    answer = target.portal("user_nobilling")
    if not 400 <= answer.status < 500:
        v("portal.no_customer", f"a user without a billing account got {answer.status}",
          "4xx", answer.status)

    before = len(world.portal_sessions)
    answer = target.portal(alice.user_id)
    sessions = list(world.portal_sessions.values())
    if len(sessions) == before or not 300 <= answer.status < 400 or (
            answer.location != sessions[-1].url):
        v("portal.redirect", f"the portal route answered {answer.status} "
          f"(Location {answer.location!r}) instead of a redirect to the new session's url",
          "3xx to the session url", answer.status)

    other = world.create_customer("mallory@example.test", "Mallory")
    hostile = {"customer": other.id, "return_url": HOSTILE_RETURN_URL}
    before = len(world.portal_sessions)
    target.portal(alice.user_id, form=hostile, query=hostile)
    for session in list(world.portal_sessions.values())[before:]:
        if session.customer != alice.customer_id:
            v("portal.wrong_customer", f"a request naming customer {other.id} opened a portal "
              f"session for it, not for the signed-in user's {alice.customer_id}",
              alice.customer_id, session.customer)
        if session.return_url == HOSTILE_RETURN_URL:
            v("portal.return_url", "the request's return_url was passed to Stripe",
              "the app's own url", session.return_url)
    return out
