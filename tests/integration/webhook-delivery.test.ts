// Webhook delivery through the whole platform: events committed into the outbox reach a real
// receiver on loopback (tests/support/webhook-receiver.ts) that verifies every request with
// the `standardwebhooks` library, not with Atrium's code. The retry policy is set short
// through the WEBHOOK_* settings (no test sleeps for minutes): a receiver that fails three
// times gets the fourth attempt, each one signed afresh; an endpoint's events arrive in
// commit order; a change that rolled back sends nothing; three dispatchers at once hand each
// event over once; a 410 disables the endpoint at once; and an event that keeps failing
// pauses the endpoint while the events behind it wait, in order, until it is re-enabled;
// during a secret rotation's grace period both secrets verify, after it only the new one.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { Webhook } from 'standardwebhooks';
import type { DataSource } from 'typeorm';
import { createOutboxDispatcher } from '../../api/webhooks/dispatcher.ts';
import type { EventType } from '../../contracts/events.ts';
import { WebhookDeliveryPage, WebhookEndpoint, WebhookEndpointWithSecret } from '../../contracts/webhooks.ts';
import { createDataSource } from '../../db/data-source.ts';
import { emitEvent } from '../../db/repositories/event-outbox.ts';
import { withTenantScope } from '../../db/scope.ts';
import { createLogger } from '../../logging/logger.ts';
import type { DeliveryPolicy } from '../../workflows/webhooks/contract.ts';
import { webhookEndpointWorkflowId } from '../../workflows/webhooks/contract.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { testEnv } from '../support/env.ts';
import { recordHistory } from '../support/histories.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import type { ReceivedRequest, WebhookReceiver } from '../support/webhook-receiver.ts';
import { startWebhookReceiver, webhookIdOf } from '../support/webhook-receiver.ts';
import { waitFor } from '../support/wait-for.ts';

const POLICY: DeliveryPolicy = {
  initialIntervalMs: 200,
  maxIntervalMs: 800,
  // Long enough that three quick retries never reach it on a busy machine.
  pauseAfterMs: 15_000,
  idleTimeoutMs: 3_000,
  requestTimeoutMs: 2_000,
};

describe('webhook delivery', () => {
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
        WEBHOOK_RETRY_INITIAL_INTERVAL: `${POLICY.initialIntervalMs}ms`,
        WEBHOOK_RETRY_MAX_INTERVAL: `${POLICY.maxIntervalMs}ms`,
        WEBHOOK_PAUSE_AFTER: `${POLICY.pauseAfterMs}ms`,
        WEBHOOK_SEQUENCER_IDLE_TIMEOUT: `${POLICY.idleTimeoutMs}ms`,
        WEBHOOK_REQUEST_TIMEOUT: `${POLICY.requestTimeoutMs}ms`,
      },
    });
    tenant.slug = uniqueSlug('deliver');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug: tenant.slug, name: 'Delivery', ownerEmail: `owner@${tenant.slug}.test` },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await waitForOperation(platform, created.body.operation.id);
    tenant.id = created.body.tenant.id;
    owner = await seedUser(platform.database, { email: 'owner@delivery.test' });
    await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      tenant.id,
      owner.userId,
    ]);
    // The application's runtime role (row-level security on), as the API and worker connect.
    app = createDataSource({ url: platform.database.url, applicationName: 'atrium-test-delivery', poolSize: 4 });
    await app.initialize();
  });
  after(async () => {
    await app?.destroy();
    await platform?.stop();
    await Promise.all(receivers.map((receiver) => receiver.stop()));
  });

  const hooks = `/api/v1/tenants/${'{slug}'}/webhooks`;
  const as = (method: string, path: string, json?: unknown) =>
    request(platform.baseUrl, method, path.replace('{slug}', tenant.slug), {
      headers: owner.headers,
      ...(json === undefined ? {} : { json }),
    });

  /** A new receiver and an endpoint pointing at it, subscribed to `eventTypes`. */
  async function endpointWithReceiver(eventTypes: EventType[]) {
    const receiver = await startWebhookReceiver();
    receivers.push(receiver);
    const created = await as('POST', hooks, { url: receiver.url, description: 'test receiver', eventTypes });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { endpoint, secret } = WebhookEndpointWithSecret.parse(created.body);
    receiver.secrets = [secret];
    return { receiver, endpoint };
  }

  /** Emits `member.removed` in its own committed transaction (the way every flow emits). */
  async function emit(type: 'member.removed' = 'member.removed'): Promise<string> {
    const emitted = await withTenantScope(app, tenant.id, (db) =>
      emitEvent(db, tenant.id, type, { userId: owner.userId, role: 'viewer' }),
    );
    return emitted.eventId;
  }

  const delivered = (receiver: WebhookReceiver) => receiver.requests.filter((r) => r.status === 200).map(webhookIdOf);

  async function deliveryLog(endpointId: string, query = '') {
    const answer = await as('GET', `${hooks}/${endpointId}/deliveries${query}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return WebhookDeliveryPage.parse(answer.body);
  }

  it('a receiver failing the first three deliveries gets the fourth, and verifies every one with standardwebhooks', async () => {
    const { receiver, endpoint } = await endpointWithReceiver(['api_key.created']);
    receiver.failNext(3);
    // A real flow emits the event: creating an API key.
    const key = await as('POST', '/api/v1/tenants/{slug}/api-keys', { name: 'ci', role: 'developer' });
    assert.equal(key.status, 201, JSON.stringify(key.body));

    await waitFor('the fourth attempt', () => receiver.requests.length >= 4 || undefined);
    const [first, ...rest] = receiver.requests;
    assert.deepEqual(
      receiver.requests.map((r) => r.status),
      [503, 503, 503, 200],
    );
    // Every attempt verifies with the receiver's own verifier, and carries the same id.
    assert.deepEqual(
      receiver.requests.map((r) => r.verifiedWith),
      [0, 0, 0, 0],
    );
    assert.ok(rest.every((r) => webhookIdOf(r) === webhookIdOf(first!)));
    const body = JSON.parse(first!.body);
    assert.equal(body.type, 'api_key.created');
    assert.equal(body.id, webhookIdOf(first!));
    assert.equal(body.tenantId, tenant.id);
    assert.equal(body.data.apiKeyId, key.body.apiKey.id);
    assert.equal(body.data.key, undefined, 'never the key itself');
    // Each attempt was signed when it was sent: its own timestamp, never older than the one before.
    const stamps = receiver.requests.map((r) => Number(r.headers['webhook-timestamp']));
    assert.deepEqual(stamps, [...stamps].sort());
    assert.equal(new Set(receiver.requests.map((r) => r.headers['webhook-signature'])).size, 4);

    // The delivery log: every attempt, newest first, with its status, duration and answer.
    const log = await waitFor('the recorded fourth attempt', async () => {
      const page = await deliveryLog(endpoint.id);
      return page.items.length === 4 ? page : undefined;
    });
    assert.deepEqual(
      log.items.map((a) => [a.attempt, a.outcome, a.statusCode, a.responseExcerpt]),
      [
        [4, 'delivered', 200, 'ok'],
        [3, 'retry', 503, 'status 503'],
        [2, 'retry', 503, 'status 503'],
        [1, 'retry', 503, 'status 503'],
      ],
    );
    assert.ok(log.items.every((a) => a.eventId === webhookIdOf(first!) && a.durationMs >= 0));
    const retries = await deliveryLog(endpoint.id, '?outcome=retry&limit=2');
    assert.deepEqual(
      retries.items.map((a) => a.attempt),
      [3, 2],
    );
    assert.ok(retries.nextCursor);
    const next = await deliveryLog(endpoint.id, `?outcome=retry&limit=2&cursor=${retries.nextCursor}`);
    assert.deepEqual(
      next.items.map((a) => a.attempt),
      [1],
    );
    const bad = await as('GET', `${hooks}/${endpoint.id}/deliveries?outcome=maybe`);
    assert.equal(bad.status, 422, JSON.stringify(bad.body));
    assert.equal(bad.body.errors[0].path, 'outcome');

    // The operator's view: a readable ID with the tenant and the kind as search attributes.
    const workflowId = webhookEndpointWorkflowId(tenant.slug, endpoint.id);
    const description = await platform.temporal.workflow.getHandle(workflowId).describe();
    assert.equal(description.type, 'deliverWebhookEvents');
    // Nothing more to deliver: the sequencer ends after its idle timeout.
    const result = await platform.temporal.workflow.getHandle(workflowId).result();
    assert.deepEqual(result, { endpointId: endpoint.id, end: 'idle', delivered: 1, dropped: 0 });
    await recordHistory(platform.temporal, workflowId, 'deliver-webhook-events-idle');
  });

  it("delivers an endpoint's events in the order they committed, each once, through failures", async () => {
    const { receiver } = await endpointWithReceiver(['member.removed']);
    const emitted: string[] = [];
    for (let i = 0; i < 12; i += 1) {
      if (i === 4) receiver.failNext(2);
      emitted.push(await emit());
    }
    // Some emitted at once, in overlapping transactions: they commit in id order (the tenant's lock).
    emitted.push(...(await Promise.all([emit(), emit(), emit()])));
    const order = await platform.database.query<{ event_id: string }>(
      `SELECT event_id FROM event_outbox WHERE event_id = ANY($1) ORDER BY id`,
      [emitted],
    );
    const committed = order.map((row) => row.event_id);
    await waitFor('every event delivered', () => delivered(receiver).length >= committed.length || undefined);
    assert.deepEqual(delivered(receiver), committed);
    // A failed event was retried before anything behind it was sent.
    const sent = receiver.requests.map(webhookIdOf);
    assert.deepEqual([...new Set(sent)], committed);
    assert.ok(receiver.requests.every((r) => r.verifiedWith === 0));
  });

  it('sends nothing for a change that rolled back', async () => {
    const { receiver } = await endpointWithReceiver(['member.removed']);
    let rolledBack = '';
    await assert.rejects(
      withTenantScope(app, tenant.id, async (db) => {
        rolledBack = (await emitEvent(db, tenant.id, 'member.removed', { userId: owner.userId, role: 'admin' }))
          .eventId;
        throw new Error('the change failed after emitting');
      }),
      /the change failed/,
    );
    assert.ok(rolledBack);
    const marker = await emit();
    await waitFor('the event after it', () => delivered(receiver).includes(marker) || undefined);
    assert.deepEqual(receiver.requests.map(webhookIdOf), [marker]);
  });

  it('never hands an event over twice with three dispatchers running at once', async () => {
    const { receiver, endpoint } = await endpointWithReceiver(['member.removed']);
    // Two more dispatchers beside the API's, each with its own pool and Temporal connection.
    const extra = await Promise.all(
      [1, 2].map(async (n) => {
        const dataSource = createDataSource({
          url: platform.database.url,
          applicationName: `atrium-test-dispatcher-${n}`,
          poolSize: 2,
        });
        await dataSource.initialize();
        const connection = await Connection.connect({ address: testEnv.ATRIUM_TEST_TEMPORAL_ADDRESS });
        const dispatcher = createOutboxDispatcher({
          dataSource,
          client: new Client({ connection }),
          taskQueuePrefix: platform.taskQueue,
          policy: POLICY,
          intervalMs: 10,
          logger: createLogger({ level: 'warn', service: `test-dispatcher-${n}` }),
        });
        return { dataSource, connection, dispatcher };
      }),
    );
    try {
      for (const { dispatcher } of extra) dispatcher.start();
      const emitted: string[] = [];
      for (let i = 0; i < 30; i += 1) emitted.push(await emit());
      await waitFor('every event delivered', () => delivered(receiver).length >= emitted.length || undefined);
      await sleep(1_000);
      assert.deepEqual(receiver.requests.map(webhookIdOf), emitted, 'each event once, in order');
      const log = await deliveryLog(endpoint.id, '?limit=200');
      assert.equal(log.items.length, emitted.length);
      assert.ok(log.items.every((a) => a.attempt === 1 && a.outcome === 'delivered'));
    } finally {
      for (const { dispatcher, dataSource, connection } of extra) {
        await dispatcher.stop();
        await dataSource.destroy();
        await connection.close();
      }
    }
  });

  it('disables the endpoint at once when it answers 410 Gone', async () => {
    const { receiver, endpoint } = await endpointWithReceiver(['member.removed']);
    receiver.always(410);
    const first = await emit();
    const workflowId = webhookEndpointWorkflowId(tenant.slug, endpoint.id);
    const result = await waitFor('the sequencer', async () => {
      try {
        return await platform.temporal.workflow.getHandle(workflowId).result();
      } catch {
        return undefined;
      }
    });
    assert.deepEqual(result, { endpointId: endpoint.id, end: 'disabled-by-delivery', delivered: 0, dropped: 1 });
    await recordHistory(platform.temporal, workflowId, 'deliver-webhook-events-disabled');
    const view = WebhookEndpoint.parse((await as('GET', `${hooks}/${endpoint.id}`)).body);
    assert.equal(view.status, 'disabled');
    assert.match(view.disabledReason!, /410 Gone/);
    assert.deepEqual(receiver.requests.map(webhookIdOf), [first], 'one attempt, no retry');
    const log = await deliveryLog(endpoint.id);
    assert.deepEqual(
      log.items.map((a) => [a.outcome, a.statusCode]),
      [['gone', 410]],
    );
    const [audit] = await platform.database.query<{ action: string; actor_type: string }>(
      `SELECT action, actor_type FROM audit_log WHERE target_id = $1 AND action = 'webhook_endpoint.disabled'`,
      [endpoint.id],
    );
    assert.deepEqual(audit, { action: 'webhook_endpoint.disabled', actor_type: 'system' });
    // A disabled endpoint gets nothing more.
    await emit();
    await sleep(1_500);
    assert.equal(receiver.requests.length, 1);
  });

  it('pauses an endpoint whose event keeps failing; the events behind it wait, in order, until it is re-enabled', async () => {
    const { receiver, endpoint } = await endpointWithReceiver(['member.removed']);
    receiver.always(503);
    const emitted = [await emit(), await emit(), await emit()];
    const paused = await waitFor('the pause', async () => {
      const view = WebhookEndpoint.parse((await as('GET', `${hooks}/${endpoint.id}`)).body);
      return view.status === 'paused' ? view : undefined;
    });
    assert.match(paused.disabledReason!, new RegExp(`event ${emitted[0]} failed \\d+ times`));
    assert.ok(receiver.requests.length >= 2, 'it was retried');
    assert.deepEqual([...new Set(receiver.requests.map(webhookIdOf))], [emitted[0]], 'nothing behind it was sent');
    // While paused, new events join the queue.
    emitted.push(await emit());
    await sleep(1_000);
    assert.deepEqual([...new Set(receiver.requests.map(webhookIdOf))], [emitted[0]]);

    receiver.always(null);
    const enabled = await as('PATCH', `${hooks}/${endpoint.id}`, { enabled: true });
    assert.equal(enabled.status, 200, JSON.stringify(enabled.body));
    await waitFor('the queue delivered', () => delivered(receiver).length >= emitted.length || undefined);
    assert.deepEqual(delivered(receiver), emitted);
    const actions = await platform.database.query<{ action: string; actor_type: string }>(
      `SELECT action, actor_type FROM audit_log WHERE target_id = $1 AND action <> 'webhook_endpoint.created' ORDER BY id`,
      [endpoint.id],
    );
    assert.deepEqual(actions, [
      { action: 'webhook_endpoint.paused', actor_type: 'system' },
      // The owners are mailed (tests/integration/webhook-failing-endpoints.test.ts reads the mails).
      { action: 'webhook_endpoint.owners_mailed', actor_type: 'system' },
      { action: 'webhook_endpoint.enabled', actor_type: 'user' },
    ]);
  });

  it('signs with both secrets during a rotation, and with the new one only after it', async () => {
    const { receiver, endpoint } = await endpointWithReceiver(['member.removed']);
    const [first] = receiver.secrets as [string];
    const rotate = async (gracePeriod: string) => {
      const answer = await as('POST', `${hooks}/${endpoint.id}/rotate-secret`, { gracePeriod });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return WebhookEndpointWithSecret.parse(answer.body).secret;
    };
    /** Whether standardwebhooks, holding only `secret`, accepts the request. */
    const verifies = (secret: string, received: ReceivedRequest) => {
      try {
        new Webhook(secret).verify(received.body, received.headers as Record<string, string>);
        return true;
      } catch {
        return false;
      }
    };
    const deliverOne = async () => {
      const id = await emit();
      return waitFor(`event ${id}`, () => receiver.requests.find((r) => webhookIdOf(r) === id && r.status === 200));
    };

    const second = await rotate('1h');
    const during = await deliverOne();
    assert.equal(String(during.headers['webhook-signature']).split(' ').length, 2, 'two signatures');
    assert.deepEqual([verifies(first, during), verifies(second, during)], [true, true]);

    const third = await rotate('0s');
    const afterwards = await deliverOne();
    assert.deepEqual(
      [first, second, third].map((secret) => verifies(secret, afterwards)),
      [false, false, true],
      'once the grace period is over only the newest secret verifies',
    );
  });

  it("keeps another tenant's delivery log out of reach (404)", async () => {
    const { endpoint } = await endpointWithReceiver(['member.removed']);
    const outsider = await seedUser(platform.database, { email: `outsider-${randomBytes(3).toString('hex')}@x.test` });
    const answer = await request(
      platform.baseUrl,
      'GET',
      `/api/v1/tenants/${tenant.slug}/webhooks/${endpoint.id}/deliveries`,
      { headers: outsider.headers },
    );
    assert.equal(answer.status, 404);
  });
});
