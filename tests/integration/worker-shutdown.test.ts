// SIGTERM to the worker: an activity that finishes within the grace time completes on
// its first attempt and the worker exits cleanly; one that cannot finish is cancelled,
// the worker still exits, and another worker completes the step.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';
import { activityAttempts, holdInTransaction, startProvisioning, waitForStepBlocked } from '../support/provisioning.ts';

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
    const id = await startProvisioning(platform, slug);
    await waitForStepBlocked(platform, id, 'database');

    const worker = platform.worker;
    worker.terminate();
    await sleep(1_000);
    assert.equal(worker.process.exitCode, null, 'the worker waits for its activity');
    await blocker.release();
    assert.equal(await worker.exited, 0);

    await platform.startWorker();
    const operation = await waitForOperation(platform, id);
    assert.equal(operation.status, 'completed');
    assert.deepEqual(
      await activityAttempts(platform, id, 'createTenantDatabase'),
      [1],
      'finished on its first attempt',
    );
  });

  it('cancels an activity that outlives the grace time; another worker completes it', async () => {
    const slug = uniqueSlug('cutoff');
    const blocker = await holdSchema(slug);
    const id = await startProvisioning(platform, slug);
    await waitForStepBlocked(platform, id, 'database');

    const worker = platform.worker;
    const stoppedAt = Date.now();
    worker.terminate();
    assert.equal(await worker.exited, 0);
    const shutdownMs = Date.now() - stoppedAt;
    assert.ok(shutdownMs >= GRACE_MS - 500, `waited the grace time (${shutdownMs} ms)`);
    assert.ok(shutdownMs < GRACE_MS + 15_000, `then stopped (${shutdownMs} ms)`);

    await platform.startWorker();
    await blocker.release();
    const operation = await waitForOperation(platform, id);
    assert.equal(operation.status, 'completed');
    const tried = await activityAttempts(platform, id, 'createTenantDatabase');
    assert.ok((tried.at(-1) ?? 0) >= 2, `retried after the cancellation: ${JSON.stringify(tried)}`);
    const tenants = await platform.database.query(`SELECT status FROM tenants WHERE slug = $1`, [slug]);
    assert.deepEqual(tenants, [{ status: 'active' }]);
  });

  /** An uncommitted CREATE SCHEMA of the tenant's schema name makes the step wait. */
  function holdSchema(slug: string) {
    return holdInTransaction(platform, `CREATE SCHEMA tenant_${slug.replaceAll('-', '_')}`);
  }
});
