// The webhooks family's delivery and replay attempts (and a pause, as delivery sees it),
// called directly as the runtime role (row-level security on) on the embedded
// adapters, against real receivers on loopback that verify with `standardwebhooks`. The
// activities get the real outbound client with loopback allowed (the harness's refuses it),
// as the platform runs with OUTBOUND_ALLOW_LOOPBACK in the tests.
//
// Each activity runs twice with the same input (a retry after a worker died): a delivered
// event is not sent again; an attempt that failed is sent again with the same `webhook-id`
// and replaces its own log row, never a second one. Another tenant with endpoints, events and
// a delivery log of its own (and the harness's bystander) stays exactly as it was, and input
// naming another tenant's endpoint or event finds nothing to send.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { pausedReason } from '../../activities/webhooks/endpoint-health.ts';
import webhooks from '../../activities/webhooks/index.ts';
import type { EmittedEvent } from '../../db/repositories/event-outbox.ts';
import { emitEvent } from '../../db/repositories/event-outbox.ts';
import { insertWebhookEndpoint } from '../../db/repositories/webhook-endpoints.ts';
import { withTenantScope } from '../../db/scope.ts';
import type { OutboundClient } from '../../integrations/outbound/fetch.ts';
import { createOutboundClient } from '../../integrations/outbound/fetch.ts';
import { createOutboundGuard } from '../../integrations/outbound/guard.ts';
import type { ActivityHarness, TenantState, TestTenant } from '../support/activity-harness.ts';
import { actionsOf, differences, startActivityHarness } from '../support/activity-harness.ts';
import type { WebhookReceiver } from '../support/webhook-receiver.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';

describe('webhooks activities', () => {
  let h: ActivityHarness;
  let loopback: OutboundClient;
  let a: ReturnType<typeof webhooks.createActivities>;
  let t: TestTenant;
  /** Another tenant with an endpoint, an event, a delivery and a replay in its log: nothing may touch it. */
  const other = { tenant: undefined as unknown as TestTenant, endpointId: '', eventId: '', requests: 0 };
  let otherReceiver: WebhookReceiver;
  let otherBaseline: TenantState;
  const receivers: WebhookReceiver[] = [];
  const requestTimeoutMs = 5_000;

  before(async () => {
    h = await startActivityHarness({ slugPrefix: 'act-hook' });
    loopback = createOutboundClient(createOutboundGuard({ allowLoopback: true }));
    a = webhooks.createActivities({ ...h.deps, outbound: loopback.fetch });
    t = h.newTenant();
    await h.provision(t);

    other.tenant = h.newTenant();
    await h.provision(other.tenant);
    otherReceiver = await receiver();
    other.endpointId = await endpoint(other.tenant, otherReceiver);
    other.eventId = (await emit(other.tenant)).eventId;
    await h.run(a, 'attemptWebhookDelivery', delivery(other.tenant, other.endpointId, other.eventId, 1));
    await h.run(a, 'attemptWebhookReplay', {
      ...delivery(other.tenant, other.endpointId, other.eventId, 1),
      replayId: randomUUID(),
    });
    other.requests = otherReceiver.requests.length;
    assert.equal(other.requests, 2, 'the other tenant was delivered and replayed to');
    otherBaseline = await h.state(other.tenant);
  });
  after(async () => {
    await loopback?.close();
    await Promise.all(receivers.map((r) => r.stop()));
    await h?.stop();
  });

  async function receiver(): Promise<WebhookReceiver> {
    const started = await startWebhookReceiver();
    receivers.push(started);
    return started;
  }

  /** An endpoint as the API creates one (its secret in the store first), subscribed to member.removed. */
  async function endpoint(tenant: TestTenant, to: WebhookReceiver): Promise<string> {
    const id = randomUUID();
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const path = `tenants/${tenant.slug}/webhooks/${id}`;
    const { version } = await h.deps.secretStore.write(path, { secret }, { cas: 0 });
    await withTenantScope(h.dataSource, tenant.tenantId, (db) =>
      insertWebhookEndpoint(db, {
        id,
        tenant_id: tenant.tenantId,
        url: to.url,
        description: 'activity test receiver',
        event_types: ['member.removed'],
        secret_path: path,
        secret_version: version,
        created_by: h.admin.id,
      }),
    );
    to.secrets = [secret];
    return id;
  }

  /** An event committed to the tenant's outbox, as every flow emits. */
  function emit(tenant: TestTenant): Promise<EmittedEvent> {
    return withTenantScope(h.dataSource, tenant.tenantId, (db) =>
      emitEvent(db, tenant.tenantId, 'member.removed', { userId: h.admin.id!, role: 'viewer' }),
    );
  }

  function delivery(tenant: TestTenant, endpointId: string, eventId: string, attempt: number) {
    return { tenantId: tenant.tenantId, endpointId, eventId, sequence: '1', attempt, requestTimeoutMs };
  }

  /** A new endpoint of `t` with its receiver, and an event for it. */
  async function fixture() {
    const r = await receiver();
    const endpointId = await endpoint(t, r);
    const event = await emit(t);
    return { r, endpointId, eventId: event.eventId };
  }

  const logOf = (state: TenantState, endpointId: string) =>
    (state.webhook_deliveries as Array<Record<string, any>>)
      .filter((row) => row.endpoint_id === endpointId)
      .sort((x, y) => x.attempt - y.attempt || Number(x.id) - Number(y.id));
  const endpointOf = (state: TenantState, endpointId: string) =>
    (state.webhook_endpoints as Array<Record<string, any>>).find((row) => row.id === endpointId)!;

  /** The other tenant's rows, audit chain and secrets as they were, and its receiver got nothing more. */
  async function assertOtherUntouched() {
    assert.deepEqual(differences(otherBaseline, await h.state(other.tenant)), [], 'the other tenant is untouched');
    assert.equal(otherReceiver.requests.length, other.requests, "nothing more reached the other tenant's receiver");
  }

  /**
   * Runs a failing attempt twice by hand (`twice` wants the second run to change nothing; this
   * one legitimately sends again): the second run replaces the first's log row, touching only
   * its time and duration.
   */
  async function failedAttemptTwice<K extends 'attemptWebhookDelivery' | 'attemptWebhookReplay'>(
    name: K,
    input: Parameters<(typeof a)[K]>[0],
    endpointId: string,
  ) {
    const first = await h.run(a, name, input);
    const once = await h.state(t);
    const second = await h.run(a, name, input);
    const twice = await h.state(t);
    assert.deepEqual(second.result, first.result, 'the second run answers as the first');
    assert.deepEqual(actionsOf(twice), actionsOf(once), 'no audit entry');
    const [row] = logOf(once, endpointId);
    const [replaced] = logOf(twice, endpointId);
    assert.equal(logOf(twice, endpointId).length, 1, 'one log row for the attempt, not two');
    assert.equal(replaced!.id, row!.id, 'the same row, replaced');
    assert.ok(new Date(replaced!.attempted_at) >= new Date(row!.attempted_at));
    const changed = differences(once, twice).filter(
      (path) => !/^webhook_deliveries\[\d+\]\.(attempted_at|duration_ms)$/.test(path),
    );
    assert.deepEqual(changed, [], 'nothing else changed');
    await h.assertBystanderUntouched();
    await assertOtherUntouched();
    return { result: first.result, row: replaced! };
  }

  describe('attemptWebhookDelivery', () => {
    it('delivers once, signed for standardwebhooks; run again it sends nothing', async () => {
      const { r, endpointId, eventId } = await fixture();
      const run = await h.twice(a, 'attemptWebhookDelivery', delivery(t, endpointId, eventId, 1), {
        tenant: t,
        secondResult: { outcome: 'already-delivered', status: null },
      });
      assert.deepEqual(run.result, { outcome: 'delivered', status: 200 });
      assert.deepEqual(run.audit, []);
      assert.deepEqual(
        logOf(run.after, endpointId).map((row) => [
          row.event_id,
          row.event_type,
          row.attempt,
          row.outcome,
          row.status_code,
          row.response_excerpt,
          row.kind,
          row.replay_id,
        ]),
        [[eventId, 'member.removed', 1, 'delivered', 200, 'ok', 'delivery', null]],
      );
      assert.equal(r.requests.length, 1, 'sent once');
      const [received] = r.requests;
      assert.equal(received!.verifiedWith, 0, "verified by the receiver's standardwebhooks");
      assert.equal(received!.headers['webhook-id'], eventId);
      const body = JSON.parse(received!.body);
      assert.deepEqual([body.id, body.type, body.tenantId], [eventId, 'member.removed', t.tenantId]);
      await assertOtherUntouched();
    });

    it('a failed attempt run again sends again with the same webhook-id and replaces its log row', async () => {
      const { r, endpointId, eventId } = await fixture();
      r.failNext(2);
      const { result, row } = await failedAttemptTwice(
        'attemptWebhookDelivery',
        delivery(t, endpointId, eventId, 1),
        endpointId,
      );
      assert.deepEqual(result, { outcome: 'retry', status: 503 });
      assert.deepEqual([row.attempt, row.outcome, row.status_code], [1, 'retry', 503]);
      assert.deepEqual(
        r.requests.map((req) => [req.headers['webhook-id'], req.verifiedWith, req.status]),
        [
          [eventId, 0, 503],
          [eventId, 0, 503],
        ],
      );
      // The workflow's next attempt is a row of its own.
      const next = await h.run(a, 'attemptWebhookDelivery', delivery(t, endpointId, eventId, 2));
      assert.deepEqual(next.result, { outcome: 'delivered', status: 200 });
      assert.deepEqual(
        logOf(await h.state(t), endpointId).map((x) => [x.attempt, x.outcome]),
        [
          [1, 'retry'],
          [2, 'delivered'],
        ],
      );
    });

    it('410 Gone disables the endpoint at once, audited; run again it sends nothing', async () => {
      const { r, endpointId, eventId } = await fixture();
      r.always(410);
      const run = await h.twice(a, 'attemptWebhookDelivery', delivery(t, endpointId, eventId, 1), {
        tenant: t,
        secondResult: { outcome: 'endpoint-closed', status: null },
      });
      assert.deepEqual(run.result, { outcome: 'disabled', status: 410 });
      assert.deepEqual(run.audit, ['webhook_endpoint.disabled']);
      const row = endpointOf(run.after, endpointId);
      assert.equal(row.status, 'disabled');
      assert.match(row.disabled_reason, /410 Gone/);
      assert.deepEqual(
        logOf(run.after, endpointId).map((x) => [x.outcome, x.status_code]),
        [['gone', 410]],
      );
      assert.equal(r.requests.length, 1);
      await assertOtherUntouched();
    });
  });

  describe('pauseWebhookEndpoint', () => {
    // The owners' mail is tested in webhook-endpoint-health.test.ts.
    it('pauses once, audited as the system; delivery to a paused endpoint sends nothing', async () => {
      const { r, endpointId, eventId } = await fixture();
      const input = {
        tenantId: t.tenantId,
        endpointId,
        eventId,
        failingSince: '2026-12-01T10:00:00.000Z',
        attempts: 12,
      };
      const pause = await h.twice(a, 'pauseWebhookEndpoint', input, { tenant: t });
      assert.deepEqual(pause.result, { status: 'paused' });
      assert.deepEqual(pause.audit, ['webhook_endpoint.paused', 'webhook_endpoint.owners_mailed']);
      const row = endpointOf(pause.after, endpointId);
      assert.deepEqual([row.status, row.disabled_reason], ['paused', pausedReason(input)]);
      const [entry] = (pause.after.audit_log as Array<Record<string, any>>).slice(-1);
      assert.equal(entry!.actor_type, 'system');

      const attempt = await h.twice(a, 'attemptWebhookDelivery', delivery(t, endpointId, eventId, 1), { tenant: t });
      assert.deepEqual(attempt.result, { outcome: 'paused', status: null });
      assert.deepEqual(differences(attempt.before, attempt.after), []);
      assert.equal(r.requests.length, 0);
      await assertOtherUntouched();
    });
  });

  describe('attemptWebhookReplay', () => {
    it('sends as a replay with its id; run again it sends nothing; it never counts as the delivery', async () => {
      const { r, endpointId, eventId } = await fixture();
      await h.run(a, 'attemptWebhookDelivery', delivery(t, endpointId, eventId, 1));
      const replayId = randomUUID();
      const run = await h.twice(
        a,
        'attemptWebhookReplay',
        { ...delivery(t, endpointId, eventId, 1), replayId },
        { tenant: t, secondResult: { outcome: 'already-delivered', status: null } },
      );
      assert.deepEqual(run.result, { outcome: 'delivered', status: 200 });
      assert.deepEqual(run.audit, []);
      assert.deepEqual(
        logOf(run.after, endpointId).map((x) => [x.attempt, x.outcome, x.kind, x.replay_id]),
        [
          [1, 'delivered', 'delivery', null],
          [1, 'delivered', 'replay', replayId],
        ],
      );
      // A second replay of the same event is a replay of its own.
      const again = await h.run(a, 'attemptWebhookReplay', {
        ...delivery(t, endpointId, eventId, 1),
        replayId: randomUUID(),
      });
      assert.deepEqual(again.result, { outcome: 'delivered', status: 200 });
      assert.deepEqual(
        r.requests.map((req) => [req.headers['webhook-id'], req.verifiedWith]),
        [
          [eventId, 0],
          [eventId, 0],
          [eventId, 0],
        ],
        'the delivery and two replays, each with the event id',
      );
      // A replayed event the sequencer has not delivered is still its to deliver.
      const fresh = await emit(t);
      await h.run(a, 'attemptWebhookReplay', { ...delivery(t, endpointId, fresh.eventId, 1), replayId: randomUUID() });
      const delivered = await h.run(a, 'attemptWebhookDelivery', delivery(t, endpointId, fresh.eventId, 1));
      assert.deepEqual(delivered.result, { outcome: 'delivered', status: 200 });
      await assertOtherUntouched();
    });

    it('a failed attempt run again replaces its log row', async () => {
      const { r, endpointId, eventId } = await fixture();
      r.failNext(2, 500);
      const replayId = randomUUID();
      const { result, row } = await failedAttemptTwice(
        'attemptWebhookReplay',
        { ...delivery(t, endpointId, eventId, 1), replayId },
        endpointId,
      );
      assert.deepEqual(result, { outcome: 'retry', status: 500 });
      assert.deepEqual([row.kind, row.replay_id, row.outcome], ['replay', replayId, 'retry']);
      assert.equal(r.requests.length, 2);
    });

    it('reaches a paused endpoint; a 410 disables the endpoint, audited', async () => {
      const { r, endpointId, eventId } = await fixture();
      await h.run(a, 'pauseWebhookEndpoint', {
        tenantId: t.tenantId,
        endpointId,
        eventId,
        failingSince: '2026-12-01T10:00:00.000Z',
        attempts: 3,
      });
      const paused = await h.run(a, 'attemptWebhookReplay', {
        ...delivery(t, endpointId, eventId, 1),
        replayId: randomUUID(),
      });
      assert.deepEqual(paused.result, { outcome: 'delivered', status: 200 });

      r.always(410);
      const run = await h.twice(
        a,
        'attemptWebhookReplay',
        { ...delivery(t, endpointId, eventId, 1), replayId: randomUUID() },
        { tenant: t, secondResult: { outcome: 'endpoint-closed', status: null } },
      );
      assert.deepEqual(run.result, { outcome: 'disabled', status: 410 });
      assert.deepEqual(run.audit, ['webhook_endpoint.disabled']);
      assert.equal(endpointOf(run.after, endpointId).status, 'disabled');
      assert.equal(r.requests.length, 2);
      await assertOtherUntouched();
    });
  });

  describe("another tenant's endpoints and events (row-level security)", () => {
    it("naming another tenant's endpoint finds nothing: nothing sent, nothing written", async () => {
      const cross = delivery(t, other.endpointId, other.eventId, 2);
      const attempt = await h.twice(a, 'attemptWebhookDelivery', cross, { tenant: t });
      assert.deepEqual(attempt.result, { outcome: 'endpoint-closed', status: null });
      assert.deepEqual(differences(attempt.before, attempt.after), []);
      const replay = await h.twice(a, 'attemptWebhookReplay', { ...cross, replayId: randomUUID() }, { tenant: t });
      assert.deepEqual(replay.result, { outcome: 'endpoint-closed', status: null });
      const pause = await h.twice(
        a,
        'pauseWebhookEndpoint',
        {
          tenantId: t.tenantId,
          endpointId: other.endpointId,
          eventId: other.eventId,
          failingSince: '2026-12-01T10:00:00.000Z',
          attempts: 1,
        },
        { tenant: t },
      );
      assert.deepEqual(pause.result, { status: 'closed' });
      await assertOtherUntouched();
    });

    it("another tenant's event to this tenant's endpoint: refused, nothing sent", async () => {
      const { r, endpointId } = await fixture();
      const before = await h.state(t);
      const error = await h.failure(a, 'attemptWebhookDelivery', delivery(t, endpointId, other.eventId, 1));
      assert.match(String(error), /is not in tenant .*'s outbox/);
      const replayError = await h.failure(a, 'attemptWebhookReplay', {
        ...delivery(t, endpointId, other.eventId, 1),
        replayId: randomUUID(),
      });
      assert.match(String(replayError), /is not in tenant .*'s outbox/);
      assert.equal(r.requests.length, 0);
      assert.deepEqual(differences(before, await h.state(t)), []);
      await assertOtherUntouched();
    });

    it("the runtime role sees only the scoped tenant's endpoints and log", async () => {
      const seen = await withTenantScope(h.dataSource, t.tenantId, async (db) => ({
        endpoints: await db.query<Array<{ tenant_id: string }>>(`SELECT DISTINCT tenant_id FROM webhook_endpoints`),
        log: await db.query<Array<{ tenant_id: string }>>(`SELECT DISTINCT tenant_id FROM webhook_deliveries`),
      }));
      assert.deepEqual(seen.endpoints, [{ tenant_id: t.tenantId }]);
      assert.deepEqual(seen.log, [{ tenant_id: t.tenantId }]);
    });
  });
});
