"""What open-source Stripe libraries ask of the fake beyond its core resources.

Each entry names the library and the request that needs it, so a gap found by running a real
library is closed here, next to its reason, without touching the resource modules.

- dj-stripe 2.11 (`djstripe.models.checkout.Session.expand_fields`) retrieves every Checkout
  session with `expand[]=total_details.breakdown`. Stripe includes `breakdown` (discounts and
  taxes applied) only when it is expanded; `total_details` has no `object` of its own, so it is
  matched by the fields it always holds. The same call expands `line_items.data.discounts`:
  a line item's discounts are includable too, an empty list when none applies.
"""

from __future__ import annotations

from typing import Any

from .handlers import INCLUDABLE, Call


def _total_details_breakdown(call: Call, node: dict[str, Any]) -> dict[str, Any] | None:
    if "amount_discount" not in node or "amount_tax" not in node:
        return node.get("breakdown")
    return {"discounts": [], "taxes": []}


def _item_discounts(call: Call, node: dict[str, Any]) -> list[Any]:
    return node.get("discounts") or []


INCLUDABLE[("", "breakdown")] = _total_details_breakdown
INCLUDABLE[("item", "discounts")] = _item_discounts
