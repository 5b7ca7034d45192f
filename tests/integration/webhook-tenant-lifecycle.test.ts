// Webhook delivery across a tenant's suspension and offboarding, through the whole platform:
// loopback receivers verifying with `standardwebhooks`, the real suspend, reactivate and
// offboard operations started by a platform admin.
//
// - Suspended: the suspension's own notice (`tenant.suspended`) goes out; every other event
//   waits in its endpoint's queue, in order. Reactivation wakes the sequencers and the held
//   events arrive in commit order, before `tenant.reactivated`. The longest retry interval
//   (the sequencers' own re-check) is set to ten minutes here, so only reactivation's wake-up
//   can deliver them within the test.
// - Offboarded: `tenant.offboarded` reaches the healthy endpoint; the offboarding waits for a
//   failing one up to WEBHOOK_FINAL_DELIVERY_WAIT (4s), then deletes every endpoint and its
//   signing secret, the report saying per endpoint what became of the final event.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import type { EventType } from '../../contracts/events.ts';
import { WebhookEndpointWithSecret } from '../../contracts/webhooks.ts';
import { createDataSource } from '../../db/data-source.ts';
import { emitEvent } from '../../db/repositories/event-outbox.ts';
import { withTenantScope } from '../../db/scope.ts';
import { getDeliveryStateQuery, webhookEndpointWorkflowId } from '../../workflows/webhooks/contract.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { recordHistory } from '../support/histories.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import type { ReceivedRequest, WebhookReceiver } from '../support/webhook-receiver.ts';
import { startWebhookReceiver, webhookIdOf } from '../support/webhook-receiver.ts';
import { waitFor } from '../support/wait-for.ts';

const FINAL_DELIVERY_WAIT_MS = 4_000;

interface Tenant {
  id: string;
  slug: string;
}

describe('webhook delivery across suspension and offboarding', () => {
  let platform: Platform;
  let app: DataSource;
  let owner: TestUser;
  const receivers: WebhookReceiver[] = [];

  before(async () => {
    platform = await startPlatform({
      env: {
        OUTBOUND_ALLOW_LOOPBACK: 'true',
        WEBHOOK_ALLOW_INSECURE_URLS: 'true',
        WEBHOOK_DISPATCH_INTERVAL: '100ms',
        WEBHOOK_RETRY_INITIAL_INTERVAL: '200ms',
        WEBHOOK_RETRY_MAX_INTERVAL: '10m',
        WEBHOOK_SEQUENCER_IDLE_TIMEOUT: '3s',
        WEBHOOK_REQUEST_TIMEOUT: '2s',
        WEBHOOK_FINAL_DELIVERY_WAIT: `${FINAL_DELIVERY_WAIT_MS}ms`,
      },
    });
    owner = await seedUser(platform.database, { email: 'owner@lifecycle.test' });
    app = createDataSource({ url: platform.database.url, applicationName: 'atrium-test-lifecycle', poolSize: 2 });
    await app.initialize();
  });
  after(async () => {
    await app?.destroy();
    await platform?.stop();
    await Promise.all(receivers.map((receiver) => receiver.stop()));
  });

  const asAdmin = (method: string, path: string, json?: unknown) =>
    request(platform.baseUrl, method, path, {
      headers: platform.admin.headers,
      ...(json === undefined ? {} : { json }),
    });

  async function createTenant(prefix: string): Promise<Tenant> {
    const slug = uniqueSlug(prefix);
    const created = await asAdmin('POST', '/api/v1/tenants', {
      slug,
      name: `Lifecycle ${prefix}`,
      ownerEmail: `invited@${slug}.test`,
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await waitForOperation(platform, created.body.operation.id);
    await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      created.body.tenant.id,
      owner.userId,
    ]);
    return { id: created.body.tenant.id, slug };
  }

  async function endpointWithReceiver(tenant: Tenant, eventTypes: EventType[]) {
    const receiver = await startWebhookReceiver();
    receivers.push(receiver);
    const created = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${tenant.slug}/webhooks`, {
      headers: owner.headers,
      json: { url: receiver.url, eventTypes },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { endpoint, secret } = WebhookEndpointWithSecret.parse(created.body);
    receiver.secrets = [secret];
    return { receiver, endpoint };
  }

  async function emit(tenant: Tenant): Promise<string> {
    const emitted = await withTenantScope(app, tenant.id, (db) =>
      emitEvent(db, tenant.id, 'member.removed', { userId: owner.userId, role: 'viewer' }),
    );
    return emitted.eventId;
  }

  /** The id of the tenant's latest event of this type. */
  async function eventOf(tenant: Tenant, type: EventType): Promise<string> {
    const [row] = await platform.database.query<{ event_id: string }>(
      `SELECT event_id FROM event_outbox WHERE tenant_id = $1 AND type = $2 ORDER BY id DESC LIMIT 1`,
      [tenant.id, type],
    );
    assert.ok(row, `the tenant emitted ${type}`);
    return row.event_id;
  }

  const delivered = (receiver: WebhookReceiver) => receiver.requests.filter((r) => r.status === 200).map(webhookIdOf);
  const typeOf = (r: ReceivedRequest) => (JSON.parse(r.body) as { type: string }).type;

  it("holds a suspended tenant's events in order and delivers them after its reactivation", async () => {
    const tenant = await createTenant('hold');
    const { receiver, endpoint } = await endpointWithReceiver(tenant, [
      'member.removed',
      'tenant.suspended',
      'tenant.reactivated',
    ]);
    const first = await emit(tenant);
    await waitFor('the event before the suspension', () => delivered(receiver).includes(first) || undefined);

    const suspend = await asAdmin('POST', `/api/v1/tenants/${tenant.slug}/suspend`, { reason: 'Unpaid invoices' });
    assert.equal(suspend.status, 202, JSON.stringify(suspend.body));
    assert.equal((await waitForOperation(platform, suspend.body.operation.id)).status, 'completed');
    // The suspension's own notice goes out at once: the tenant's systems learn why the rest waits.
    const suspended = await eventOf(tenant, 'tenant.suspended');
    await waitFor('tenant.suspended delivered', () => delivered(receiver).includes(suspended) || undefined);

    const held = [await emit(tenant), await emit(tenant)];
    const handle = platform.temporal.workflow.getHandle(webhookEndpointWorkflowId(tenant.slug, endpoint.id));
    const state = await waitFor('the sequencer holding the queue', async () => {
      const current = await handle.query(getDeliveryStateQuery).catch(() => undefined);
      return current?.status === 'tenant-suspended' && current.queued === 2 ? current : undefined;
    });
    assert.deepEqual(state.current, { eventId: held[0], attempt: 1 });
    await sleep(1_000);
    assert.ok(!receiver.requests.some((r) => held.includes(webhookIdOf(r))), 'nothing held was sent');
    const log = await platform.database.query(
      `SELECT 1 FROM webhook_deliveries WHERE endpoint_id = $1 AND event_id = ANY($2)`,
      [endpoint.id, held],
    );
    assert.equal(log.length, 0, 'holding is no attempt');

    const reactivate = await asAdmin('POST', `/api/v1/tenants/${tenant.slug}/reactivate`, {});
    assert.equal(reactivate.status, 202, JSON.stringify(reactivate.body));
    const operation = await waitForOperation(platform, reactivate.body.operation.id);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    assert.deepEqual(
      operation.steps.map((s: { name: string; status: string }) => [s.name, s.status]),
      [
        ['workloads', 'skipped'],
        ['unblock', 'completed'],
        ['webhooks', 'completed'],
        ['schedules', 'skipped'],
      ],
    );
    await recordHistory(platform.temporal, reactivate.body.operation.id, 'reactivate-tenant-completed');
    const reactivated = await eventOf(tenant, 'tenant.reactivated');
    // Well within the ten-minute re-check: reactivation woke the sequencer.
    await waitFor(
      'the held events and tenant.reactivated',
      () => delivered(receiver).includes(reactivated) || undefined,
      20_000,
    );

    const committed = await platform.database.query<{ event_id: string }>(
      `SELECT event_id FROM event_outbox WHERE event_id = ANY($1) ORDER BY id`,
      [[first, suspended, ...held, reactivated]],
    );
    assert.deepEqual(delivered(receiver), [first, suspended, ...held, reactivated]);
    assert.deepEqual(
      delivered(receiver),
      committed.map((row) => row.event_id),
      'in commit order',
    );
    assert.deepEqual(receiver.requests.map(webhookIdOf), delivered(receiver), 'each once, no failed attempt');
    assert.ok(receiver.requests.every((r) => r.verifiedWith === 0));

    const result = await handle.result();
    assert.equal(result.end, 'idle');
    await recordHistory(
      platform.temporal,
      webhookEndpointWorkflowId(tenant.slug, endpoint.id),
      'deliver-webhook-events-tenant-suspended',
    );
  });

  it('offboarding delivers tenant.offboarded, waits a bounded time for a failing endpoint, then deletes every endpoint and its secret', async () => {
    const tenant = await createTenant('final');
    const healthy = await endpointWithReceiver(tenant, ['tenant.offboarding_started', 'tenant.offboarded']);
    const failing = await endpointWithReceiver(tenant, ['tenant.offboarded']);
    failing.receiver.always(503);
    const unsubscribed = await endpointWithReceiver(tenant, ['member.removed']);
    const paths = await platform.database.query<{ path: string }>(
      `SELECT DISTINCT path FROM local_secrets WHERE path LIKE $1 ORDER BY path`,
      [`tenants/${tenant.slug}/webhooks/%`],
    );
    assert.equal(paths.length, 3);

    const started = await asAdmin('POST', `/api/v1/tenants/${tenant.slug}/offboard`, {
      reason: 'Contract ended',
      gracePeriod: '1s',
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const operation = await waitForOperation(platform, started.body.operation.id);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    await recordHistory(platform.temporal, started.body.operation.id, 'offboard-tenant-completed');
    const step = operation.steps.find((s: { name: string }) => s.name === 'webhooks');
    assert.equal(step.status, 'completed');
    const waited = Date.parse(step.completedAt) - Date.parse(step.startedAt);
    assert.ok(waited >= FINAL_DELIVERY_WAIT_MS, `it waited for the failing endpoint (${waited} ms)`);

    // The healthy endpoint got both events, in order, signed with its secret (which was kept for it).
    const offboarded = await eventOf(tenant, 'tenant.offboarded');
    assert.deepEqual(healthy.receiver.requests.map(typeOf), ['tenant.offboarding_started', 'tenant.offboarded']);
    assert.equal(webhookIdOf(healthy.receiver.requests[1]!), offboarded);
    assert.ok(healthy.receiver.requests.every((r) => r.status === 200 && r.verifiedWith === 0));
    // The failing one was tried, each attempt signed, until the wait ran out.
    assert.ok(failing.receiver.requests.length >= 1);
    assert.ok(failing.receiver.requests.every((r) => webhookIdOf(r) === offboarded && r.verifiedWith === 0));
    assert.equal(unsubscribed.receiver.requests.length, 0);

    // Then every endpoint and every signing secret is gone.
    const left = await platform.database.query(`SELECT 1 FROM webhook_endpoints WHERE tenant_id = $1`, [tenant.id]);
    assert.equal(left.length, 0, 'no endpoint');
    const secrets = await platform.database.query(`SELECT 1 FROM local_secrets WHERE path LIKE $1`, [
      `tenants/${tenant.slug}/%`,
    ]);
    assert.equal(secrets.length, 0, 'no secret of the tenant');
    const deletions = await platform.database.query<{ target_id: string; actor_type: string }>(
      `SELECT target_id, actor_type FROM audit_log WHERE tenant_id = $1 AND action = 'webhook_endpoint.deleted'`,
      [tenant.id],
    );
    assert.deepEqual(
      deletions.map((row) => [row.target_id, row.actor_type]).sort(),
      [healthy, failing, unsubscribed].map(({ endpoint }) => [endpoint.id, 'user']).sort(),
      'each deletion audited, by the admin who offboarded',
    );

    // The report: what became of the final event at each endpoint, and the evidence.
    const report = await asAdmin('GET', `/api/v1/tenants/${tenant.slug}/offboard/report`);
    assert.equal(report.status, 200, JSON.stringify(report.body));
    const evidence = report.body.steps.webhooks;
    assert.equal(evidence.eventId, offboarded);
    const outcome = (id: string) => evidence.endpoints.find((e: { id: string }) => e.id === id)?.finalDelivery;
    assert.equal(outcome(healthy.endpoint.id), 'delivered');
    assert.match(outcome(failing.endpoint.id), /^not delivered within the wait: attempt \d+ got HTTP status 503$/);
    assert.equal(outcome(unsubscribed.endpoint.id), 'not subscribed to tenant.offboarded');
    assert.deepEqual(
      evidence.secrets.map((s: { path: string }) => s.path),
      paths.map((row) => row.path),
    );
    assert.deepEqual(evidence.listedUnderPrefix, []);
    assert.deepEqual(
      report.body.steps.secrets.keptForFinalDelivery,
      paths.map((row) => row.path),
    );
    const kinds = report.body.resources.map((r: { kind: string }) => r.kind);
    assert.equal(kinds.filter((kind: string) => kind === 'webhook_endpoint').length, 3);

    // The sequencers end (woken, they find their endpoint gone).
    for (const { endpoint } of [healthy, failing]) {
      const handle = platform.temporal.workflow.getHandle(webhookEndpointWorkflowId(tenant.slug, endpoint.id));
      const result = await handle.result();
      assert.ok(['idle', 'endpoint-closed'].includes(result.end), JSON.stringify(result));
    }
  });
});
