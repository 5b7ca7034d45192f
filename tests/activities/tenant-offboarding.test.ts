// offboardTenant's activities, called directly on the embedded adapters (no cluster: the
// namespaces step is skipped): close, export, the teardown steps and the report, in workflow
// order on one provisioned tenant, each twice and with the bystander untouched; then reopening
// (a cancel during the grace period). The activities key the export and the report by the
// workflow run, so every call of one offboarding gets the same execution.
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ScheduleNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import metering from '../../activities/metering/index.ts';
import tenantOffboarding from '../../activities/tenant-offboarding/index.ts';
import { createPlanChangeTeardownActivities } from '../../activities/tenant-offboarding/plan-changes.ts';
import { createPromotionTeardownActivities } from '../../activities/tenant-offboarding/promotions.ts';
import tenantProvisioning from '../../activities/tenant-provisioning/index.ts';
import tenantSuspension from '../../activities/tenant-suspension/index.ts';
import { NO_CLUSTER_REASON } from '../../integrations/cluster/port.ts';
import { changePlanWorkflowId } from '../../workflows/billing/contract.ts';
import { rotationScheduleId } from '../../workflows/secret-rotation/contract.ts';
import { offboardTenantWorkflowId } from '../../workflows/tenant-offboarding/contract.ts';
import type { ActivityHarness, TestTenant } from '../support/activity-harness.ts';
import { actionsOf, startActivityHarness } from '../support/activity-harness.ts';
import { assertOneEvent, newEvents } from '../support/events.ts';
import { jsonLinesOf, readTarGz } from '../support/tar.ts';

describe('tenant-offboarding activities', () => {
  let h: ActivityHarness;
  let a: ReturnType<typeof tenantOffboarding.createActivities>;
  let t: TestTenant;
  let execution: { workflowId: string; runId: string };
  const reason = 'contract ended';

  before(async () => {
    h = await startActivityHarness({ slugPrefix: 'act-off' });
    a = tenantOffboarding.createActivities(h.deps);
    t = h.newTenant();
    await h.provision(t);
    execution = { workflowId: offboardTenantWorkflowId(t.slug), runId: randomUUID() };
  });
  after(async () => {
    await h?.stop();
  });

  const reportOf = (state: Record<string, any>) => {
    assert.equal(state.tenant_teardown_reports.length, 1, 'one teardown report');
    return state.tenant_teardown_reports[0];
  };
  /** Every step rewrites its completion time when it runs again (see the report). */
  const completedAt = (step: string) => `tenant_teardown_reports[0].steps.${step}.completedAt`;

  describe('one offboarding, step by step', () => {
    it('close: status offboarding, the report opened for this run', async () => {
      const run = await h.twice(
        a,
        'closeTenantForOffboarding',
        { tenantId: t.tenantId, reason, actor: h.admin },
        { tenant: t, workflowExecution: execution },
      );
      assert.deepEqual(run.result, { previousStatus: 'active' });
      assert.deepEqual(run.audit, ['tenant.offboarding_started']);
      assertOneEvent(newEvents(run.before, run.after), 'tenant.offboarding_started', {
        tenantId: t.tenantId,
        slug: t.slug,
        reason,
        previousStatus: 'active',
      });
      assert.equal(run.after.tenants[0].status, 'offboarding');
      const report = reportOf(run.after);
      assert.deepEqual(
        [report.operation_id, report.reason, report.previous_status, report.steps],
        [`${execution.workflowId}@${execution.runId}`, reason, 'active', {}],
      );
    });

    it('export: one archive of the tenant’s data, with secret paths but no secret values', async () => {
      const password = (await h.deps.secretStore.read(`tenants/${t.slug}/database`))!.data.password!;
      const entriesBefore = actionsOf(await h.state(t)).length;
      const run = await h.twice(a, 'exportTenantData', h.ref(t), { tenant: t, workflowExecution: execution });
      assert.deepEqual(run.audit, ['tenant.data_exported']);
      assert.equal(run.after.tenant_exports.length, 1);
      assert.match(run.result.fileName, new RegExp(`^atrium-export-${t.slug}-\\d{4}-\\d{2}-\\d{2}\\.tar\\.gz$`));
      assert.deepEqual(
        [run.result.contents.secrets, run.result.contents.auditEntries, run.result.contents.tables.tenant_licenses],
        [1, entriesBefore, 1],
      );

      const [stored] = await h.database.query<{ archive: Buffer }>(
        `SELECT archive FROM tenant_exports WHERE tenant_id = $1`,
        [t.tenantId],
      );
      assert.equal(createHash('sha256').update(stored!.archive).digest('hex'), run.result.sha256);
      assert.equal(stored!.archive.length, run.result.sizeBytes);
      const files = readTarGz(stored!.archive);
      assert.ok(files.has('manifest.json') && files.has('tenant.json') && files.has('schema/schema.sql'));
      assert.equal(jsonLinesOf(files, 'audit-log.jsonl').length, entriesBefore);
      assert.deepEqual(
        JSON.parse(files.get('secrets.json')!.toString('utf8')).secrets.map((s: { path: string }) => s.path),
        [`tenants/${t.slug}/database`],
      );
      for (const [name, content] of files)
        assert.ok(!content.toString('utf8').includes(password), `${name} holds no secret value`);
    });

    it('connections: each disconnected (audited once), the Schedules deleted, the evidence in the report', async () => {
      const connectionId = randomUUID();
      await h.database.query(
        `INSERT INTO connector_connections (id, tenant_id, provider, name, status, workflow_id)
         VALUES ($1, $2, 'github', 'GitHub', 'active', $3)`,
        [connectionId, t.tenantId, `connector-connect/${t.slug}/${connectionId}`],
      );
      const listed = await h.twice(a, 'listTenantConnections', h.ref(t), { tenant: t, workflowExecution: execution });
      assert.deepEqual(listed.result, { connectionIds: [connectionId] });
      const run = await h.twice(
        a,
        'offboardConnection',
        { ...h.ref(t), connectionId },
        {
          tenant: t,
          workflowExecution: execution,
          secondResult: { revocation: 'none: No tokens were stored for this connection.' },
        },
      );
      assert.deepEqual(run.audit, ['connection.disconnected']);
      const [connection] = await h.database.query<{ status: string }>(
        `SELECT status FROM connector_connections WHERE id = $1`,
        [connectionId],
      );
      assert.equal(connection!.status, 'disconnected');
      assert.deepEqual(
        reportOf(run.after).steps.connections.connections.map((item: { id: string; revocation: string }) => [
          item.id,
          item.revocation,
        ]),
        [[connectionId, 'none: No tokens were stored for this connection.']],
      );

      // A secret with a rotation policy owns a Schedule on the run's Temporal server.
      const secretId = randomUUID();
      await h.database.query(
        `INSERT INTO tenant_secrets (id, tenant_id, name, kind, environment, store_path, current_version,
                                     rotation_every_seconds, rotation_every)
         VALUES ($1, $2, 'ROTATED', 'generic', 'production', $3, 1, 86400, '1d')`,
        [secretId, t.tenantId, `tenants/${t.slug}/secrets/${secretId}`],
      );
      const scheduleId = rotationScheduleId(t.slug, secretId);
      await h.deps.temporal.schedule.create({
        scheduleId,
        spec: { intervals: [{ every: '1d' }] },
        action: { type: 'startWorkflow', workflowType: 'rotateSecret', taskQueue: 'atrium-test-none', args: [] },
        state: { paused: true },
      });
      const schedules = await h.twice(a, 'offboardSchedules', h.ref(t), {
        tenant: t,
        workflowExecution: execution,
        secondRunChanges: [completedAt('connections')],
      });
      assert.deepEqual(schedules.result, { deleted: [scheduleId] });
      await assert.rejects(h.deps.temporal.schedule.getHandle(scheduleId).describe(), ScheduleNotFoundError);
      assert.deepEqual(reportOf(schedules.after).steps.connections.schedules, [scheduleId]);
    });

    it('promotions: each open one’s workflow ended, recorded failed once (audited, promotion.failed emitted), the evidence in the report', async () => {
      for (const [number, c] of [
        [1, 'a'],
        [2, 'b'],
      ] as const)
        await h.database.query(`INSERT INTO releases (tenant_id, number, image) VALUES ($1, $2, $3)`, [
          t.tenantId,
          number,
          `registry.test/shop/web@sha256:${c.repeat(64)}`,
        ]);
      const promote = (environment: string, number: number, release: number, status: string, previous: number | null) =>
        h.database.query(
          `INSERT INTO promotions (tenant_id, environment, number, release_number, previous_release, status, operation_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [t.tenantId, environment, number, release, previous, status, `promotion/${t.slug}/${environment}/${number}`],
        );
      await promote('production', 1, 1, 'succeeded', null);
      await promote('production', 2, 2, 'awaiting-approval', 1);
      await promote('staging', 1, 2, 'held', null);
      // production/2's workflow runs on a queue no worker polls: a cancel never closes it, so
      // it is terminated once the (here short) wait is over. staging/1's never started.
      const workflowId = `promotion/${t.slug}/production/2`;
      await h.deps.temporal.workflow.start('promoteRelease', {
        workflowId,
        taskQueue: 'atrium-test-no-worker',
        args: [],
      });
      const ending = createPromotionTeardownActivities(h.deps, { cancelWaitMs: 500 });

      const listed = await h.twice(a, 'listTenantOpenPromotions', h.ref(t), {
        tenant: t,
        workflowExecution: execution,
      });
      assert.deepEqual(listed.result, {
        promotions: [
          { environment: 'production', number: 2 },
          { environment: 'staging', number: 1 },
        ],
      });
      assert.deepEqual(reportOf(listed.after).steps.promotions, { promotions: [] });

      const run = await h.twice(
        ending,
        'offboardPromotion',
        { ...h.ref(t), environment: 'production', number: 2 },
        { tenant: t, workflowExecution: execution },
      );
      assert.deepEqual(run.audit, ['promotion.failed']);
      assertOneEvent(newEvents(run.before, run.after), 'promotion.failed', {
        environment: 'production',
        number: 2,
        release: 2,
        previousRelease: 1,
        status: 'failed',
        detail: 'the tenant was offboarded',
        operationId: workflowId,
      });
      assert.deepEqual(
        [run.result.status, run.result.previousStatus, run.result.endedByOffboarding, run.result.workflow],
        ['failed', 'awaiting-approval', true, { id: workflowId, status: 'TERMINATED' }],
      );
      assert.equal((await h.deps.temporal.workflow.getHandle(workflowId).describe()).status.name, 'TERMINATED');
      const row = run.after.promotions.find(
        (p: { number: number; environment: string }) => p.environment === 'production' && p.number === 2,
      );
      assert.deepEqual(
        [row.status, row.detail, row.completed_at !== null],
        ['failed', 'the tenant was offboarded', true],
      );

      const never = await h.twice(
        a,
        'offboardPromotion',
        { ...h.ref(t), environment: 'staging', number: 1 },
        { tenant: t, workflowExecution: execution },
      );
      assert.deepEqual(never.audit, ['promotion.failed']);
      assert.deepEqual(never.result.workflow, { id: `promotion/${t.slug}/staging/1`, status: 'NOT_FOUND' });
      const untouched = never.after.promotions.find(
        (p: { number: number; environment: string }) => p.environment === 'production' && p.number === 1,
      );
      assert.deepEqual(
        [untouched.status, untouched.detail],
        ['succeeded', null],
        'a closed promotion keeps its outcome',
      );
      assert.deepEqual(
        reportOf(never.after).steps.promotions.promotions.map(
          (p: { environment: string; number: number; status: string }) => [p.environment, p.number, p.status],
        ),
        [
          ['production', 2, 'failed'],
          ['staging', 1, 'failed'],
        ],
      );
    });

    it('plan-changes: the open one’s workflow ended, recorded cancelled once (audited), the evidence in the report', async () => {
      const change = (number: number, to: string, status: string) =>
        h.database.query(
          `INSERT INTO plan_changes (tenant_id, number, from_plan, to_plan, direction, timing, status, requested_by)
           VALUES ($1, $2, 'team', $3, 'upgrade', 'now', $4, '{"type":"system","id":null,"requestId":null,"ip":null}')`,
          [t.tenantId, number, to, status],
        );
      await change(1, 'business', 'applied');
      await change(2, 'enterprise', 'awaiting-approval');
      // Its workflow runs on a queue no worker polls: a cancel never closes it, so it is
      // terminated once the (here short) wait is over.
      const workflowId = changePlanWorkflowId(t.slug, 2);
      await h.deps.temporal.workflow.start('changePlan', { workflowId, taskQueue: 'atrium-test-no-worker', args: [] });
      const ending = createPlanChangeTeardownActivities(h.deps, { cancelWaitMs: 500 });

      const listed = await h.twice(a, 'listTenantOpenPlanChanges', h.ref(t), {
        tenant: t,
        workflowExecution: execution,
      });
      assert.deepEqual(listed.result, { numbers: [2] });
      assert.deepEqual(reportOf(listed.after).steps.planChanges, { planChanges: [] });

      const run = await h.twice(
        ending,
        'offboardPlanChange',
        { ...h.ref(t), number: 2 },
        { tenant: t, workflowExecution: execution },
      );
      assert.deepEqual(run.audit, ['plan_change.cancelled']);
      assert.deepEqual(
        [run.result.status, run.result.previousStatus, run.result.endedByOffboarding, run.result.workflow],
        ['cancelled', 'awaiting-approval', true, { id: workflowId, status: 'TERMINATED' }],
      );
      assert.equal((await h.deps.temporal.workflow.getHandle(workflowId).describe()).status.name, 'TERMINATED');
      const row = (number: number) => run.after.plan_changes.find((p: { number: number }) => p.number === number);
      assert.deepEqual([row(2).status, row(2).detail], ['cancelled', 'the tenant was offboarded']);
      assert.deepEqual([row(1).status, row(1).detail], ['applied', null], 'a closed change keeps its outcome');

      // A change that ended on its own keeps its outcome; its workflow never started.
      const closed = await h.twice(
        a,
        'offboardPlanChange',
        { ...h.ref(t), number: 1 },
        { tenant: t, workflowExecution: execution },
      );
      assert.deepEqual(closed.audit, []);
      assert.deepEqual(
        [closed.result.status, closed.result.endedByOffboarding, closed.result.workflow],
        ['applied', false, { id: changePlanWorkflowId(t.slug, 1), status: 'NOT_FOUND' }],
      );
      assert.deepEqual(
        reportOf(closed.after).steps.planChanges.planChanges.map((p: { number: number; status: string }) => [
          p.number,
          p.status,
        ]),
        [
          [2, 'cancelled'],
          [1, 'applied'],
        ],
      );
    });

    it('approvals: every pending request closed rejected (the tenant was offboarded) once, audited, approval.decided emitted', async () => {
      const pending = randomUUID();
      const approved = randomUUID();
      for (const [id, status] of [
        [pending, 'pending'],
        [approved, 'approved'],
      ] as const)
        await h.database.query(
          `INSERT INTO approval_requests (id, tenant_id, workflow_id, subject_kind, subject_id, subject_label,
                                          attributes, policy, rule, expires_at, status)
           VALUES ($1, $2, $3, 'promotion', 'production/2', 'Release 2 to production', '{}', '{"version":1,"rules":[]}',
                   'production', now() + interval '1 hour', $4)`,
          [id, t.tenantId, `promotion/${t.slug}/production/2`, status],
        );
      const run = await h.twice(a, 'offboardApprovalRequests', h.ref(t), { tenant: t, workflowExecution: execution });
      assert.deepEqual(run.result, { closed: [pending] });
      assert.deepEqual(run.audit, ['approval.closed']);
      assertOneEvent(newEvents(run.before, run.after), 'approval.decided', {
        requestId: pending,
        subject: { kind: 'promotion', id: 'production/2', label: 'Release 2 to production' },
        operationId: `promotion/${t.slug}/production/2`,
        status: 'rejected',
        reason: 'the tenant was offboarded',
        decidedBy: null,
      });
      const status = (id: string) => run.after.approval_requests.find((r: { id: string }) => r.id === id);
      assert.deepEqual(
        [status(pending).status, status(pending).reason, status(pending).closed_at !== null],
        ['rejected', 'the tenant was offboarded', true],
      );
      assert.equal(status(approved).status, 'approved', 'a closed request keeps its outcome');
      assert.deepEqual(
        reportOf(run.after).steps.approvals.requests.map((r: { id: string; subject: string }) => [r.id, r.subject]),
        [[pending, 'Release 2 to production']],
      );
    });

    it('environments: refused before the namespaces step recorded them gone', async () => {
      const error = await h.failure(a, 'offboardEnvironments', h.ref(t), { workflowExecution: execution });
      assert.ok(error instanceof ApplicationFailure, String(error));
      assert.deepEqual([error.type, error.nonRetryable], ['NamespacesNotDeleted', true]);
    });

    it('namespaces: skipped without a cluster, the reason in the report', async () => {
      const run = await h.twice(a, 'offboardNamespaces', h.ref(t), {
        tenant: t,
        workflowExecution: execution,
        secondRunChanges: [completedAt('namespaces')],
      });
      assert.deepEqual(run.result, { skipped: NO_CLUSTER_REASON, deleted: [] });
      assert.deepEqual(run.audit, []);
      assert.equal(reportOf(run.after).steps.namespaces.skipped, NO_CLUSTER_REASON);
    });

    it('environments: every live one marked deleted once, audited, the evidence in the report', async () => {
      const run = await h.twice(a, 'offboardEnvironments', h.ref(t), { tenant: t, workflowExecution: execution });
      assert.deepEqual(run.result, { deleted: ['production'] });
      assert.deepEqual(run.audit, ['environment.deleted']);
      assert.deepEqual(newEvents(run.before, run.after), []);
      assert.deepEqual(
        run.after.tenant_environments.map(
          (e: { name: string; status: string; status_detail: string; deleted_at: string | null }) => [
            e.name,
            e.status,
            e.status_detail,
            e.deleted_at !== null,
          ],
        ),
        [['production', 'deleted', 'the tenant was offboarded', true]],
      );
      const evidence = reportOf(run.after).steps.environments;
      assert.deepEqual(
        [
          evidence.environments.map((e: { name: string; namespace: string }) => [e.name, e.namespace]),
          evidence.namespacesSkipped,
        ],
        [[['production', `tenant-${t.slug}-production`]], NO_CLUSTER_REASON],
      );
    });

    it('secrets: every secret destroyed, policy and AppRole gone, the evidence in the report', async () => {
      const run = await h.twice(a, 'offboardSecrets', h.ref(t), {
        tenant: t,
        workflowExecution: execution,
        secondRunChanges: [completedAt('secrets')],
      });
      assert.deepEqual(run.result, { destroyed: 1 });
      assert.deepEqual(run.audit, ['tenant.secret_access_revoked']);
      assert.deepEqual([run.after.local_secrets, run.after.local_secret_access], [[], []]);
      const evidence = reportOf(run.after).steps.secrets;
      assert.deepEqual(evidence.planned, [`tenants/${t.slug}/database`]);
      assert.deepEqual([evidence.policy.exists, evidence.appRole.exists], [false, false]);
    });

    it('database: login role and schema dropped, license withdrawn', async () => {
      const run = await h.twice(a, 'offboardDatabase', h.ref(t), {
        tenant: t,
        workflowExecution: execution,
        // The evidence says whether *this* attempt dropped them, and when it checked.
        secondRunChanges: [
          completedAt('database'),
          'tenant_teardown_reports[0].steps.database.role.droppedByThisAttempt',
          'tenant_teardown_reports[0].steps.database.schema.droppedByThisAttempt',
        ],
      });
      const schemaName = `tenant_${t.slug.replaceAll('-', '_')}`;
      assert.deepEqual(run.result, { roleName: `${schemaName}_login`, schemaName });
      assert.deepEqual(run.audit, [
        'tenant.database_role_dropped',
        'tenant.schema_dropped',
        'tenant.license_withdrawn',
      ]);
      assert.deepEqual(run.after.postgres, { schema: false, login_role: false, login_b_role: false, owner_role: false, tables: [] });
      assert.deepEqual(run.after.tenant_licenses, []);
      assert.equal(reportOf(run.after).steps.database.licensesWithdrawn.length, 1);
    });

    it('metering: the final reconciliation’s evidence (usage, what was reported, the provider’s count, records) in the report', async () => {
      const hour = 3_600_000;
      const open = Math.floor(Date.now() / hour) * hour;
      // Usage in the last closed hour and in the open one: the final reconciliation takes both.
      await h.database.query(
        `INSERT INTO usage_events (tenant_id, event_id, meter, quantity, occurred_at)
         VALUES ($1, 'final-1', 'compute.seconds', 5, $2), ($1, 'final-2', 'compute.seconds', 2.5, $3)`,
        [t.tenantId, new Date(open - hour + 60_000), new Date(Math.max(open, Date.now() - 1_000))],
      );
      const m = metering.createActivities(h.deps);
      const now = Date.now();
      const window = {
        ...h.ref(t),
        closedBefore: new Date(open + hour).toISOString(),
        scanFrom: new Date(open + hour - 49 * 86_400_000).toISOString(),
        now: new Date(now).toISOString(),
        acceptAfter: new Date(now - 35 * 86_400_000).toISOString(),
        resendAfter: new Date(now - 12 * hour).toISOString(),
      };
      const options = { workflowExecution: execution };
      assert.deepEqual((await h.run(m, 'reportTenantWindows', window, options)).result, { reported: 2, flagged: 0 });
      // Local billing counts at once: read back with no settling delay.
      const settledBefore = new Date(Date.now() + 1_000).toISOString();
      await h.run(m, 'checkTenantWindows', { ...window, settledBefore, round: 1 }, options);
      const signedAt = new Date().toISOString();
      const { signed } = (await h.run(m, 'signReconciliationRecords', { ...h.ref(t), signedAt }, options)).result;
      assert.ok(signed >= 1);

      const run = await h.twice(
        a,
        'recordFinalReconciliation',
        {
          ...h.ref(t),
          closedBefore: window.closedBefore,
          reported: 2,
          corrections: 0,
          flagged: 0,
          matched: 2,
          rounds: 1,
          signed,
        },
        { tenant: t, workflowExecution: execution, secondRunChanges: [completedAt('metering')] },
      );
      assert.deepEqual(run.result, { windows: 2, unreported: 0, flagged: 0, records: signed });
      assert.deepEqual(run.audit, []);
      const evidence = reportOf(run.after).steps.metering;
      assert.deepEqual(evidence.meters, [
        {
          meter: 'compute.seconds',
          windows: 2,
          usageTotal: '7.5',
          reported: '7.5',
          providerCounted: '7.5',
          unreported: 0,
        },
      ]);
      assert.equal(evidence.closedBefore, window.closedBefore);
      assert.equal(evidence.records.length, signed);
    });

    it('billing: subscription canceled, customer deleted, the provider’s answers kept', async () => {
      const run = await h.twice(a, 'offboardBilling', h.ref(t), { tenant: t, workflowExecution: execution });
      assert.deepEqual(run.result, { customerDeleted: true });
      assert.deepEqual(run.audit, ['tenant.billing_subscription_canceled', 'tenant.billing_customer_deleted']);
      const evidence = reportOf(run.after).steps.billing;
      assert.deepEqual(
        [evidence.provider, evidence.subscription.status, evidence.customer.deleted],
        ['local', 'canceled', true],
      );
    });

    it('report: the resources with their evidence, the tenant offboarded', async () => {
      const run = await h.twice(a, 'completeOffboarding', h.ref(t), { tenant: t, workflowExecution: execution });
      assert.deepEqual(run.audit, ['tenant.offboarded']);
      assertOneEvent(newEvents(run.before, run.after), 'tenant.offboarded', { tenantId: t.tenantId, slug: t.slug });
      assert.equal(run.after.tenants[0].status, 'offboarded');
      const report = reportOf(run.after);
      assert.ok(report.completed_at);
      const kinds = report.steps.report.resources.map((r: { kind: string }) => r.kind);
      assert.equal(run.result.resources, kinds.length);
      assert.deepEqual(kinds, [
        'connection',
        'schedule',
        'promotion',
        'promotion',
        'plan_change',
        'plan_change',
        'approval_request',
        'namespace',
        'environment',
        'secret',
        'secret_policy',
        'secret_approle',
        'database_role', // both logins and the owner role
        'database_role',
        'database_role',
        'schema',
        'license',
        'billing_subscription',
        'billing_customer',
      ]);
    });
  });

  describe('a cancelled offboarding', () => {
    it('reopens: back to active, the report marked cancelled', async () => {
      const r = h.newTenant();
      await h.provision(r);
      const run2 = { workflowId: offboardTenantWorkflowId(r.slug), runId: randomUUID() };
      await h.run(
        a,
        'closeTenantForOffboarding',
        { tenantId: r.tenantId, reason, actor: h.admin },
        {
          workflowExecution: run2,
        },
      );
      const run = await h.twice(
        a,
        'reopenTenant',
        { tenantId: r.tenantId, previousStatus: 'active', actor: h.admin },
        { tenant: r, workflowExecution: run2 },
      );
      assert.deepEqual(run.audit, ['tenant.offboarding_cancelled']);
      assert.equal(run.after.tenants[0].status, 'active');
      assert.ok(reportOf(run.after).cancelled_at);
      assert.deepEqual(run.after.postgres.schema, true, 'nothing was deleted');
    });

    it('reopens a suspended tenant as suspended when the workflow never learned the status', async () => {
      const s = h.newTenant();
      await h.provision(s);
      await h.run(tenantSuspension.createActivities(h.deps), 'blockTenant', {
        tenantId: s.tenantId,
        number: 1,
        reason: 'unpaid',
        actor: h.admin,
      });
      const run3 = { workflowId: offboardTenantWorkflowId(s.slug), runId: randomUUID() };
      const closed = await h.run(
        a,
        'closeTenantForOffboarding',
        { tenantId: s.tenantId, reason, actor: h.admin },
        {
          workflowExecution: run3,
        },
      );
      assert.deepEqual(closed.result, { previousStatus: 'suspended' });
      const run = await h.twice(
        a,
        'reopenTenant',
        { tenantId: s.tenantId, previousStatus: null, actor: h.admin },
        { tenant: s, workflowExecution: run3 },
      );
      assert.deepEqual(run.audit, ['tenant.offboarding_cancelled']);
      assert.equal(run.after.tenants[0].status, 'suspended');
    });
  });

  describe('an offboarding with webhook endpoints', () => {
    let w: TestTenant;
    let run: { workflowId: string; runId: string };
    const endpoints: Record<'healthy' | 'failing' | 'unsubscribed', string> = {
      healthy: randomUUID(),
      failing: randomUUID(),
      unsubscribed: randomUUID(),
    };
    const secretPath = (id: string) => `tenants/${w.slug}/webhooks/${id}`;

    before(async () => {
      w = h.newTenant();
      await h.provision(w);
      run = { workflowId: offboardTenantWorkflowId(w.slug), runId: randomUUID() };
      for (const [name, id] of Object.entries(endpoints)) {
        await h.deps.secretStore.write(secretPath(id), { secret: `whsec_${name}` });
        await h.database.query(
          `INSERT INTO webhook_endpoints (id, tenant_id, url, event_types, secret_path, secret_version)
           VALUES ($1, $2, $3, $4, $5, 1)`,
          [
            id,
            w.tenantId,
            `https://${name}.example.test/hooks`,
            name === 'unsubscribed' ? ['member.removed'] : ['tenant.offboarded'],
            secretPath(id),
          ],
        );
      }
      await h.run(
        a,
        'closeTenantForOffboarding',
        { tenantId: w.tenantId, reason, actor: h.admin },
        {
          workflowExecution: run,
        },
      );
    });

    it('secrets: the webhook signing secrets are kept for the final delivery, the rest destroyed', async () => {
      const step = await h.twice(
        a,
        'offboardSecrets',
        { ...h.ref(w), keepWebhookSecrets: true },
        { tenant: w, workflowExecution: run, secondRunChanges: [completedAt('secrets')] },
      );
      assert.deepEqual(step.result, { destroyed: 1 });
      const kept = Object.values(endpoints).map(secretPath).sort();
      assert.deepEqual([...new Set(step.after.local_secrets.map((row: { path: string }) => row.path))].sort(), kept);
      const evidence = reportOf(step.after).steps.secrets;
      assert.deepEqual(evidence.planned, [`tenants/${w.slug}/database`]);
      assert.deepEqual(evidence.keptForFinalDelivery, kept);
      assert.deepEqual(evidence.listedUnderPrefix, []);
    });

    it('webhooks: waits for the endpoints that can still get tenant.offboarded, then deletes them all with their secrets', async () => {
      for (const name of ['offboardDatabase', 'offboardBilling', 'completeOffboarding'] as const)
        await h.run(a, name, h.ref(w), { workflowExecution: run });
      const [event] = await h.database.query<{ event_id: string }>(
        `SELECT event_id FROM event_outbox WHERE tenant_id = $1 AND type = 'tenant.offboarded'`,
        [w.tenantId],
      );
      const attempt = (endpointId: string, number: number, outcome: string, status: number) =>
        h.database.query(
          `INSERT INTO webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, attempt, outcome, status_code, duration_ms, url)
           VALUES ($1, $2, $3, 'tenant.offboarded', $4, $5, $6, 5, 'https://x.example.test')`,
          [w.tenantId, endpointId, event!.event_id, number, outcome, status],
        );
      await attempt(endpoints.failing, 1, 'retry', 503);
      await attempt(endpoints.failing, 2, 'retry', 503);
      const awaited = (await h.run(a, 'awaitedFinalWebhookDeliveries', h.ref(w))).result;
      assert.deepEqual(awaited.waitingFor.sort(), [endpoints.failing, endpoints.healthy].sort());
      await attempt(endpoints.healthy, 1, 'delivered', 204);
      assert.deepEqual((await h.run(a, 'awaitedFinalWebhookDeliveries', h.ref(w))).result, {
        waitingFor: [endpoints.failing],
      });

      const step = await h.twice(a, 'offboardWebhookEndpoints', h.ref(w), {
        tenant: w,
        workflowExecution: run,
        secondRunChanges: [completedAt('webhooks')],
      });
      assert.deepEqual(step.result.endpointIds.sort(), Object.values(endpoints).sort());
      assert.deepEqual(step.audit, Array(3).fill('webhook_endpoint.deleted'));
      assert.deepEqual(
        [step.after.webhook_endpoints, step.after.webhook_deliveries, step.after.local_secrets],
        [[], [], []],
      );
      const evidence = reportOf(step.after).steps.webhooks;
      assert.equal(evidence.eventId, event!.event_id);
      const outcome = (id: string) => evidence.endpoints.find((e: { id: string }) => e.id === id).finalDelivery;
      assert.equal(outcome(endpoints.healthy), 'delivered');
      assert.equal(outcome(endpoints.failing), 'not delivered within the wait: attempt 2 got HTTP status 503');
      assert.equal(outcome(endpoints.unsubscribed), 'not subscribed to tenant.offboarded');
      assert.deepEqual(
        evidence.secrets.map((secret: { path: string }) => secret.path),
        Object.values(endpoints).map(secretPath).sort(),
      );
      assert.deepEqual(evidence.listedUnderPrefix, []);
    });
  });

  it('close: refuses, for good, a tenant that is neither active nor suspended', async () => {
    const pending = h.newTenant();
    const { name, plan, ownerEmail } = pending;
    await h.run(tenantProvisioning.createActivities(h.deps), 'createTenantRecord', {
      ...h.ref(pending),
      name,
      plan,
      ownerEmail,
    });
    const error = await h.failure(a, 'closeTenantForOffboarding', {
      tenantId: pending.tenantId,
      reason,
      actor: h.admin,
    });
    assert.ok(error instanceof ApplicationFailure, String(error));
    assert.equal(error.type, 'TenantNotOffboardable');
    assert.equal(error.nonRetryable, true);
    assert.deepEqual((await h.state(pending)).tenant_teardown_reports, [], 'no report was opened');
  });
});
