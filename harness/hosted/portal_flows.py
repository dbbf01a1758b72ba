"""The portal's flows: switch plan (with the proration preview), cancel, renew, pause, resume,
update the card; the expired-session page and its recovery.

Each view takes the request's context (`portal_pages.Ctx`) and gives an answer; a POST changes
the World through `portal_pages.apply_step` and lands where the session's flow says. A flow the
configuration does not enable is a 404, as a control the real page would not show.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from .answers import Answer, PageError, html_answer, redirect
from .cards import DECLINE_MESSAGES, CardError, read_card
from .html import button, card_fields, day, link, money, notice, page, plan_name, price_label
from .preview import preview_switch

if TYPE_CHECKING:
    from .app import HostedPages
    from .portal_pages import Ctx, Visit


def post_button(label: str, action: str) -> str:
    return button(label, action, secondary=True)


def _pp() -> Any:
    from . import portal_pages

    return portal_pages


def flow_start(ctx: Ctx, flow: dict[str, Any]) -> str:
    """The page a deep link (`flow_data`) opens on."""
    kind = flow["type"]
    if kind == "payment_method_update":
        return f"{ctx.base}/payment-methods/new"
    details = flow.get(kind) or {}
    sub = details.get("subscription")
    if kind == "subscription_update_confirm":
        price = (details.get("items") or [{}])[0].get("price")
        if price:
            return f"{ctx.base}/subscriptions/{sub}/update/{price}"
        return f"{ctx.base}/subscriptions/{sub}/update"
    if kind in ("subscription_cancel", "subscription_update", "subscription_pause"):
        return f"{ctx.base}/subscriptions/{sub}/" + {
            "subscription_cancel": "cancel", "subscription_update": "update",
            "subscription_pause": "pause"}[kind]
    ctx.visit.flow_done = True  # customer_update: the homepage shows the details
    return ctx.base


def _back(ctx: Ctx) -> str:
    flow = ctx.session.flow
    if flow and not ctx.visit.flow_done and ctx.session.return_url:
        return link("Go back", ctx.session.return_url)
    return link("Go back", ctx.base)


def _live(ctx: Ctx, sub_id: str, what: str) -> Any:
    sub = ctx.subscription(sub_id)
    if sub.ended:
        raise PageError(409, "Subscription ended", f"This subscription has ended; it cannot "
                        f"be {what}.")
    return sub


def _form(action: str, inner: str, submit: str) -> str:
    return (f'<form method="post" action="{escape(action)}">{inner}'
            f'<p><button type="submit">{escape(submit)}</button></p></form>')


# -- switch plan --------------------------------------------------------------------------------


def _switchable(ctx: Ctx, sub_id: str) -> Any:
    if not ctx.features.update:
        raise PageError(404, "Not available", "Plan changes are not enabled in this portal.")
    sub = _live(ctx, sub_id, "updated")
    if sub.cancellation_pending or sub.status == "paused" or len(sub.items) > 1:
        raise PageError(409, "Cannot update", "This subscription cannot be updated now.")
    return sub


def update(ctx: Ctx, sub: str) -> Answer:
    subscription = _switchable(ctx, sub)
    current = subscription.items[0].price
    catalog = ctx.world.catalog
    options = [p for p in ctx.features.prices(catalog) if p != current]
    items = "".join(
        f"<li>{escape(price_label(catalog, p))} "
        + link(f"Select {price_label(catalog, p)}", f"{ctx.base}/subscriptions/{sub}/update/{p}",
               secondary=False) + "</li>" for p in options)
    body = (f"<h1>Update your plan</h1><section><p>Current plan: "
            f"{escape(price_label(catalog, current))}</p>"
            f'<ul aria-label="Plans">{items or "<li>No other plan is offered.</li>"}</ul>'
            f"<p>{_back(ctx)}</p></section>")
    return html_answer(page("Update your plan", body))


def _offered(ctx: Ctx, subscription: Any, price: str) -> None:
    if price not in ctx.features.prices(ctx.world.catalog):
        raise PageError(404, "Plan not offered", f"The plan {price} is not offered here.")
    if price == subscription.items[0].price:
        raise PageError(409, "Same plan", "This subscription is already on that plan.")


def confirm(ctx: Ctx, sub: str, price: str) -> Answer:
    subscription = _switchable(ctx, sub)
    _offered(ctx, subscription, price)
    catalog = ctx.world.catalog
    behavior = ctx.features.update_proration_behavior
    pv = preview_switch(ctx.world, subscription, price, behavior)
    rows = "".join(f'<tr><td>{escape(d)}</td><td class="amount">{money(a, pv.currency)}</td>'
                   "</tr>" for d, a in pv.lines)
    if pv.lines:
        when = ("Amount due today" if pv.due_now
                else f"Added to your next invoice on {day(pv.next_renewal)}")
        table = (f'<table aria-label="Proration preview"><tbody>{rows}</tbody><tfoot><tr>'
                 f'<th>{when}</th><th class="amount">{money(pv.total, pv.currency)}</th>'
                 "</tr></tfoot></table>")
    else:
        table = "<p>No prorations: the new price applies from your next invoice.</p>"
    body = (f"<h1>Confirm your new plan</h1><section>"
            f"<p>From {escape(price_label(catalog, subscription.items[0].price))}<br>"
            f"To <strong>{escape(price_label(catalog, price))}</strong></p>{table}"
            + _form(f"{ctx.base}/subscriptions/{sub}/update/{price}", "", "Confirm")
            + f"<p>{_back(ctx)}</p></section>")
    return html_answer(page("Confirm your new plan", body))


def do_switch(ctx: Ctx, sub: str, price: str) -> Answer:
    with ctx.pages.fake.lock:
        subscription = _switchable(ctx, sub)
        _offered(ctx, subscription, price)
    _pp().apply_step(ctx.pages, ctx.customer.id, "switch_plan", {
        "subscription": subscription, "price": price,
        "proration_behavior": ctx.features.update_proration_behavior})
    scheduled = ctx.world.schedule_of(subscription) is not None  # schedule_at_period_end
    return _pp().after_action(ctx, "switch_scheduled" if scheduled else "switched")


# -- cancel, renew --------------------------------------------------------------------------------


def _cancellable(ctx: Ctx, sub_id: str) -> Any:
    if not ctx.features.cancel:
        raise PageError(404, "Not available", "Cancellation is not enabled in this portal.")
    sub = _live(ctx, sub_id, "canceled")
    if sub.cancellation_pending:
        raise PageError(409, "Already canceled", "This subscription is already set to cancel.")
    return sub


def cancel(ctx: Ctx, sub: str) -> Answer:
    subscription = _cancellable(ctx, sub)
    features = ctx.features
    name = plan_name(ctx.world.catalog, subscription.items[0].price)
    if features.cancel_mode == "immediately":
        what = "Your subscription will be canceled immediately."
    else:
        what = (f"Your subscription will be canceled, but is still available until the end "
                f"of your billing period on {day(subscription.current_period_end)}.")
    reasons = ""
    if features.cancellation_reasons:
        from .features import CANCELLATION_REASONS

        options = "".join(
            f'<label><input type="radio" name="reason" value="{r}"> '
            f"{escape(CANCELLATION_REASONS[r])}</label>" for r in features.cancellation_reasons)
        reasons = (f"<fieldset><legend>Tell us why you are canceling (optional)</legend>"
                   f"{options}</fieldset>")
    body = (f"<h1>Cancel your subscription</h1><section><h2>{escape(name)}</h2>"
            f"<p>{escape(what)}</p>"
            + _form(f"{ctx.base}/subscriptions/{sub}/cancel", reasons, "Cancel subscription")
            + f"<p>{_back(ctx)}</p></section>")
    return html_answer(page("Cancel your subscription", body))


def do_cancel(ctx: Ctx, sub: str) -> Answer:
    with ctx.pages.fake.lock:
        subscription = _cancellable(ctx, sub)
    features = ctx.features
    reason = ctx.req.form.get("reason") or None
    if reason is not None and reason not in features.cancellation_reasons:
        raise PageError(400, "Unknown reason", f"{reason!r} is not one of the offered reasons.")
    now = features.cancel_mode == "immediately"
    _pp().apply_step(ctx.pages, ctx.customer.id, "cancel_now" if now else "cancel_at_period_end",
                     {"subscription": subscription, "feedback": reason})
    return _pp().after_action(ctx, "canceled" if now else "cancel_scheduled")


def do_renew(ctx: Ctx, sub: str) -> Answer:
    """The portal's "Renew subscription": undo a pending cancellation."""
    with ctx.pages.fake.lock:
        subscription = _live(ctx, sub, "renewed")
        if not ctx.features.cancel or not subscription.cancellation_pending:
            raise PageError(409, "Nothing to renew", "This subscription is not set to cancel.")
    _pp().apply_step(ctx.pages, ctx.customer.id, "undo_cancel", {"subscription": subscription})
    return _pp().after_action(ctx, "renewed")


# -- pause, resume --------------------------------------------------------------------------------


def _pausable(ctx: Ctx, sub_id: str) -> Any:
    sub = _live(ctx, sub_id, "paused")
    if not ctx.features.pause_offered(ctx.world.api_version, sub.billing_mode):
        raise PageError(404, "Not available", "Pausing is not offered in this portal (it needs "
                        "the pause feature, API version 2026-10-28 or later and flexible "
                        "billing mode).")
    return sub


def pause(ctx: Ctx, sub: str) -> Answer:
    subscription = _pausable(ctx, sub)
    if subscription.status == "paused":
        raise PageError(409, "Already paused", "This subscription is already paused.")
    name = plan_name(ctx.world.catalog, subscription.items[0].price)
    body = (f"<h1>Pause your subscription</h1><section><h2>{escape(name)}</h2>"
            "<p>You will not be charged while the subscription is paused. You can resume it "
            "at any time.</p>"
            + _form(f"{ctx.base}/subscriptions/{sub}/pause", "", "Pause subscription")
            + f"<p>{_back(ctx)}</p></section>")
    return html_answer(page("Pause your subscription", body))


def do_pause(ctx: Ctx, sub: str) -> Answer:
    with ctx.pages.fake.lock:
        subscription = _pausable(ctx, sub)
    _pp().apply_step(ctx.pages, ctx.customer.id, "pause",
                     {"subscription": subscription, "mechanism": "status"})
    return _pp().after_action(ctx, "paused")


def do_resume(ctx: Ctx, sub: str) -> Answer:
    with ctx.pages.fake.lock:
        subscription = _pausable(ctx, sub)
        if subscription.status != "paused":
            raise PageError(409, "Not paused", "This subscription is not paused.")
    _pp().apply_step(ctx.pages, ctx.customer.id, "resume", {"subscription": subscription})
    return _pp().after_action(ctx, "resumed")


# -- the card ------------------------------------------------------------------------------


def _card_enabled(ctx: Ctx) -> None:
    if not ctx.features.payment_method_update:
        raise PageError(404, "Not available", "Payment method updates are not enabled in this "
                        "portal.")


def card(ctx: Ctx, error: str | None = None, status: int = 200) -> Answer:
    _card_enabled(ctx)
    body = ("<h1>Update payment method</h1><section>"
            + _form(f"{ctx.base}/payment-methods/new", card_fields(error), "Save card")
            + f"<p>{_back(ctx)}</p></section>")
    return html_answer(page("Update payment method", body), status)


def do_card(ctx: Ctx) -> Answer:
    _card_enabled(ctx)
    form = ctx.req.form
    try:
        test_card = read_card(form.get("cardnumber", ""), form.get("exp", ""),
                              form.get("cvc", ""))
    except CardError as exc:
        return card(ctx, str(exc), 400)
    if test_card.outcome == "declined":
        return card(ctx, DECLINE_MESSAGES[test_card.decline_code or "generic_decline"], 402)
    if test_card.outcome == "authentication":
        ctx.visit.pending_card = test_card.sim_card
        return redirect(f"{ctx.base}/payment-methods/authenticate")
    return _save_card(ctx, test_card.sim_card)


def _save_card(ctx: Ctx, sim_card: str) -> Answer:
    _pp().apply_step(ctx.pages, ctx.customer.id, "update_payment_method", {"card": sim_card})
    return _pp().after_action(ctx, "card_updated")


def authenticate(ctx: Ctx) -> Answer:
    if ctx.visit.pending_card is None:
        return redirect(f"{ctx.base}/payment-methods/new")
    return html_answer(page("Authenticate", authentication_body(
        f"{ctx.base}/payment-methods/authenticate", "Saving your card")))


def authentication_body(action: str, what: str) -> str:
    """The test-mode authentication step (3D Secure), with both outcomes."""
    return (f"<h1>Authentication required</h1><section><p>{escape(what)} needs your bank's "
            "approval. This is a test authentication: choose the outcome.</p>"
            + button("Complete authentication", action, fields={"outcome": "complete"})
            + button("Fail authentication", action, fields={"outcome": "fail"}, secondary=True)
            + "</section>")


def do_authenticate(ctx: Ctx) -> Answer:
    pending, ctx.visit.pending_card = ctx.visit.pending_card, None
    if pending is None:
        return redirect(f"{ctx.base}/payment-methods/new")
    if ctx.req.form.get("outcome") != "complete":
        return card(ctx, DECLINE_MESSAGES["authentication_failed"], 402)
    return _save_card(ctx, pending)


def done(ctx: Ctx) -> Answer:
    """flow_data.after_completion.type = hosted_confirmation."""
    flow = ctx.session.flow or {}
    custom = ((flow.get("after_completion") or {}).get("hosted_confirmation") or {}).get(
        "custom_message")
    from .portal_pages import DONE

    message = custom or DONE.get(ctx.req.query.get("done", ""), "Done.")
    back = _pp().return_link(ctx)
    return html_answer(page("Done", f"<h1>All set</h1>{notice(message)}{back}"))


# -- expiry and recovery -------------------------------------------------------------------------


def _recoverable(pages: HostedPages, visit: Visit) -> bool:
    after = visit.after_expiration or {}
    login = after.get("customer_login")
    if not isinstance(login, dict) and after.get("type") != "customer_login":
        return False
    deadline = (login or {}).get("expires_at")
    return deadline is None or int(deadline) > pages.clock()


def expired(pages: HostedPages, visit: Visit, session: Any, error: str | None = None) -> Answer:
    parts = ["<h1>This session has expired</h1>"]
    if error:
        parts.append(notice(error, error=True))
    if _recoverable(pages, visit):
        parts.append(
            "<section><p>Confirm your email address to open a new session.</p>"
            + _form(f"/p/session/{visit.token}/recover",
                    '<label for="email">Email</label><input type="email" id="email" '
                    'name="email" autocomplete="email" required>', "Continue")
            + "</section>")
    else:
        parts.append(notice("Portal links are short-lived. Go back and open the billing "
                            "portal again."))
    if session.return_url:
        parts.append(f"<p>{link('Return to the app', session.return_url)}</p>")
    return html_answer(page("Session expired", "".join(parts)), 410)


def recover(pages: HostedPages, visit: Visit, session: Any, req: Any) -> Answer:
    """after_expiration.customer_login: the customer proves their email and gets a new session
    with the same configuration (Stripe emails a link; here it opens at once)."""
    from .portal_pages import Visit as VisitRecord

    if not visit.expired or not _recoverable(pages, visit):
        raise PageError(404, "Not available", "This session cannot be recovered.")
    with pages.fake.lock:
        cust = pages.world.customers[session.customer]
        if req.form.get("email", "").strip().lower() != cust.email.lower():
            return expired(pages, visit, session, "That email does not match this account.")
        fresh = pages.world.create_portal_session(
            session.customer, return_url=session.return_url,
            configuration=session.configuration, flow=None, locale=session.locale)
        token = fresh.url.rsplit("/", 1)[-1]
        fresh.url = f"{pages.base_url}/p/session/{token}"
        pages.visits[token] = VisitRecord(fresh.id, token, pages.clock(),
                                          after_expiration=visit.after_expiration)
    return redirect(fresh.url)
