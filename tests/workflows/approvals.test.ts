// The approval primitive (workflows/approvals/gate.ts) inside a workflow that waits on it —
// provisionTenant with a policy given in its input — on an in-process worker with activity
// stand-ins: the trust boundary (no assertion, a forged one, one for another workflow or an
// unknown key until the keys are re-read), separation of duties, a quorum of two, and an
// expiry that escalates to the next group and then rejects; and a cancel while it waits.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import type { TenantProvisioningActivities } from '../../activities/tenant-provisioning/index.ts';
import type { ApprovalDecisionArgs } from '../../workflows/approvals/contract.ts';
import {
  approveRequestUpdate,
  refreshApprovalKeysSignal,
  rejectRequestUpdate,
} from '../../workflows/approvals/contract.ts';
import type { ApprovalPolicy } from '../../workflows/approvals/policy.ts';
import type { ProvisionTenantInput } from '../../workflows/tenant-provisioning/contract.ts';
import { provisionTenantWorkflowId } from '../../workflows/tenant-provisioning/contract.ts';
import type { provisionTenant } from '../../workflows/tenant-provisioning/index.ts';
import type { TestSigner } from '../support/approvals.ts';
import { approvalStandIns, createTestSigner } from '../support/approvals.ts';
import type { Scenario, WorkflowHarness } from '../support/workflow-harness.ts';
import { failureOf, startWorkflowHarness, TEST_TIMINGS, updateRefused } from '../support/workflow-harness.ts';

type Activities = TenantProvisioningActivities;

const REQUESTER = 'requester-1';

function standIns(signing: TestSigner) {
  return {
    ...approvalStandIns(() => signing.keys()),
    createTenantRecord: async () => {},
    requestTenantApproval: async () => {},
    recordTenantApproval: async () => {},
    createTenantDatabase: ({ slug }) =>
      Promise.resolve({ schemaName: `tenant_${slug}`, roleName: `r_${slug}`, secretPath: `tenants/${slug}/database` }),
    grantTenantSecretAccess: ({ slug }) =>
      Promise.resolve({ pathPrefix: `tenants/${slug}`, policyName: 'p', roleName: 'r', enforced: false }),
    createTenantBilling: () =>
      Promise.resolve({
        customerId: 'c',
        subscriptionId: 's',
        status: 'active',
        customerKey: 'ck',
        subscriptionKey: 'sk',
      }),
    createTenantEnvironments: () =>
      Promise.resolve({ skipped: 'no cluster', namespaces: [], environments: ['production'] }),
    issueTenantLicense: () => Promise.resolve({ licenseId: 'l', keyId: 'k', tier: 'enterprise' }),
    sendWelcomeMail: () => Promise.resolve({ sent: true }),
    activateTenant: async () => {},
    markTenantFailed: async () => {},
  } satisfies Partial<Activities>;
}

const twoAdmins = (expiresAfterMs: number): ApprovalPolicy => ({
  version: 1,
  rules: [
    {
      name: 'two platform admins',
      stages: [{ name: 'admins', approvers: { kind: 'role', role: 'platform-admin', count: 2 }, expiresAfterMs }],
    },
  ],
});

describe('approval primitive in a workflow (activity stand-ins)', () => {
  let harness: WorkflowHarness;
  let signing: TestSigner;
  before(async () => {
    harness = await startWorkflowHarness('tenant-provisioning');
    signing = await createTestSigner();
  });
  after(async () => {
    await harness?.stop();
  });

  function inputFor(policy: ApprovalPolicy): ProvisionTenantInput {
    const slug = `wf-appr-${randomUUID().slice(0, 8)}`;
    return {
      tenantId: randomUUID(),
      slug,
      name: `Tenant ${slug}`,
      plan: 'enterprise',
      ownerEmail: `owner@${slug}.test`,
      requestedBy: { type: 'user', id: REQUESTER, requestId: null, ip: null },
      timings: TEST_TIMINGS,
      approval: { required: true, timeoutMs: 60_000, requesterId: REQUESTER, policy },
    };
  }
  const start = (s: Scenario, input: ProvisionTenantInput) =>
    s.start<typeof provisionTenant>('provisionTenant', input, provisionTenantWorkflowId(input.slug));

  it('refuses Updates without a valid assertion and the requester; two admins approve and provisioning continues', async () => {
    await harness.withWorker(standIns(signing), async (s) => {
      const handle = await start(s, inputFor(twoAdmins(60_000)));
      await s.waitUntil('the request is open', () => s.names().includes('requestTenantApproval'));
      const { requestId } = s.inputOf('openApprovalRequest');
      const send = (args: ApprovalDecisionArgs) => handle.executeUpdate(approveRequestUpdate, { args: [args] });
      const signed = (sub: string, extra: { platformAdmin?: boolean; workflowId?: string; requestId?: string } = {}) =>
        signing.assertion(
          { sub, platformAdmin: extra.platformAdmin ?? true },
          {
            workflowId: extra.workflowId ?? handle.workflowId,
            requestId: extra.requestId ?? requestId,
            action: 'approve',
          },
        );

      // Straight to the workflow (as from the Temporal UI): no assertion, a made-up one.
      await assert.rejects(send({ requestId, assertion: '' }), updateRefused(/Refused: no approval assertion/));
      const honest = await signed('admin-a');
      const [payload] = honest.split('.');
      await assert.rejects(
        send({ requestId, assertion: `${payload}.${'A'.repeat(86)}` }),
        updateRefused(/no valid signature/),
      );
      // Signed for another workflow, or another request, or for rejecting.
      await assert.rejects(
        send({ requestId, assertion: await signed('admin-a', { workflowId: 'tenant-provision/elsewhere' }) }),
        updateRefused(/for another workflow/),
      );
      await assert.rejects(
        send({ requestId, assertion: await signed('admin-a', { requestId: 'another' }) }),
        updateRefused(/for another approval request/),
      );
      await assert.rejects(
        handle.executeUpdate(rejectRequestUpdate, { args: [{ requestId, assertion: honest, comment: 'no' }] }),
        updateRefused(/is for "approve", not "reject"/),
      );
      // Separation of duties: the requester (even as a platform admin), and one person once.
      await assert.rejects(send({ requestId, assertion: await signed(REQUESTER) }), updateRefused(/\(requester\)/));
      await assert.rejects(
        send({ requestId, assertion: await signed('member-1', { platformAdmin: false }) }),
        updateRefused(/\(not-an-approver\)/),
      );
      assert.equal(s.names().includes('recordApprovalDecision'), false, 'no refused Update reached history');

      assert.deepEqual(await send({ requestId, assertion: honest, comment: 'contract checked' }), {
        requestId,
        status: 'pending',
        approvals: 1,
        needed: 2,
      });
      await assert.rejects(
        send({ requestId, assertion: await signed('admin-a') }),
        updateRefused(/\(decided-already\)/),
      );
      assert.deepEqual(await send({ requestId, assertion: await signed('admin-b') }), {
        requestId,
        status: 'approved',
        approvals: 2,
        needed: 2,
      });

      const result = await handle.result();
      assert.equal(result.progress.phase, 'completed');
      const decisions = s.calls.filter((call) => call.name === 'recordApprovalDecision').map((call) => call.input);
      assert.deepEqual(
        decisions.map((d) => [d.userId, d.decision, d.comment]),
        [
          ['admin-a', 'approve', 'contract checked'],
          ['admin-b', 'approve', null],
        ],
      );
      assert.deepEqual(s.inputOf('closeApprovalRequest'), {
        requestId,
        tenantId: s.inputOf('openApprovalRequest').tenantId,
        status: 'approved',
        reason: null,
        expired: false,
        decidedBy: 'admin-b',
      });
      assert.equal(s.inputOf('recordTenantApproval').approved, true);
    });
  });

  it('refuses an expired assertion', async () => {
    const shortLived = await createTestSigner({ assertionTtlMs: 1 });
    await harness.withWorker(standIns(shortLived), async (s) => {
      const handle = await start(s, inputFor(twoAdmins(60_000)));
      await s.waitUntil('the request is open', () => s.names().includes('requestTenantApproval'));
      const { requestId } = s.inputOf('openApprovalRequest');
      const assertion = await shortLived.assertion(
        { sub: 'admin-a', platformAdmin: true },
        { workflowId: handle.workflowId, requestId, action: 'approve' },
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
      await assert.rejects(
        handle.executeUpdate(approveRequestUpdate, { args: [{ requestId, assertion }] }),
        updateRefused(/has expired/),
      );
      await handle.terminate('test over');
    });
  });

  it('takes a key published after the request opened only once asked to re-read the keys', async () => {
    const later = await createTestSigner();
    let keys = signing.keys();
    const stands = { ...standIns(signing), ...approvalStandIns(() => keys) };
    await harness.withWorker(stands, async (s) => {
      const handle = await start(s, inputFor(twoAdmins(60_000)));
      await s.waitUntil('the request is open', () => s.names().includes('requestTenantApproval'));
      const { requestId } = s.inputOf('openApprovalRequest');
      const assertion = await later.assertion(
        { sub: 'admin-a', platformAdmin: true },
        { workflowId: handle.workflowId, requestId, action: 'approve' },
      );
      const send = () => handle.executeUpdate(approveRequestUpdate, { args: [{ requestId, assertion }] });
      await assert.rejects(send(), updateRefused(/unknown key/));
      keys = [...signing.keys(), ...later.keys()];
      await handle.signal(refreshApprovalKeysSignal);
      await s.waitUntil(
        'the keys are read again',
        () => s.names().filter((name) => name === 'loadApprovalVerificationKeys').length === 2,
      );
      // The read has started; its result reaches the workflow a moment later. A refused Update
      // leaves nothing in the history, so asking again until the key is known is harmless.
      let accepted: Awaited<ReturnType<typeof send>> | null = null;
      await s.waitUntil('the workflow takes the new key', async () => {
        accepted = await send().catch((error: unknown) => {
          if (updateRefused(/unknown key/)(error)) return null;
          throw error;
        });
        return accepted !== null;
      });
      assert.equal(accepted!.approvals, 1);
      await handle.terminate('test over');
    });
  });

  it('escalates an unanswered request to the next group, then rejects it when that expires too', async () => {
    const policy: ApprovalPolicy = {
      version: 1,
      rules: [
        {
          name: 'escalating',
          stages: [
            { name: 'admins', approvers: { kind: 'role', role: 'platform-admin', count: 1 }, expiresAfterMs: 1_500 },
            {
              name: 'release managers',
              approvers: { kind: 'group', group: 'release-managers', count: 1 },
              expiresAfterMs: 1_500,
            },
          ],
        },
      ],
    };
    await harness.withWorker(standIns(signing), async (s) => {
      const handle = await start(s, inputFor(policy));
      await s.waitUntil('the request escalated', () => s.names().includes('escalateApprovalRequest'));
      const { requestId } = s.inputOf('openApprovalRequest');
      // The first group's approval no longer counts: the next group decides.
      await assert.rejects(
        handle.executeUpdate(approveRequestUpdate, {
          args: [
            {
              requestId,
              assertion: await signing.assertion(
                { sub: 'admin-a', platformAdmin: true },
                { workflowId: handle.workflowId, requestId, action: 'approve' },
              ),
            },
          ],
        }),
        updateRefused(/needs 1 × group release-managers/),
      );
      const failure = await failureOf(handle);
      assert.equal(failure.type, 'TenantNotApproved');
      assert.deepEqual(s.inputOf('escalateApprovalRequest').toStage, 1);
      assert.deepEqual(
        [s.inputOf('closeApprovalRequest').status, s.inputOf('closeApprovalRequest').expired],
        ['rejected', true],
      );
      assert.deepEqual(
        s.names().filter((name) => /Approval/.test(name)),
        [
          'loadApprovalVerificationKeys',
          'openApprovalRequest',
          'requestTenantApproval',
          'escalateApprovalRequest',
          'closeApprovalRequest',
          'recordTenantApproval',
        ],
      );
    });
  });

  it('a workflow cancelled while it waits for a decision ends cancelled (the open request does not keep it running)', async () => {
    await harness.withWorker(standIns(signing), async (s) => {
      const handle = await start(s, inputFor(twoAdmins(60_000)));
      await s.waitUntil('the request is open', () => s.names().includes('requestTenantApproval'));
      await handle.cancel();
      const outcome = await Promise.race([
        handle.result().then(
          () => 'completed',
          (error: unknown) => error,
        ),
        new Promise((resolve) => setTimeout(() => resolve('still running after 15 s'), 15_000)),
      ]);
      assert.ok(outcome instanceof WorkflowFailedError && outcome.cause instanceof CancelledFailure, String(outcome));
      assert.equal((await handle.describe()).status.name, 'CANCELLED');
    });
  });
});
