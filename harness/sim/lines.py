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
