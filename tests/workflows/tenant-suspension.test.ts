// suspendTenant and reactivateTenant with typed activity stand-ins: the steps in order, a
// skipped workload step shown as skipped, and a transient failure retried (a suspension is
// finished, never compensated).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { TenantSuspensionActivities } from '../../activities/tenant-suspension/index.ts';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { reactivateTenantWorkflowId, suspendTenantWorkflowId } from '../../workflows/tenant-suspension/contract.ts';
import type { reactivateTenant, suspendTenant } from '../../workflows/tenant-suspension/index.ts';
import { getProgressQuery } from '../../workflows/shared/operation.contract.ts';
import type { WorkflowHarness } from '../support/workflow-harness.ts';
import { startWorkflowHarness, TEST_TIMINGS } from '../support/workflow-harness.ts';

const NO_CLUSTER = 'no cluster configured (set KUBECONFIG)';
const succeed = {
  blockTenant: async () => {},
  revokeTenantSessions: async () => {},
  scaleDownTenantWorkloads: () => Promise.resolve({ skipped: NO_CLUSTER }),
  restoreTenantWorkloads: () => Promise.resolve({ skipped: `nothing was scaled down (${NO_CLUSTER})` }),
  unblockTenant: async () => {},
  listResumableWebhookEndpoints: () => Promise.resolve({ endpointIds: [] }),
  pauseTenantSchedules: () => Promise.resolve({ paused: [] }),
  resumeTenantSchedules: () => Promise.resolve({ resumed: [] }),
} satisfies Partial<TenantSuspensionActivities>;
const staff: AuditActor = { type: 'user', id: 'staff', requestId: null, ip: null };

describe('suspendTenant and reactivateTenant (activity stand-ins)', () => {
  let harness: WorkflowHarness;
  before(async () => {
    harness = await startWorkflowHarness('tenant-suspension');
  });
  after(async () => {
    await harness?.stop();
  });

  const tenant = () => {
    const slug = `wf-susp-${randomUUID().slice(0, 8)}`;
    return { tenantId: randomUUID(), slug, number: 1, requestedBy: staff, timings: TEST_TIMINGS };
  };

  it('suspends step by step, retrying a transient failure instead of giving up', async () => {
    let attempts = 0;
    const standIns = {
      ...succeed,
      revokeTenantSessions: () =>
        ++attempts === 1 ? Promise.reject(new Error('connection reset by the database')) : Promise.resolve(),
    } satisfies Partial<TenantSuspensionActivities>;
    await harness.withWorker(standIns, async (s) => {
      const input = { ...tenant(), reason: 'unpaid invoices' };
      const handle = await s.start<typeof suspendTenant>(
        'suspendTenant',
        input,
        suspendTenantWorkflowId(input.slug, 1),
      );
      const result = await handle.result();
      assert.deepEqual(s.names(), [
        'blockTenant',
        'revokeTenantSessions',
        'revokeTenantSessions',
        'scaleDownTenantWorkloads',
        'pauseTenantSchedules',
      ]);
      assert.equal(s.calls[0]?.input.reason, 'unpaid invoices');
      assert.equal(result.progress.phase, 'completed');
      assert.deepEqual(
        result.progress.steps.map((step) => [step.name, step.status, step.error]),
        [
          ['block', 'completed', null],
          ['sessions', 'completed', null],
          ['workloads', 'skipped', NO_CLUSTER],
          ['schedules', 'skipped', 'the tenant has no running schedules'],
        ],
      );
      assert.deepEqual(await handle.query(getProgressQuery), result.progress);
    });
  });

  it('reactivates: restores (skipped: nothing was scaled down), reopens, then wakes the webhook sequencers', async () => {
    // Endpoints whose sequencers are not running: waking them is a no-op, never a failure.
    const standIns = {
      ...succeed,
      listResumableWebhookEndpoints: () => Promise.resolve({ endpointIds: [randomUUID(), randomUUID()] }),
    } satisfies Partial<TenantSuspensionActivities>;
    await harness.withWorker(standIns, async (s) => {
      const input = tenant();
      const handle = await s.start<typeof reactivateTenant>(
        'reactivateTenant',
        input,
        reactivateTenantWorkflowId(input.slug, 1),
      );
      const result = await handle.result();
      assert.deepEqual(s.names(), [
        'restoreTenantWorkloads',
        'unblockTenant',
        'listResumableWebhookEndpoints',
        'resumeTenantSchedules',
      ]);
      assert.deepEqual(
        result.progress.steps.map((step) => [step.name, step.status]),
        [
          ['workloads', 'skipped'],
          ['unblock', 'completed'],
          ['webhooks', 'completed'],
          ['schedules', 'skipped'],
        ],
      );
    });
  });

  it('pauses the running Schedules and resumes exactly those on reactivation', async () => {
    const paused = ['connector-sync/acme/c1/s1', 'secret-rotation/acme/k1'];
    const standIns = {
      ...succeed,
      pauseTenantSchedules: () => Promise.resolve({ paused }),
      resumeTenantSchedules: () => Promise.resolve({ resumed: paused }),
    } satisfies Partial<TenantSuspensionActivities>;
    await harness.withWorker(standIns, async (s) => {
      const input = tenant();
      const suspended = await (
        await s.start<typeof suspendTenant>(
          'suspendTenant',
          { ...input, reason: 'audit' },
          suspendTenantWorkflowId(input.slug, 1),
        )
      ).result();
      assert.equal(suspended.progress.steps.find((step) => step.name === 'schedules')?.status, 'completed');
      assert.equal(s.inputOf('pauseTenantSchedules').number, 1);
      const reactivated = await (
        await s.start<typeof reactivateTenant>('reactivateTenant', input, reactivateTenantWorkflowId(input.slug, 1))
      ).result();
      assert.equal(reactivated.progress.steps.find((step) => step.name === 'schedules')?.status, 'completed');
      assert.equal(s.inputOf('resumeTenantSchedules').slug, input.slug);
    });
  });
});
