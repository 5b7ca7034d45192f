// provisionTenant with typed activity stand-ins on an in-process worker: the branches that are
// hard to reach through the whole platform — the approval timeout, a rejection (and the
// Update's validator), a non-retryable failure and its compensation in reverse, an undo that
// fails for good — checked through the result or failure, the getProgress query and the
// stand-ins that ran.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import type { TenantProvisioningActivities } from '../../activities/tenant-provisioning/index.ts';
import type { ApprovalDecision, ProvisionTenantInput } from '../../workflows/tenant-provisioning/contract.ts';
import { decideApprovalUpdate, provisionTenantWorkflowId } from '../../workflows/tenant-provisioning/contract.ts';
import type { provisionTenant } from '../../workflows/tenant-provisioning/index.ts';
import type { OperationProgress } from '../../workflows/shared/operation.contract.ts';
import { getProgressQuery } from '../../workflows/shared/operation.contract.ts';
import { approveRequestUpdate, rejectRequestUpdate } from '../../workflows/approvals/contract.ts';
import { approvalStandIns, createTestSigner } from '../support/approvals.ts';
import type { Scenario, WorkflowHarness } from '../support/workflow-harness.ts';
import { failureOf, gate, startWorkflowHarness, TEST_TIMINGS, updateRefused } from '../support/workflow-harness.ts';

type Activities = TenantProvisioningActivities;
const NO_CLUSTER = 'no cluster configured (set KUBECONFIG)';

const signing = await createTestSigner();

/** Every activity succeeding, as the embedded adapters answer. */
const succeed = {
  ...approvalStandIns(() => signing.keys()),
  createTenantRecord: async () => {},
  requestTenantApproval: async () => {},
  recordTenantApproval: async () => {},
  createTenantDatabase: ({ slug }) =>
    Promise.resolve({
      schemaName: `tenant_${slug}`,
      roleName: `tenant_${slug}_login`,
      secretPath: `tenants/${slug}/database`,
    }),
  grantTenantSecretAccess: ({ slug }) =>
    Promise.resolve({
      pathPrefix: `tenants/${slug}`,
      policyName: `atrium-tenant-${slug}`,
      roleName: `atrium-tenant-${slug}`,
      enforced: false,
    }),
  createTenantBilling: () =>
    Promise.resolve({
      customerId: 'lcus_1',
      subscriptionId: 'lsub_1',
      status: 'active',
      customerKey: 'customer-key',
      subscriptionKey: 'subscription-key',
    }),
  createTenantEnvironments: () =>
    Promise.resolve({ skipped: NO_CLUSTER, namespaces: [], environments: ['production'] }),
  issueTenantLicense: () => Promise.resolve({ licenseId: 'license-1', keyId: 'key-1', tier: 'team' }),
  sendWelcomeMail: () => Promise.resolve({ sent: true }),
  activateTenant: async () => {},
  dropTenantDatabase: async () => {},
  revokeTenantSecretAccess: async () => {},
  cancelTenantBilling: async () => {},
  deleteTenantNamespaces: async () => {},
  withdrawTenantLicense: async () => {},
  markTenantFailed: async () => {},
} satisfies Partial<Activities>;

/** A stand-in that fails for good (a non-retryable ApplicationFailure, as activities throw). */
const refuse = (message: string, type: string) => () => Promise.reject(ApplicationFailure.nonRetryable(message, type));

/** The approval primitive opening a tenant's request (workflows/approvals/gate.ts). */
const APPROVAL_OPENED = ['loadApprovalVerificationKeys', 'openApprovalRequest', 'requestTenantApproval'];

const BUILD = [
  'createTenantDatabase',
  'grantTenantSecretAccess',
  'createTenantBilling',
  'createTenantEnvironments',
  'issueTenantLicense',
  'sendWelcomeMail',
  'activateTenant',
];
const admin = (userId: string, platformAdmin = true): ApprovalDecision['decidedBy'] => ({
  userId,
  platformAdmin,
  requestId: null,
  ip: null,
});

describe('provisionTenant (activity stand-ins)', () => {
  let harness: WorkflowHarness;
  before(async () => {
    harness = await startWorkflowHarness('tenant-provisioning');
  });
  after(async () => {
    await harness?.stop();
  });

  let counter = 0;
  function inputFor(extra: Partial<ProvisionTenantInput> = {}): ProvisionTenantInput {
    counter += 1;
    const slug = `wf-prov-${counter}-${randomUUID().slice(0, 8)}`;
    return {
      tenantId: randomUUID(),
      slug,
      name: `Tenant ${slug}`,
      plan: 'team',
      ownerEmail: `owner@${slug}.test`,
      requestedBy: { type: 'user', id: 'staff', requestId: 'req-1', ip: null },
      timings: TEST_TIMINGS,
      ...extra,
    };
  }
  const start = (s: Scenario, input: ProvisionTenantInput) =>
    s.start<typeof provisionTenant>('provisionTenant', input, provisionTenantWorkflowId(input.slug));
  const statuses = (progress: OperationProgress) =>
    Object.fromEntries(progress.steps.map((step) => [step.name, step.status]));

  it('runs every step in order; a skipped cluster shows as skipped', async () => {
    await harness.withWorker(succeed, async (s) => {
      const input = inputFor();
      const result = await (await start(s, input)).result();
      assert.deepEqual(s.names(), ['createTenantRecord', ...BUILD]);
      assert.equal(result.progress.phase, 'completed');
      const cluster = result.progress.steps.find((step) => step.name === 'cluster');
      assert.deepEqual([cluster?.status, cluster?.error], ['skipped', NO_CLUSTER]);
      assert.equal(result.schemaName, `tenant_${input.slug}`);
    });
  });

  it('counts no decision before the approval timeout as a rejection: tenant failed, nothing built', async () => {
    await harness.withWorker(succeed, async (s) => {
      const input = inputFor({ plan: 'enterprise', approval: { required: true, timeoutMs: 2_000 } });
      const handle = await start(s, input);
      const failure = await failureOf(handle);
      assert.equal(failure.type, 'TenantNotApproved');
      const reason = 'no platform admin approved it within 2 s';
      assert.match(failure.message, new RegExp(reason));

      assert.deepEqual(s.names(), [
        'createTenantRecord',
        ...APPROVAL_OPENED,
        'closeApprovalRequest',
        'recordTenantApproval',
        'markTenantFailed',
      ]);
      assert.deepEqual(
        [s.inputOf('closeApprovalRequest').status, s.inputOf('closeApprovalRequest').expired],
        ['rejected', true],
      );
      const recorded = s.inputOf('recordTenantApproval');
      assert.deepEqual([recorded.approved, recorded.reason, recorded.decidedBy.type], [false, reason, 'system']);
      assert.equal(s.inputOf('markTenantFailed').reason, reason);

      const progress = await handle.query(getProgressQuery);
      assert.deepEqual(failure.details?.[0], progress, 'the failure carries the final progress');
      assert.equal(progress.phase, 'failed');
      assert.deepEqual(statuses(progress), {
        record: 'completed',
        approval: 'failed',
        database: 'pending',
        secrets: 'pending',
        billing: 'pending',
        cluster: 'pending',
        license: 'pending',
        welcome: 'pending',
        activate: 'pending',
      });
      assert.equal(progress.steps[1]?.error, reason);
    });
  });

  it('takes one decision on the approval primitive: non-admins, a rejection without reason and a second decision are refused', async () => {
    const recording = gate();
    const standIns = {
      ...succeed,
      recordApprovalDecision: async () => {
        await recording.wait;
      },
    } satisfies Partial<Activities>;
    await harness.withWorker(standIns, async (s) => {
      const input = inputFor({ plan: 'enterprise', approval: { required: true, timeoutMs: 60_000 } });
      const handle = await start(s, input);
      await s.waitUntil('the tenant waits for approval', () => s.names().includes('requestTenantApproval'));
      const { requestId } = s.inputOf('openApprovalRequest');
      const decide = async (action: 'approve' | 'reject', who: string, platformAdmin: boolean, comment?: string) =>
        handle.executeUpdate(action === 'approve' ? approveRequestUpdate : rejectRequestUpdate, {
          args: [
            {
              requestId,
              assertion: await signing.assertion(
                { sub: who, platformAdmin },
                { workflowId: handle.workflowId, requestId, action },
              ),
              ...(comment === undefined ? {} : { comment }),
            },
          ],
        });

      // The pre-primitive Update, which took "platformAdmin: true" on trust, is not there any more.
      await assert.rejects(
        handle.executeUpdate(decideApprovalUpdate, { args: [{ approve: true, decidedBy: admin('admin-a') }] }),
        updateRefused(/decideApproval/),
      );
      await assert.rejects(decide('approve', 'member-1', false), updateRefused(/not-an-approver/));
      await assert.rejects(decide('reject', 'admin-a', true, '  '), updateRefused(/Say why the request is rejected/));

      // Admin A rejects; while the decision is being recorded, admin B's approval comes too late.
      const first = decide('reject', 'admin-a', true, 'no contract signed');
      await s.waitUntil('the decision is being recorded', () => s.names().includes('recordApprovalDecision'));
      await assert.rejects(decide('approve', 'admin-b', true), updateRefused(/The request was rejected already/));
      recording.open();
      assert.deepEqual(await first, { requestId, status: 'rejected', approvals: 0, needed: 1 });

      const failure = await failureOf(handle);
      assert.equal(failure.type, 'TenantNotApproved');
      assert.match(failure.message, /rejected by a platform admin: no contract signed/);
      assert.deepEqual(s.names(), [
        'createTenantRecord',
        ...APPROVAL_OPENED,
        'recordApprovalDecision',
        'closeApprovalRequest',
        'recordTenantApproval',
        'markTenantFailed',
      ]);
      const recorded = s.inputOf('recordTenantApproval');
      assert.deepEqual(
        [recorded.approved, recorded.reason, recorded.decidedBy.type, recorded.decidedBy.id],
        [false, 'no contract signed', 'user', 'admin-a'],
      );
      const progress = await handle.query(getProgressQuery);
      assert.deepEqual(
        [progress.phase, statuses(progress).approval, statuses(progress).database],
        ['failed', 'failed', 'pending'],
      );
    });
  });

  it('compensates a non-retryable failure in reverse order, then marks the tenant failed', async () => {
    const standIns = {
      ...succeed,
      activateTenant: refuse('Tenant cannot be activated from status "failed".', 'TenantNotActivatable'),
    } satisfies Partial<Activities>;
    await harness.withWorker(standIns, async (s) => {
      const handle = await start(s, inputFor());
      const failure = await failureOf(handle);
      assert.equal(failure.type, 'TenantProvisioningFailed');
      assert.deepEqual(s.names(), [
        'createTenantRecord',
        ...BUILD,
        'withdrawTenantLicense',
        'deleteTenantNamespaces',
        'cancelTenantBilling',
        'revokeTenantSecretAccess',
        'dropTenantDatabase',
        'markTenantFailed',
      ]);
      assert.equal(s.inputOf('markTenantFailed').reason, 'Tenant cannot be activated from status "failed".');
      const progress = await handle.query(getProgressQuery);
      assert.deepEqual(failure.details?.[0], progress);
      assert.equal(progress.phase, 'failed');
      assert.deepEqual(statuses(progress), {
        record: 'completed',
        database: 'compensated',
        secrets: 'compensated',
        billing: 'compensated',
        cluster: 'skipped', // skipped steps keep their status; their undo still ran
        license: 'compensated',
        welcome: 'completed', // a sent mail has no undo
        activate: 'failed',
      });
    });
  });

  it('undoes a step that failed halfway (its undo was registered before it ran), and nothing after it', async () => {
    const standIns = {
      ...succeed,
      createTenantBilling: refuse('Plan "team" has no price in Stripe.', 'BillingError'),
    } satisfies Partial<Activities>;
    await harness.withWorker(standIns, async (s) => {
      const handle = await start(s, inputFor());
      assert.equal((await failureOf(handle)).type, 'TenantProvisioningFailed');
      assert.deepEqual(s.names(), [
        'createTenantRecord',
        'createTenantDatabase',
        'grantTenantSecretAccess',
        'createTenantBilling',
        'cancelTenantBilling',
        'revokeTenantSecretAccess',
        'dropTenantDatabase',
        'markTenantFailed',
      ]);
      const progress = await handle.query(getProgressQuery);
      assert.deepEqual(statuses(progress), {
        record: 'completed',
        database: 'compensated',
        secrets: 'compensated',
        billing: 'failed',
        cluster: 'pending',
        license: 'pending',
        welcome: 'pending',
        activate: 'pending',
      });
      assert.equal(
        progress.steps.find((step) => step.name === 'billing')?.error,
        'Plan "team" has no price in Stripe.',
      );
    });
  });

  it('records an undo that fails for good on its step and in the reason, and still runs the others', async () => {
    const standIns = {
      ...succeed,
      issueTenantLicense: refuse('The license key is unusable.', 'LicenseKeyUnusable'),
      cancelTenantBilling: refuse('The billing provider refused the cancellation.', 'BillingError'),
    } satisfies Partial<Activities>;
    await harness.withWorker(standIns, async (s) => {
      const handle = await start(s, inputFor());
      const failure = await failureOf(handle);
      assert.equal(failure.type, 'TenantProvisioningFailed');
      assert.deepEqual(s.names(), [
        'createTenantRecord',
        'createTenantDatabase',
        'grantTenantSecretAccess',
        'createTenantBilling',
        'createTenantEnvironments',
        'issueTenantLicense',
        'withdrawTenantLicense',
        'deleteTenantNamespaces',
        'cancelTenantBilling',
        'revokeTenantSecretAccess',
        'dropTenantDatabase',
        'markTenantFailed',
      ]);
      const reason =
        'The license key is unusable. (cleanup incomplete — billing: The billing provider refused the cancellation.)';
      assert.equal(s.inputOf('markTenantFailed').reason, reason);
      assert.match(failure.message, /cleanup incomplete — billing: The billing provider refused the cancellation\./);

      const progress = await handle.query(getProgressQuery);
      assert.deepEqual([progress.phase, progress.error], ['failed', reason]);
      const billing = progress.steps.find((step) => step.name === 'billing');
      assert.deepEqual(
        [billing?.status, billing?.error],
        ['failed', 'Undoing this step failed: The billing provider refused the cancellation.'],
      );
      assert.deepEqual(
        [statuses(progress).database, statuses(progress).secrets, statuses(progress).license],
        ['compensated', 'compensated', 'failed'],
      );
    });
  });
});
