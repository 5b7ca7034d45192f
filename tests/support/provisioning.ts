// Helpers for tests that interfere with a provisioning in flight (kills, shutdowns).
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { operationPath, request } from './api-client.ts';
import type { Platform } from './platform.ts';

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
      `SELECT 1 FROM pg_stat_activity WHERE application_name = 'atrium-worker' AND wait_event_type = 'Lock'`,
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
