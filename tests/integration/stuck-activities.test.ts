// The operators' stuck-activities view (GET/POST /api/v1/admin/stuck-activities…) against a
// real worker and the real Temporal dev server: suspensions whose workload step cannot reach
// the cluster retry without end (tests/support/stuck-activities.ts). They are listed with their
// tenant, operation and last failure once retrying longer than the threshold (and not under a
// threshold longer than that); every route refuses anonymous callers (401), users without an
// operator role (403) and operator-read's actions (403 problem, nothing done, nothing audited);
// operator-write's retry runs the activity again at once with its attempts from 1, cancel puts a
// cancellation request in the workflow's history, terminate (reason required: 422) ends it, each
// audited with actor, workflow, activity and reason; acting on an ended workflow is a 409.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { optionalTsToMs } from '@temporalio/common/lib/time.js';
import { StuckActivityList } from '../../contracts/stuck-activities.ts';
import { request } from '../support/api-client.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import type { StuckSuspension } from '../support/stuck-activities.ts';
import {
  grantOperatorRole,
  STUCK_ACTIVITY_TYPE,
  startStuckSuspension,
  unreachableClusterEnv,
  waitForAttempt,
} from '../support/stuck-activities.ts';
import { waitFor } from '../support/wait-for.ts';

const BASE = '/api/v1/admin/stuck-activities';

describe('stuck activities', () => {
  let platform: Platform;
  let reader: TestUser;
  let writer: TestUser;
  let nobody: TestUser;
  /** Retried, then terminated. */
  let first: StuckSuspension;
  /** Cancelled. */
  let second: StuckSuspension;

  before(async () => {
    platform = await startPlatform({ workerEnv: await unreachableClusterEnv() });
    reader = await seedUser(platform.database, { email: 'reader@stuck.test' });
    writer = await seedUser(platform.database, { email: 'writer@stuck.test' });
    nobody = await seedUser(platform.database, { email: 'nobody@stuck.test', platformAdmin: true });
    await grantOperatorRole(platform, reader.userId, 'read');
    await grantOperatorRole(platform, writer.userId, 'write');
    await grantOperatorRole(platform, nobody.userId, null);
    first = await startStuckSuspension(platform, 'stuck-one');
    second = await startStuckSuspension(platform, 'stuck-two');
    // Attempt 4 waits after the third failure: retrying for 3 s at least (1 s, then 2 s apart).
    await Promise.all([waitForAttempt(platform, first.workflowId, 4), waitForAttempt(platform, second.workflowId, 4)]);
  });
  after(async () => {
    for (const { workflowId } of [first, second].filter(Boolean)) {
      const handle = platform.temporal.workflow.getHandle(workflowId);
      if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('the test ended');
    }
    await platform?.stop();
  });

  const call = (method: string, path: string, headers: Record<string, string>, json?: unknown) =>
    request(platform.baseUrl, method, path, { headers, ...(json === undefined ? {} : { json }) });
  const list = async (headers: Record<string, string>, olderThan = '2s') => {
    const answer = await call('GET', `${BASE}?olderThan=${olderThan}`, headers);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return StuckActivityList.parse(answer.body);
  };
  const auditRows = () =>
    platform.database.query<{ action: string; actor_id: string; target_id: string; after: Record<string, unknown> }>(
      `SELECT action, actor_id, target_id, after FROM audit_log WHERE action LIKE 'stuck_activity.%' ORDER BY id`,
    );

  it('lists each stuck activity with its tenant, operation, attempts and last failure', async () => {
    const answer = await list(reader.headers);
    const mine = answer.items.filter((item) => [first.workflowId, second.workflowId].includes(item.workflowId));
    assert.equal(mine.length, 2, JSON.stringify(answer));
    const item = mine.find((candidate) => candidate.workflowId === first.workflowId)!;
    assert.equal(item.tenantId, first.tenantId);
    assert.equal(item.tenantSlug, first.slug);
    assert.equal(item.operationKind, 'tenant-suspend');
    assert.equal(item.operationId, first.workflowId);
    assert.equal(item.workflowType, 'suspendTenant');
    assert.equal(item.activityType, STUCK_ACTIVITY_TYPE);
    assert.ok(item.attempt >= 4, `attempt ${item.attempt}`);
    assert.equal(item.maximumAttempts, null, 'the workload step retries without a maximum');
    assert.match(item.lastFailure ?? '', /Cannot reach the Kubernetes API server/);
    assert.ok(item.retryingSince && Date.parse(item.retryingSince) < Date.now() - 2_000, item.retryingSince ?? 'null');
    assert.equal(answer.thresholdMs, 2_000);
    assert.equal(answer.truncated, false);

    const longer = await list(writer.headers, '1h');
    assert.equal(
      longer.items.filter((candidate) => candidate.workflowId === first.workflowId).length,
      0,
      'not retrying for an hour yet',
    );
    const byDefault = await call('GET', BASE, reader.headers);
    assert.equal(byDefault.body.thresholdMs, 5 * 60_000, 'STUCK_ACTIVITY_THRESHOLD: 5m by default');
  });

  it('refuses a threshold that is not a duration, naming the field', async () => {
    for (const olderThan of ['soon', '0s', '31d', '-5m']) {
      const answer = await call('GET', `${BASE}?olderThan=${olderThan}`, reader.headers);
      assert.equal(answer.status, 422, `${olderThan}: ${JSON.stringify(answer.body)}`);
      assert.match(answer.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal(answer.body.errors[0].path, 'olderThan');
    }
  });

  it('refuses anonymous callers, users without an operator role, and operator-read’s actions', async () => {
    const routes: Array<[string, string, unknown?]> = [
      ['GET', BASE],
      ['POST', `${BASE}/${encodeURIComponent(first.workflowId)}/retry`, { activityId: '1' }],
      ['POST', `${BASE}/${encodeURIComponent(first.workflowId)}/cancel`, {}],
      ['POST', `${BASE}/${encodeURIComponent(first.workflowId)}/terminate`, { reason: 'matrix check' }],
    ];
    // Every stuck-activities route of the OpenAPI document is in this table.
    const spec = await call('GET', '/api/v1/openapi.json', {});
    const documented = Object.entries(spec.body.paths as Record<string, Record<string, unknown>>)
      .filter(([path]) => path.startsWith(BASE))
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    assert.deepEqual(
      routes
        .map(([method, path]) => `${method} ${path.replace(encodeURIComponent(first.workflowId), '{workflowId}')}`)
        .sort(),
      documented,
    );
    const before = await auditRows();
    for (const [method, path, body] of routes) {
      assert.equal((await call(method, path, {}, body)).status, 401, `anonymous ${method} ${path}`);
      const refused = await call(method, path, nobody.headers, body);
      assert.equal(refused.status, 403, `a platform admin without an operator role ${method} ${path}`);
      assert.match(refused.body.detail, /operator-read or operator-write/);
      if (method === 'POST') {
        const readOnly = await call(method, path, reader.headers, body);
        assert.equal(readOnly.status, 403, `operator-read ${method} ${path}`);
        assert.match(readOnly.headers.get('content-type') ?? '', /application\/problem\+json/);
        assert.match(readOnly.body.detail, /operator-write/);
      }
    }
    assert.deepEqual(await auditRows(), before, 'refusals act on nothing and audit nothing');
    const description = await platform.temporal.workflow.getHandle(first.workflowId).describe();
    assert.equal(description.status.name, 'RUNNING');
  });

  it('retries the activity now, its attempts counted from 1, audited', async () => {
    // Far enough into the backoff that its next attempt is several seconds away.
    const waiting = await waitFor('the next attempt to be 4s or more away', async () => {
      const pending = await waitForAttempt(platform, first.workflowId, 4);
      const next = optionalTsToMs(pending.nextAttemptScheduleTime) ?? 0;
      return next - Date.now() >= 4_000 ? { attempt: pending.attempt ?? 0, next } : false;
    });
    const item = (await list(writer.headers)).items.find((candidate) => candidate.workflowId === first.workflowId)!;
    const retriedAt = Date.now();
    const retried = await call('POST', `${BASE}/${encodeURIComponent(first.workflowId)}/retry`, writer.headers, {
      activityId: item.activityId,
      reason: 'the cluster is back',
    });
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal(retried.body.action, 'retry');

    const again = await waitFor(
      'a new attempt before the one that was scheduled',
      async () => {
        const description = await platform.temporal.workflow.getHandle(first.workflowId).describe();
        const pending = description.raw.pendingActivities?.find((a) => a.activityId === item.activityId);
        // Running now, or failed again since (a waiting activity keeps no start time); the
        // server and this test read the same clock.
        const last = Math.max(
          optionalTsToMs(pending?.lastStartedTime) ?? 0,
          optionalTsToMs(pending?.lastAttemptCompleteTime) ?? 0,
        );
        return pending && (pending.attempt ?? 0) < waiting.attempt && last >= retriedAt ? pending : false;
      },
      waiting.next - Date.now() - 500,
    );
    assert.ok((again.attempt ?? 0) < waiting.attempt, `attempts from 1 again: ${again.attempt} < ${waiting.attempt}`);

    const [audit] = (await auditRows()).filter((row) => row.action === 'stuck_activity.retry');
    assert.ok(audit, 'the retry is audited');
    assert.equal(audit.actor_id, writer.userId);
    assert.equal(audit.target_id, first.workflowId);
    assert.equal(audit.after.activityId, item.activityId);
    assert.equal(audit.after.activityType, STUCK_ACTIVITY_TYPE);
    assert.equal(audit.after.reason, 'the cluster is back');
    assert.equal(audit.after.tenantId, first.tenantId);

    const gone = await call('POST', `${BASE}/${encodeURIComponent(first.workflowId)}/retry`, writer.headers, {
      activityId: 'no-such',
    });
    assert.equal(gone.status, 409, JSON.stringify(gone.body));
    assert.match(gone.body.detail, /not pending/);
  });

  it('asks a workflow to cancel, audited', async () => {
    const cancelled = await call('POST', `${BASE}/${encodeURIComponent(second.workflowId)}/cancel`, writer.headers, {
      reason: 'the tenant pays after all',
    });
    assert.equal(cancelled.status, 202, JSON.stringify(cancelled.body));
    const history = await platform.temporal.workflow.getHandle(second.workflowId).fetchHistory();
    assert.ok(
      history.events?.some((event) => event.workflowExecutionCancelRequestedEventAttributes),
      'the cancellation request is in the history',
    );
    const [audit] = (await auditRows()).filter((row) => row.action === 'stuck_activity.cancel');
    assert.ok(audit, 'the cancellation is audited');
    assert.equal(audit.actor_id, writer.userId);
    assert.equal(audit.target_id, second.workflowId);
    assert.equal(audit.after.reason, 'the tenant pays after all');
  });

  it('terminates only with a reason, audited; an ended workflow is a 409, not an error', async () => {
    for (const body of [{}, { reason: '' }, { reason: '   ' }]) {
      const refused = await call(
        'POST',
        `${BASE}/${encodeURIComponent(first.workflowId)}/terminate`,
        writer.headers,
        body,
      );
      assert.equal(refused.status, 422, JSON.stringify(refused.body));
      assert.equal(refused.body.errors[0].path, 'reason');
    }
    assert.equal((await platform.temporal.workflow.getHandle(first.workflowId).describe()).status.name, 'RUNNING');

    const terminated = await call('POST', `${BASE}/${encodeURIComponent(first.workflowId)}/terminate`, writer.headers, {
      reason: 'cluster decommissioned',
    });
    assert.equal(terminated.status, 200, JSON.stringify(terminated.body));
    const description = await platform.temporal.workflow.getHandle(first.workflowId).describe();
    assert.equal(description.status.name, 'TERMINATED');
    const history = await platform.temporal.workflow.getHandle(first.workflowId).fetchHistory();
    const ended = history.events?.find((event) => event.workflowExecutionTerminatedEventAttributes);
    assert.match(ended?.workflowExecutionTerminatedEventAttributes?.reason ?? '', /cluster decommissioned/);

    const terminations = (await auditRows()).filter((row) => row.action === 'stuck_activity.terminate');
    assert.equal(terminations.length, 1, 'the refused attempts audited nothing');
    assert.equal(terminations[0]!.actor_id, writer.userId);
    assert.equal(terminations[0]!.after.reason, 'cluster decommissioned');

    const listed = await list(reader.headers);
    assert.ok(!listed.items.some((item) => item.workflowId === first.workflowId), 'no longer listed');
    for (const [action, body] of [
      ['terminate', { reason: 'again' }],
      ['cancel', {}],
      ['retry', { activityId: '1' }],
    ] as const) {
      const answer = await call(
        'POST',
        `${BASE}/${encodeURIComponent(first.workflowId)}/${action}`,
        writer.headers,
        body,
      );
      assert.equal(answer.status, 409, `${action}: ${JSON.stringify(answer.body)}`);
      assert.match(answer.body.detail, /is not running \(terminated/);
    }
    const unknown = await call('POST', `${BASE}/no-such-workflow/terminate`, writer.headers, { reason: 'x' });
    assert.equal(unknown.status, 404);
    assert.equal((await auditRows()).filter((row) => row.action === 'stuck_activity.terminate').length, 1);
  });
});
