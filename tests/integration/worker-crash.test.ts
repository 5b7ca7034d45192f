// The worker is SIGKILLed while a provisioning step is in flight (its database session
// stuck on a lock the test holds); a new worker takes over and the tenant still ends
// active with exactly one tenant row and one schema.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { operationPath, request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';

describe('worker killed in the middle of provisioning', () => {
  let platform: Platform;
  before(async () => {
    platform = await startPlatform();
  });
  after(async () => {
    await platform?.stop();
  });

  it('survives a kill during the schema step', async () => {
    const slug = uniqueSlug('crash-schema');
    const schema = `tenant_${slug.replaceAll('-', '_')}`;
    // An uncommitted CREATE SCHEMA of the same name makes the activity's own wait.
    await withBlocker(platform.database.ownerUrl, `CREATE SCHEMA ${schema}`, async () => {
      const id = await startProvisioning(slug);
      await waitForStepBlocked(id, 'schema');
      await platform.worker.kill();
      await platform.startWorker();
    });
    await expectProvisionedOnce(slug, schema);
    await expectRetriedAfterKill(slug, 'createTenantSchema');
  });

  it('survives a kill during the record step', async () => {
    const slug = uniqueSlug('crash-record');
    const schema = `tenant_${slug.replaceAll('-', '_')}`;
    // A table lock makes the INSERT of the tenant row wait.
    await withBlocker(platform.database.ownerUrl, 'LOCK TABLE tenants IN SHARE MODE', async () => {
      const id = await startProvisioning(slug);
      await waitForStepBlocked(id, 'record');
      await platform.worker.kill();
      await platform.startWorker();
    });
    await expectProvisionedOnce(slug, schema);
    await expectRetriedAfterKill(slug, 'createTenantRecord');
  });

  /** The killed attempt timed out on heartbeats and a later attempt completed the step. */
  async function expectRetriedAfterKill(slug: string, activityType: string): Promise<void> {
    const history = await platform.temporal.workflow.getHandle(`tenant-provision/${slug}`).fetchHistory();
    const scheduled = history.events?.find(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType,
    );
    assert.ok(scheduled, `${activityType} was scheduled`);
    const started = history.events?.find(
      (e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === scheduled.eventId?.toString(),
    );
    assert.ok(
      (started?.activityTaskStartedEventAttributes?.attempt ?? 0) >= 2,
      `${activityType} ran again after the kill`,
    );
  }

  async function startProvisioning(slug: string): Promise<string> {
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      json: { slug, name: 'Crash Test', ownerEmail: 'owner@crash.test' },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    return created.body.operation.id as string;
  }

  /** Waits until the step is running and a worker session is waiting on a lock. */
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

  async function expectProvisionedOnce(slug: string, schema: string): Promise<void> {
    const operation = await waitForOperation(platform.baseUrl, `tenant-provision/${slug}`);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    const tenants = await platform.database.query<{ status: string }>(`SELECT status FROM tenants WHERE slug = $1`, [
      slug,
    ]);
    assert.deepEqual(tenants, [{ status: 'active' }]);
    const schemas = await platform.database.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [schema]);
    assert.equal(schemas.length, 1);
    const audited = await platform.database.query<{ action: string; n: number }>(
      `SELECT action, count(*)::int AS n FROM audit_log
       WHERE tenant_id = (SELECT id FROM tenants WHERE slug = $1) GROUP BY action ORDER BY action`,
      [slug],
    );
    assert.deepEqual(
      audited,
      [
        { action: 'tenant.activated', n: 1 },
        { action: 'tenant.created', n: 1 },
        { action: 'tenant.schema_created', n: 1 },
      ],
      'each change audited exactly once despite the kill',
    );
  }
});

/**
 * Runs `statement` in an open transaction, calls `during`, then rolls the transaction
 * back, releasing whatever it held.
 */
async function withBlocker(url: string, statement: string, during: () => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: url, application_name: 'atrium-test-blocker' });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(statement);
    await during();
  } finally {
    await client.query('ROLLBACK').catch(() => {});
    await client.end();
  }
}
