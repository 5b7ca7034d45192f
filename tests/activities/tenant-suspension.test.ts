// suspendTenant's and reactivateTenant's activities, called directly on the embedded adapters
// (no cluster: the workload steps are skipped), in workflow order on one active tenant with
// two SSO sessions; each runs twice and leaves the bystander (and its SSO session) untouched.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import tenantProvisioning from '../../activities/tenant-provisioning/index.ts';
import tenantSuspension from '../../activities/tenant-suspension/index.ts';
import { NO_CLUSTER_REASON } from '../../integrations/cluster/port.ts';
import type { ActivityHarness, TestTenant } from '../support/activity-harness.ts';
import { differences, startActivityHarness } from '../support/activity-harness.ts';
import { assertOneEvent, newEvents } from '../support/events.ts';

describe('tenant-suspension activities', () => {
  let h: ActivityHarness;
  let a: ReturnType<typeof tenantSuspension.createActivities>;
  let t: TestTenant;
  const number = 1;
  const reason = 'unpaid invoices';

  before(async () => {
    h = await startActivityHarness({ slugPrefix: 'act-susp' });
    a = tenantSuspension.createActivities(h.deps);
    t = h.newTenant();
    await h.provision(t);
    await h.seedSsoSession(t);
    await h.seedSsoSession(t);
  });
  after(async () => {
    await h?.stop();
  });

  const suspensionOf = (state: Record<string, any>) => {
    const rows = state.tenant_suspensions.filter((row: { number: number }) => row.number === number);
    assert.equal(rows.length, 1, `one row for suspension ${number}`);
    return rows[0];
  };

  it('block: suspended, suspension 1 opened with the reason', async () => {
    const run = await h.twice(
      a,
      'blockTenant',
      { tenantId: t.tenantId, number, reason, actor: h.admin },
      { tenant: t },
    );
    assert.deepEqual(run.audit, ['tenant.suspended']);
    assertOneEvent(newEvents(run.before, run.after), 'tenant.suspended', {
      tenantId: t.tenantId,
      slug: t.slug,
      reason,
      suspension: number,
    });
    assert.equal(run.after.tenants[0].status, 'suspended');
    const suspension = suspensionOf(run.after);
    assert.deepEqual([suspension.reason, suspension.requested_by], [reason, h.admin.id]);
    assert.ok(run.heartbeats >= 1, 'heartbeats while it works');
  });

  it("sessions: the tenant's SSO sessions revoked, the count recorded", async () => {
    const run = await h.twice(
      a,
      'revokeTenantSessions',
      { tenantId: t.tenantId, number, actor: h.admin },
      { tenant: t },
    );
    assert.deepEqual(run.audit, ['tenant.sessions_revoked']);
    assert.equal(suspensionOf(run.after).sessions_revoked, 2);
    assert.deepEqual(
      run.after.sso_sessions.map((s: { revoked_at: string | null; revoked_reason: string }) => [
        s.revoked_at !== null,
        s.revoked_reason,
      ]),
      [
        [true, 'tenant_suspended'],
        [true, 'tenant_suspended'],
      ],
    );
    // The bystander's live SSO session (checked by twice) is still live.
  });

  it('workloads: skipped without a cluster, and the reason recorded', async () => {
    const run = await h.twice(
      a,
      'scaleDownTenantWorkloads',
      { tenantId: t.tenantId, slug: t.slug, number, actor: h.admin },
      { tenant: t },
    );
    assert.deepEqual(run.result, { skipped: NO_CLUSTER_REASON });
    assert.deepEqual(run.audit, []);
    const suspension = suspensionOf(run.after);
    assert.deepEqual([suspension.workloads_skipped, suspension.workloads], [NO_CLUSTER_REASON, null]);
  });

  it('restore: skipped, since the suspension scaled nothing down', async () => {
    const run = await h.twice(
      a,
      'restoreTenantWorkloads',
      { tenantId: t.tenantId, slug: t.slug, number, actor: h.admin },
      { tenant: t },
    );
    assert.deepEqual(run.result, { skipped: `nothing was scaled down (${NO_CLUSTER_REASON})` });
    assert.deepEqual(run.audit, []);
    assert.deepEqual(differences(run.before, run.after), []);
  });

  it('unblock: active again, the suspension closed; revoked sessions stay revoked', async () => {
    const run = await h.twice(a, 'unblockTenant', { tenantId: t.tenantId, number, actor: h.admin }, { tenant: t });
    assert.deepEqual(run.audit, ['tenant.reactivated']);
    assertOneEvent(newEvents(run.before, run.after), 'tenant.reactivated', {
      tenantId: t.tenantId,
      slug: t.slug,
      suspension: number,
    });
    assert.equal(run.after.tenants[0].status, 'active');
    const suspension = suspensionOf(run.after);
    assert.ok(suspension.reactivated_at);
    assert.equal(suspension.reactivation_requested_by, h.admin.id);
    assert.ok(run.after.sso_sessions.every((s: { revoked_at: string | null }) => s.revoked_at !== null));
  });

  it('block: refuses, for good, a tenant that is not active, and writes nothing', async () => {
    const pending = h.newTenant();
    const { name, plan, ownerEmail } = pending;
    await h.run(tenantProvisioning.createActivities(h.deps), 'createTenantRecord', {
      ...h.ref(pending),
      name,
      plan,
      ownerEmail,
    });
    const before = await h.state(pending);
    const error = await h.failure(a, 'blockTenant', { tenantId: pending.tenantId, number, reason, actor: h.admin });
    assert.ok(error instanceof ApplicationFailure, String(error));
    assert.equal(error.type, 'TenantNotSuspendable');
    assert.equal(error.nonRetryable, true);
    assert.deepEqual(differences(before, await h.state(pending)), [], 'no suspension row was left behind');
  });

  it('restore: refuses, for good, a suspension that does not exist', async () => {
    const error = await h.failure(a, 'restoreTenantWorkloads', {
      tenantId: t.tenantId,
      slug: t.slug,
      number: 7,
      actor: h.admin,
    });
    assert.ok(error instanceof ApplicationFailure, String(error));
    assert.equal(error.type, 'SuspensionMissing');
    assert.equal(error.nonRetryable, true);
  });
});
