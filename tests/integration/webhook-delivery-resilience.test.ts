// Webhook delivery against what goes wrong in production, through the whole platform with a
// real loopback receiver verifying every request with `standardwebhooks`:
//
// - The worker is killed with SIGKILL while the receiver holds the request open; a new worker
//   takes over (Temporal retries the attempt once its heartbeat stops) and the event arrives
//   at least once with the same `webhook-id`, the one behind it after it.
// - Retries more than five minutes apart still verify, because each attempt is signed when it
//   is sent. Nobody sleeps for minutes: the worker signs with an accelerated clock
//   (WEBHOOK_TEST_SIGNING_CLOCK, 100 times real time from this file's start) and the receiver
//   verifies with the same clock, so retries 3.5–7 s apart are 6–12 minutes apart for both.
//   A signature made once and replayed at the last attempt's time is refused by the same
//   library: signing afresh is what makes them pass.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import type { DataSource } from 'typeorm';
import { WebhookEndpointWithSecret } from '../../contracts/webhooks.ts';
import { createDataSource } from '../../db/data-source.ts';
import { emitEvent } from '../../db/repositories/event-outbox.ts';
import { withTenantScope } from '../../db/scope.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import type { ReceivedRequest, WebhookReceiver } from '../support/webhook-receiver.ts';
import { atTime, startWebhookReceiver, webhookIdOf } from '../support/webhook-receiver.ts';
import { waitFor as waitUntil } from '../support/wait-for.ts';

/** The accelerated clock both sides read: from EPOCH it runs RATE times as fast as real time. */
const RATE = 100;
const EPOCH = Date.now();
const clock = () => new Date(EPOCH + (Date.now() - EPOCH) * RATE);
/** Standard Webhooks verifiers refuse a timestamp older (or newer) than this. */
const TOLERANCE_S = 5 * 60;
/** Retries 3.5–7 s apart (half fixed, half jitter): 350–700 s on the accelerated clock. */
const RETRY_INTERVAL_MS = 7_000;

describe('webhook delivery: a killed worker, and retries minutes apart', () => {
  let platform: Platform;
  let app: DataSource;
  let owner: TestUser;
  const tenant = { id: '', slug: '' };
  const receivers: WebhookReceiver[] = [];

  before(async () => {
    platform = await startPlatform({
      env: {
        OUTBOUND_ALLOW_LOOPBACK: 'true',
        WEBHOOK_ALLOW_INSECURE_URLS: 'true',
        WEBHOOK_DISPATCH_INTERVAL: '100ms',
        WEBHOOK_RETRY_INITIAL_INTERVAL: `${RETRY_INTERVAL_MS}ms`,
        WEBHOOK_RETRY_MAX_INTERVAL: `${RETRY_INTERVAL_MS}ms`,
        WEBHOOK_SEQUENCER_IDLE_TIMEOUT: '3s',
        // Longer than the receiver holds the request: the kill, not a timeout, ends it.
        WEBHOOK_REQUEST_TIMEOUT: '60s',
      },
      workerEnv: { WEBHOOK_TEST_SIGNING_CLOCK: `${RATE}x@${EPOCH}` },
    });
    tenant.slug = uniqueSlug('resilient');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug: tenant.slug, name: 'Resilient', ownerEmail: `invited@${tenant.slug}.test` },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await waitForOperation(platform, created.body.operation.id);
    tenant.id = created.body.tenant.id;
    owner = await seedUser(platform.database, { email: `owner@${tenant.slug}.test` });
    await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      tenant.id,
      owner.userId,
    ]);
    app = createDataSource({ url: platform.database.url, applicationName: 'atrium-test-resilience', poolSize: 2 });
    await app.initialize();
  });
  after(async () => {
    await app?.destroy();
    await platform?.stop();
    await Promise.all(receivers.map((receiver) => receiver.stop()));
  });

  async function endpointWithReceiver() {
    const receiver = await startWebhookReceiver({ clock });
    receivers.push(receiver);
    const created = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${tenant.slug}/webhooks`, {
      headers: owner.headers,
      json: { url: receiver.url, eventTypes: ['member.removed'] },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { endpoint, secret } = WebhookEndpointWithSecret.parse(created.body);
    receiver.secrets = [secret];
    return { receiver, endpoint, secret };
  }

  async function emit(): Promise<string> {
    const emitted = await withTenantScope(app, tenant.id, (db) =>
      emitEvent(db, tenant.id, 'member.removed', { userId: owner.userId, role: 'viewer' }),
    );
    return emitted.eventId;
  }

  // Longer than the default: a worker is killed and another one started meanwhile.
  const waitFor = <T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false) =>
    waitUntil(what, probe, 90_000);

  const stampOf = (r: ReceivedRequest) => Number(r.headers['webhook-timestamp']);
  const deliveryLog = (endpointId: string) =>
    platform.database.query<{ event_id: string; attempt: number; outcome: string; attempted_at: Date }>(
      `SELECT event_id, attempt, outcome, attempted_at FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY id`,
      [endpointId],
    );

  it('a worker killed with SIGKILL while the receiver holds the request: delivered anyway, same webhook-id, in order', async () => {
    const { receiver, endpoint } = await endpointWithReceiver();
    receiver.delayMs = 120_000; // holds the first request open
    const first = await emit();
    const second = await emit();
    await waitFor('the first request, held open', () => receiver.requests.length === 1 || undefined);
    assert.equal(webhookIdOf(receiver.requests[0]!), first);

    const killed = platform.worker;
    await killed.kill();
    assert.equal(await killed.exited, 'SIGKILL');
    receiver.delayMs = 0;
    await platform.startWorker();

    await waitFor('both events answered', () =>
      receiver.requests.some((r) => webhookIdOf(r) === second && r.answered) ? true : undefined,
    );
    // At least once: the held request never got its answer, the retry did; the same id both times.
    assert.deepEqual(receiver.requests.map(webhookIdOf), [first, first, second]);
    assert.deepEqual(
      receiver.requests.map((r) => [r.answered, r.status]),
      [
        [false, 200],
        [true, 200],
        [true, 200],
      ],
    );
    assert.ok(receiver.requests.every((r) => r.verifiedWith === 0));
    assert.notEqual(
      receiver.requests[0]!.headers['webhook-signature'],
      receiver.requests[1]!.headers['webhook-signature'],
      'the retry was signed afresh',
    );
    // The log: the retried attempt replaced its own row; each event delivered once, in order.
    const log = await waitFor('both recorded', async () => {
      const rows = await deliveryLog(endpoint.id);
      return rows.length === 2 ? rows : undefined;
    });
    assert.deepEqual(
      log.map((row) => [row.event_id, row.attempt, row.outcome]),
      [
        [first, 1, 'delivered'],
        [second, 1, 'delivered'],
      ],
    );
  });

  it('retries more than five minutes apart each verify, because each attempt is signed when it is sent', async (t) => {
    const { receiver, endpoint, secret } = await endpointWithReceiver();
    receiver.failNext(2);
    const started = Date.now();
    const event = await emit();
    await waitFor('the third attempt', () => receiver.requests.some((r) => r.status === 200) || undefined);
    const realSeconds = (Date.now() - started) / 1000;

    const attempts = receiver.requests;
    assert.deepEqual(
      attempts.map((r) => [webhookIdOf(r), r.status]),
      [
        [event, 503],
        [event, 503],
        [event, 200],
      ],
    );
    const stamps = attempts.map(stampOf);
    const gaps = stamps.slice(1).map((stamp, i) => stamp - stamps[i]!);
    assert.ok(
      gaps.every((gap) => gap > TOLERANCE_S),
      `attempts signed more than five minutes apart (${gaps.join(' s, ')} s), ${realSeconds.toFixed(1)} s of real time`,
    );
    assert.ok(realSeconds < 60, 'nobody waited for minutes');
    t.diagnostic(`signed ${gaps.join(' s and ')} s apart in ${realSeconds.toFixed(1)} s of real time`);
    // Each one verified at its arrival (the receiver's clock), and was signed just before it.
    assert.ok(attempts.every((r) => r.verifiedWith === 0));
    for (const r of attempts) assert.ok(Math.abs(r.receivedAt.getTime() / 1000 - stampOf(r)) < 60);

    // A signature made once, at the first attempt, would be refused at the last attempt's time.
    const [firstAttempt] = attempts;
    const last = attempts.at(-1)!;
    assert.throws(
      () =>
        atTime(last.receivedAt, () =>
          new Webhook(secret).verify(firstAttempt!.body, firstAttempt!.headers as Record<string, string>),
        ),
      /too old/i,
    );

    const log = await waitFor('the attempts recorded', async () => {
      const rows = await deliveryLog(endpoint.id);
      return rows.length === 3 ? rows : undefined;
    });
    assert.deepEqual(
      log.map((row) => [row.attempt, row.outcome]),
      [
        [1, 'retry'],
        [2, 'retry'],
        [3, 'delivered'],
      ],
    );
  });
});
