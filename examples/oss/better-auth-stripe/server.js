// A small SaaS on better-auth with its Stripe plugin (@better-auth/stripe), as its docs set it
// up: sign-up by email, plans mapped to prices, the plugin's webhook route, its upgrade
// endpoint (which creates the Stripe customer and the Checkout session) and its billing-portal
// endpoint. Users live in better-auth's memory adapter. The routes under /__test and the two
// /billing routes are this app's own glue around the plugin's API.
import http from "node:http";
import { betterAuth } from "better-auth";
import { memoryAdapter } from "better-auth/adapters/memory";
import { toNodeHandler } from "better-auth/node";
import { stripe as stripePlugin } from "@better-auth/stripe";
import Stripe from "stripe";

const PORT = Number(process.env.PORT);
const APP_URL = process.env.APP_URL ?? `http://127.0.0.1:${PORT}`;
const base = new URL(process.env.STRIPE_API_BASE ?? "https://api.stripe.com");
const stripeClient = new Stripe(process.env.STRIPE_SECRET_KEY, {
  apiVersion: process.env.STRIPE_API_VERSION ?? "2025-09-30.clover",
  host: base.hostname, port: Number(base.port || (base.protocol === "https:" ? 443 : 80)),
  protocol: base.protocol.replace(":", ""), maxNetworkRetries: 0,
});

// [plans] from the target file: {"basic": ["price_basic_monthly"], "pro": [monthly, annual]}
const PLAN_PRICES = JSON.parse(process.env.PLAN_PRICES);
const PLAN_ORDER = Object.keys(PLAN_PRICES);
const plans = PLAN_ORDER.map((name) => ({
  name, priceId: PLAN_PRICES[name][0],
  ...(PLAN_PRICES[name][1] ? { annualDiscountPriceId: PLAN_PRICES[name][1] } : {}),
}));

const db = { user: [], session: [], account: [], verification: [], subscription: [] };
export const auth = betterAuth({
  baseURL: APP_URL,
  secret: "an-example-secret-for-this-test-app-only",
  database: memoryAdapter(db),
  emailAndPassword: { enabled: true },
  trustedOrigins: [APP_URL],
  plugins: [stripePlugin({
    stripeClient,
    stripeWebhookSecret: process.env.STRIPE_WEBHOOK_SECRET,
    subscription: { enabled: true, plans },
  })],
});
const authHandler = toNodeHandler(auth);

const cookies = new Map(); // the app's user id -> better-auth session cookie (test glue)
const ENDED = new Set(["canceled", "incomplete", "incomplete_expired"]);

function send(res, status, body, location) {
  const headers = { "content-type": "application/json" };
  if (location) headers.location = location;
  res.writeHead(status, headers);
  res.end(JSON.stringify(body ?? {}));
}

async function readJson(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const text = Buffer.concat(chunks).toString();
  return text ? JSON.parse(text) : {};
}

function signedIn(req) {
  const cookie = cookies.get(req.headers["x-user-id"]);
  return cookie ? new Headers({ cookie, origin: APP_URL }) : null;
}

function stateOf(customerId) {
  const user = db.user.find((u) => u.stripeCustomerId === customerId);
  const subs = user ? db.subscription.filter((s) => s.referenceId === user.id) : [];
  const live = subs.filter((s) => s.stripeSubscriptionId && !ENDED.has(s.status));
  const held = PLAN_ORDER.filter((p) => live.some((s) => s.plan === p));
  const subscriptions = {};
  for (const s of subs.filter((x) => x.stripeSubscriptionId)) {
    subscriptions[s.stripeSubscriptionId] = {
      status: s.status,
      current_period_end: s.periodEnd ? Math.floor(new Date(s.periodEnd).getTime() / 1000) : null,
      // "a cancellation is scheduled": classic mode's flag or flexible mode's cancelAt, while
      // the subscription has not ended
      cancel_at_period_end: !ENDED.has(s.status) && Boolean(s.cancelAtPeriodEnd || s.cancelAt),
    };
  }
  return { plan: held.length ? held[held.length - 1] : "free", subscriptions };
}

const routes = {
  "GET /healthz": async (req, res) => send(res, 200, { ok: true }),
  "POST /__test/reset": async (req, res) => {
    for (const rows of Object.values(db)) rows.length = 0;
    cookies.clear();
    send(res, 200, { ok: true });
  },
  "POST /__test/users": async (req, res) => {
    const { id, email } = await readJson(req);
    const answer = await auth.api.signUpEmail({
      body: { email, password: "correct horse battery", name: id }, asResponse: true,
    });
    if (!answer.ok) return send(res, 500, { error: await answer.text() });
    cookies.set(id, answer.headers.getSetCookie().map((c) => c.split(";")[0]).join("; "));
    send(res, 201, { id });
  },
  "GET /__test/state": async (req, res) => {
    const customerId = new URL(req.url, APP_URL).searchParams.get("customer_id");
    send(res, 200, stateOf(customerId));
  },
  "POST /billing/checkout": async (req, res) => {
    const headers = signedIn(req);
    if (!headers) return send(res, 401, { error: "sign in first" });
    const { plan, seats } = await readJson(req);
    const { url } = await auth.api.upgradeSubscription({
      body: { plan, seats: Number(seats) || 1, successUrl: `${APP_URL}/dashboard`,
              cancelUrl: `${APP_URL}/pricing`, disableRedirect: true },
      headers,
    });
    send(res, 303, { url }, url);
  },
  "POST /billing/portal": async (req, res) => {
    const headers = signedIn(req);
    if (!headers) return send(res, 401, { error: "sign in first" });
    const user = (await auth.api.getSession({ headers }))?.user;
    if (!user?.stripeCustomerId) return send(res, 404, { error: "no billing account" });
    const { url } = await auth.api.createBillingPortal({
      body: { returnUrl: `${APP_URL}/account` }, headers,
    });
    send(res, 303, { url }, url);
  },
};

http.createServer(async (req, res) => {
  const path = new URL(req.url, APP_URL).pathname;
  if (path.startsWith("/api/auth/")) return authHandler(req, res);
  const route = routes[`${req.method} ${path}`];
  if (!route) return send(res, 404, { error: "not found" });
  try {
    await route(req, res);
  } catch (err) {
    console.error(`${req.method} ${path} failed:`, err?.body ?? err);
    if (!res.headersSent) send(res, err?.statusCode ?? 500, { error: String(err?.message ?? err) });
  }
}).listen(PORT, "127.0.0.1", () => console.log(`listening on ${PORT}`));
