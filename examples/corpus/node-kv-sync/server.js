// The "sync everything on every event" pattern many Next.js and Remix templates recommend: the
// webhook handler ignores the event's payload except for its customer id, re-reads that
// customer's subscriptions from Stripe and overwrites one cached object per customer (a Map
// standing in for a KV store such as Redis). No framework: node:http and the official `stripe`
// package, which verifies the signature.
//
// Env: PORT, PLANS (JSON, lowest plan first), STRIPE_API_BASE, STRIPE_SECRET_KEY,
// STRIPE_WEBHOOK_SECRET, BUG (comma separated, planted defects for the harness):
//   latest_only      keeps only the newest subscription (`subscriptions.list({limit: 1})`,
//                    as the pattern's templates do), so a customer's second subscription is lost
//   flag_only        reports Stripe's cancel_at_period_end and not cancel_at, which misses a
//                    cancellation scheduled under flexible billing (Stripe sets only cancel_at)
'use strict';

const http = require('node:http');
const Stripe = require('stripe');

const PORT = Number(process.env.PORT || 3000);
const PLANS = JSON.parse(process.env.PLANS || '{"basic":["price_basic_monthly"]}');
const TIERS = Object.keys(PLANS);
const BUGS = new Set((process.env.BUG || '').split(',').filter(Boolean));
for (const bug of BUGS) {
  if (!['latest_only', 'flag_only'].includes(bug)) throw new Error(`unknown BUG ${bug}`);
}
const base = new URL(process.env.STRIPE_API_BASE || 'https://api.stripe.com');
const stripe = new Stripe(process.env.STRIPE_SECRET_KEY, {
  apiVersion: '2025-09-30.clover',
  maxNetworkRetries: 0,
  host: base.hostname,
  port: Number(base.port || 443),
  protocol: base.protocol.replace(':', ''),
});

const kv = new Map();     // `stripe:customer:${id}` -> {subscriptions: [...]}
const users = new Map();  // user id -> {id, email, customer}

const allowedEvents = new Set([
  'checkout.session.completed',
  'customer.subscription.created', 'customer.subscription.updated',
  'customer.subscription.deleted', 'customer.subscription.paused',
  'customer.subscription.resumed', 'customer.subscription.pending_update_applied',
  'customer.subscription.pending_update_expired', 'customer.subscription.trial_will_end',
  'invoice.paid', 'invoice.payment_failed', 'invoice.payment_action_required',
  'invoice.upcoming', 'invoice.marked_uncollectible', 'invoice.payment_succeeded',
  'payment_intent.succeeded', 'payment_intent.payment_failed', 'payment_intent.canceled',
]);

async function syncStripeDataToKV(customerId) {
  const params = { customer: customerId, status: 'all', limit: BUGS.has('latest_only') ? 1 : 100 };
  const page = await stripe.subscriptions.list(params);
  const subscriptions = BUGS.has('latest_only') ? page.data
    : await stripe.subscriptions.list(params).autoPagingToArray({ limit: 1000 });
  kv.set(`stripe:customer:${customerId}`, {
    subscriptions: subscriptions.map((s) => {
      const item = s.items.data[0];
      return {
        id: s.id,
        status: s.status,
        priceId: item.price.id,
        currentPeriodEnd: item.current_period_end,   // per item since 2025-03-31.basil
        cancelAtPeriodEnd: s.cancel_at_period_end,
        cancelAt: s.cancel_at,
        pauseCollection: s.pause_collection,
      };
    }),
  });
}

function planOf(cached) {
  let best = -1;
  for (const s of cached.subscriptions) {
    if (!['active', 'trialing', 'past_due'].includes(s.status)) continue;
    const tier = TIERS.findIndex((plan) => PLANS[plan].includes(s.priceId));
    best = Math.max(best, tier);
  }
  return best < 0 ? 'free' : TIERS[best];
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function handle(req, res) {
  const url = new URL(req.url, `http://127.0.0.1:${PORT}`);
  if (url.pathname === '/health') return send(res, 200, { ok: true });

  if (req.method === 'POST' && url.pathname === '/api/stripe') {
    const raw = await readBody(req);
    let event;
    try {
      event = stripe.webhooks.constructEvent(raw, req.headers['stripe-signature'],
        process.env.STRIPE_WEBHOOK_SECRET);
    } catch (err) {
      return send(res, 400, { error: `Webhook Error: ${err.message}` });
    }
    if (allowedEvents.has(event.type)) {
      const { customer: customerId } = event.data.object;
      if (typeof customerId !== 'string') {
        throw new Error(`customer id is not a string on ${event.type}`);
      }
      await syncStripeDataToKV(customerId);
    }
    return send(res, 200, { received: true });
  }

  if (req.method === 'POST' && url.pathname === '/api/billing/portal') {
    const user = users.get(req.headers['x-user-id']);
    if (!user) return send(res, 401, { error: 'sign in first' });
    if (!user.customer) return send(res, 400, { error: 'no billing account' });
    const session = await stripe.billingPortal.sessions.create({
      customer: user.customer,
      return_url: `http://127.0.0.1:${PORT}/dashboard`,
    });
    res.writeHead(303, { location: session.url });
    return res.end();
  }

  // Test-only routes the target file uses.
  if (req.method === 'POST' && url.pathname === '/test/users') {
    const user = JSON.parse((await readBody(req)).toString('utf8'));
    users.set(user.id, user);
    return send(res, 201, user);
  }
  if (req.method === 'POST' && url.pathname === '/test/reset') {
    kv.clear();
    users.clear();
    return send(res, 200, { ok: true });
  }
  if (req.method === 'GET' && url.pathname.startsWith('/test/state/')) {
    const customerId = decodeURIComponent(url.pathname.slice('/test/state/'.length));
    const cached = kv.get(`stripe:customer:${customerId}`) || { subscriptions: [] };
    return send(res, 200, {
      plan: planOf(cached),
      subscriptions: cached.subscriptions.map((s) => ({
        id: s.id,
        status: s.status,
        price_id: s.priceId,
        current_period_end: s.currentPeriodEnd,
        cancel_at_period_end: s.cancelAtPeriodEnd,
        ...(BUGS.has('flag_only') ? {} : { cancel_at: s.cancelAt }),
        pause_collection: s.pauseCollection,
      })),
    });
  }
  return send(res, 404, { error: 'not found' });
}

http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    console.error(err);
    if (!res.headersSent) send(res, 500, { error: err.message });
  });
}).listen(PORT, '127.0.0.1', () => console.log(`listening on ${PORT}`));
