"""The World: every simulated Stripe object, a virtual clock, seeded ids and the event log.

Takes a catalog, the account's API version (which decides behaviour that changed between
releases, e.g. Checkout under basil) and a seed. Gives the verbs (from `PortalVerbs` and
`BillingVerbs`) and `events`, an append-only list of `SimEvent`s in the order Stripe emits them.
"""

from __future__ import annotations

import random
import string
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..errors import ScenarioError
from ..scenario.catalog import Catalog
from ..versions import check_version, default_billing_mode
from .api_objects import ApiStores
from .billing import (
    DEFAULT_FEEDBACK,
    DEFAULT_RETRY_SCHEDULE,
    FEEDBACK_MODES,
    RETRY_SCHEDULES,
    BillingVerbs,
)
from .discounts import Coupon, Discount, DiscountVerbs, PromotionCode
from .objects import (
    CheckoutSession,
    Customer,
    Invoice,
    InvoiceItem,
    PaymentMethod,
    PortalSession,
    SetupIntent,
    Subscription,
)
from .payments import (
    AuthenticationVerbs,
    Charge,
    InvoicePayment,
    PaymentIntent,
    PaymentVerbs,
)
from .portal import PortalVerbs
from .portal_config import PortalConfiguration
from .refunds import Refund
from .schedules import ScheduleVerbs
from .seats import SeatVerbs, TrialVerbs
from .upcoming import DEFAULT_UPCOMING_RENEWAL_DAYS, UpcomingVerbs

TRIAL_WILL_END_NOTICE = 3 * 86400  # customer.subscription.trial_will_end: 3 days before
START_TIME = 1767258000  # 2026-01-01 09:00:00 UTC: the virtual clock's default start
_ALPHABET = string.ascii_letters + string.digits


class AccessPolicy(StrEnum):
    """Which subscriptions give a customer their plan (apps differ; make it explicit)."""

    NOT_ENDED = "not_ended"  # any status but canceled and incomplete_expired
    ACTIVE_ONLY = "active_only"  # only active and trialing: unpaid or paused loses access


class IdFactory:
    """Stripe-shaped ids from a seed: long ids carry a per-account tag as Stripe's do.

    Captured ids read "1" + 5 characters + the account's 10-character tag + 8 characters
    (`sub_1SAGUA|Be0ycHroRB|HH0HMWOy`, `in_1SBiOc|Be0ycHroRB|RzEtNcba`); short ids (cus_, si_,
    req_) are 14 characters. Stripe's leading characters follow creation time; these are random.
    """

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self._account = self._chars(10)

    def _chars(self, n: int) -> str:
        # random.choice(_ALPHABET) n times, unrolled (the same getrandbits draws, so the same
        # ids): ids are drawn for every event, and choice's two calls per character showed.
        bits, size = self._rng.getrandbits, len(_ALPHABET)
        k = size.bit_length()
        out = []
        for _ in range(n):
            r = bits(k)
            while r >= size:
                r = bits(k)
            out.append(_ALPHABET[r])
        return "".join(out)

    def new(self, prefix: str, *, short: bool = False) -> str:
        if short:  # cus_, si_, prod_ style: 14 characters
            return f"{prefix}_{self._chars(14)}"
        return f"{prefix}_1{self._chars(5)}{self._account}{self._chars(8)}"

    def token(self, n: int = 24) -> str:
        return self._chars(n)

    def uuid(self) -> str:
        """A version-4 UUID, the form of the idempotency keys Checkout's requests carry."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))


@dataclass
class SimEvent:
    """One event as Stripe created it: a snapshot of the object and, for *.updated, its past."""

    id: str
    type: str
    created: int
    object: Any
    previous: Any = None
    request_id: str | None = None
    idempotency_key: str | None = None
    segment: int = 0  # how many checkpoints had passed when it was emitted

    @property
    def object_id(self) -> str:
        return self.object.id


@dataclass
class World(PortalVerbs, BillingVerbs, PaymentVerbs, AuthenticationVerbs, SeatVerbs,
            TrialVerbs, ScheduleVerbs, UpcomingVerbs, DiscountVerbs):
    """Stripe's truth for one run. Create a new World per run; nothing here is global."""

    catalog: Catalog
    api_version: str
    seed: int = 0
    billing_mode: str | None = None
    start: int = START_TIME
    retry_days: tuple[int, ...] = RETRY_SCHEDULES[DEFAULT_RETRY_SCHEDULE]
    feedback: str = DEFAULT_FEEDBACK  # how portal cancellation feedback arrives (FEEDBACK_MODES)
    portal: PortalConfiguration | None = None  # None: the portal offers every verb
    customer_portals: dict[str, PortalConfiguration] = field(default_factory=dict)
    policy: AccessPolicy = AccessPolicy.NOT_ENDED
    card_update: str = "subscriptions"  # a portal card update: "subscriptions" or "customer"
    upcoming_renewal_days: int | None = DEFAULT_UPCOMING_RENEWAL_DAYS  # None: no invoice.upcoming
    upcoming_invoice_id: str = "none"  # or "upcoming_in_from_clover" (see sim.upcoming)
    upcoming_sent: dict[str, int] = field(default_factory=dict)  # sub id -> period end previewed
    customers: dict[str, Customer] = field(default_factory=dict)
    payment_methods: dict[str, PaymentMethod] = field(default_factory=dict)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    invoices: dict[str, Invoice] = field(default_factory=dict)
    invoice_items: dict[str, InvoiceItem] = field(default_factory=dict)
    checkout_sessions: dict[str, CheckoutSession] = field(default_factory=dict)
    setup_intents: dict[str, SetupIntent] = field(default_factory=dict)
    portal_sessions: dict[str, PortalSession] = field(default_factory=dict)
    payment_intents: dict[str, PaymentIntent] = field(default_factory=dict)
    charges: dict[str, Charge] = field(default_factory=dict)
    invoice_payments: dict[str, InvoicePayment] = field(default_factory=dict)
    coupons: dict[str, Coupon] = field(default_factory=dict)
    promotion_codes: dict[str, PromotionCode] = field(default_factory=dict)
    discounts: dict[str, Discount] = field(default_factory=dict)
    refunds: dict[str, Refund] = field(default_factory=dict)
    subscription_schedules: dict[str, Any] = field(default_factory=dict)
    events: list[SimEvent] = field(default_factory=list)
    api: ApiStores = field(default_factory=ApiStores)  # products, prices, endpoints... (REST)

    def __post_init__(self) -> None:
        check_version(self.api_version)
        if self.billing_mode is None:
            self.billing_mode = default_billing_mode(self.api_version)
        if self.billing_mode not in ("classic", "flexible"):
            raise ScenarioError(
                f"billing mode must be classic or flexible, not {self.billing_mode!r}")
        if self.upcoming_invoice_id not in ("upcoming_in_from_clover", "none"):
            raise ScenarioError("upcoming_invoice_id must be upcoming_in_from_clover or none, "
                                f"not {self.upcoming_invoice_id!r}")
        if self.card_update not in ("subscriptions", "customer"):
            raise ScenarioError(f"card_update must be subscriptions or customer, not "
                                f"{self.card_update!r}")
        if self.feedback not in FEEDBACK_MODES:
            raise ScenarioError(f"feedback must be one of {', '.join(FEEDBACK_MODES)}, "
                                f"not {self.feedback!r}")
        self.ids = IdFactory(self.seed)
        self.now = self.start
        self.segment = 0
        self.origin = "portal"  # who performs customer actions: "portal" or "api"
        self._requests: dict[str, tuple[str | None, str | None]] = {}
        self._in_action = False
        for coupon in self.catalog.coupons:  # the catalog's coupons and codes (sim.discounts)
            self.add_coupon(coupon)
        for promo in self.catalog.promotion_codes:
            self.add_promotion_code(promo)
        self.proration_date: int | None = None  # set while an API update prorates as of it

    # -- the event log -------------------------------------------------------------------------

    def emit(self, type_: str, obj: Any, *, before: Any = None,
             request: str = "portal") -> SimEvent:
        """Append an event with a snapshot of `obj` (and of `before` for *.updated events).

        `request` says what caused it, and so the event's `request` object: "portal" (the
        customer in the portal or on a hosted page: no request id, one idempotency key per
        action), "api" (the app's own API request: one `req_` id per action, with the
        idempotency key stripe-python sends on every POST), "checkout" (as portal, as captured
        Checkout events show) or "automatic" (renewals, retries: both null, which Stripe
        documents as automatic). Every event of one action shares one request.
        """
        if request == "portal":
            request = self.origin
        request_id, idem = None, None
        if request != "automatic":
            if request not in self._requests:
                self._requests[request] = (
                    self.ids.new("req", short=True) if request == "api" else None,
                    self.ids.uuid())
            request_id, idem = self._requests[request]
        event = SimEvent(
            id=self.ids.new("evt"), type=type_, created=self.now, object=obj.snapshot(),
            previous=before, request_id=request_id, idempotency_key=idem, segment=self.segment,
        )
        self.events.append(event)
        return event

    def begin_action(self) -> bool:
        """Start one customer or app action (one API request); False if one is under way."""
        if self._in_action:
            return False
        self._in_action, self._requests = True, {}
        return True

    def end_action(self) -> None:
        self._in_action, self._requests = False, {}

    @contextmanager
    def acting_as(self, origin: str):
        """Customer actions performed through the API instead of the portal (the fake Stripe
        API's subscription endpoints): their events carry a request id."""
        if origin not in ("portal", "api"):
            raise ScenarioError(f"origin must be portal or api, not {origin!r}")
        saved, self.origin = self.origin, origin
        try:
            yield self
        finally:
            self.origin = saved

    @contextmanager
    def creating_in(self, billing_mode: str | None):
        """Subscriptions created meanwhile get this billing mode (None: the run's). The mode
        comes from the request that creates a subscription (its API version's default, or its
        `billing_mode` parameter), not from the endpoint that receives the events."""
        if billing_mode not in (None, "classic", "flexible"):
            raise ScenarioError(f"billing mode must be classic or flexible, not {billing_mode!r}")
        saved, self.billing_mode = self.billing_mode, billing_mode or self.billing_mode
        try:
            yield self
        finally:
            self.billing_mode = saved

    def event(self, event_id: str) -> SimEvent | None:
        for e in self.events:
            if e.id == event_id:
                return e
        return None

    # -- lookups -----------------------------------------------------------------------------

    def customer(self, customer_id: str) -> Customer:
        try:
            return self.customers[customer_id]
        except KeyError:
            raise ScenarioError(f"no such customer {customer_id!r}") from None

    def subscriptions_of(self, customer_id: str) -> list[Subscription]:
        return [s for s in self.subscriptions.values() if s.customer == customer_id]

    def plan_of(self, sub: Subscription) -> str:
        return self.catalog.plan_of(sub.items[0].price)

    # -- the truth a correct app must mirror -------------------------------------------------------

    def expected_state(self, customer_id: str) -> dict[str, Any]:
        """What a correct app believes about one customer now (the BillingState dict)."""
        subs = self.subscriptions_of(customer_id)
        if self.policy is AccessPolicy.ACTIVE_ONLY:
            holding = [s for s in subs if s.status in ("active", "trialing")]
        else:
            holding = [s for s in subs if not s.ended]
        plan = self.catalog.highest([self.plan_of(s) for s in holding]) or "free"
        return {
            "plan": plan,
            "subscriptions": {
                s.id: {
                    "status": s.status,
                    "price_id": s.items[0].price,
                    "current_period_end": s.items[0].current_period_end,
                    "cancel_at_period_end": s.cancellation_pending,
                    "paused": s.status == "paused",
                    "collection_paused": s.pause_collection is not None,
                    "quantity": s.items[0].quantity,
                    "cancellation_feedback": s.cancellation_feedback,
                    "coupon": s.discount.coupon.id if s.discount else None,
                }
                for s in subs
            },
            "paid_invoices": sorted(
                i.id for i in self.invoices.values()
                if i.customer == customer_id and i.status == "paid"
            ),
        }

    # -- the clock ---------------------------------------------------------------------------

    def advance_to(self, when: int) -> None:
        """Move the virtual clock to `when`, playing every renewal, charge and retry on the way."""
        if when < self.now:
            raise ScenarioError(f"the clock cannot go back ({when} < {self.now})")
        while (due := self._next_due(when)) is not None:
            at, action = due
            self.now = max(self.now, at)
            action()
        self.now = when

    def _next_due(self, until: int) -> tuple[int, Any] | None:
        candidates: list[tuple[int, int, Any]] = []
        for order, sub in enumerate(self.subscriptions.values()):
            if sub.ended:
                continue
            if (sub.status == "trialing" and sub.trial_end is not None
                    and not sub.trial_will_end_sent):
                candidates.append((max(sub.trial_end - TRIAL_WILL_END_NOTICE, sub.created), order,
                                   lambda s=sub: self._trial_will_end(s)))
            if (upcoming := self._upcoming_due(sub)) is not None:
                candidates.append((upcoming, order, lambda s=sub: self._send_upcoming(s)))
            if sub.cancel_at is not None and sub.cancel_at <= sub.current_period_end:
                candidates.append((sub.cancel_at, order, lambda s=sub: self._end_scheduled(s)))
            elif sub.status in ("active", "past_due", "trialing") and sub.schedule:
                candidates += self._schedule_due(sub, order)
            elif sub.status in ("active", "past_due", "trialing"):
                candidates.append(
                    (sub.current_period_end, order, lambda s=sub: self._renew(s))
                )
        for order, inv in enumerate(self.invoices.values()):
            if inv.status == "draft" and inv.auto_advance:
                candidates.append((inv.created + 3600, order, lambda i=inv: self._finalize(i)))
            elif inv.status == "open" and inv.next_payment_attempt is not None:
                candidates.append(
                    (inv.next_payment_attempt, order, lambda i=inv: self._attempt_payment(i))
                )
        due = [c for c in candidates if c[0] <= until]
        if not due:
            return None
        at, _, action = min(due, key=lambda c: (c[0], c[1]))
        return at, action
