// One task queue per workflow family, each with its own activity slots and database pool:
// a family whose every slot is stuck does not hold up another family's work; and workflows
// started on the pre-family queue (atrium-control-plane) still finish, on a worker that
// polls that queue only while they are open.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { tenantLockKey } from '../../activities/shared/tenant-lock.ts';
import type { provisionTenant } from '../../workflows/tenant-provisioning/provision-tenant.ts';
import { OperationKindSearchAttribute, TenantIdSearchAttribute } from '../../workflows/shared/operation.contract.ts';
import { operationPath, request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform } from '../support/platform.ts';
import { testEnv } from '../support/env.ts';
import { ENTRY_POINTS, startNodeProcess } from '../support/processes.ts';
import { startPlatform } from '../support/platform.ts';

describe('a task queue per workflow family', () => {
  let platform: Platform;

  before(async () => {
    platform = await startPlatform({
      workerEnv: { WORKER_ACTIVITY_SLOTS: 'tenant-suspension=1', WORKER_LEGACY_QUEUE_CHECK_INTERVAL: '1s' },
    });
  });
  after(async () => {
    await platform?.stop();
  });

  async function createTenant(slug: string): Promise<{ tenantId: string; operationId: string }> {
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: `Queue ${slug}`, ownerEmail: `owner@${slug}.test` },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    return { tenantId: created.body.tenant.id, operationId: created.body.operation.id };
  }

  it('provisions a tenant while every activity slot of the suspension queue is stuck', async () => {
    const stuckSlug = uniqueSlug('stuck');
    const stuck = await createTenant(stuckSlug);
    assert.equal((await waitForOperation(platform, stuck.operationId)).status, 'completed');

    // Hold the stuck tenant's lock: its suspension's first activity takes the suspension
    // family's only slot (and a connection of its pool) and waits there.
    const holder = new pg.Client({
      connectionString: platform.database.ownerUrl,
      application_name: 'atrium-test-lock',
    });
    await holder.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock(hashtextextended($1, 0))`, [tenantLockKey(stuck.tenantId)]);
      const suspended = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${stuckSlug}/suspend`, {
        headers: platform.admin.headers,
        json: { reason: 'Queue isolation test' },
      });
      assert.equal(suspended.status, 202, JSON.stringify(suspended.body));
      const suspension = suspended.body.operation.id as string;
      await waitFor('the suspension to wait on the tenant lock', async () => {
        const waiting = await platform.database.query(
          `SELECT 1 FROM pg_stat_activity
            WHERE application_name = 'atrium-worker-tenant-suspension' AND wait_event = 'advisory'`,
        );
        return waiting.length > 0;
      });

      const other = await createTenant(uniqueSlug('free'));
      const provisioned = await waitForOperation(platform, other.operationId, 60_000);
      assert.equal(provisioned.status, 'completed', JSON.stringify(provisioned));

      // The suspension is still stuck in its first step: it held the slot all along.
      const { body } = await request(platform.baseUrl, 'GET', operationPath(suspension), {
        headers: platform.admin.headers,
      });
      assert.equal(body.status, 'running');
      assert.equal(body.steps.find((s: any) => s.name === 'block').status, 'running');

      await holder.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [tenantLockKey(stuck.tenantId)]);
      assert.equal((await waitForOperation(platform, suspension)).status, 'completed');
    } finally {
      await holder.end();
    }
  });

  it('refuses to start a worker whose pools do not fit max_connections, naming the numbers', async () => {
    await assert.rejects(
      startNodeProcess(ENTRY_POINTS.worker, {
        env: {
          DATABASE_URL: platform.database.url,
          TEMPORAL_ADDRESS: testEnv.ATRIUM_TEST_TEMPORAL_ADDRESS,
          TEMPORAL_TASK_QUEUE: platform.taskQueue,
          TEMPORAL_LEGACY_TASK_QUEUE: platform.legacyTaskQueue,
          WORKER_ACTIVITY_SLOTS: 'tenant-provisioning=150',
        },
        readyWhen: /"Worker started"/,
      }),
      /The database pools need 215 connections \(tenant-provisioning 151, tenant-suspension 6, tenant-offboarding 6, webhooks 11, billing 4, connectors 6, secret-rotation 6, environments 6, promotions 6, metering 3, one API process 10\), but PostgreSQL allows \d+/,
    );
  });

  it('finishes a workflow started on the legacy queue, then stops polling it', async () => {
    const slug = uniqueSlug('legacy');
    const tenantId = randomUUID();
    const workflowId = `tenant-provision/${slug}`;
    // As the API started workflows before there was a queue per family.
    await platform.temporal.workflow.start('provisionTenant', {
      workflowId,
      taskQueue: platform.legacyTaskQueue,
      args: [
        {
          tenantId,
          slug,
          name: 'Legacy Ltd',
          plan: 'free',
          ownerEmail: `owner@${slug}.test`,
          timings: { heartbeatTimeoutMs: 3_000, startToCloseTimeoutMs: 60_000 },
        },
      ] satisfies Parameters<typeof provisionTenant>,
      typedSearchAttributes: [
        { key: TenantIdSearchAttribute, value: tenantId },
        { key: OperationKindSearchAttribute, value: 'tenant-provision' },
      ],
    });
    // The running worker found nothing there when it started; a worker starting now does.
    await waitFor('the legacy workflow to be visible', async () => {
      const { count } = await platform.temporal.workflow.count(
        `TaskQueue = "${platform.legacyTaskQueue}" AND ExecutionStatus = "Running"`,
      );
      return count > 0;
    });
    const worker = await platform.startWorker();
    assert.match(worker.output(), /Polling the legacy task queue/);

    assert.equal((await waitForOperation(platform, workflowId)).status, 'completed');
    const [tenant] = await platform.database.query(`SELECT status FROM tenants WHERE id = $1`, [tenantId]);
    assert.equal(tenant?.status, 'active');
    // Its activities ran on the legacy queue too, where the workflow put them.
    const history = await platform.temporal.workflow.getHandle(workflowId).fetchHistory();
    const queues = new Set(
      (history.events ?? [])
        .map((event) => event.activityTaskScheduledEventAttributes?.taskQueue?.name)
        .filter((name): name is string => Boolean(name)),
    );
    assert.deepEqual([...queues], [platform.legacyTaskQueue]);

    await waitFor('the worker to stop polling the drained legacy queue', () =>
      Promise.resolve(/Legacy task queue drained/.test(worker.output())),
    );
  });
});

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
