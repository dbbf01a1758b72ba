"""The pages' HTML: one plain, accessible layout and the small pieces every page uses.

Takes a title and a body (already escaped where it holds data); gives a complete document. No
scripts, no external assets, nothing that looks like Stripe's own pages: a neutral test stand-in
that labels every control, so browser tests find them by role and name.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from string import Template

from ..scenario.catalog import Catalog

_PAGE = Template("""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>$title</title>
<style>
body { font-family: system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #f4f4f0; }
header { background: #2f3e46; color: #fff; padding: .6rem 1.2rem; font-size: .9rem; }
header strong { letter-spacing: .04em; }
main { max-width: 40rem; margin: 1.5rem auto; padding: 0 1rem; }
section { background: #fff; border: 1px solid #c9c9c0; border-radius: 6px; padding: 1rem 1.2rem;
          margin-bottom: 1rem; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 0; }
table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: .3rem;
  border-bottom: 1px solid #e3e3dc; } td.amount, th.amount { text-align: right; }
button, .button { font: inherit; padding: .45rem .9rem; border-radius: 4px; cursor: pointer;
  border: 1px solid #2f3e46; background: #2f3e46; color: #fff; text-decoration: none;
  display: inline-block; margin: .2rem .3rem .2rem 0; }
button.secondary, .button.secondary { background: #fff; color: #2f3e46; }
label { display: block; margin: .5rem 0 .2rem; }
input[type=text], input[type=email], select, textarea { font: inherit; padding: .35rem;
  width: 100%; box-sizing: border-box; }
fieldset { border: 1px solid #c9c9c0; border-radius: 4px; margin: .6rem 0; }
.notice { background: #fff7d6; border-color: #d9b300; }
.error { background: #fde8e8; border-color: #b42318; color: #7a1a12; }
.badge { font-size: .8rem; border: 1px solid #2f3e46; border-radius: 3px; padding: 0 .3rem; }
footer { max-width: 40rem; margin: 0 auto 2rem; padding: 0 1rem; font-size: .8rem;
         color: #55554f; }
</style>
</head>
<body>
<header><strong>portal-harness</strong> · $kind (local test stand-in, no real payments)</header>
<main>
$body
</main>
<footer>Served by portal-harness for tests. Actions here change the simulated Stripe account
and send its signed webhooks to the app.</footer>
</body>
</html>
""")


def page(title: str, body: str, *, kind: str = "customer portal") -> bytes:
    return _PAGE.substitute(title=escape(title), body=body, kind=escape(kind)).encode("utf-8")


def money(amount: int, currency: str) -> str:
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    symbol = {"usd": "$", "eur": "€", "gbp": "£"}.get(currency.lower())
    value = f"{amount // 100:,}.{amount % 100:02d}"
    return f"{sign}{symbol}{value}" if symbol else f"{sign}{value} {currency.upper()}"


def day(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%B %-d, %Y")


def price_label(catalog: Catalog, price_id: str) -> str:
    price = catalog.price(price_id)
    every = price.interval if price.interval_count == 1 else (
        f"{price.interval_count} {price.interval}s")
    name = catalog.products.get(price.product, price.plan)
    return f"{name}, {money(price.unit_amount, price.currency)} per {every}"


def plan_name(catalog: Catalog, price_id: str) -> str:
    price = catalog.price(price_id)
    return catalog.products.get(price.product, price.plan)


def button(label: str, action: str, *, fields: dict[str, str] | None = None,
           secondary: bool = False) -> str:
    """A one-button form that POSTs to `action`."""
    hidden = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
                     for k, v in (fields or {}).items())
    cls = ' class="secondary"' if secondary else ""
    return (f'<form method="post" action="{escape(action)}" style="display:inline">{hidden}'
            f'<button type="submit"{cls}>{escape(label)}</button></form>')


def link(label: str, href: str, *, secondary: bool = True) -> str:
    cls = "button secondary" if secondary else "button"
    return f'<a class="{cls}" href="{escape(href)}">{escape(label)}</a>'


def notice(text: str, *, error: bool = False) -> str:
    role = "alert" if error else "status"
    cls = "error" if error else "notice"
    return f'<section class="{cls}" role="{role}"><p>{escape(text)}</p></section>'


def card_fields(error: str | None = None) -> str:
    """The card form's fields, each labelled, as a customer types a test card."""
    err = (f'<p class="error" role="alert" id="card-error">{escape(error)}</p>'
           if error else "")
    return f"""{err}
<label for="cardnumber">Card number</label>
<input type="text" id="cardnumber" name="cardnumber" inputmode="numeric"
       autocomplete="cc-number" placeholder="4242 4242 4242 4242" required>
<label for="exp">Expiration (MM/YY)</label>
<input type="text" id="exp" name="exp" autocomplete="cc-exp" placeholder="12/34" required>
<label for="cvc">CVC</label>
<input type="text" id="cvc" name="cvc" inputmode="numeric" autocomplete="cc-csc"
       placeholder="123" required>"""
