// Express API behind a single-page app. The browser calls
//   fetch('/api/billing/portal-session', {method: 'POST', headers: {Authorization: ...},
//         body: JSON.stringify({customerId, returnUrl})})
// and sends the user to the `url` it answers. The server checks that the customer is the
// signed-in user's own and that the return address is on the app's own origin; webhooks
// re-fetch the subscription or invoice they name (stripe-node), state lives in sql.js
// (SQLite compiled to WebAssembly, in memory).
//
// Env: PORT, APP_ORIGIN, STRIPE_API_BASE, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, PLANS
// (JSON, lowest plan first), BUG (comma separated, planted portal defects for the harness):
//   trust_customer_id   opens the portal for the customerId in the JSON body, unchecked
//   trust_return_url    passes the JSON body's returnUrl to Stripe as it is
//   prefix_return_url   accepts a returnUrl that merely starts with the app's origin
'use strict';

const express = require('express');
const initSqlJs = require('sql.js');
const Stripe = require('stripe');

const PORT = Number(process.env.PORT || 3000);
const APP_ORIGIN = process.env.APP_ORIGIN || `http://127.0.0.1:${PORT}`;
const PLANS = JSON.parse(process.env.PLANS || '{"basic":["price_basic_monthly"],"pro":["price_pro_monthly"]}');
const BUGS = new Set((process.env.BUG || '').split(',').filter(Boolean));
const KNOWN_BUGS = ['trust_customer_id', 'trust_return_url', 'prefix_return_url'];
for (const bug of BUGS) {
  if (!KNOWN_BUGS.includes(bug)) throw new Error(`unknown BUG ${bug}; known: ${KNOWN_BUGS}`);
}
const TIERS = Object.keys(PLANS);
const PLAN_BY_PRICE = Object.fromEntries(
  Object.entries(PLANS).flatMap(([plan, prices]) => prices.map((p) => [p, plan])));

const base = process.env.STRIPE_API_BASE ? new URL(process.env.STRIPE_API_BASE) : null;
const stripe = Stripe(process.env.STRIPE_SECRET_KEY, {
  apiVersion: '2025-09-30.clover',
  maxNetworkRetries: 0,
  ...(base ? { host: base.hostname, port: Number(base.port), protocol: base.protocol.replace(':', '') } : {}),
});
const WEBHOOK_SECRET = process.env.STRIPE_WEBHOOK_SECRET;

let db;

function all(sql, params = []) {
  const stmt = db.prepare(sql);
  stmt.bind(params);
  const rows = [];
  while (stmt.step()) rows.push(stmt.getAsObject());
  stmt.free();
  return rows;
}

function run(sql, params = []) {
  db.run(sql, params);
}

function transaction(fn) {
  run('BEGIN');
  try {
    fn();
    run('COMMIT');
  } catch (err) {
    run('ROLLBACK');
    throw err;
  }
}

function currentUser(req) {
  const token = (req.get('authorization') || '').replace(/^Bearer\s+/i, '');
  return token ? all('SELECT * FROM users WHERE id = ?', [token])[0] : undefined;
}

// -- webhooks --------------------------------------------------------------------------------

function saveSubscription(sub) {
  const item = sub.items.data[0];
  const ended = ['canceled', 'incomplete_expired'].includes(sub.status);
  run(`INSERT INTO subscriptions (id, customer_id, status, price_id, period_end, canceling,
         paused, collection_paused) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET status = excluded.status, price_id = excluded.price_id,
         period_end = excluded.period_end, canceling = excluded.canceling,
         paused = excluded.paused, collection_paused = excluded.collection_paused`,
  [sub.id, sub.customer, sub.status, item.price.id, item.current_period_end,
    !ended && (sub.cancel_at_period_end || sub.cancel_at !== null) ? 1 : 0,
    sub.status === 'paused' ? 1 : 0, !ended && sub.pause_collection ? 1 : 0]);
  const live = all(`SELECT price_id FROM subscriptions WHERE customer_id = ?
                    AND status NOT IN ('canceled', 'incomplete_expired')`, [sub.customer]);
  const tiers = live.map((r) => TIERS.indexOf(PLAN_BY_PRICE[r.price_id])).filter((t) => t >= 0);
  run('UPDATE users SET plan = ? WHERE stripe_customer_id = ?',
    [tiers.length ? TIERS[Math.max(...tiers)] : null, sub.customer]);
}

async function handleEvent(event) {
  const object = event.data.object;
  let apply = () => {};
  if (event.type.startsWith('customer.subscription.')) {
    const sub = await stripe.subscriptions.retrieve(object.id);
    apply = () => saveSubscription(sub);
  } else if (event.type === 'invoice.paid' || event.type === 'invoice.payment_succeeded') {
    const invoice = await stripe.invoices.retrieve(object.id);
    if (invoice.status === 'paid') {
      apply = () => run('INSERT OR IGNORE INTO payments (invoice_id, customer_id, amount) VALUES (?, ?, ?)',
        [invoice.id, invoice.customer, invoice.amount_paid]);
    }
  }
  transaction(() => {
    if (all('SELECT 1 FROM handled_events WHERE id = ?', [event.id]).length) return;
    apply();
    run('INSERT INTO handled_events (id) VALUES (?)', [event.id]);
  });
}

// -- app -------------------------------------------------------------------------------------

const app = express();

// The webhook needs the raw bytes, so it is mounted before express.json().
app.post('/api/webhooks/stripe', express.raw({ type: '*/*' }), async (req, res) => {
  let event;
  try {
    event = stripe.webhooks.constructEvent(req.body, req.get('stripe-signature'), WEBHOOK_SECRET);
  } catch (err) {
    return res.status(400).json({ error: err.message });
  }
  try {
    await handleEvent(event);
    res.json({ received: true });
  } catch (err) {
    console.error(`webhook ${event.type} ${event.id} failed:`, err.message);
    res.status(500).json({ error: 'processing failed' });
  }
});

app.use(express.json());

app.get('/api/health', (req, res) => res.json({ ok: true }));

function safeReturnUrl(requested) {
  const fallback = `${APP_ORIGIN}/settings/billing`;
  if (!requested) return fallback;
  if (BUGS.has('trust_return_url')) return requested;
  if (BUGS.has('prefix_return_url')) return requested.startsWith(APP_ORIGIN) ? requested : fallback;
  try {
    const url = new URL(requested, APP_ORIGIN);
    return url.origin === new URL(APP_ORIGIN).origin ? url.href : fallback;
  } catch {
    return fallback;
  }
}

app.post('/api/billing/portal-session', async (req, res) => {
  const user = currentUser(req);
  if (!user) return res.status(401).json({ error: 'not signed in' });
  const { customerId, returnUrl } = req.body || {};
  let customer = user.stripe_customer_id;
  if (customerId && customerId !== customer) {
    if (!BUGS.has('trust_customer_id')) {
      return res.status(403).json({ error: 'that billing account is not yours' });
    }
    customer = customerId;
  }
  if (!customer) return res.status(404).json({ error: 'no billing account' });
  try {
    const session = await stripe.billingPortal.sessions.create({
      customer, return_url: safeReturnUrl(returnUrl),
    });
    res.json({ url: session.url });
  } catch (err) {
    console.error('portal session failed:', err.message);
    res.status(502).json({ error: 'could not open the billing portal' });
  }
});

if (process.env.NODE_ENV !== 'production') {
  app.post('/api/test/users', (req, res) => {
    const { id, email, stripeCustomerId } = req.body;
    run('INSERT OR REPLACE INTO users (id, email, stripe_customer_id) VALUES (?, ?, ?)',
      [id, email, stripeCustomerId || null]);
    res.status(201).json({ id });
  });
  app.post('/api/test/reset', (req, res) => {
    run('DELETE FROM users; DELETE FROM subscriptions; DELETE FROM payments; DELETE FROM handled_events;');
    res.status(204).end();
  });
  app.get('/api/test/state/:customerId', (req, res) => {
    const user = all('SELECT * FROM users WHERE stripe_customer_id = ?', [req.params.customerId])[0];
    const subs = all('SELECT * FROM subscriptions WHERE customer_id = ?', [req.params.customerId]);
    const paid = all('SELECT invoice_id FROM payments WHERE customer_id = ?', [req.params.customerId]);
    res.json({
      plan: user ? user.plan : null,
      subscriptions: Object.fromEntries(subs.map((s) => [s.id, {
        status: s.status,
        price_id: s.price_id,
        current_period_end: s.period_end,
        cancel_at_period_end: Boolean(s.canceling),
        paused: Boolean(s.paused),
        collection_paused: Boolean(s.collection_paused),
      }])),
      paid_invoices: paid.map((p) => p.invoice_id),
    });
  });
}

initSqlJs().then((SQL) => {
  db = new SQL.Database();
  db.run(`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT, stripe_customer_id TEXT, plan TEXT);
    CREATE TABLE subscriptions (id TEXT PRIMARY KEY, customer_id TEXT, status TEXT, price_id TEXT,
      period_end INTEGER, canceling INTEGER, paused INTEGER, collection_paused INTEGER);
    CREATE TABLE payments (invoice_id TEXT PRIMARY KEY, customer_id TEXT, amount INTEGER);
    CREATE TABLE handled_events (id TEXT PRIMARY KEY);`);
  app.listen(PORT, '127.0.0.1', () => console.log(`listening on ${PORT}`));
});
