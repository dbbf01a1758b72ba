"""Checkout: `POST /v1/checkout/sessions` in subscription mode, and the page its url opens.

Takes the app's session parameters (a catalog price, a customer or an email, success and cancel
urls); gives an open `checkout.session` whose url is a local page with the price and a card
form. Stripe's test cards decide what happens: 4242... pays, 4000...0002 is declined, 4000 0025
0000 3155 asks for authentication first. Paying calls `World.checkout` (the verb a scenario's
`checkout` step calls) with the session's id, then redirects to `success_url`.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

from ..fake_stripe import errors
from ..fake_stripe.handlers import allow, as_array, as_hash, as_int, as_string, expand
from ..render import render
from ..sim import CheckoutSession
from .answers import Answer, PageError, Request, html_answer, redirect
from .cards import DECLINE_MESSAGES, CardError, read_card
from .html import card_fields, link, money, notice, page, plan_name

if TYPE_CHECKING:
    from .app import HostedPages

PARAMS = {"mode", "line_items", "customer", "customer_email", "client_reference_id",
          "success_url", "cancel_url", "metadata", "expires_at", "expand", "locale",
          "payment_method_types", "allow_promotion_codes", "subscription_data",
          "billing_address_collection", "ui_mode"}
EXPIRY = 86400  # Checkout's default: 24 hours (api/checkout/sessions/create#expires_at)


@dataclass
class PendingCheckout:
    id: str
    customer: str | None
    customer_email: str | None
    price: str
    quantity: int
    success_url: str | None
    cancel_url: str | None
    client_reference_id: str | None
    metadata: dict[str, str]
    created: int
    expires_at: int
    url: str
    status: str = "open"  # open | complete | expired
    pending_card: str | None = None


def create_session(pages: HostedPages, call: Any) -> dict[str, Any]:
    own = pages.served("POST", "/v1/checkout/sessions")
    if own is not None:  # the fake creates the session; its url opens the local page
        body = own.handler(call)
        if isinstance(body, dict) and body.get("url"):
            body["url"] = f"{pages.base_url}/c/pay/{body['id']}"
            stored = call.world.checkout_sessions.get(body["id"])
            if stored is not None:
                stored.url = body["url"]
        return body
    params = call.params
    allow(params, PARAMS)
    mode = as_string(params.get("mode", ""), "mode", required=False)
    if not mode:
        raise errors.missing("mode")
    if mode != "subscription":
        raise errors.invalid(f"The local Checkout page simulates mode=subscription only, not "
                             f"mode={mode}.", "mode")
    items = as_array(params.get("line_items", []), "line_items")
    if len(items) != 1:
        raise errors.invalid("The local Checkout page takes exactly one line item (a price).",
                             "line_items")
    item = as_hash(items[0], "line_items[0]")
    allow(item, {"price", "quantity"}, "line_items[0]")
    if "price" not in item:
        raise errors.missing("line_items[0][price]")
    price = as_string(item["price"], "line_items[0][price]")
    if price not in call.world.catalog.prices:
        raise errors.no_such("price", price, "line_items[0][price]")
    quantity = as_int(item.get("quantity", "1"), "line_items[0][quantity]", low=1, high=999999)
    customer = None
    if "customer" in params:
        customer = as_string(params["customer"], "customer")
        if customer not in call.world.customers:
            raise errors.no_such("customer", customer, "customer")
        if "customer_email" in params:
            raise errors.invalid("You may only specify one of these parameters: customer, "
                                 "customer_email.")
    urls = {}
    for key in ("success_url", "cancel_url"):
        if key in params:
            from ..fake_stripe.portal import _url

            urls[key] = _url(params[key], key)
    now = call.world.now
    expires_at = as_int(params["expires_at"], "expires_at", low=now + 1800, high=now + EXPIRY) \
        if "expires_at" in params else now + EXPIRY
    session_id = "cs_test_" + call.world.ids.token(58)
    pending = PendingCheckout(
        id=session_id, customer=customer,
        customer_email=as_string(params["customer_email"], "customer_email")
        if "customer_email" in params else None,
        price=price, quantity=quantity, success_url=urls.get("success_url"),
        cancel_url=urls.get("cancel_url"),
        client_reference_id=as_string(params["client_reference_id"], "client_reference_id")
        if "client_reference_id" in params else None,
        metadata=dict(as_hash(params.get("metadata", {}), "metadata")),
        created=now, expires_at=expires_at, url=f"{pages.base_url}/c/pay/{session_id}")
    pages.checkouts[session_id] = pending
    return expand(call, _render_open(pending, call))


def retrieve_session(pages: HostedPages, call: Any) -> dict[str, Any]:
    session_id = call.path.rstrip("/").rsplit("/", 1)[-1]
    own = pages.served("GET", f"/v1/checkout/sessions/{session_id}")
    if own is not None and session_id not in pages.checkouts:
        return own.handler(call)
    allow(call.params, {"expand"})
    pending = pages.checkouts.get(session_id)
    done = call.world.checkout_sessions.get(session_id)
    if done is not None:
        body = call.render(done)
        if pending is not None:
            body.update(success_url=pending.success_url, cancel_url=pending.cancel_url,
                        metadata=pending.metadata, expires_at=pending.expires_at)
        return expand(call, body)
    if pending is None:
        raise errors.no_such("checkout.session", session_id, "id", status=404)
    _expire_if_due(pages, pending)
    return expand(call, _render_open(pending, call))


def _render_open(p: PendingCheckout, call: Any) -> dict[str, Any]:
    shim = CheckoutSession(id=p.id, customer=p.customer or "", customer_email=p.customer_email
                           or "", created=p.created, subscription=None, invoice=None,
                           amount_total=_amount(call.world, p), currency=_currency(call.world, p),
                           client_reference_id=p.client_reference_id)
    body = render(shim, call.api_version, call.world.catalog)
    body.update(customer=p.customer, customer_email=p.customer_email,
                customer_details=None, expires_at=p.expires_at, metadata=p.metadata,
                payment_status="unpaid", status=p.status, success_url=p.success_url,
                cancel_url=p.cancel_url, url=p.url if p.status == "open" else None)
    return body


def _amount(world: Any, p: PendingCheckout) -> int:
    return world.catalog.price(p.price).unit_amount * p.quantity


def _currency(world: Any, p: PendingCheckout) -> str:
    return world.catalog.price(p.price).currency


def _from_world(pages: HostedPages, session_id: str) -> PendingCheckout | None:
    """A session the fake's own Checkout API created and keeps in the World (open, with its
    line items and urls), followed by the page like one of ours."""
    stored = pages.world.checkout_sessions.get(session_id)
    if stored is None or getattr(stored, "status", "complete") != "open":
        return None
    if getattr(stored, "mode", "subscription") != "subscription" or len(stored.line_items) != 1:
        raise PageError(501, "Not simulated", "The local Checkout page completes subscription "
                        "sessions with one price.")
    item = stored.line_items[0]
    pending = PendingCheckout(
        id=stored.id, customer=stored.customer, customer_email=stored.customer_email,
        price=item["price"], quantity=item["quantity"], success_url=stored.success_url,
        cancel_url=stored.cancel_url, client_reference_id=stored.client_reference_id,
        metadata=dict(stored.metadata), created=stored.created,
        expires_at=stored.expires_at or stored.created + EXPIRY,
        url=f"{pages.base_url}/c/pay/{stored.id}")
    pages.checkouts[stored.id] = pending
    return pending


def _expire_if_due(pages: HostedPages, p: PendingCheckout) -> None:
    """Past `expires_at` (virtual time) a session is expired. A session the World keeps
    expires there too, with Stripe's `checkout.session.expired` event."""
    if p.status != "open" or pages.world.now < p.expires_at:
        return
    p.status = "expired"
    stored = pages.world.checkout_sessions.get(p.id)
    if getattr(stored, "status", None) == "open":
        stored.status, stored.url = "expired", None
        pages.world.emit("checkout.session.expired", stored, request="automatic")


# -- the page -----------------------------------------------------------------------------------


def handle(pages: HostedPages, req: Request) -> Answer:
    rest = req.path[len("/c/pay/"):]
    session_id, _, tail = rest.partition("/")
    with pages.fake.lock:
        start = len(pages.world.events)
        pending = pages.checkouts.get(session_id) or _from_world(pages, session_id)
        if pending is not None:
            _expire_if_due(pages, pending)
        expired = pages.world.events[start:]
    pages.send(expired)
    if pending is None:
        raise PageError(404, "Checkout not found", "This checkout link is not valid.")
    if pending.status == "complete":
        return _completed(pages, pending)
    if pending.status == "expired":
        back = f"<p>{link('Return to the app', pending.cancel_url)}</p>" \
            if pending.cancel_url else ""
        return html_answer(page("Checkout expired", "<h1>This checkout session has expired"
                                "</h1>" + notice("Start again from the app.") + back,
                                kind="checkout"), 410)
    if tail == "" and req.method in ("GET", "HEAD"):
        return _form_page(pages, pending)
    if tail == "" and req.method == "POST":
        return _pay(pages, pending, req)
    if tail == "authenticate" and req.method in ("GET", "HEAD"):
        if pending.pending_card is None:
            return redirect(pending.url)
        from .portal_flows import authentication_body

        return html_answer(page("Authenticate", authentication_body(
            f"/c/pay/{pending.id}/authenticate", "This payment"), kind="checkout"))
    if tail == "authenticate" and req.method == "POST":
        card, pending.pending_card = pending.pending_card, None
        if card is None:
            return redirect(pending.url)
        if req.form.get("outcome") != "complete":
            return _form_page(pages, pending, DECLINE_MESSAGES["authentication_failed"], 402)
        return _complete(pages, pending, card)
    raise PageError(404, "Page not found", "No checkout page here.")


def _form_page(pages: HostedPages, p: PendingCheckout, error: str | None = None,
               status: int = 200) -> Answer:
    with pages.fake.lock:
        world = pages.world
        price = world.catalog.price(p.price)
        name = plan_name(world.catalog, p.price)
        email = p.customer_email or (world.customers[p.customer].email if p.customer else "")
    amount = money(price.unit_amount * p.quantity, price.currency)
    every = price.interval if price.interval_count == 1 else (
        f"{price.interval_count} {price.interval}s")
    email_field = (f"<p>Email: {escape(email)}</p>" if email else
                   '<label for="email">Email</label><input type="email" id="email" '
                   'name="email" autocomplete="email" required>')
    back = f"<p>{link('Back', p.cancel_url)}</p>" if p.cancel_url else ""
    body = (f"<h1>Subscribe to {escape(name)}</h1><section>"
            f'<p><strong aria-label="Price">{amount}</strong> per {every}'
            + (f" · quantity {p.quantity}" if p.quantity > 1 else "") + "</p>"
            f'<form method="post" action="/c/pay/{escape(p.id)}">{email_field}'
            f"{card_fields(error)}<p><button type=\"submit\">Subscribe</button></p></form>"
            f"{back}</section>")
    return html_answer(page(f"Subscribe to {name}", body, kind="checkout"), status)


def _pay(pages: HostedPages, p: PendingCheckout, req: Request) -> Answer:
    form = req.form
    if not p.customer and not p.customer_email:
        email = form.get("email", "").strip()
        if "@" not in email:
            return _form_page(pages, p, "Your email address is incomplete.", 400)
        p.customer_email = email
    try:
        card = read_card(form.get("cardnumber", ""), form.get("exp", ""), form.get("cvc", ""))
    except CardError as exc:
        return _form_page(pages, p, str(exc), 400)
    if card.outcome == "declined":
        return _form_page(pages, p, DECLINE_MESSAGES[card.decline_code or "generic_decline"],
                          402)
    if card.outcome == "authentication":
        p.pending_card = card.sim_card
        return redirect(f"/c/pay/{p.id}/authenticate")
    if card.outcome == "declines_later":  # Checkout charges at once: declined here
        return _form_page(pages, p, DECLINE_MESSAGES["generic_decline"], 402)
    return _complete(pages, p, card.sim_card)


def _complete(pages: HostedPages, p: PendingCheckout, sim_card: str) -> Answer:
    from .portal_pages import apply_step

    if p.customer is None:  # Checkout creates the customer from the email typed
        email = p.customer_email or ""
        customer = pages.perform(lambda: pages.world.create_customer(
            email, email.split("@")[0].replace(".", " ").title()))
        p.customer = customer.id
    apply_step(pages, p.customer, "checkout", {
        "price": p.price, "quantity": p.quantity, "card": sim_card,
        "client_reference_id": p.client_reference_id, "session_id": p.id})
    p.status = "complete"
    if p.success_url:
        return redirect(p.success_url.replace("{CHECKOUT_SESSION_ID}", p.id))
    return _completed(pages, p)


def _completed(pages: HostedPages, p: PendingCheckout) -> Answer:
    return html_answer(page("Thanks", "<h1>Thanks for subscribing</h1>"
                            + notice("Your payment was successful."), kind="checkout"))
