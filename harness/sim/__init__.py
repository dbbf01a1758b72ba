"""The Stripe side: a World of customers, subscriptions and invoices, changed by portal verbs.

Verbs live on `World` (see world.py and the billing/portal modules); each verb changes objects and
appends the events Stripe would emit, with snapshots taken before and after, to the event log.
The sim knows nothing of API versions: `harness.render` shapes snapshots per version.
"""

from .objects import (
    CheckoutSession,
    Customer,
    Invoice,
    InvoiceItem,
    InvoiceLine,
    PaymentMethod,
    PortalSession,
    SetupIntent,
    Subscription,
    SubscriptionItem,
)
from .payments import Charge, InvoicePayment, PaymentIntent
from .world import AccessPolicy, SimEvent, World

__all__ = [
    "AccessPolicy",
    "Charge",
    "CheckoutSession",
    "Customer",
    "Invoice",
    "InvoiceItem",
    "InvoiceLine",
    "InvoicePayment",
    "PaymentIntent",
    "PaymentMethod",
    "PortalSession",
    "SetupIntent",
    "SimEvent",
    "Subscription",
    "SubscriptionItem",
    "World",
]
