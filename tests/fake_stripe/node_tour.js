// A sample of the fake Stripe's endpoints through stripe-node, printing what came back as JSON.
// Usage: node node_tour.js <base url> <api key>   (stripe resolved from examples/node-app)
'use strict';
const Stripe = require('stripe');

async function main() {
  const [base, key] = process.argv.slice(2);
  const url = new URL(base);
  const stripe = new Stripe(key, {
    host: url.hostname, port: Number(url.port), protocol: 'http', maxNetworkRetries: 0,
  });
  const out = {};
  const customer = await stripe.customers.create({email: 'node@example.test',
                                                  metadata: {user_id: 'n1'}});
  out.customer = customer.email;
  out.expanded = (await stripe.customers.retrieve(customer.id, {expand: ['sources']}))
    .sources.object;
  out.product = (await stripe.products.retrieve('prod_pro')).name;
  const prices = [];
  for await (const price of stripe.prices.list({limit: 1})) prices.push(price.id);
  out.prices = prices.sort();
  const session = await stripe.checkout.sessions.create({
    mode: 'subscription', customer: customer.id, success_url: 'https://app.example.test/ok',
    line_items: [{price: 'price_basic_monthly', quantity: 1}],
  });
  out.session = [session.status, session.url.startsWith('https://checkout.stripe.com/')];
  out.lineItems = (await stripe.checkout.sessions.listLineItems(session.id)).data
    .map((item) => item.price.id);
  out.search = (await stripe.customers.search({query: "metadata['user_id']:'n1'"})).data
    .map((c) => c.id === customer.id);
  out.account = (await stripe.accounts.retrieve()).object;
  const trial = await stripe.checkout.sessions.create({
    mode: 'subscription', customer: customer.id, success_url: 'https://app.example.test/ok',
    line_items: [{price: 'price_pro_monthly', quantity: 1}],
    subscription_data: {trial_period_days: 7, metadata: {user_id: 'n1'}},
    customer_update: {name: 'auto', address: 'auto'},
  });
  out.trialSession = trial.status;
  const [sub] = (await stripe.subscriptions.list({limit: 1})).data;
  const preview = await stripe.invoices.createPreview({
    subscription: sub.id,
    subscription_details: {items: [{id: sub.items.data[0].id, quantity: 2}]},
  });
  out.preview = preview.lines.data.filter(
    (l) => l.parent.subscription_item_details.proration).length;
  const updated = await stripe.subscriptions.update(sub.id, {
    items: [{id: sub.items.data[0].id, quantity: 2}], proration_behavior: 'create_prorations',
  });
  out.quantity = updated.items.data[0].quantity;
  const [charge] = (await stripe.charges.list({limit: 1})).data;
  const refund = await stripe.refunds.create({charge: charge.id, amount: 100});
  out.refund = [refund.status, (await stripe.charges.retrieve(charge.id)).amount_refunded];
  out.intent = (await stripe.paymentIntents.retrieve(charge.payment_intent)).status;
  const types = [];
  for await (const event of stripe.events.list({limit: 3})) types.push(event.type);
  out.events = types.slice(0, 2);
  const endpoint = await stripe.webhookEndpoints.create({url: 'https://app.example.test/hook',
                                                         enabled_events: ['*']});
  out.secret = endpoint.secret.startsWith('whsec_');
  try {
    await stripe.customers.create({emial: 'typo@example.test'});
  } catch (err) {
    out.unknown = [err.type, err.statusCode, err.message, err.param];
  }
  try {
    await stripe.charges.capture('ch_missing');
  } catch (err) {
    out.unserved = [err.statusCode, err.message];
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack || err));
  process.exit(1);
});
