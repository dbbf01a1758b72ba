"""Refunds of the World's charges: an app refunds a payment through the API (the portal never
does), in full or in part, and Stripe tells it so.

A card refund succeeds at once. The charge's `amount_refunded` grows and `refunded` turns true
when nothing is left; the refund gets its own balance transaction (type `refund`, a negative
amount, no fee returned). Events (FIDELITY.md, "Refunds"): `charge.refunded` for every version;
from 2024-10-28.acacia also `refund.created` (before it, refund.* events were sent only for
refunds without a charge). Updating a refund's metadata sends `charge.refund.updated`, and from
2024-10-28.acacia `refund.updated` too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import ScenarioError
from .api_writes import API
from .billing import action
from .objects import _Snap

if TYPE_CHECKING:
    from .payments import Charge
    from .world import World

REFUND_EVENTS_FROM = "2024-10-28"
"""refund.created / refund.updated apply to charge refunds from 2024-10-28.acacia
(https://docs.stripe.com/changelog/acacia/2024-10-28/refund-webhook-update)."""

REASONS = ("duplicate", "fraudulent", "requested_by_customer")


@dataclass
class Refund(_Snap):
    id: str
    amount: int
    charge: str
    payment_intent: str | None
    customer: str
    payment_method: str
    currency: str
    created: int
    balance_transaction: str
    reason: str | None = None
    status: str = "succeeded"
    metadata: dict[str, str] = field(default_factory=dict)
    kind = "refund"


@action
def refund_charge(world: World, charge: Charge, amount: int | None = None, *,
                  reason: str | None = None,
                  metadata: dict[str, str] | None = None) -> Refund:
    """Refund `amount` (default: what is left) of a succeeded charge."""
    if charge.status != "succeeded":
        raise ScenarioError(f"Charge {charge.id} has not succeeded and cannot be refunded.")
    left = charge.amount - charge.amount_refunded
    if left <= 0:
        raise ScenarioError(f"Charge {charge.id} has already been refunded.")
    amount = left if amount is None else amount
    if amount > left:
        raise ScenarioError(too_much(amount, left, charge.currency))
    if reason is not None and reason not in REASONS:
        raise ScenarioError(f"Invalid reason: must be one of {', '.join(REASONS)}")
    refund = Refund(id=world.ids.new("re"), amount=amount, charge=charge.id,
                        payment_intent=charge.payment_intent, customer=charge.customer,
                        payment_method=charge.payment_method, currency=charge.currency,
                    created=world.now, balance_transaction=world.ids.new("txn"),
                    reason=reason, metadata=dict(metadata or {}))
    world.refunds[refund.id] = refund
    before = charge.snapshot()
    charge.amount_refunded += amount
    charge.refunds.append(refund.id)
    world.emit("charge.refunded", charge, before=before, request=API)
    if world.api_version[:10] >= REFUND_EVENTS_FROM:
        world.emit("refund.created", refund, request=API)
    return refund


@action
def update_refund(world: World, refund: Refund, metadata: dict[str, str]) -> Refund:
    """A refund's metadata changes (the only field Stripe lets an app update)."""
    before = refund.snapshot()
    refund.metadata = {k: v for k, v in {**refund.metadata, **metadata}.items() if v != ""}
    world.emit("charge.refund.updated", refund, before=before, request=API)
    if world.api_version[:10] >= REFUND_EVENTS_FROM:
        world.emit("refund.updated", refund, before=before, request=API)
    return refund


def too_much(amount: int, left: int, currency: str) -> str:
    return (f"Refund amount ({_money(amount, currency)}) is greater than unrefunded amount on "
            f"charge ({_money(left, currency)})")


def _money(amount: int, currency: str) -> str:
    return f"${amount / 100:,.2f}" if currency == "usd" else f"{amount} {currency}"
