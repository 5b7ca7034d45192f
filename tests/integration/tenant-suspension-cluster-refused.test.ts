// @needs-servers: kube
// A suspension whose cluster refuses for good: the worker's kubeconfig is the local control
// plane's limited user, which may not list namespaces cluster-wide, so the API server answers
// the workload step with 403. No retry can fix that, so the step fails at its first attempt
// with the port's message (what to grant), typed ClusterPermissionError, instead of being
// retried without end. The steps before it stay done: the tenant is closed.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';
import { activityAttempts } from '../support/provisioning.ts';
import { workerEnvFor } from '../support/servers.ts';

describe('suspension against a cluster that refuses the worker (403)', () => {
  let platform: Platform;
  let slug: string;
  let tenantId: string;

  before(async () => {
    platform = await startPlatform({
      workerEnv: { ...workerEnvFor({ kube: 'limited' }), CLUSTER_ENVIRONMENTS: 'production' },
    });
    // Provisioning with this user fails at its own cluster step (tests/integration/
    // provisioning-real-servers.test.ts), so the active tenant is written directly.
    slug = uniqueSlug('refused');
    tenantId = randomUUID();
    await platform.database.query(
      `INSERT INTO tenants (id, slug, name, plan, status, owner_email) VALUES ($1, $2, 'Refused Co', 'team', 'active', $3)`,
      [tenantId, slug, `owner@${slug}.test`],
    );
  });
  after(async () => {
    await platform?.stop();
  });

  it('fails the workload step at its first attempt, saying what to grant', async () => {
    const suspended = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/suspend`, {
      headers: platform.admin.headers,
      json: { reason: 'Unpaid invoices' },
    });
    assert.equal(suspended.status, 202, JSON.stringify(suspended.body));
    const workflowId: string = suspended.body.operation.id;
    // The retry policy has no maximum: before the kernel translated this refusal, the
    // operation was still running when this wait ran out.
    const operation = await waitForOperation(platform, workflowId, 30_000);
    assert.equal(operation.status, 'failed', JSON.stringify(operation));
    assert.deepEqual(
      operation.steps.map((s: any) => [s.name, s.status]),
      [
        ['block', 'completed'],
        ['sessions', 'completed'],
        ['workloads', 'failed'],
        ['schedules', 'pending'],
      ],
    );
    const step = operation.steps.find((s: any) => s.name === 'workloads');
    assert.match(step.error, /may not list namespaces cluster-wide/);
    assert.match(step.error, /ClusterRole/);

    assert.deepEqual(await activityAttempts(platform, workflowId, 'scaleDownTenantWorkloads'), [1]);
    const history = await platform.temporal.workflow.getHandle(workflowId).fetchHistory();
    const failed = history.events?.find((e) => e.activityTaskFailedEventAttributes)?.activityTaskFailedEventAttributes;
    assert.equal(failed?.failure?.applicationFailureInfo?.type, 'ClusterPermissionError');
    assert.equal(failed?.failure?.applicationFailureInfo?.nonRetryable, true);
    assert.match(failed?.failure?.message ?? '', /may not list namespaces cluster-wide/);

    const [tenant] = await platform.database.query<{ status: string }>(`SELECT status FROM tenants WHERE id = $1`, [
      tenantId,
    ]);
    assert.equal(tenant?.status, 'suspended', 'the API stays closed: reactivation reverses what was applied');
    const [row] = await platform.database.query<{ workloads: unknown; workloads_skipped: unknown }>(
      `SELECT workloads, workloads_skipped FROM tenant_suspensions WHERE tenant_id = $1 AND number = 1`,
      [tenantId],
    );
    assert.deepEqual(row, { workloads: null, workloads_skipped: null }, 'nothing recorded as scaled down');
  });
});
