// The worker's per-family settings (WORKER_ACTIVITY_SLOTS, WORKER_FAMILIES, the legacy queue),
// the plan of workers they give (a queue, slots and a pool of slots + 1 per family), and the
// connection budget those pools must fit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../config/env.ts';
import { checkConnectionBudget, ConnectionBudgetError } from '../../worker/connection-budget.ts';
import { readWorkerConfig } from '../../worker/config.ts';
import { planWorkers } from '../../worker/registry.ts';
import { WORKFLOW_FAMILIES } from '../../workflows/catalogue.ts';

const BASE = { DATABASE_URL: 'postgres://atrium@127.0.0.1:5432/atrium' };

function problemsOf(env: Record<string, string>): string[] {
  try {
    readWorkerConfig({ ...BASE, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('worker task queues', () => {
  it('runs every family on <prefix>-<family> with its default slots, and a pool of slots + 1', async () => {
    const config = readWorkerConfig(BASE);
    assert.equal(config.temporal.taskQueuePrefix, 'atrium');
    assert.deepEqual(config.families, [...WORKFLOW_FAMILIES]);
    const plans = await planWorkers({ ...config.temporal, ...config, legacy: null });
    assert.deepEqual(
      plans.map(({ taskQueue, activitySlots, poolSize }) => [taskQueue, activitySlots, poolSize]),
      [
        ['atrium-tenant-provisioning', 20, 21],
        ['atrium-tenant-suspension', 5, 6],
        ['atrium-tenant-offboarding', 5, 6],
        ['atrium-webhooks', 10, 11],
        ['atrium-billing', 3, 4],
        ['atrium-connectors', 5, 6],
        ['atrium-secret-rotation', 5, 6],
        ['atrium-environments', 5, 6],
        ['atrium-promotions', 5, 6],
        ['atrium-metering', 2, 3],
      ],
    );
  });

  it('takes slots per family and a subset of families; the legacy queue gets every family', async () => {
    const config = readWorkerConfig({
      ...BASE,
      TEMPORAL_TASK_QUEUE: 'acme',
      WORKER_ACTIVITY_SLOTS: 'tenant-offboarding=2, tenant-suspension=9',
      WORKER_FAMILIES: 'tenant-suspension,tenant-offboarding',
    });
    const plans = await planWorkers({
      taskQueuePrefix: config.temporal.taskQueuePrefix,
      families: config.families,
      activitySlots: config.activitySlots,
      legacy: { taskQueue: config.legacyQueue.taskQueue, activitySlots: 3 },
    });
    assert.deepEqual(
      plans.map(({ name, taskQueue, activitySlots, families }) => [name, taskQueue, activitySlots, families.length]),
      [
        ['tenant-suspension', 'acme-tenant-suspension', 9, 1],
        ['tenant-offboarding', 'acme-tenant-offboarding', 2, 1],
        ['legacy', 'atrium-control-plane', 3, WORKFLOW_FAMILIES.length],
      ],
    );
  });

  it('refuses unknown families, bad slot counts and the replaced setting, naming each', () => {
    assert.match(problemsOf({ WORKER_ACTIVITY_SLOTS: 'widgets=3' }).join('\n'), /WORKER_ACTIVITY_SLOTS: "widgets=3"/);
    assert.match(problemsOf({ WORKER_ACTIVITY_SLOTS: 'tenant-suspension=0' }).join('\n'), /<family>=<1\.\.200>/);
    assert.match(
      problemsOf({ WORKER_FAMILIES: 'tenant-suspension,nope' }).join('\n'),
      /WORKER_FAMILIES: unknown family nope/,
    );
    assert.match(problemsOf({ WORKER_LEGACY_QUEUE: 'sometimes' }).join('\n'), /WORKER_LEGACY_QUEUE/);
    assert.match(
      problemsOf({ WORKER_MAX_CONCURRENT_ACTIVITIES: '50' }).join('\n'),
      /WORKER_MAX_CONCURRENT_ACTIVITIES: replaced by WORKER_ACTIVITY_SLOTS/,
    );
    assert.match(problemsOf({ TEMPORAL_TASK_QUEUE: 'has spaces' }).join('\n'), /TEMPORAL_TASK_QUEUE/);
  });

  it('refuses pools that do not fit max_connections, naming every pool and the limit', () => {
    const pools = [
      { name: 'tenant-provisioning', connections: 81 },
      { name: 'tenant-suspension', connections: 6 },
      { name: 'one API process', connections: 10 },
    ];
    assert.doesNotThrow(() => checkConnectionBudget(pools, { maxConnections: 100, reserved: 3 }));
    assert.throws(
      () => checkConnectionBudget(pools, { maxConnections: 100, reserved: 4 }),
      (error: unknown) =>
        error instanceof ConnectionBudgetError &&
        /need 97 connections \(tenant-provisioning 81, tenant-suspension 6, one API process 10\)/.test(error.message) &&
        /allows 96 \(max_connections 100 less 4 reserved\)/.test(error.message) &&
        /WORKER_ACTIVITY_SLOTS/.test(error.message),
    );
  });
});
