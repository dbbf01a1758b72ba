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
- checkout.price: the session sells another price than the plan the user chose (or other seats
  than the user chose, when the route is told them: `{quantity}`)
- checkout.trial: the session gives another trial than the user chose (`{trial_days}`)
- checkout.return_url: success_url or cancel_url leaves the app's own host
- checkout.no_user: an anonymous request created a session
"""

from __future__ import annotations

from typing import Any

from ..sim.app_checkout import CARD_NUMBERS, complete_session
from ..targets.checkout_route import asks_for, origin, post_checkout, visit_success_url
from .invariants import DEFECTS, Violation

DEFECTS.update({
    "checkout.session": "the app's checkout route does not open a Checkout session for the user",
    "checkout.mode": "the app sells a subscription plan through a one-off payment session",
    "checkout.customer": "the Checkout session is not tied to the signed-in user",
    "checkout.price": "the Checkout session sells another price than the plan chosen",
    "checkout.return_url": "Checkout returns the customer to another site than the app",
    "checkout.no_user": "the checkout route serves anonymous requests",
    "checkout.trial": "the Checkout session does not give the trial the user chose",
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
        self.app_host = origin(target.checkout_url)
        self.check_anonymous = check_anonymous
        self.violations: list[Violation] = []

    def __call__(self, sim: Any, customer: Any, price_id: str, *, card: str = "visa",
                 quantity: int = 1, trial_days: int | None = None) -> None:
        world = sim.world
        plan = self.catalog.plan_of(price_id)
        if self.check_anonymous:
            self.check_anonymous = False
            before = set(world.checkout_sessions)
            answer = post_checkout(self.target, None, customer.email, customer.customer_id, plan,
                                   price_id, quantity=quantity, trial_days=trial_days)
            if set(world.checkout_sessions) - before:
                self._fail("checkout.no_user", f"an anonymous request to the checkout route "
                           f"created a Checkout session (answer {answer.status})",
                           "401 or 403, no session", answer.status)
        before = set(world.checkout_sessions)
        answer = post_checkout(self.target, customer.user_id, customer.email,
                               customer.customer_id, plan, price_id, quantity=quantity,
                               trial_days=trial_days)
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
        chosen = self._check_choice(session, quantity, trial_days, world.now)
        if session.mode != "subscription" or not chosen:
            # the case goes on from what the user chose, paid by the harness's own Checkout
            if session.customer in world.customers:
                customer.customer_id = session.customer
            world.checkout(customer.customer_id, price_id, client_reference_id=customer.user_id,
                           quantity=quantity, trial_days=trial_days,
                           card=card if card in CARD_NUMBERS else "visa")
            return
        # The customer types the target's cards in turn, or the card the scenario needs (an
        # authentication-required one: the page's 3D Secure passes, renewals ask again).
        cards = self.cards if card == "visa" else [CARD_NUMBERS[card]]
        for number in cards:  # the session keeps what the app asked for (subscription_data)
            if complete_session(world, session, number) is not None:
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
            if url is not None and origin(url) != self.app_host:
                self._fail("checkout.return_url", f"session {session.id} {key} {url} leaves "
                           f"the app's host ({self.app_host})", self.app_host, origin(url))

    def _check_choice(self, session: Any, quantity: int, trial_days: int | None,
                      now: int) -> bool:
        """The seats and the trial the user chose (when the route is told them); False when
        the session gives others."""
        ok = True
        sold = sum(item["quantity"] for item in session.line_items)
        if asks_for(self.target.spec.checkout, "quantity") and sold != quantity:
            ok = False
            self._fail("checkout.price", f"session {session.id} sells {sold} seat(s), the user "
                       f"chose {quantity}", quantity, sold)
        if asks_for(self.target.spec.checkout, "trial_days"):
            data = session.subscription_data
            given = data.get("trial_period_days") or (
                round((data["trial_end"] - now) / 86400) if data.get("trial_end") else None)
            if given != trial_days:
                ok = False
                self._fail("checkout.trial", f"session {session.id} gives a trial of {given} "
                           f"day(s), the user chose {trial_days}", trial_days, given)
        return ok

    def _fail(self, check: str, message: str, expected: Any, actual: Any) -> None:
        self.violations.append(Violation(check, message, "checkout", None, expected, actual))


def unreproducible_checkouts(scenario: Any, spec: Any = None) -> str | None:
    """Why the scenario's checkouts cannot go through an app's own checkout route: the route
    decides the trial and the seats, so a scenario that needs one of those is skipped, saying
    so, unless the [checkout] request tells the route the user's choice (`{trial_days}`,
    `{quantity}`). The card is the customer's: the harness types the one the scenario needs
    (an authentication-required one too), except a declining one."""
    from ..scenario.files import Checkout

    for step in scenario.steps:
        if not isinstance(step, Checkout):
            continue
        if step.billing_mode:  # the app's own Checkout session decides the billing mode
            return (f"its checkout for {step.customer} needs billing_mode="
                    f"{step.billing_mode}, which the app's own checkout route decides "
                    "([checkout] in the target file)")
        trial = step.trial_days is not None and not (spec and asks_for(spec, "trial_days"))
        seats = step.quantity != 1 and not (spec and asks_for(spec, "quantity"))
        if step.card not in CARD_NUMBERS or trial or seats:
            return (f"its checkout for {step.customer} needs card={step.card}, "
                    f"trial_days={step.trial_days}, quantity={step.quantity}, which the app's "
                    "own checkout route decides ([checkout] in the target file passes no "
                    + ("{trial_days}" if trial else "{quantity}" if seats else "card")
                    + ")")
    return None
