// Replays and test sends through the whole platform, to real receivers on loopback that verify
// every request with the `standardwebhooks` library (tests/support/webhook-receiver.ts):
// - a delivered event replayed reaches the receiver again with the same webhook-id, signed
//   afresh, as a workflow of its own (readable ID, TenantId/OperationKind), logged as a replay;
// - a time-range replay sends exactly the events of the range the endpoint subscribes to, in
//   the order they committed, and the sequencer keeps delivering new events meanwhile;
// - a replay that keeps failing stops (the endpoint is not paused) and says where;
// - "Send test event" answers with the attempt at once, logs it, and never changes the endpoint;
// - bad input is a 422 naming the field, a disabled endpoint a 409, another tenant's a 404.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowFailedError } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { EventType } from '../../contracts/events.ts';
import {
  WebhookDeliveryPage,
  WebhookEndpoint,
  WebhookEndpointWithSecret,
  WebhookReplayStarted,
  WebhookTestResult,
} from '../../contracts/webhooks.ts';
import { createDataSource } from '../../db/data-source.ts';
import { emitEvent } from '../../db/repositories/event-outbox.ts';
import { withTenantScope } from '../../db/scope.ts';
import { OperationKindSearchAttribute, TenantIdSearchAttribute } from '../../workflows/shared/operation.contract.ts';
import { webhookReplayWorkflowId } from '../../workflows/webhooks/contract.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { recordHistory } from '../support/histories.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import type { WebhookReceiver } from '../support/webhook-receiver.ts';
import { startWebhookReceiver, webhookIdOf } from '../support/webhook-receiver.ts';
import { waitFor } from '../support/wait-for.ts';

// Short retries; a replay gives an event up after PAUSE_AFTER (so does the sequencer, which
// these tests never let fail).
const PAUSE_AFTER_MS = 3_000;

describe('webhook replays and test sends', () => {
  let platform: Platform;
  let app: DataSource;
  let owner: TestUser;
  let outsider: TestUser;
  const tenant = { id: '', slug: '' };
  const receivers: WebhookReceiver[] = [];

  before(async () => {
    platform = await startPlatform({
      env: {
        OUTBOUND_ALLOW_LOOPBACK: 'true',
        WEBHOOK_ALLOW_INSECURE_URLS: 'true',
        WEBHOOK_DISPATCH_INTERVAL: '100ms',
        WEBHOOK_RETRY_INITIAL_INTERVAL: '200ms',
        WEBHOOK_RETRY_MAX_INTERVAL: '500ms',
        WEBHOOK_PAUSE_AFTER: `${PAUSE_AFTER_MS}ms`,
        WEBHOOK_SEQUENCER_IDLE_TIMEOUT: '3s',
        WEBHOOK_REQUEST_TIMEOUT: '2s',
      },
    });
    const tenantIds: string[] = [];
    for (const prefix of ['replay', 'replay-other']) {
      const slug = uniqueSlug(prefix);
      const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
        headers: platform.admin.headers,
        json: { slug, name: prefix, ownerEmail: `owner@${slug}.test` },
      });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      await waitForOperation(platform, created.body.operation.id);
      tenantIds.push(created.body.tenant.id);
      if (prefix === 'replay') Object.assign(tenant, { id: created.body.tenant.id, slug });
    }
    owner = await seedUser(platform.database, { email: 'owner@replay.test' });
    outsider = await seedUser(platform.database, { email: 'outsider@replay.test' });
    await platform.database.query(
      `INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner'), ($3, $4, 'owner')`,
      [tenant.id, owner.userId, tenantIds[1], outsider.userId],
    );
    app = createDataSource({ url: platform.database.url, applicationName: 'atrium-test-replay', poolSize: 4 });
    await app.initialize();
  });
  after(async () => {
    await app?.destroy();
    await platform?.stop();
    await Promise.all(receivers.map((receiver) => receiver.stop()));
  });

  const hooks = () => `/api/v1/tenants/${tenant.slug}/webhooks`;
  const as = (who: TestUser, method: string, path: string, json?: unknown, headers: Record<string, string> = {}) =>
    request(platform.baseUrl, method, path, {
      headers: { ...who.headers, ...headers },
      ...(json === undefined ? {} : { json }),
    });

  async function endpointWithReceiver(eventTypes: EventType[]) {
    const receiver = await startWebhookReceiver();
    receivers.push(receiver);
    const created = await as(owner, 'POST', hooks(), { url: receiver.url, eventTypes });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { endpoint, secret } = WebhookEndpointWithSecret.parse(created.body);
    receiver.secrets = [secret];
    return { receiver, endpoint };
  }

  /** Emits an event in its own committed transaction, as every flow does; its id and time. */
  async function emit(type: 'member.removed' | 'member.role_changed' = 'member.removed') {
    const { eventId } = await withTenantScope(app, tenant.id, (db) =>
      type === 'member.removed'
        ? emitEvent(db, tenant.id, type, { userId: owner.userId, role: 'viewer' })
        : emitEvent(db, tenant.id, type, { userId: owner.userId, from: 'viewer', to: 'admin' }),
    );
    const [row] = await platform.database.query<{ occurred_at: Date }>(
      `SELECT occurred_at FROM event_outbox WHERE event_id = $1`,
      [eventId],
    );
    return { eventId, at: row!.occurred_at };
  }

  const delivered = (receiver: WebhookReceiver) => receiver.requests.filter((r) => r.status === 200).map(webhookIdOf);

  async function deliveryLog(endpointId: string, query = '') {
    const answer = await as(owner, 'GET', `${hooks()}/${endpointId}/deliveries${query}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return WebhookDeliveryPage.parse(answer.body);
  }

  async function replay(endpointId: string, body: unknown) {
    const answer = await as(owner, 'POST', `${hooks()}/${endpointId}/replays`, body);
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    return WebhookReplayStarted.parse(answer.body);
  }

  it('replays one delivered event: the receiver gets it again with the same webhook-id, signed afresh', async () => {
    const { receiver, endpoint } = await endpointWithReceiver(['member.removed']);
    const { eventId } = await emit();
    await waitFor('the first delivery', () => delivered(receiver).includes(eventId) || undefined);
    const first = receiver.requests[0]!;
    // A second apart at least, so the fresh signature's timestamp differs.
    await sleep(1_100);

    const started = await replay(endpoint.id, { eventId });
    assert.deepEqual(
      { ...started.replay, id: undefined },
      { id: undefined, endpointId: endpoint.id, eventId, from: null, to: null, events: 1 },
    );
    const workflowId = webhookReplayWorkflowId(tenant.slug, endpoint.id, started.replay.id);
    assert.equal(started.operation.id, workflowId);
    assert.equal(started.operation.kind, 'webhook-replay');

    await waitFor('the replayed request', () => receiver.requests.length >= 2 || undefined);
    const again = receiver.requests[1]!;
    assert.equal(webhookIdOf(again), eventId, 'the same webhook-id');
    assert.equal(again.verifiedWith, 0, 'standardwebhooks verifies the replay');
    assert.equal(again.body, first.body, 'the same body');
    assert.ok(Number(again.headers['webhook-timestamp']) > Number(first.headers['webhook-timestamp']), 'signed afresh');

    // The operator's view: its own workflow, found by tenant and kind.
    const handle = platform.temporal.workflow.getHandle(workflowId);
    const result = await handle.result();
    assert.equal(result.end, 'completed');
    assert.deepEqual([result.delivered, result.notSent], [1, 0]);
    const description = await handle.describe();
    assert.equal(description.type, 'replayWebhookEvents');
    assert.equal(description.typedSearchAttributes.get(TenantIdSearchAttribute), tenant.id);
    assert.equal(description.typedSearchAttributes.get(OperationKindSearchAttribute), 'webhook-replay');
    await recordHistory(platform.temporal, workflowId, 'replay-webhook-events-completed');
    const operation = await as(owner, 'GET', started.operation.links.self);
    assert.equal(operation.status, 200);
    assert.equal(operation.body.status, 'completed');

    // The log tells the replay from the delivery; the sequencer's record is untouched.
    const log = await deliveryLog(endpoint.id);
    assert.deepEqual(
      log.items.map((a) => [a.kind, a.replayId, a.attempt, a.outcome, a.eventId]),
      [
        ['replay', started.replay.id, 1, 'delivered', eventId],
        ['delivery', null, 1, 'delivered', eventId],
      ],
    );
    const replays = await deliveryLog(endpoint.id, '?kind=replay');
    assert.equal(replays.items.length, 1);
    const [audit] = await platform.database.query<{ actor_id: string; after: Record<string, unknown> }>(
      `SELECT actor_id, after FROM audit_log WHERE target_id = $1 AND action = 'webhook_endpoint.replay_requested'`,
      [endpoint.id],
    );
    assert.equal(audit?.actor_id, owner.userId);
    assert.deepEqual(audit?.after, {
      replayId: started.replay.id,
      eventId,
      from: null,
      to: null,
      events: 1,
      operation: workflowId,
    });
  });

  it('replays a time range: exactly the events in it the endpoint subscribes to, in order', async () => {
    const { receiver, endpoint } = await endpointWithReceiver(['member.removed']);
    const emitted = [];
    for (const type of [
      'member.removed',
      'member.removed',
      'member.role_changed',
      'member.removed',
      'member.removed',
    ] as const) {
      emitted.push({ type, ...(await emit(type)) });
      await sleep(20);
    }
    const subscribed = emitted.filter((e) => e.type === 'member.removed').map((e) => e.eventId);
    await waitFor('every delivery', () => delivered(receiver).length >= subscribed.length || undefined);
    assert.deepEqual(delivered(receiver), subscribed);
    const before = receiver.requests.length;

    // [second event, last event): the second and fourth member.removed, not the role change.
    const from = emitted[1]!.at.toISOString();
    const to = emitted[4]!.at.toISOString();
    const started = await replay(endpoint.id, { from, to });
    assert.equal(started.replay.events, 2);
    assert.equal(started.replay.from, from);
    assert.equal(started.replay.to, to);
    // New events keep flowing to the endpoint while the replay runs (its own order).
    const fresh = await emit();
    await platform.temporal.workflow.getHandle(started.operation.id).result();
    await waitFor('the fresh event', () => delivered(receiver).includes(fresh.eventId) || undefined);

    const replayed = receiver.requests
      .slice(before)
      .filter((r) => webhookIdOf(r) !== fresh.eventId)
      .map(webhookIdOf);
    assert.deepEqual(replayed, [emitted[1]!.eventId, emitted[3]!.eventId], 'exactly the range, in order');
    assert.ok(receiver.requests.every((r) => r.verifiedWith === 0));
    const log = await deliveryLog(endpoint.id, '?kind=replay');
    assert.deepEqual(log.items.map((a) => a.eventId).reverse(), [emitted[1]!.eventId, emitted[3]!.eventId]);
    assert.ok(log.items.every((a) => a.replayId === started.replay.id));
  });

  it('stops a replay whose event keeps failing, without pausing the endpoint', async () => {
    const { receiver, endpoint } = await endpointWithReceiver(['member.removed']);
    const { eventId } = await emit();
    await waitFor('the first delivery', () => delivered(receiver).includes(eventId) || undefined);
    // The receiver has the event a moment before the attempt is recorded, and only a recorded
    // event can be replayed ("this endpoint was never sent that event").
    await waitFor('the first delivery in the log', async () =>
      (await deliveryLog(endpoint.id)).items.some((a) => a.eventId === eventId) ? true : undefined,
    );
    receiver.always(503);
    const started = await replay(endpoint.id, { eventId });
    const failure = await platform.temporal.workflow
      .getHandle(started.operation.id)
      .result()
      .then(
        () => assert.fail('the replay should have stopped'),
        (error: unknown) => error,
      );
    assert.ok(failure instanceof WorkflowFailedError, String(failure));
    assert.match(String(failure.cause?.message), new RegExp(`stopped at event ${eventId}, which kept failing`));
    await recordHistory(platform.temporal, started.operation.id, 'replay-webhook-events-stopped');
    const operation = await as(owner, 'GET', started.operation.links.self);
    assert.equal(operation.body.status, 'failed');
    assert.match(operation.body.error, /kept failing/);
    assert.ok(receiver.requests.length >= 3, 'it was retried');

    const view = WebhookEndpoint.parse((await as(owner, 'GET', `${hooks()}/${endpoint.id}`)).body);
    assert.equal(view.status, 'enabled', "a replay's failures never pause the endpoint");
    // The endpoint's own delivery goes on.
    receiver.always(null);
    const next = await emit();
    await waitFor('the next delivery', () => delivered(receiver).includes(next.eventId) || undefined);
  });

  it('sends a test event on request and answers with the attempt; a failing one changes nothing', async () => {
    const { receiver, endpoint } = await endpointWithReceiver(['member.removed']);
    receiver.answerBody = 'received, thanks';
    const sent = await as(owner, 'POST', `${hooks()}/${endpoint.id}/test`, {});
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    const result = WebhookTestResult.parse(sent.body);
    assert.deepEqual(
      [result.attempt.kind, result.attempt.outcome, result.attempt.statusCode, result.attempt.responseExcerpt],
      ['test', 'delivered', 200, 'received, thanks'],
    );
    assert.equal(result.attempt.eventId, result.eventId);
    const [request1] = receiver.requests;
    assert.equal(webhookIdOf(request1!), result.eventId);
    assert.equal(request1!.verifiedWith, 0);
    const body = JSON.parse(request1!.body);
    assert.equal(body.type, 'webhook.test');
    assert.equal(body.data.endpointId, endpoint.id);

    // A test event goes to this endpoint only: the dispatcher never hands it to subscribers.
    const [outbox] = await platform.database.query<{ dispatched: boolean }>(
      `SELECT dispatched_at IS NOT NULL AS dispatched FROM event_outbox WHERE event_id = $1`,
      [result.eventId],
    );
    assert.equal(outbox?.dispatched, true);
    const log = await deliveryLog(endpoint.id, '?kind=test');
    assert.deepEqual(
      log.items.map((a) => a.eventId),
      [result.eventId],
    );

    // 410 Gone on a test: reported, and the endpoint stays enabled.
    receiver.always(410);
    const gone = WebhookTestResult.parse((await as(owner, 'POST', `${hooks()}/${endpoint.id}/test`, {})).body);
    assert.deepEqual([gone.attempt.outcome, gone.attempt.statusCode], ['gone', 410]);
    const view = WebhookEndpoint.parse((await as(owner, 'GET', `${hooks()}/${endpoint.id}`)).body);
    assert.equal(view.status, 'enabled');

    // A test event can be replayed like any other.
    receiver.always(null);
    const started = await replay(endpoint.id, { eventId: result.eventId });
    await platform.temporal.workflow.getHandle(started.operation.id).result();
    assert.equal(webhookIdOf(receiver.requests.at(-1)!), result.eventId);
    const audit = await platform.database.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE target_id = $1 AND action LIKE 'webhook_endpoint.%' ORDER BY id`,
      [endpoint.id],
    );
    assert.deepEqual(
      audit.map((a) => a.action),
      [
        'webhook_endpoint.created',
        'webhook_endpoint.test_sent',
        'webhook_endpoint.test_sent',
        'webhook_endpoint.replay_requested',
      ],
    );
  });

  it('refuses bad input with a 422 naming the field, a disabled endpoint with a 409', async () => {
    const { receiver, endpoint } = await endpointWithReceiver(['member.removed']);
    const { eventId } = await emit();
    await waitFor('the delivery', () => delivered(receiver).includes(eventId) || undefined);
    const replays = `${hooks()}/${endpoint.id}/replays`;
    const hour = 3_600_000;
    const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
    const cases: Array<[string, unknown, string[]]> = [
      ['nothing', {}, ['from', 'to']],
      ['both', { eventId, from: ago(hour), to: ago(0) }, ['eventId']],
      ['not a uuid', { eventId: 'evt_1' }, ['eventId']],
      ['not a date-time', { from: 'yesterday', to: ago(0) }, ['from']],
      ['to before from', { from: ago(hour), to: ago(2 * hour) }, ['to']],
      ['too wide', { from: ago(40 * 24 * hour), to: ago(0) }, ['to']],
      [
        'in the future',
        { from: new Date(Date.now() + hour).toISOString(), to: new Date(Date.now() + 2 * hour).toISOString() },
        ['from'],
      ],
      ['an unknown field', { eventId, force: true }, ['force']],
      ['an event never sent here', { eventId: '00000000-0000-4000-8000-000000000000' }, ['eventId']],
      ['an empty range', { from: ago(30 * 24 * hour), to: ago(29 * 24 * hour) }, ['from']],
    ];
    for (const [label, body, paths] of cases) {
      const answer = await as(owner, 'POST', replays, body);
      assert.equal(answer.status, 422, `${label}: ${JSON.stringify(answer.body)}`);
      assert.match(answer.headers.get('content-type') ?? '', /application\/problem\+json/, label);
      assert.deepEqual(
        answer.body.errors.map((e: { path: string }) => e.path),
        paths,
        `${label}: ${JSON.stringify(answer.body.errors)}`,
      );
    }

    // More events in the range than one replay sends (written handed over: nobody receives them).
    const crowded = await emit();
    await platform.database.query(
      `INSERT INTO event_outbox (tenant_id, type, version, payload, occurred_at, dispatched_at)
       SELECT $1, 'member.removed', 1, '{}', $2::timestamptz + n * interval '1 microsecond', now()
       FROM generate_series(1, 1001) AS n`,
      [tenant.id, crowded.at],
    );
    const tooMany = await as(owner, 'POST', replays, { from: crowded.at.toISOString(), to: ago(0) });
    assert.equal(tooMany.status, 422, JSON.stringify(tooMany.body));
    assert.equal(tooMany.body.errors[0].path, 'to');
    assert.match(tooMany.body.errors[0].message, /More than 1000 events/);

    // A webhook.test subscription is refused: only the button sends it.
    const subscribe = await as(owner, 'POST', hooks(), { url: receiver.url, eventTypes: ['webhook.test'] });
    assert.equal(subscribe.status, 422);
    assert.equal(subscribe.body.errors[0].path, 'eventTypes.0');

    // A disabled endpoint gets no replay (enable it first); nothing was started.
    assert.equal((await as(owner, 'PATCH', `${hooks()}/${endpoint.id}`, { enabled: false })).status, 200);
    const disabled = await as(owner, 'POST', replays, { eventId });
    assert.equal(disabled.status, 409, JSON.stringify(disabled.body));
    const [refused] = await platform.database.query<{ count: string }>(
      `SELECT count(*) FROM audit_log WHERE target_id = $1 AND action = 'webhook_endpoint.replay_requested'`,
      [endpoint.id],
    );
    assert.equal(refused?.count, '0', 'no refused request is recorded as a replay');
  });

  it("answers 404 for another tenant's endpoint, and starts nothing", async () => {
    const { endpoint } = await endpointWithReceiver(['member.removed']);
    const { eventId } = await emit();
    const answers = [
      await as(outsider, 'POST', `${hooks()}/${endpoint.id}/replays`, { eventId }),
      await as(outsider, 'POST', `${hooks()}/${endpoint.id}/test`, {}),
    ];
    assert.deepEqual(
      answers.map((a) => a.status),
      [404, 404],
    );
    // The outsider's own tenant, with this tenant's endpoint id: no such endpoint there.
    const [theirs] = await platform.database.query<{ slug: string }>(
      `SELECT t.slug FROM tenants t JOIN memberships m ON m.tenant_id = t.id WHERE m.user_id = $1`,
      [outsider.userId],
    );
    const own = await as(outsider, 'POST', `/api/v1/tenants/${theirs!.slug}/webhooks/${endpoint.id}/replays`, {
      eventId,
    });
    assert.equal(own.status, 404, JSON.stringify(own.body));
    const ownTest = await as(outsider, 'POST', `/api/v1/tenants/${theirs!.slug}/webhooks/${endpoint.id}/test`, {});
    assert.equal(ownTest.status, 404, JSON.stringify(ownTest.body));
  });
});
