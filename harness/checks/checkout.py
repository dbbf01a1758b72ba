"""App-driven checkout: a scenario's `checkout` step played through the app's own route.

With [checkout] in the target file, each `checkout` step calls the app's checkout route as the
signed-in user (the plan and price it chose in `{plan}`/`{price_id}`), finds the Checkout
session the app created through the fake Stripe API, checks what the app put into it, and
pays it as the customer would (harness.sim.app_checkout), card after card. The scenario goes
on from the subscription that payment created, so every portal flow plays from the app's own
checkout. A customer the app created itself (at sign-up or in this session) replaces the
harness's own for the rest of the case.

Checks (each a `Violation`, once per step):
- checkout.session: the route created no Checkout session (the harness then completes one
  itself so the case goes on), or did not send the user to it (a redirect to its url, or its
  url or id in the body, for apps that redirect in the browser)
- checkout.mode: the session is not in subscription mode
- checkout.customer: the session's customer (or, without one, its customer_email) belongs to
  someone else than the signed-in user
- checkout.price: the session sells another price than the plan the user chose
- checkout.return_url: success_url or cancel_url leaves the app's own host
- checkout.no_user: an anonymous request created a session
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ..sim.app_checkout import complete_session
from ..targets.checkout_route import post_checkout, visit_success_url
from .invariants import DEFECTS, Violation

DEFECTS.update({
    "checkout.session": "the app's checkout route does not open a Checkout session for the user",
    "checkout.mode": "the app sells a subscription plan through a one-off payment session",
    "checkout.customer": "the Checkout session is not tied to the signed-in user",
    "checkout.price": "the Checkout session sells another price than the plan chosen",
    "checkout.return_url": "Checkout returns the customer to another site than the app",
    "checkout.no_user": "the checkout route serves anonymous requests",
    "checkout.success_page": "the page Checkout returns the paying customer to crashes",
})


class AppCheckout:
    """The Simulator's checkout hook for one case; `violations` collects what it found."""

    def __init__(self, target: Any, catalog: Any, fake: Any = None, *,
                 check_anonymous: bool = False) -> None:
        self.target = target
        self.fake = fake
        self.catalog = catalog
        self.cards = target.spec.checkout.cards
        self.app_host = _host(target.checkout_url)
        self.check_anonymous = check_anonymous
        self.violations: list[Violation] = []

    def __call__(self, sim: Any, customer: Any, price_id: str) -> None:
        world = sim.world
        plan = self.catalog.plan_of(price_id)
        if self.check_anonymous:
            self.check_anonymous = False
            before = set(world.checkout_sessions)
            answer = post_checkout(self.target, None, customer.email, customer.customer_id, plan,
                                   price_id)
            if set(world.checkout_sessions) - before:
                self._fail("checkout.no_user", f"an anonymous request to the checkout route "
                           f"created a Checkout session (answer {answer.status})",
                           "401 or 403, no session", answer.status)
        before = set(world.checkout_sessions)
        answer = post_checkout(self.target, customer.user_id, customer.email,
                               customer.customer_id, plan, price_id)
        created = [s for sid, s in world.checkout_sessions.items() if sid not in before]
        session = next((s for s in created if s.url and answer.location == s.url), None)
        session = session or (created[-1] if created else None)
        if session is None:
            self._fail("checkout.session", f"the checkout route answered {answer.status} and "
                       f"created no Checkout session: {answer.body[:200]!r}",
                       "a subscription-mode Checkout session", None)
            world.checkout(customer.customer_id, price_id, client_reference_id=customer.user_id)
            return
        self._check(session, customer, price_id, answer, world)
        if session.mode != "subscription":
            world.checkout(customer.customer_id, price_id, client_reference_id=customer.user_id)
            return
        subscription_data = self._created_with(session.id).get("subscription_data")
        for card in self.cards:
            if complete_session(world, session, card,
                                subscription_data=subscription_data) is not None:
                self._return_to_app(customer, session)
                break
        if session.customer and session.customer != customer.customer_id:
            customer.customer_id = session.customer  # the app's own customer from now on

    def _return_to_app(self, customer: Any, session: Any) -> None:
        """The paying customer's browser lands on success_url; a 5xx there is the app's."""
        landed = visit_success_url(self.target, customer.user_id, session)
        if landed is not None and landed.status >= 500:
            self._fail("checkout.success_page", f"after paying session {session.id}, the "
                       f"customer's browser got {landed.status} from {session.success_url}: "
                       f"{landed.body[:200]!r}", "2xx or 3xx", landed.status)

    def _check(self, session: Any, customer: Any, price_id: str, answer: Any,
               world: Any) -> None:
        sent_there = (answer.location == session.url
                      or (session.url and session.url in answer.body) or session.id in answer.body)
        if not sent_there:
            self._fail("checkout.session", f"the checkout route answered {answer.status} "
                       f"without sending the user to session {session.id}",
                       f"303 to {session.url}", answer.location or answer.status)
        if session.mode != "subscription":
            self._fail("checkout.mode", f"session {session.id} is in {session.mode} mode",
                       "subscription", session.mode)
        if session.customer is not None:
            owner = world.customers.get(session.customer)
            mine = (session.customer == customer.customer_id
                    or (owner is not None and owner.email == customer.email))
            if not mine:
                self._fail("checkout.customer", f"session {session.id} is for customer "
                           f"{session.customer}, not the signed-in user's "
                           f"({customer.customer_id}, {customer.email})",
                           customer.customer_id, session.customer)
        elif session.customer_email != customer.email:
            self._fail("checkout.customer", f"session {session.id} has no customer and its "
                       f"customer_email is {session.customer_email!r}, not the signed-in "
                       "user's", customer.email, session.customer_email)
        prices = [item["price"] for item in session.line_items]
        if prices != [price_id]:
            why = ("a price outside the catalog" if not set(prices) <= set(self.catalog.prices)
                   else "another price than the plan the user chose")
            self._fail("checkout.price", f"session {session.id} sells {prices}: {why}",
                       [price_id], prices)
        for key in ("success_url", "cancel_url"):
            url = getattr(session, key)
            if url is not None and _host(url) != self.app_host:
                self._fail("checkout.return_url", f"session {session.id} {key} {url} leaves "
                           f"the app's host ({self.app_host})", self.app_host, _host(url))

    def _created_with(self, session_id: str) -> dict[str, Any]:
        """The parameters the app created the session with (the fake's request log)."""
        if self.fake is None:
            return {}
        for r in reversed(self.fake.requests):
            if (r.method == "POST" and r.path == "/v1/checkout/sessions"
                    and r.response.get("id") == session_id):
                return r.params
        return {}

    def _fail(self, check: str, message: str, expected: Any, actual: Any) -> None:
        self.violations.append(Violation(check, message, "checkout", None, expected, actual))


def unreproducible_checkouts(scenario: Any) -> str | None:
    """Why the scenario's checkouts cannot go through an app's own checkout route: the route
    decides the card, a trial and the seats, so a scenario that needs a particular one of those
    (an authentication-required card, a trial, several seats) is skipped, saying so."""
    from ..scenario.files import Checkout

    for step in scenario.steps:
        if isinstance(step, Checkout) and (step.card != "visa" or step.trial_days is not None
                                           or step.quantity != 1):
            return (f"its checkout for {step.customer} needs card={step.card}, "
                    f"trial_days={step.trial_days}, quantity={step.quantity}, which the app's "
                    "own checkout route decides ([checkout] in the target file)")
    return None


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
