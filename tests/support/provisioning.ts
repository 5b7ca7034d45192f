// Helpers for tests that provision tenants: one with an owner to act as, and ones that
// interfere with a provisioning in flight (kills, shutdowns).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { tenantLockKey } from '../../activities/shared/tenant-lock.ts';
import { operationPath, request, uniqueSlug, waitForOperation } from './api-client.ts';
import type { Platform, TestUser } from './platform.ts';
import { seedUser } from './platform.ts';

/** Starts provisioning through the API; returns the operation id. */
export async function startProvisioning(platform: Platform, slug: string): Promise<string> {
  const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
    headers: platform.admin.headers,
    json: { slug, name: 'Interrupted Inc.', ownerEmail: 'owner@interrupted.test' },
  });
  assert.equal(created.status, 202, JSON.stringify(created.body));
  return created.body.operation.id as string;
}

/** Waits until the step is running and a worker session is waiting on a lock. */
export async function waitForStepBlocked(platform: Platform, id: string, step: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { body } = await request(platform.baseUrl, 'GET', operationPath(id), { headers: platform.admin.headers });
    const running = body.steps?.find((s: any) => s.name === step)?.status === 'running';
    const waiting = await platform.database.query(
      `SELECT 1 FROM pg_stat_activity WHERE application_name LIKE 'atrium-worker%' AND wait_event_type = 'Lock'`,
    );
    if (running && waiting.length > 0) return;
    if (Date.now() > deadline) throw new Error(`step ${step} never blocked: ${JSON.stringify(body)}`);
    await sleep(100);
  }
}

/**
 * Holds `statement` in an open transaction (as the owner) until release(), so that a
 * provisioning step touching the same objects has to wait.
 */
export async function holdInTransaction(platform: Platform, statement: string): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({
    connectionString: platform.database.ownerUrl,
    application_name: 'atrium-test-blocker',
  });
  await client.connect();
  await client.query('BEGIN');
  await client.query(statement);
  return {
    async release() {
      await client.query('ROLLBACK').catch(() => {});
      await client.end();
    },
  };
}

/** The attempt numbers with which the activity was started, as the history records them. */
export async function activityAttempts(
  platform: Platform,
  workflowId: string,
  activityType: string,
): Promise<number[]> {
  const history = await platform.temporal.workflow.getHandle(workflowId).fetchHistory();
  const scheduled = history.events?.find(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType,
  );
  assert.ok(scheduled, `${activityType} was scheduled`);
  return (history.events ?? [])
    .filter((e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === scheduled.eventId?.toString())
    .map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0);
}

/** A provisioning started through the API and paused inside one of its steps. */
export interface PausedProvisioning {
  /** The operation (workflow) id. */
  id: string;
  tenantId: string;
  /** The tenant as the API's 202 described it. */
  tenant: { id: string; slug: string; createdAt: string; updatedAt: string };
  /** Lets the step (and every later one) go on. */
  release(): Promise<void>;
}

/**
 * Starts provisioning through the API and returns once `step`'s activity is running and one
 * of its database sessions waits on a lock the test holds, so that killing the worker now
 * kills it inside that step.
 *
 * The `record` step waits on a table lock on `tenants` (taken before the workflow starts,
 * since the tenant id is not known until then). Every later step waits on the per-tenant
 * advisory lock each activity takes (activities/tenant-lock.ts): the test queues for it
 * behind the blocked record step, so it holds it before any later step asks, and then lets
 * one lock-holder through at a time (unlock and re-lock in one round trip; Postgres grants
 * the lock to the waiting activity first) until the waiting activity is `step`'s.
 */
export async function startProvisioningPausedAt(
  platform: Platform,
  slug: string,
  step: string,
): Promise<PausedProvisioning> {
  const tableLock = await holdInTransaction(platform, 'LOCK TABLE tenants IN SHARE MODE');
  const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
    headers: platform.admin.headers,
    json: { slug, name: 'Interrupted Inc.', ownerEmail: `owner@${slug}.test` },
  });
  assert.equal(created.status, 202, JSON.stringify(created.body));
  const id = created.body.operation.id as string;
  const tenantId = created.body.tenant.id as string;
  await waitForStepBlocked(platform, id, 'record');
  const tenant = created.body.tenant as PausedProvisioning['tenant'];
  if (step === 'record') return { id, tenantId, tenant, release: () => tableLock.release() };

  const lockName = `atrium-test-lock-${randomBytes(4).toString('hex')}`;
  const holder = new pg.Client({ connectionString: platform.database.ownerUrl, application_name: lockName });
  await holder.connect();
  // The key is a uuid in a fixed text; inlined so that unlock + lock go in one simple query.
  const key = `hashtextextended('${tenantLockKey(tenantId).replaceAll("'", "''")}', 0)`;
  const locked = holder.query(`SELECT pg_advisory_lock(${key})`);
  await waitUntil(`the test queued for the tenant lock`, async () => {
    const rows = await platform.database.query(
      `SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event = 'advisory'`,
      [lockName],
    );
    return rows.length > 0;
  });
  await tableLock.release();
  await locked;

  for (;;) {
    let running: string | undefined;
    await waitUntil(`a step waiting for the tenant lock (pausing at ${step})`, async () => {
      const waiting = await platform.database.query(
        `SELECT 1 FROM pg_stat_activity WHERE application_name LIKE 'atrium-worker%' AND wait_event = 'advisory'`,
      );
      if (waiting.length === 0) return false;
      const { body } = await request(platform.baseUrl, 'GET', operationPath(id), {
        headers: platform.admin.headers,
      });
      running = body.steps?.find((s: any) => s.status === 'running')?.name;
      return running !== undefined;
    });
    if (running === step) break;
    // The waiting activity gets the lock; our new request waits until its transaction ends,
    // and is queued before the next step asks.
    await holder.query(`SELECT pg_advisory_unlock(${key}); SELECT pg_advisory_lock(${key})`);
  }
  return { id, tenantId, tenant, release: () => holder.end() };
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Provisions a tenant through the API (as the platform admin) and makes a newly seeded person
 * (`member@<slug>.test`) its owner; resolves once provisioning completed.
 */
export async function provisionTenantWithOwner(
  platform: Platform,
  name: string,
  options: { plan?: string } = {},
): Promise<{ id: string; slug: string; owner: TestUser }> {
  const slug = uniqueSlug(name);
  const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
    headers: platform.admin.headers,
    json: { slug, name, ownerEmail: `owner@${slug}.test`, ...(options.plan ? { plan: options.plan } : {}) },
  });
  assert.equal(created.status, 202, JSON.stringify(created.body));
  const operation = await waitForOperation(platform, created.body.operation.id);
  assert.equal(operation.status, 'completed', JSON.stringify(operation));
  const owner = await seedUser(platform.database, { email: `member@${slug}.test` });
  await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
    created.body.tenant.id,
    owner.userId,
  ]);
  return { id: created.body.tenant.id as string, slug, owner };
}
