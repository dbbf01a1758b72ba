'use strict';
// Example SaaS billing backend: Stripe Customer Portal + subscription webhooks.
//
// Plain node:http, the official `stripe` package and `sql.js` (SQLite compiled to
// WebAssembly, so no native modules). The database lives in memory and is written
// to DB_PATH after every change.
//
// Routes
//   GET  /healthz                 liveness
//   POST /api/billing/portal      signed-in user -> 303 to a Stripe portal session
//   POST /api/webhooks/stripe     Stripe webhooks (signature checked over the raw body)
//   GET  /dashboard/billing       where the portal sends the customer back
//   POST /__test/users            test only: create a user linked to a Stripe customer
//   GET  /__test/state            test only: what the app believes about one customer
//   POST /__test/reset            test only: delete every user, subscription, invoice and event
//
// Flaw switches (env BUG, comma separated), for demonstrating what the harness catches:
//   snapshot   apply the event's data.object as-is instead of fetching the subscription
//              ("last arrival wins": an older event delivered late undoes newer state)
//   no_dedupe  no idempotency: every delivery is processed, and every invoice event
//              inserts an invoice row

const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const Stripe = require('stripe');
const initSqlJs = require('sql.js');

const STRIPE_API_VERSION = '2025-03-31.basil';
const PORT = Number(process.env.PORT || 8301);
const HOST = process.env.HOST || '127.0.0.1';
const DB_PATH = path.resolve(process.env.DB_PATH || path.join(__dirname, 'app.db'));
const APP_URL = (process.env.APP_URL || `http://127.0.0.1:${PORT}`).replace(/\/+$/, '');
const RETURN_URL = `${APP_URL}/dashboard/billing`;
const TEST_ROUTES = process.env.NODE_ENV !== 'production';
const MAX_BODY = 1024 * 1024;

const KNOWN_BUGS = ['snapshot', 'no_dedupe'];
const BUGS = new Set(
  (process.env.BUG || '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
for (const bug of BUGS) {
  if (!KNOWN_BUGS.includes(bug)) {
    console.error(`unknown BUG=${bug}; known: ${KNOWN_BUGS.join(', ')}`);
    process.exit(2);
  }
}

// Plans, lowest first. PLAN_PRICES may override: {"basic": ["price_..."], "pro": [...], ...}
const PLAN_PRICES = process.env.PLAN_PRICES
  ? JSON.parse(process.env.PLAN_PRICES)
  : {
      basic: ['price_basic_monthly'],
      pro: ['price_pro_monthly', 'price_pro_annual'],
      enterprise: ['price_enterprise_monthly'],
    };
const PLAN_RANK = Object.keys(PLAN_PRICES); // index = rank
const PLAN_BY_PRICE = new Map();
for (const [plan, prices] of Object.entries(PLAN_PRICES)) {
  for (const price of prices) PLAN_BY_PRICE.set(price, plan);
}
// Statuses that no longer grant access.
const ENDED_STATUSES = ['canceled', 'incomplete_expired'];

function requireEnv(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`missing environment variable ${name}`);
    process.exit(2);
  }
  return value;
}

const WEBHOOK_SECRET = requireEnv('STRIPE_WEBHOOK_SECRET');

function makeStripe() {
  const options = {
    apiVersion: STRIPE_API_VERSION,
    telemetry: false,
    maxNetworkRetries: 1,
    timeout: 15000,
  };
  if (process.env.STRIPE_API_BASE) {
    const base = new URL(process.env.STRIPE_API_BASE);
    options.protocol = base.protocol.replace(':', '');
    options.host = base.hostname;
    options.port = base.port ? Number(base.port) : options.protocol === 'http' ? 80 : 443;
  }
  return new Stripe(requireEnv('STRIPE_SECRET_KEY'), options);
}

const stripe = makeStripe();

// ---------------------------------------------------------------- database

const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY,
  email TEXT,
  stripe_customer_id TEXT UNIQUE,
  plan TEXT NOT NULL DEFAULT 'free'
);
CREATE TABLE IF NOT EXISTS subscriptions (
  stripe_subscription_id TEXT PRIMARY KEY,
  stripe_customer_id TEXT NOT NULL,
  status TEXT NOT NULL,
  stripe_price_id TEXT,
  current_period_end INTEGER,
  cancel_at_period_end INTEGER NOT NULL DEFAULT 0,
  cancel_at INTEGER,
  paused INTEGER NOT NULL DEFAULT 0,
  collection_paused INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS subscriptions_customer ON subscriptions (stripe_customer_id);
CREATE TABLE IF NOT EXISTS invoices (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  stripe_invoice_id TEXT NOT NULL,
  stripe_customer_id TEXT,
  stripe_subscription_id TEXT,
  amount_paid INTEGER,
  status TEXT NOT NULL,
  paid_at INTEGER
);
CREATE TABLE IF NOT EXISTS webhook_events (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  processed_at INTEGER NOT NULL
);
`;
// One row per invoice; the no_dedupe flaw leaves this constraint out.
const INVOICE_UNIQUE = `CREATE UNIQUE INDEX IF NOT EXISTS invoices_stripe_id ON invoices (stripe_invoice_id);`;

let db;

function all(sql, params = []) {
  const stmt = db.prepare(sql);
  try {
    stmt.bind(params);
    const rows = [];
    while (stmt.step()) rows.push(stmt.getAsObject());
    return rows;
  } finally {
    stmt.free();
  }
}

function get(sql, params = []) {
  return all(sql, params)[0];
}

function run(sql, params = []) {
  db.run(sql, params);
}

// Write the whole database to DB_PATH atomically (readers never see a half file).
function persist() {
  const tmp = `${DB_PATH}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, Buffer.from(db.export()));
  fs.renameSync(tmp, DB_PATH);
}

// Run fn (synchronous) in one transaction, then persist.
function transaction(fn) {
  run('BEGIN');
  let result;
  try {
    result = fn();
    run('COMMIT');
  } catch (err) {
    run('ROLLBACK');
    throw err;
  }
  persist();
  return result;
}

async function openDatabase() {
  const SQL = await initSqlJs();
  fs.mkdirSync(path.dirname(DB_PATH), { recursive: true });
  db = fs.existsSync(DB_PATH) ? new SQL.Database(fs.readFileSync(DB_PATH)) : new SQL.Database();
  db.exec(SCHEMA);
  if (!BUGS.has('no_dedupe')) db.exec(INVOICE_UNIQUE);
  persist();
}

// ---------------------------------------------------------------- billing logic

function idOf(value) {
  return value && typeof value === 'object' ? value.id : value ?? null;
}

// Subscription object (API 2025-03-31.basil or later) -> database row.
function subscriptionRow(sub) {
  const item = sub.items && sub.items.data && sub.items.data[0];
  return {
    id: sub.id,
    customer: idOf(sub.customer),
    status: sub.status,
    priceId: item && item.price ? item.price.id : null,
    // basil removed subscription.current_period_end; the period lives on the item.
    currentPeriodEnd: item ? item.current_period_end ?? null : null,
    // "A cancellation is scheduled": classic billing mode sets cancel_at_period_end,
    // flexible mode sets only cancel_at. Once the subscription has ended, nothing is pending.
    cancelAtPeriodEnd:
      !ENDED_STATUSES.includes(sub.status) && (sub.cancel_at_period_end || sub.cancel_at != null) ? 1 : 0,
    cancelAt: sub.cancel_at ?? null,
    paused: sub.status === 'paused' ? 1 : 0,
    collectionPaused: sub.pause_collection != null ? 1 : 0,
  };
}

function upsertSubscription(row) {
  run(
    `INSERT INTO subscriptions (stripe_subscription_id, stripe_customer_id, status, stripe_price_id,
        current_period_end, cancel_at_period_end, cancel_at, paused, collection_paused, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (stripe_subscription_id) DO UPDATE SET
        stripe_customer_id = excluded.stripe_customer_id, status = excluded.status,
        stripe_price_id = excluded.stripe_price_id, current_period_end = excluded.current_period_end,
        cancel_at_period_end = excluded.cancel_at_period_end, cancel_at = excluded.cancel_at,
        paused = excluded.paused, collection_paused = excluded.collection_paused,
        updated_at = excluded.updated_at`,
    [
      row.id,
      row.customer,
      row.status,
      row.priceId,
      row.currentPeriodEnd,
      row.cancelAtPeriodEnd,
      row.cancelAt,
      row.paused,
      row.collectionPaused,
      Math.floor(Date.now() / 1000),
    ],
  );
}

// The user's plan: the highest plan among subscriptions that have not ended.
function planFor(customerId) {
  const rows = all(
    `SELECT stripe_price_id FROM subscriptions
     WHERE stripe_customer_id = ? AND status NOT IN (${ENDED_STATUSES.map(() => '?').join(', ')})`,
    [customerId, ...ENDED_STATUSES],
  );
  let best = -1;
  for (const { stripe_price_id: price } of rows) {
    const plan = PLAN_BY_PRICE.get(price);
    if (plan !== undefined) best = Math.max(best, PLAN_RANK.indexOf(plan));
  }
  return best >= 0 ? PLAN_RANK[best] : 'free';
}

function refreshPlan(customerId) {
  if (customerId) run('UPDATE users SET plan = ? WHERE stripe_customer_id = ?', [planFor(customerId), customerId]);
}

function recordInvoice(invoice) {
  // basil moved invoice.subscription to invoice.parent.subscription_details.subscription
  const details = invoice.parent && invoice.parent.subscription_details;
  const params = [
    invoice.id,
    idOf(invoice.customer),
    details ? idOf(details.subscription) : null,
    invoice.amount_paid ?? null,
    (invoice.status_transitions && invoice.status_transitions.paid_at) ?? null,
  ];
  const verb = BUGS.has('no_dedupe') ? 'INSERT' : 'INSERT OR IGNORE';
  run(
    `${verb} INTO invoices (stripe_invoice_id, stripe_customer_id, stripe_subscription_id, amount_paid, status, paid_at)
     VALUES (?, ?, ?, ?, 'paid', ?)`,
    params,
  );
}

function alreadyProcessed(eventId) {
  return !BUGS.has('no_dedupe') && get('SELECT 1 AS seen FROM webhook_events WHERE id = ?', [eventId]) !== undefined;
}

function markProcessed(event) {
  run('INSERT OR IGNORE INTO webhook_events (id, type, processed_at) VALUES (?, ?, ?)', [
    event.id,
    event.type,
    Math.floor(Date.now() / 1000),
  ]);
}

// Webhooks for one subscription are handled one at a time, so a slow API fetch for
// an earlier delivery can never overwrite what a later delivery fetched.
const queues = new Map();
function serialized(key, fn) {
  const previous = queues.get(key) || Promise.resolve();
  const result = previous.then(fn, fn);
  const tail = result.catch(() => {});
  queues.set(key, tail);
  tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return result;
}

async function currentSubscription(event) {
  const snapshot = event.data.object;
  try {
    return await stripe.subscriptions.retrieve(snapshot.id);
  } catch (err) {
    // A deleted (canceled) subscription is final, so its snapshot cannot be stale.
    if (event.type === 'customer.subscription.deleted' && err.statusCode === 404) return snapshot;
    throw err;
  }
}

async function handleEvent(event) {
  if (alreadyProcessed(event.id)) return 'duplicate';

  if (event.type.startsWith('customer.subscription.')) {
    const snapshot = event.data.object;
    return serialized(snapshot.id, async () => {
      if (alreadyProcessed(event.id)) return 'duplicate';
      // Events can arrive late and out of order: ask Stripe for the current state
      // instead of trusting the snapshot in the event.
      const sub = BUGS.has('snapshot') ? snapshot : await currentSubscription(event);
      const row = subscriptionRow(sub);
      transaction(() => {
        upsertSubscription(row);
        refreshPlan(row.customer);
        markProcessed(event);
      });
      return `subscription ${row.id} ${row.status}`;
    });
  }

  if (event.type === 'invoice.paid' || event.type === 'invoice.payment_succeeded') {
    const invoice = event.data.object;
    transaction(() => {
      recordInvoice(invoice);
      markProcessed(event);
    });
    return `invoice ${invoice.id} paid`;
  }

  transaction(() => markProcessed(event));
  return 'ignored';
}

// ---------------------------------------------------------------- HTTP

function send(res, status, body, headers = {}) {
  const isJson = typeof body !== 'string';
  const payload = isJson ? JSON.stringify(body) : body;
  res.writeHead(status, {
    'Content-Type': isJson ? 'application/json' : headers['Content-Type'] || 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(Object.assign(new Error('body too large'), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

// Stand-in for the app's session auth: the signed-in user's id in a header.
function currentUser(req) {
  const userId = req.headers['x-user-id'];
  if (!userId) return undefined;
  return get('SELECT * FROM users WHERE id = ?', [String(userId)]);
}

async function webhookRoute(req, res) {
  const raw = await readBody(req); // raw bytes: the signature covers them exactly
  let event;
  try {
    event = stripe.webhooks.constructEvent(raw, req.headers['stripe-signature'] || '', WEBHOOK_SECRET);
  } catch (err) {
    console.warn(`webhook rejected: ${err.message}`);
    return send(res, 400, { error: `Webhook signature verification failed: ${err.message}` });
  }
  try {
    const outcome = await handleEvent(event);
    console.log(`webhook ${event.id} ${event.type}: ${outcome}`);
    return send(res, 200, { received: true, outcome });
  } catch (err) {
    // A 5xx makes Stripe retry the delivery later.
    console.error(`webhook ${event.id} ${event.type} failed: ${err.stack || err}`);
    return send(res, 500, { error: 'processing failed' });
  }
}

async function portalRoute(req, res) {
  await readBody(req);
  const user = currentUser(req);
  if (!user) return send(res, 401, 'Unauthorized');
  if (!user.stripe_customer_id) return send(res, 404, 'No billing account found');
  const params = { customer: user.stripe_customer_id, return_url: RETURN_URL };
  if (process.env.STRIPE_PORTAL_CONFIGURATION) params.configuration = process.env.STRIPE_PORTAL_CONFIGURATION;
  let session;
  try {
    session = await stripe.billingPortal.sessions.create(params);
  } catch (err) {
    console.error(`portal session failed: ${err.message}`);
    return send(res, 502, { error: 'Could not open the billing portal' });
  }
  return send(res, 303, '', { Location: session.url });
}

async function seedUserRoute(req, res) {
  let body;
  try {
    body = JSON.parse((await readBody(req)).toString('utf8'));
  } catch {
    return send(res, 400, { error: 'invalid JSON' });
  }
  if (!body || typeof body.id !== 'string' || !body.id) return send(res, 400, { error: 'id is required' });
  const customerId = body.stripe_customer_id || null;
  const user = transaction(() => {
    run(
      `INSERT INTO users (id, email, stripe_customer_id) VALUES (?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET email = excluded.email, stripe_customer_id = excluded.stripe_customer_id`,
      [body.id, body.email || null, customerId],
    );
    refreshPlan(customerId);
    return get('SELECT * FROM users WHERE id = ?', [body.id]);
  });
  return send(res, 201, user);
}

function resetRoute(res) {
  transaction(() => {
    for (const table of ['webhook_events', 'invoices', 'subscriptions', 'users']) run(`DELETE FROM ${table}`);
  });
  return send(res, 204, '');
}

function stateRoute(url, res) {
  const customerId = url.searchParams.get('customer_id');
  if (!customerId) return send(res, 400, { error: 'customer_id is required' });
  const user = get('SELECT plan FROM users WHERE stripe_customer_id = ?', [customerId]);
  if (!user) return send(res, 404, { error: `no user with customer ${customerId}` });
  const subscriptions = {};
  for (const s of all('SELECT * FROM subscriptions WHERE stripe_customer_id = ? ORDER BY stripe_subscription_id', [
    customerId,
  ])) {
    subscriptions[s.stripe_subscription_id] = {
      status: s.status,
      price_id: s.stripe_price_id,
      current_period_end: s.current_period_end,
      cancel_at_period_end: Boolean(s.cancel_at_period_end),
      paused: Boolean(s.paused),
      collection_paused: Boolean(s.collection_paused),
    };
  }
  const paidInvoices = all(
    `SELECT stripe_invoice_id FROM invoices WHERE stripe_customer_id = ? AND status = 'paid' ORDER BY id`,
    [customerId],
  ).map((r) => r.stripe_invoice_id);
  return send(res, 200, { plan: user.plan, subscriptions, paid_invoices: paidInvoices });
}

function billingPage(req, res) {
  const user = currentUser(req);
  const plan = user ? user.plan : 'unknown (not signed in)';
  const html = `<!doctype html><title>Billing</title><h1>Billing</h1><p>Current plan: ${escapeHtml(plan)}</p>`;
  return send(res, 200, html, { 'Content-Type': 'text/html; charset=utf-8' });
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function route(req, res) {
  const url = new URL(req.url, 'http://localhost');
  const key = `${req.method} ${url.pathname}`;
  switch (key) {
    case 'GET /healthz':
      return send(res, 200, { status: 'ok' });
    case 'POST /api/webhooks/stripe':
      return webhookRoute(req, res);
    case 'POST /api/billing/portal':
      return portalRoute(req, res);
    case 'GET /dashboard/billing':
      return billingPage(req, res);
    default:
      break;
  }
  if (TEST_ROUTES && key === 'POST /__test/users') return seedUserRoute(req, res);
  if (TEST_ROUTES && key === 'GET /__test/state') return stateRoute(url, res);
  if (TEST_ROUTES && key === 'POST /__test/reset') return resetRoute(res);
  return send(res, 404, { error: 'not found' });
}

async function main() {
  await openDatabase();
  const server = http.createServer((req, res) => {
    route(req, res).catch((err) => {
      console.error(`${req.method} ${req.url} failed: ${err.stack || err}`);
      if (!res.headersSent) send(res, err.status || 500, { error: err.status ? err.message : 'internal error' });
    });
  });
  server.listen(PORT, HOST, () => {
    const flaws = BUGS.size ? ` with flaws: ${[...BUGS].join(', ')}` : '';
    console.log(`node-app listening on http://${HOST}:${PORT} (db ${DB_PATH})${flaws}`);
  });
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections(); // keep-alive clients must not hold the shutdown
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
