"""The customer portal: which page a url names, whether its session still holds, the homepage.

Takes a request under /p/session/<token> and the HostedPages; gives the page, or performs the
action a form posts (through `apply_step`, the World verbs a scenario step calls) and redirects
as the session's `flow_data.after_completion` says. The flows' own pages are in portal_flows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from ..errors import ScenarioError
from . import portal_flows
from .answers import Answer, PageError, Request, html_answer, redirect
from .html import day, link, money, notice, page, plan_name

if TYPE_CHECKING:
    from .app import HostedPages

_SUB = r"/subscriptions/(?P<sub>sub_[A-Za-z0-9]+)"
ROUTES = [
    ("GET", r"", "home"),
    ("GET", rf"{_SUB}/update", "update"),
    ("GET", rf"{_SUB}/update/(?P<price>[A-Za-z0-9_]+)", "confirm"),
    ("POST", rf"{_SUB}/update/(?P<price>[A-Za-z0-9_]+)", "do_switch"),
    ("GET", rf"{_SUB}/cancel", "cancel"),
    ("POST", rf"{_SUB}/cancel", "do_cancel"),
    ("POST", rf"{_SUB}/renew", "do_renew"),
    ("GET", rf"{_SUB}/pause", "pause"),
    ("POST", rf"{_SUB}/pause", "do_pause"),
    ("POST", rf"{_SUB}/resume", "do_resume"),
    ("GET", r"/payment-methods/new", "card"),
    ("POST", r"/payment-methods/new", "do_card"),
    ("GET", r"/payment-methods/authenticate", "authenticate"),
    ("POST", r"/payment-methods/authenticate", "do_authenticate"),
    ("GET", r"/done", "done"),
]
DONE = {
    "switched": "Your plan was updated.",
    "switch_scheduled": "Your plan will change at the end of the billing period.",
    "canceled": "Your subscription was canceled.",
    "cancel_scheduled": "Your subscription will be canceled at the end of the billing period.",
    "renewed": "Your subscription will no longer be canceled.",
    "paused": "Your subscription is paused.",
    "resumed": "Your subscription was resumed.",
    "card_updated": "Your payment method was updated.",
}


@dataclass
class Visit:
    """A portal session as the pages track it (the World holds the session object)."""

    session_id: str
    token: str
    created: float
    opened: float | None = None
    expired: bool = False
    flow_done: bool = False
    after_expiration: dict[str, Any] | None = None
    pending_card: str | None = None  # a card waiting for its authentication step


@dataclass
class Ctx:
    """One request on one live portal session."""

    pages: HostedPages
    visit: Visit
    session: Any  # the World's PortalSession
    req: Request

    @property
    def base(self) -> str:
        return f"/p/session/{self.visit.token}"

    @property
    def world(self) -> Any:
        return self.pages.world

    @property
    def features(self) -> Any:
        return self.pages.features_for(self.session.configuration, self.session.customer)

    @property
    def customer(self) -> Any:
        return self.world.customers[self.session.customer]

    def subscription(self, sub_id: str) -> Any:
        sub = self.world.subscriptions.get(sub_id)
        if sub is None or sub.customer != self.session.customer:
            raise PageError(404, "Subscription not found",
                            "This subscription does not belong to this customer.")
        return sub


def handle(pages: HostedPages, req: Request) -> Answer:
    rest = req.path[len("/p/session/"):]
    token, _, tail = rest.partition("/")
    tail = "/" + tail if tail else ""
    with pages.fake.lock:
        visit = pages.visits.get(token)
        session = pages.world.portal_sessions.get(visit.session_id) if visit else None
    if visit is None or session is None:
        raise PageError(404, "Link not found", "This portal link is not valid. Ask the app "
                        "for a new one.")
    if tail == "/recover" and req.method == "POST":
        return portal_flows.recover(pages, visit, session, req)
    if _expired(pages, visit):
        return portal_flows.expired(pages, visit, session)
    if visit.opened is None:
        visit.opened = pages.clock()
    ctx = Ctx(pages, visit, session, req)
    for method, pattern, name in ROUTES:
        match = re.fullmatch(pattern, tail)
        if match and (req.method == method or (method == "GET" and req.method == "HEAD")):
            view = getattr(portal_flows, name) if name != "home" else home
            if req.method == "POST":  # an action locks only around its World change: the
                return view(ctx, **match.groupdict())  # app calls back while it is told
            with pages.fake.lock:  # a page reads the World as it stands
                return view(ctx, **match.groupdict())
    raise PageError(404, "Page not found", f"No portal page at {tail or '/'}.")


def _expired(pages: HostedPages, visit: Visit) -> bool:
    now = pages.clock()
    if visit.opened is None and now - visit.created > pages.session_ttl:
        visit.expired = True
    if visit.opened is not None and now - visit.opened > pages.visit_ttl:
        visit.expired = True
    return visit.expired


# -- actions ----------------------------------------------------------------------------------


def apply_step(pages: HostedPages, customer_id: str, action: str,
               params: dict[str, Any]) -> None:
    """Play one scenario step's World verb for a customer, send its events, write it down."""
    world = pages.world
    with pages.fake.lock:
        cust = world.customer(customer_id)
        who = pages.journal.name_for(customer_id, cust.email, cust.name)
    step: dict[str, Any] = {"customer": who}
    params = dict(params)
    sub = params.pop("subscription", None)
    if isinstance(sub, str):
        sub = world.subscriptions[sub]
    if sub is not None:
        step["subscription"] = world.subscriptions_of(customer_id).index(sub) + 1

    def run() -> None:
        if action == "checkout":
            world.checkout(customer_id, params["price"], quantity=params.get("quantity", 1),
                           card=params.get("card", "visa"),
                           client_reference_id=params.get("client_reference_id"),
                           session_id=params.get("session_id"))
        elif action == "switch_plan":
            world.switch_plan(sub, params["price"],
                              proration_behavior=params["proration_behavior"])
        elif action == "cancel_at_period_end":
            world.cancel_at_period_end(sub, feedback=params.get("feedback"))
        elif action == "cancel_now":
            world.cancel_now(sub, feedback=params.get("feedback"))
        elif action == "undo_cancel":
            world.undo_cancel(sub)
        elif action == "pause":
            world.pause(sub, mechanism=params.get("mechanism", "status"))
        elif action == "resume":
            world.resume(sub)
        elif action == "update_payment_method":
            world.update_payment_method(customer_id, card=params.get("card", "visa"))
        else:
            raise ScenarioError(f"the pages have no action {action!r}")

    try:
        pages.perform(run)
    except ScenarioError as exc:
        raise PageError(409, "That did not work", str(exc)) from None
    for key in ("client_reference_id", "session_id"):
        params.pop(key, None)
    if action == "pause":
        params.setdefault("mechanism", "status")
    pages.journal.record(action, {**step, **params})


def after_action(ctx: Ctx, done: str) -> Answer:
    """Where the customer lands after an action: the flow's after_completion, else home."""
    flow = ctx.session.flow
    if flow and not ctx.visit.flow_done:
        ctx.visit.flow_done = True
        after = flow.get("after_completion") or {}
        if after.get("type") == "redirect":
            return redirect(after["redirect"]["return_url"])
        if after.get("type") == "hosted_confirmation":
            return redirect(f"{ctx.base}/done?done={done}")
    return redirect(f"{ctx.base}?done={quote(done)}")


# -- the homepage -----------------------------------------------------------------------------


def home(ctx: Ctx) -> Answer:
    flow = ctx.session.flow
    if flow and not ctx.visit.flow_done:
        return redirect(portal_flows.flow_start(ctx, flow))
    return html_answer(page("Billing", _home_body(ctx)))


def _home_body(ctx: Ctx) -> str:
    world, features, cust = ctx.world, ctx.features, ctx.customer
    parts = [f"<h1>Billing for {escape(cust.email)}</h1>"]
    done = ctx.req.query.get("done")
    if done in DONE:
        parts.append(notice(DONE[done]))
    parts.append(return_link(ctx))
    subs = [s for s in world.subscriptions_of(cust.id) if not s.ended]
    rows = [_subscription_block(ctx, s) for s in subs]
    parts.append('<section aria-labelledby="subs"><h2 id="subs">Current subscription'
                 f'{"s" if len(subs) > 1 else ""}</h2>'
                 + ("".join(rows) or "<p>You have no active subscription.</p>") + "</section>")
    if features.payment_method_update:
        parts.append(_payment_method_block(ctx))
    parts.append('<section aria-labelledby="info"><h2 id="info">Billing information</h2>'
                 f"<p>Name: {escape(cust.name)}<br>Email: {escape(cust.email)}</p></section>")
    if features.invoice_history:
        parts.append(_invoices_block(ctx))
    return "\n".join(parts)


def return_link(ctx: Ctx) -> str:
    url = ctx.session.return_url
    if not url:
        return ""
    return f'<p>{link("Return to " + (_host(url) or "the app"), url)}</p>'


def _host(url: str) -> str:
    return urlsplit(url).netloc


def _subscription_block(ctx: Ctx, sub: Any) -> str:
    features, world = ctx.features, ctx.world
    item = sub.items[0]
    price = world.catalog.price(item.price)
    name = plan_name(world.catalog, item.price)
    every = price.interval
    lines = [f"<h3>{escape(name)}</h3>",
             f"<p>{money(price.unit_amount * item.quantity, price.currency)} per {every}"
             + (f" · quantity {item.quantity}" if item.quantity > 1 else "") + "</p>"]
    actions = []
    base = f"{ctx.base}/subscriptions/{sub.id}"
    if sub.status == "paused":
        lines.append('<p><span class="badge">Paused</span></p>')
        if features.pause_offered(world.api_version, sub.billing_mode):
            actions.append(portal_flows.post_button("Resume subscription", f"{base}/resume"))
    elif sub.cancellation_pending:
        lines.append(f'<p><span class="badge">Cancels {day(sub.cancel_at)}</span></p>')
        if features.cancel:
            actions.append(portal_flows.post_button("Renew subscription", f"{base}/renew"))
    else:
        if sub.status == "past_due":
            lines.append('<p><span class="badge">Past due</span></p>')
        lines.append(f"<p>Renews on {day(sub.current_period_end)}</p>")
        if len(features.prices(world.catalog)) > 1 and len(sub.items) == 1:
            actions.append(link("Update subscription", f"{base}/update", secondary=False))
        if features.cancel:
            actions.append(link("Cancel subscription", f"{base}/cancel"))
        if features.pause_offered(world.api_version, sub.billing_mode):
            actions.append(link("Pause subscription", f"{base}/pause"))
    return ('<article aria-label="' + escape(name) + ' subscription">' + "".join(lines)
            + "<p>" + "".join(actions) + "</p></article>")


def _payment_method_block(ctx: Ctx) -> str:
    world, cust = ctx.world, ctx.customer
    pm_id = cust.default_payment_method or next(
        (s.default_payment_method for s in reversed(world.subscriptions_of(cust.id))
         if s.default_payment_method), None)
    pm = world.payment_methods.get(pm_id) if pm_id else None
    shown = (f"{pm.brand.title()} •••• {pm.last4}, expires {pm.exp_month:02d}/{pm.exp_year}"
             if pm else "No payment method on file")
    return ('<section aria-labelledby="pm"><h2 id="pm">Payment method</h2>'
            f"<p>{escape(shown)}</p><p>"
            + link("Update payment method" if pm else "Add payment method",
                   f"{ctx.base}/payment-methods/new")
            + "</p></section>")


def _invoices_block(ctx: Ctx) -> str:
    world = ctx.world
    invoices = sorted((i for i in world.invoices.values()
                       if i.customer == ctx.customer.id and i.status != "draft"),
                      key=lambda i: i.created, reverse=True)
    if not invoices:
        rows = '<tr><td colspan="4">No invoices yet</td></tr>'
    else:
        rows = "".join(
            f"<tr><td>{day(i.created)}</td><td>{escape(i.number or i.id)}</td>"
            f"<td>{escape(i.status.title())}</td>"
            f'<td class="amount">{money(i.total, i.currency)}</td></tr>' for i in invoices)
    return ('<section aria-labelledby="inv"><h2 id="inv">Invoice history</h2>'
            '<table><thead><tr><th>Date</th><th>Number</th><th>Status</th>'
            '<th class="amount">Amount</th></tr></thead>'
            f"<tbody>{rows}</tbody></table></section>")
