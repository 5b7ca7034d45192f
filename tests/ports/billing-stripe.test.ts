// @needs-servers: stripe
// The Stripe adapter through stripe-node against stripe-mock, which validates every
// request against Stripe's OpenAPI specification (and, started with -strict-version-check,
// refuses an SDK whose API version differs from the mock's). stripe-mock is stateless: it
// answers with fixtures, so the contract checks idempotency by the keys that were sent.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Stripe from 'stripe';
import { BillingError } from '../../integrations/billing/port.ts';
import { createStripeBilling } from '../../integrations/billing/stripe.ts';
import { freePort } from '../../scripts/free-port.ts';
import { stripeServer } from '../support/servers.ts';
import { billingContract } from './billing.contract.ts';

const server = stripeServer();
const PRICES = { free: 'price_free', team: 'price_team', enterprise: 'price_enterprise' };
const METERS = { 'compute.seconds': { id: 'mtr_compute', event: 'compute_seconds' } };

function stripeClient(options: { key?: string; port?: number } = {}): Stripe {
  return new Stripe(options.key ?? server.secretKey, {
    host: server.host,
    port: options.port ?? server.port,
    protocol: 'http',
    maxNetworkRetries: 0,
    telemetry: false,
  });
}

interface SentRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
}

function recording(stripe: Stripe): SentRequest[] {
  const sent: SentRequest[] = [];
  stripe.on('request', (event: { method: string; path: string; idempotency_key?: string }) =>
    sent.push({ method: event.method, path: event.path, idempotencyKey: event.idempotency_key }),
  );
  return sent;
}

billingContract('stripe (stripe-mock)', () => {
  const stripe = stripeClient();
  const sent = recording(stripe);
  return Promise.resolve({
    billing: createStripeBilling({
      stripe,
      prices: PRICES,
      meters: METERS,
      target: `stripe-mock ${server.host}:${server.port}`,
    }),
    stateful: false,
    sentKeys: () => sent.filter((r) => r.method === 'POST').map((r) => r.idempotencyKey ?? '(none)'),
    stop: () => Promise.resolve(),
  });
});

describe('stripe adapter: requests and failures', () => {
  test('every create carries the caller’s idempotency key; the SDK and the mock agree on the API version', async () => {
    const stripe = stripeClient();
    const sent = recording(stripe);
    const billing = createStripeBilling({ stripe, prices: PRICES, target: 'stripe-mock' });
    const { customerId } = await billing.ensureCustomer(
      { tenantId: 't-1', slug: 'acme', name: 'Acme', email: 'b@acme.test' },
      'tenant/t-1/provision/billing-customer',
    );
    await billing.ensureSubscription(
      { tenantId: 't-1', customerId, plan: 'enterprise' },
      'tenant/t-1/provision/billing-subscription',
    );
    assert.deepEqual(
      sent.map((r) => [r.method, r.path, r.idempotencyKey]),
      [
        ['POST', '/v1/customers', 'tenant/t-1/provision/billing-customer'],
        ['POST', '/v1/subscriptions', 'tenant/t-1/provision/billing-subscription'],
      ],
    );
  });

  test('an API version the mock does not serve is refused: a non-retryable "invalid" error', async () => {
    // What a stripe-node upgrade without a matching stripe-mock looks like under
    // -strict-version-check: every request is a 400 invalid_request_error.
    const drifted = new Stripe(server.secretKey, {
      host: server.host,
      port: server.port,
      protocol: 'http',
      maxNetworkRetries: 0,
      apiVersion: '2026-10-28.endive' as Stripe.LatestApiVersion,
    });
    const billing = createStripeBilling({ stripe: drifted, prices: PRICES, target: 'stripe-mock' });
    const error = await billing
      .ensureCustomer({ tenantId: 't', slug: 'drift', name: 'Drift', email: 'd@drift.test' }, 'k-drift')
      .catch((e: unknown) => e);
    assert.ok(error instanceof BillingError, String(error));
    assert.equal(error.reason, 'invalid');
    assert.equal(error.retryable, false);
    assert.match(error.message, /doesn't match version in OpenAPI specification/);
  });

  test('an unreachable Stripe is retryable and names where it tried', async () => {
    const billing = createStripeBilling({
      stripe: stripeClient({ port: await freePort() }),
      prices: PRICES,
      target: 'stripe-mock (closed port)',
    });
    const error = await billing.verify().catch((e: unknown) => e);
    assert.ok(error instanceof BillingError, String(error));
    assert.equal(error.reason, 'unreachable');
    assert.equal(error.retryable, true);
    assert.match(error.message, /closed port/);
  });

  test('a key that is not a Stripe key is "unauthorized" and names STRIPE_SECRET_KEY', async () => {
    const billing = createStripeBilling({
      stripe: stripeClient({ key: 'not-a-key' }),
      prices: PRICES,
      target: 'stripe-mock',
    });
    const error = await billing.verify().catch((e: unknown) => e);
    assert.ok(error instanceof BillingError, String(error));
    assert.equal(error.reason, 'unauthorized');
    assert.match(error.message, /STRIPE_SECRET_KEY/);
  });
});
