"""Invoice line descriptions as Stripe writes them on subscription invoices.

"1 × Basic (at $10.00 / month)": the quantity, a multiplication sign, the product, then the unit
price per interval, as the captured basil invoice shows ("1 × … (a R$ 29.90 / month)" in its
customer's Portuguese locale); English and the currency's symbol here.
"""  # noqa: RUF002 - Stripe writes a multiplication sign

from __future__ import annotations

from typing import Any

# Symbols Stripe's English invoices print; other currencies show their code [I].
_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "cad": "CA$", "aud": "A$", "brl": "R$",
            "jpy": "¥", "inr": "₹", "chf": "CHF ", "nzd": "NZ$", "sgd": "SGD "}
_ZERO_DECIMAL = frozenset({"jpy", "krw", "vnd", "clp", "xof", "xaf", "ugx", "rwf", "pyg"})


def money(amount: int, currency: str) -> str:
    """An amount in the currency's minor unit, as an invoice prints it: $10.00, ¥1000."""
    symbol = _SYMBOLS.get(currency, currency.upper() + " ")
    if currency in _ZERO_DECIMAL:
        return f"{symbol}{amount}"
    return f"{symbol}{amount / 100:.2f}"


def interval_text(interval: str, count: int) -> str:
    return interval if count == 1 else f"every {count} {interval}s"


def line_description(quantity: int, price: Any, product_name: str) -> str:
    """The description of a subscription item's line for a whole period."""
    return (f"{quantity} × {product_name} "  # noqa: RUF001 - Stripe writes this sign
            f"(at {money(price.unit_amount, price.currency)} / "
            f"{interval_text(price.interval, price.interval_count)})")


def proration_description(word: str, quantity: int, product_name: str, when: int) -> str:
    """'Unused time on Pro after 03 May 2026'; real invoices name the quantity (with the
    multiplication sign) only when it is not one."""
    import datetime as dt

    day = dt.datetime.fromtimestamp(when, dt.UTC).strftime("%d %b %Y")
    count = "" if quantity == 1 else f"{quantity} × "  # noqa: RUF001 - Stripe's sign
    return f"{word} time on {count}{product_name} after {day}"


def credited_items(world: Any, sub: Any, item_id: str, price_id: str) -> dict[str, Any] | None:
    """What a credit proration for `item_id` at `price_id` credits: the debit that billed the
    current period (Stripe's `proration_details.credited_items`, "for a credit proration, the
    original debit line_items to which the credit proration applies"). A debit still pending
    (a proration not yet invoiced) is named as that invoice item; an invoiced one as its
    invoice and line. None when nothing billed it (Stripe then shows null)."""
    for ii in reversed(list(world.invoice_items.values())):
        if (ii.subscription == sub.id and ii.subscription_item == item_id and ii.amount > 0
                and ii.price == price_id and ii.period_end == sub.current_period_end):
            if ii.invoice is None:
                return {"invoice_item": ii.id}
            break
    for inv in reversed(list(world.invoices.values())):
        if inv.subscription != sub.id or getattr(inv, "upcoming", False):
            continue
        lines = [line.id for line in inv.lines if line.subscription_item == item_id
                 and line.price == price_id and line.amount > 0
                 and line.period_end == sub.current_period_end]
        if lines:
            return {"invoice": inv.id, "invoice_line_items": lines}
    return None
