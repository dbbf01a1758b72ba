"""The Stripe endpoints the fake serves, one module per resource; `ROUTES` gathers them.

Each module's `ROUTES` names endpoints by the path template stripe-python calls, so the SDK's
own parameter definitions validate every request before a handler sees it.
"""

from __future__ import annotations

from . import (
    catalog,
    checkout,
    coupons,
    customers,
    events,
    invoices,
    payments,
    refunds,
    schedules,
    subscriptions,
)

ROUTES = (*customers.ROUTES, *catalog.ROUTES, *checkout.ROUTES, *subscriptions.ROUTES,
          *invoices.ROUTES, *payments.ROUTES, *refunds.ROUTES, *events.ROUTES,
          *schedules.ROUTES,
          *coupons.ROUTES)

__all__ = ["ROUTES"]
