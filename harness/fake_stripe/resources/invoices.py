"""Invoices (retrieve, list, search, lines, create_preview, finalize, pay, void,
mark_uncollectible) and invoice items (create, retrieve, list).

Actions call the World's billing verbs, so paying an invoice emits invoice.paid and
invoice.payment_succeeded (or invoice.payment_failed and a 402 card_error) as Stripe does.
"""

from __future__ import annotations

from typing import Any

from ...scenario.catalog import Price
from ...sim import api_changes
from ...sim.billing import add_interval
from ...sim.objects import Invoice, InvoiceItem, InvoiceLine
from ...versions import Era, era
from .. import errors
from ..errors import StripeApiError
from ..handlers import Call, as_int, as_string, list_invoices
from ..routes import Route
from .answers import answer, customer_param, flag, get, listing, searching, world_errors

LIST = {"limit", "starting_after", "ending_before"}


def _invoice(call: Call) -> Invoice:
    return get(call, call.world.invoices, "invoice")


def _require(inv: Invoice, statuses: tuple[str, ...], action: str) -> None:
    if inv.status not in statuses:
        raise errors.invalid(f"You can only {action} an invoice with a status of "
                             f"{' or '.join(statuses)}. This invoice's status is {inv.status}.",
                             code="invoice_not_editable" if action == "finalize" else None)


def finalize(call: Call) -> dict[str, Any]:
    inv = _invoice(call)
    _require(inv, ("draft",), "finalize")
    with world_errors():
        if call.params.get("auto_advance") == "false":
            inv.auto_advance = False
            call.world._open(inv)
            call.world.emit("invoice.finalized", inv)
        else:
            call.world._finalize(inv, request="portal")
    return answer(call, inv)


def pay(call: Call) -> dict[str, Any]:
    inv = _invoice(call)
    if inv.status == "paid":
        raise errors.invalid("Invoice is already paid", code="invoice_already_paid")
    _require(inv, ("draft", "open", "uncollectible"), "pay")
    world = call.world
    if inv.status == "draft":
        world._open(inv)
        world.emit("invoice.finalized", inv)
    if flag(call.params.get("paid_out_of_band", "false"), "paid_out_of_band"):
        world._mark_paid(inv, world.subscriptions.get(inv.subscription or ""), "portal")
        return answer(call, inv)
    pm = call.params.get("payment_method")
    if pm is not None and pm not in world.payment_methods:
        raise errors.no_such("PaymentMethod", pm, "payment_method")
    cust = world.customer(inv.customer)
    sub = world.subscriptions.get(inv.subscription or "")
    if pm is None and not ((sub and sub.default_payment_method) or cust.default_payment_method):
        raise errors.invalid("This customer has no attached payment source or default payment "
                             "method. Please consider adding a default payment method.")
    saved = cust.default_payment_method
    if pm is not None:
        cust.default_payment_method = pm  # this one payment only
    try:
        world._attempt_payment(inv, request="portal")
    finally:
        cust.default_payment_method = saved
    if inv.status != "paid":
        raise StripeApiError(402, "Your card was declined.", type="card_error",
                             code="card_declined")
    return answer(call, inv)


def void(call: Call) -> dict[str, Any]:
    inv = _invoice(call)
    _require(inv, ("open", "uncollectible"), "void")
    inv.status, inv.voided_at, inv.auto_advance = "void", call.world.now, False
    inv.next_payment_attempt = None
    call.world.emit("invoice.voided", inv)
    return answer(call, inv)


def mark_uncollectible(call: Call) -> dict[str, Any]:
    inv = _invoice(call)
    _require(inv, ("open",), "mark_uncollectible")
    inv.status, inv.marked_uncollectible_at = "uncollectible", call.world.now
    inv.next_payment_attempt = None
    call.world.emit("invoice.marked_uncollectible", inv)
    return answer(call, inv)


def lines(call: Call) -> dict[str, Any]:
    inv = _invoice(call)
    body = call.render(inv)["lines"]
    data = body["data"]
    limit = as_int(call.params.get("limit", "10"), "limit", low=1, high=100)
    if "starting_after" in call.params:
        ids = [line["id"] for line in data]
        cursor = call.params["starting_after"]
        if cursor not in ids:
            raise errors.no_such("line item", cursor, "starting_after")
        data = data[ids.index(cursor) + 1:]
    return {"object": "list", "data": data[:limit], "has_more": len(data) > limit,
            "url": f"/v1/invoices/{inv.id}/lines"}


def search(call: Call) -> dict[str, Any]:
    return searching(call, list(call.world.invoices.values()), "/v1/invoices/search",
                     "invoices", {"created", "currency", "customer", "metadata", "number",
                                  "status", "subscription", "total"})


def create_preview(call: Call) -> dict[str, Any]:
    """The subscription's next invoice: its items for the next period plus pending items.

    `subscription_details` (items with a new price or quantity, `proration_behavior`,
    `proration_date`) plays the same change on a copy of the World (`sim.api_changes`): the
    preview is the invoice the change bills at once (`always_invoice`, or a new billing
    interval), else the next renewal with the change's proration lines among its pending items,
    the lines the World bills when the app makes the same update with the same
    proration_date."""
    world = call.world
    p = call.params
    customer = customer_param(call)
    sub_id = p.get("subscription")
    sub = get(call, world.subscriptions, "subscription", sub_id, param="subscription") \
        if sub_id else None
    if sub is None and customer is None:
        raise errors.missing("customer")
    customer = customer or sub.customer
    details = p.get("subscription_details") if isinstance(p.get("subscription_details"),
                                                          dict) else {}
    if sub is not None and details:
        from .subscriptions import item_changes, proration_of

        changes = item_changes(sub, details.get("items", []), "subscription_details[items]")
        with world_errors():
            world, billed = api_changes.preview(
                world, sub, changes, **proration_of(details, "subscription_details"))
        sub = world.subscriptions[sub.id]
        if billed is not None:
            return _preview_body(call, billed)
    lines_out = []
    for item in sub.items if sub else []:
        price = world.catalog.price(item.price)
        lines_out.append(InvoiceLine(
            world.ids.new("il"), price.unit_amount * item.quantity,
            f"{item.quantity} × {world.catalog.products.get(price.product, price.product)}"  # noqa: RUF001
            f" (at ${price.unit_amount / 100:.2f} / {price.interval})",
            item.current_period_end, add_interval(item.current_period_end, price.interval,
                                                  price.interval_count),
            item.price, item.quantity, False, sub.id if sub else None, item.id))
    for ii in world.invoice_items.values():
        if ii.customer == customer and ii.invoice is None and \
                (sub is None or ii.subscription in (None, sub.id)):
            lines_out.append(InvoiceLine(
                world.ids.new("il"), ii.amount, ii.description, ii.period_start,
                ii.period_end, ii.price, ii.quantity, ii.proration, ii.subscription,
                ii.subscription_item, invoice_item=ii.id))
    cust = world.customer(customer)
    start = sub.current_period_end if sub else world.now
    preview = Invoice(
        id="upcoming_" + world.ids.new("in")[3:], customer=customer,
        customer_email=cust.email, customer_name=cust.name,
        subscription=sub.id if sub else None, billing_reason="upcoming", created=start,
        period_start=sub.current_period_start if sub else start,
        period_end=start, lines=lines_out, starting_balance=cust.balance)
    return _preview_body(call, preview)


def _preview_body(call: Call, inv: Invoice) -> dict[str, Any]:
    body = call.render(inv)
    body.pop("id", None)  # a preview has no id (stripe-python: Invoice.id is optional)
    return body


def upcoming(call: Call) -> dict[str, Any]:
    """GET /v1/invoices/upcoming, for API versions before 2025-03-31.basil, which removed it
    for POST /v1/invoices/create_preview (stripe-python 16 no longer defines it)."""
    if era(call.api_version) >= Era.BASIL:
        raise errors.unrecognized_url("GET", call.path, gap=(
            f"{call.path} was removed in 2025-03-31.basil (this request: {call.api_version}); "
            "what Stripe answers to it now is not known to the fake, which answers its "
            "unknown-URL 404"))
    p = call.params
    details = {key: p.pop(f"subscription_{key}") for key in
               ("items", "proration_behavior", "proration_date") if f"subscription_{key}" in p}
    if details:
        p["subscription_details"] = details
    return create_preview(call)


def upcoming_lines(call: Call) -> dict[str, Any]:
    body = upcoming(call)
    return {**body["lines"], "url": "/v1/invoices/upcoming/lines"}


# -- invoice items -------------------------------------------------------------------------------


def create_item(call: Call) -> dict[str, Any]:
    world = call.world
    p = call.params
    customer = customer_param(call, required=True)
    assert customer is not None
    price_id = p.get("price") or (p.get("pricing") or {}).get("price")
    if price_id is not None:
        with world_errors():
            price = world.catalog.price(price_id)
        quantity = as_int(p.get("quantity", "1"), "quantity", low=1)
        amount, currency = price.unit_amount * quantity, price.currency
    else:
        if "amount" not in p:
            raise errors.missing("amount")
        amount, quantity = as_int(p["amount"], "amount"), 1
        currency = as_string(p.get("currency", "usd"), "currency")
        price_id = _inline_price(call, amount, currency)
    ii = InvoiceItem(
        id=world.ids.new("ii"), customer=customer, amount=amount, currency=currency,
        date=world.now, description=p.get("description") or "Invoice item",
        period_start=world.now, period_end=world.now, price=price_id or "",
        quantity=quantity, proration=False, subscription=p.get("subscription"),
        subscription_item=None, invoice=p.get("invoice"))
    world.invoice_items[ii.id] = ii
    world.emit("invoiceitem.created", ii)
    return answer(call, ii)


def _inline_price(call: Call, amount: int, currency: str) -> str:
    """Stripe prices an amount-only item with an inline one-time price; the World's renderers
    need a catalog price, so the fake adds one (its `recurring` renders empty: a gap note)."""
    price_id = "price_" + call.world.ids.token(24)
    call.world.catalog.prices[price_id] = Price(  # type: ignore[index]
        price_id, "prod_inline", "inline", amount, currency, None, 1)  # type: ignore[arg-type]
    call.world.catalog.products.setdefault("prod_inline", "Invoice item")  # type: ignore[attr-defined]
    call.notes.append("an amount-only invoice item's inline price renders as a recurring price "
                      "with no interval")
    return price_id


def list_items(call: Call) -> dict[str, Any]:
    customer = customer_param(call)
    pending = call.params.get("pending")
    found = [ii for ii in call.world.invoice_items.values()
             if customer in (None, ii.customer)
             and (pending is None or (ii.invoice is None) == flag(pending, "pending"))]
    return listing(call, found, "/v1/invoiceitems", "invoiceitem")


ROUTES = (
    Route.sdk("GET", "/v1/invoices", list_invoices,
              honours=LIST | {"customer", "subscription", "status"}),
    Route.sdk("GET", "/v1/invoices/search", search, honours={"query", "limit", "page"}),
    Route.sdk("POST", "/v1/invoices/create_preview", create_preview,
              honours={"customer", "subscription", "subscription_details"}),
    Route.of("GET", r"/v1/invoices/upcoming", upcoming),
    Route.of("GET", r"/v1/invoices/upcoming/lines", upcoming_lines),
    Route.sdk("GET", "/v1/invoices/{invoice}", lambda call: answer(call, _invoice(call))),
    Route.sdk("GET", "/v1/invoices/{invoice}/lines", lines,
              honours={"limit", "starting_after"}),
    Route.sdk("POST", "/v1/invoices/{invoice}/finalize", finalize, stateful=True,
              honours={"auto_advance"}),
    Route.sdk("POST", "/v1/invoices/{invoice}/pay", pay, stateful=True,
              honours={"paid_out_of_band", "payment_method"}),
    Route.sdk("POST", "/v1/invoices/{invoice}/void", void, stateful=True, honours=set()),
    Route.sdk("POST", "/v1/invoices/{invoice}/mark_uncollectible", mark_uncollectible,
              stateful=True, honours=set()),
    Route.sdk("POST", "/v1/invoiceitems", create_item, stateful=True,
              honours={"customer", "price", "pricing", "quantity", "amount", "currency",
                       "description", "subscription", "invoice"}),
    Route.sdk("GET", "/v1/invoiceitems", list_items, honours=LIST | {"customer", "pending"}),
    Route.sdk("GET", "/v1/invoiceitems/{invoiceitem}",
              lambda call: answer(call, get(call, call.world.invoice_items, "invoiceitem"))),
)
