// SIGTERM to the worker: an activity that finishes within the grace time completes on
// its first attempt and the worker exits cleanly; one that cannot finish is cancelled,
// the worker still exits, and another worker completes the step.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { operationPath, request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';

const GRACE_MS = 5_000; // WORKER_SHUTDOWN_GRACE_TIME in tests/support/platform.ts

describe('worker graceful shutdown', () => {
  let platform: Platform;
  before(async () => {
    platform = await startPlatform();
  });
  after(async () => {
    await platform?.stop();
  });

  it('lets an in-flight activity finish, then exits 0', async () => {
    const slug = uniqueSlug('drain');
    const blocker = await holdSchema(slug);
    const id = await startProvisioning(slug);
    await waitForStepBlocked(id, 'schema');

    const worker = platform.worker;
    worker.terminate();
    await sleep(1_000);
    assert.equal(worker.process.exitCode, null, 'the worker waits for its activity');
    await blocker.release();
    assert.equal(await worker.exited, 0);

    await platform.startWorker();
    const operation = await waitForOperation(platform.baseUrl, id);
    assert.equal(operation.status, 'completed');
    assert.deepEqual(await attempts(id, 'createTenantSchema'), [1], 'finished on its first attempt');
  });

  it('cancels an activity that outlives the grace time; another worker completes it', async () => {
    const slug = uniqueSlug('cutoff');
    const blocker = await holdSchema(slug);
    const id = await startProvisioning(slug);
    await waitForStepBlocked(id, 'schema');

    const worker = platform.worker;
    const stoppedAt = Date.now();
    worker.terminate();
    assert.equal(await worker.exited, 0);
    const shutdownMs = Date.now() - stoppedAt;
    assert.ok(shutdownMs >= GRACE_MS - 500, `waited the grace time (${shutdownMs} ms)`);
    assert.ok(shutdownMs < GRACE_MS + 15_000, `then stopped (${shutdownMs} ms)`);

    await platform.startWorker();
    await blocker.release();
    const operation = await waitForOperation(platform.baseUrl, id);
    assert.equal(operation.status, 'completed');
    const tried = await attempts(id, 'createTenantSchema');
    assert.ok((tried.at(-1) ?? 0) >= 2, `retried after the cancellation: ${JSON.stringify(tried)}`);
    const tenants = await platform.database.query(`SELECT status FROM tenants WHERE slug = $1`, [slug]);
    assert.deepEqual(tenants, [{ status: 'active' }]);
  });

  /** An uncommitted CREATE SCHEMA of the tenant's schema name makes the step wait. */
  async function holdSchema(slug: string): Promise<{ release(): Promise<void> }> {
    const client = new pg.Client({ connectionString: platform.database.ownerUrl });
    await client.connect();
    await client.query('BEGIN');
    await client.query(`CREATE SCHEMA tenant_${slug.replaceAll('-', '_')}`);
    return {
      async release() {
        await client.query('ROLLBACK');
        await client.end();
      },
    };
  }

  async function startProvisioning(slug: string): Promise<string> {
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      json: { slug, name: 'Shutdown Test', ownerEmail: 'owner@shutdown.test' },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    return created.body.operation.id as string;
  }

  async function waitForStepBlocked(id: string, step: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { body } = await request(platform.baseUrl, 'GET', operationPath(id));
      const running = body.steps?.find((s: any) => s.name === step)?.status === 'running';
      const waiting = await platform.database.query(
        `SELECT 1 FROM pg_stat_activity WHERE application_name = 'atrium-worker' AND wait_event_type = 'Lock'`,
      );
      if (running && waiting.length > 0) return;
      if (Date.now() > deadline) throw new Error(`step ${step} never blocked: ${JSON.stringify(body)}`);
      await sleep(100);
    }
  }

  /** The attempt numbers with which the activity was started, in order. */
  async function attempts(workflowId: string, activityType: string): Promise<number[]> {
    const history = await platform.temporal.workflow.getHandle(workflowId).fetchHistory();
    const scheduled = history.events?.find(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType,
    );
    return (history.events ?? [])
      .filter(
        (e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === scheduled?.eventId?.toString(),
      )
      .map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0);
  }
});
