// tenantBilling with typed activity stand-ins, and the real suspendTenant and reactivateTenant
// workflows (their own activities stood in too) on a second in-process worker polling the
// tenant-suspension queue its input names — so a billing suspension is started exactly as the
// admin console's is, as a workflow of that family under `tenant-suspend/<slug>/<n>`. The
// branches: an event handed over twice is acted on once; the grace timer suspends and the
// payment lifts it; an admin's suspension in force is neither stacked on nor lifted; events
// out of order; a long life continues as new, carrying what it remembers and what waits.
// And changePlan: upgrade, refusal, a downgrade that waits for the period end and checks again,
// and a change into a plan that needs approval that no platform admin approves in time.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Worker } from '@temporalio/worker';
import type { BillingActivities } from '../../activities/billing/index.ts';
import type { TenantSuspensionActivities } from '../../activities/tenant-suspension/index.ts';
import { bundleWorkflows } from '../../worker/workflow-bundle.ts';
import type { StripeEventRef, TenantBillingInput } from '../../workflows/billing/contract.ts';
import {
  changePlanWorkflowId,
  getBillingViewQuery,
  stripeEventSignal,
  tenantBillingWorkflowId,
} from '../../workflows/billing/contract.ts';
import type { changePlan, tenantBilling } from '../../workflows/billing/index.ts';
import { tenantApprovalPolicy } from '../../workflows/approvals/policy.ts';
import { approvalStandIns } from '../support/approvals.ts';
import { testEnv } from '../support/env.ts';
import { DISCARDED_RUN_NOTES } from '../../worker/workflow-run-metering.ts';
import { recordHistory } from '../support/histories.ts';
import type { Scenario, WorkflowHarness } from '../support/workflow-harness.ts';
import { failureOf, startWorkflowHarness, TEST_TIMINGS } from '../support/workflow-harness.ts';

type Activities = BillingActivities;
const GRACE_MS = 700;

/** Stand-ins that succeed: the tenant is active with no suspension. */
function succeed(overrides: Partial<Activities> = {}) {
  return {
    startDunning: () => Promise.resolve({ recipients: ['owner@example.test'] }),
    addDunningInvoice: () => Promise.resolve(),
    endDunning: () => Promise.resolve(),
    prepareBillingSuspension: () => Promise.resolve({ start: true as const, number: 1 }),
    recordBillingSuspension: () => Promise.resolve(),
    prepareBillingReactivation: (input: { number: number }) =>
      Promise.resolve({ start: true as const, number: input.number }),
    followSubscription: () => Promise.resolve({ plan: 'team', licenseId: randomUUID(), unknownPrices: [] }),
    recordStripeEventOutcome: () => Promise.resolve({ tenantStatus: 'active' }),
    ...overrides,
  } satisfies Partial<Activities>;
}

let counter = 0;
function ref(type: StripeEventRef['type'], objectId: string, extra: Partial<StripeEventRef> = {}): StripeEventRef {
  counter += 1;
  return {
    eventId: `evt_${randomBytes(6).toString('hex')}`,
    type,
    created: 1_800_000_000 + counter,
    objectId,
    objectStatus: type === 'invoice.paid' ? 'paid' : 'open',
    ...extra,
  };
}

describe('tenantBilling (activity stand-ins, the real suspension workflows)', () => {
  let harness: WorkflowHarness;
  let suspensionWorker: Worker;
  let suspensionConnection: NativeConnection;
  let running: Promise<void>;
  const prefix = `atrium-wftest-billing-${randomBytes(4).toString('hex')}`;
  const suspensionCalls: Array<{ name: string; input: any }> = [];

  before(async () => {
    harness = await startWorkflowHarness('billing');
    suspensionConnection = await NativeConnection.connect({ address: testEnv.ATRIUM_TEST_TEMPORAL_ADDRESS });
    const record =
      (name: string, answer: unknown = undefined) =>
      (input: unknown) => {
        suspensionCalls.push({ name, input });
        return Promise.resolve(answer);
      };
    suspensionWorker = await Worker.create({
      connection: suspensionConnection,
      taskQueue: `${prefix}-tenant-suspension`,
      workflowBundle: await bundleWorkflows(['tenant-suspension'], new DefaultLogger('WARN')),
      activities: {
        blockTenant: record('blockTenant'),
        revokeTenantSessions: record('revokeTenantSessions'),
        scaleDownTenantWorkloads: record('scaleDownTenantWorkloads', { skipped: 'no cluster' }),
        restoreTenantWorkloads: record('restoreTenantWorkloads', { skipped: 'no cluster' }),
        unblockTenant: record('unblockTenant'),
        listResumableWebhookEndpoints: record('listResumableWebhookEndpoints', { endpointIds: [] }),
        pauseTenantSchedules: record('pauseTenantSchedules', { paused: [] }),
        resumeTenantSchedules: record('resumeTenantSchedules', { resumed: [] }),
      } satisfies Partial<Record<keyof TenantSuspensionActivities, (input: any) => Promise<unknown>>>,
      sinks: DISCARDED_RUN_NOTES,
    });
    running = suspensionWorker.run();
  });
  after(async () => {
    suspensionWorker?.shutdown();
    await running;
    await suspensionConnection?.close();
    await harness?.stop();
  });

  async function start(s: Scenario, extra: Partial<TenantBillingInput> = {}) {
    const slug = `wf-bill-${randomUUID().slice(0, 8)}`;
    const input: TenantBillingInput = {
      tenantId: randomUUID(),
      slug,
      taskQueuePrefix: prefix,
      policy: { dunningGracePeriodMs: GRACE_MS },
      timings: TEST_TIMINGS,
      ...extra,
    };
    const handle = await s.start<typeof tenantBilling>('tenantBilling', input, tenantBillingWorkflowId(slug));
    return { handle, input };
  }

  const send = (handle: WorkflowHandle<typeof tenantBilling>, ...events: StripeEventRef[]) =>
    Promise.all(events.map((event) => handle.signal(stripeEventSignal, event)));

  const outcomes = (s: Scenario) =>
    s.calls
      .filter((call) => call.name === 'recordStripeEventOutcome')
      .map((call) => [call.input.eventId, call.input.outcome]);

  it('acts once on an event handed over twice; suspends after the grace period; the payment lifts it', async () => {
    await harness.withWorker(succeed(), async (s) => {
      const { handle, input } = await start(s);
      const failed = ref('invoice.payment_failed', 'in_1');
      await send(handle, failed, failed);
      await s.waitUntil('the event acted on', () => outcomes(s).length === 1);
      await send(handle, failed);
      await s.waitUntil('the billing suspension recorded', () => s.names().includes('recordBillingSuspension'));
      assert.equal(s.names().filter((n) => n === 'startDunning').length, 1, 'dunning started once');
      assert.deepEqual(s.inputOf('recordBillingSuspension'), {
        tenantId: input.tenantId,
        number: 1,
        skipped: null,
        actor: { type: 'system', id: null, requestId: null, ip: null },
      });
      const blocked = suspensionCalls.find((c) => c.name === 'blockTenant' && c.input.tenantId === input.tenantId);
      assert.deepEqual(blocked?.input.reason, 'billing');
      const suspend = await harness.client.workflow.getHandle(`tenant-suspend/${input.slug}/1`).describe();
      assert.equal(suspend.type, 'suspendTenant');
      assert.equal((await handle.query(getBillingViewQuery)).status, 'suspended');

      const paid = ref('invoice.paid', 'in_1');
      await send(handle, paid);
      await s.waitUntil('dunning ended', () => s.names().includes('endDunning'));
      assert.equal(s.inputOf('endDunning').liftedSuspension, 1);
      assert.ok(suspensionCalls.some((c) => c.name === 'unblockTenant' && c.input.tenantId === input.tenantId));
      await s.waitUntil('the payment recorded', () => outcomes(s).length === 2);
      const reactivate = await harness.client.workflow.getHandle(`tenant-reactivate/${input.slug}/1`).describe();
      assert.equal(reactivate.status.name, 'COMPLETED');
      assert.deepEqual(outcomes(s), [
        [failed.eventId, 'dunning-started'],
        [paid.eventId, 'dunning-ended'],
      ]);
      assert.equal((await handle.query(getBillingViewQuery)).status, 'in-good-standing');
    });
  });

  it("neither stacks on nor lifts an admin's suspension", async () => {
    const standIns = succeed({
      prepareBillingSuspension: () =>
        Promise.resolve({ start: false as const, reason: 'suspension 3 (abuse) is in force already' }),
    });
    await harness.withWorker(standIns, async (s) => {
      const { handle, input } = await start(s);
      await send(handle, ref('invoice.payment_failed', 'in_a'));
      await s.waitUntil('the suspension decided', () => s.names().includes('recordBillingSuspension'));
      assert.equal(s.inputOf('recordBillingSuspension').skipped, 'suspension 3 (abuse) is in force already');
      await send(handle, ref('invoice.paid', 'in_a'));
      await s.waitUntil('dunning ended', () => s.names().includes('endDunning'));
      assert.equal(s.inputOf('endDunning').liftedSuspension, null);
      assert.ok(!s.names().includes('prepareBillingReactivation'), 'nothing to lift');
      assert.ok(!suspensionCalls.some((c) => c.input.tenantId === input.tenantId), 'no suspension workflow ran');
    });
  });

  it('judges order by the object: a payment before its failure, an older subscription update, a deletion', async () => {
    await harness.withWorker(succeed(), async (s) => {
      const { handle } = await start(s);
      const paid = ref('invoice.paid', 'in_o');
      const failed = ref('invoice.payment_failed', 'in_o', { created: paid.created - 100 });
      const newer = ref('customer.subscription.updated', 'sub_1', { objectStatus: 'active', priceIds: ['price_team'] });
      const older = ref('customer.subscription.updated', 'sub_1', { created: newer.created - 10, priceIds: ['x'] });
      const deleted = ref('customer.subscription.deleted', 'sub_1', { objectStatus: 'canceled' });
      const revived = ref('customer.subscription.updated', 'sub_1', { objectStatus: 'active' });
      await send(handle, paid);
      await send(handle, failed);
      await send(handle, newer);
      await send(handle, older);
      await send(handle, deleted);
      await send(handle, revived);
      await s.waitUntil('six events acted on', () => outcomes(s).length === 6);
      assert.deepEqual(outcomes(s), [
        [paid.eventId, 'invoice-paid'],
        [failed.eventId, 'stale'],
        [newer.eventId, 'subscription-followed'],
        [older.eventId, 'stale'],
        [deleted.eventId, 'subscription-followed'],
        [revived.eventId, 'stale'],
      ]);
      assert.ok(!s.names().includes('startDunning'));
      assert.deepEqual(
        s.calls.filter((c) => c.name === 'followSubscription').map((c) => [c.input.status, c.input.deleted]),
        [
          ['active', false],
          ['canceled', true],
        ],
      );
    });
  });

  it('continues as new after a hundred events, carrying what it remembers and what waits', async () => {
    await harness.withWorker(succeed(), async (s) => {
      const { handle } = await start(s, {
        memory: {
          handled: ['evt_remembered'],
          paidInvoices: [],
          dunning: null,
          billingSuspension: null,
          subscriptions: {},
        },
      });
      const firstRun = (await handle.describe()).runId;
      const events = Array.from({ length: 105 }, (_, i) => ref('invoice.paid', `in_many_${i}`));
      for (let i = 0; i < events.length; i += 15) await send(handle, ...events.slice(i, i + 15));
      await send(handle, ref('invoice.paid', 'in_x', { eventId: 'evt_remembered' }));
      await s.waitUntil('every event acted on', () => outcomes(s).length === 105, 60_000);
      const latest = await harness.client.workflow.getHandle(handle.workflowId).describe();
      assert.notEqual(latest.runId, firstRun, 'a new run');
      assert.equal(new Set(outcomes(s).map(([id]) => id)).size, 105, 'each event once, across the runs');
      assert.ok(!outcomes(s).some(([id]) => id === 'evt_remembered'), 'a remembered event is dropped');
      const view = await harness.client.workflow.getHandle(handle.workflowId).query(getBillingViewQuery);
      assert.equal(view.handled, 106);
      await recordHistory(harness.client, handle.workflowId, 'tenant-billing-continued-as-new', firstRun);
    });
  });
});

describe('changePlan (activity stand-ins)', () => {
  let harness: WorkflowHarness;
  before(async () => {
    harness = await startWorkflowHarness('billing');
  });
  after(async () => {
    await harness?.stop();
  });

  const owner = { type: 'user' as const, id: 'owner', requestId: null, ip: null };
  const fits = { blockers: [] };
  const exceeds = {
    blockers: [
      {
        limit: 'members' as const,
        used: 5,
        allowed: 3,
        message: 'Remove 2 members (5 in use; the free plan allows 3).',
      },
    ],
  };
  function planStandIns(overrides: Partial<Activities> = {}) {
    return {
      checkPlanFits: () => Promise.resolve(fits),
      readBillingPeriodEnd: () => Promise.resolve({ currentPeriodEnd: null }),
      changeSubscriptionPlan: () => Promise.resolve({ skipped: null, subscriptionId: 'sub_1' }),
      applyPlanQuotas: () => Promise.resolve({ skipped: 'no cluster configured', namespaces: [] }),
      applyPlanChange: () => Promise.resolve({ licenseId: randomUUID() }),
      recordPlanChangeStatus: () => Promise.resolve(),
      ...overrides,
    } satisfies Partial<Activities>;
  }
  function input(direction: 'upgrade' | 'downgrade', timing: 'now' | 'period-end') {
    const slug = `wf-plan-${randomUUID().slice(0, 8)}`;
    return {
      tenantId: randomUUID(),
      slug,
      number: 1,
      from: direction === 'upgrade' ? ('team' as const) : ('enterprise' as const),
      to: direction === 'upgrade' ? ('enterprise' as const) : ('free' as const),
      direction,
      timing,
      requestedBy: owner,
      timings: TEST_TIMINGS,
    };
  }

  it('upgrades with proration, skipping the wait; a skipped cluster step shows as skipped', async () => {
    await harness.withWorker(planStandIns(), async (s) => {
      const plan = input('upgrade', 'now');
      const handle = await s.start<typeof changePlan>('changePlan', plan, changePlanWorkflowId(plan.slug, 1));
      const result = await handle.result();
      assert.equal(result.status, 'applied');
      assert.deepEqual(s.names(), ['checkPlanFits', 'changeSubscriptionPlan', 'applyPlanQuotas', 'applyPlanChange']);
      assert.equal(s.inputOf('changeSubscriptionPlan').prorate, true);
      assert.equal(s.inputOf('changeSubscriptionPlan').idempotencyKey, `tenant-plan/${plan.slug}/1/subscription`);
      assert.deepEqual(
        result.progress.steps.map((step) => step.status),
        ['completed', 'skipped', 'completed', 'skipped', 'completed'],
      );
    });
  });

  it('refuses a plan the tenant exceeds before touching the subscription, and records why', async () => {
    await harness.withWorker(planStandIns({ checkPlanFits: () => Promise.resolve(exceeds) }), async (s) => {
      const plan = input('downgrade', 'now');
      const handle = await s.start<typeof changePlan>('changePlan', plan, changePlanWorkflowId(plan.slug, 1));
      const failure = await failureOf(handle);
      assert.equal(failure.type, 'PlanChangeRefused');
      assert.match(failure.message, /Remove 2 members/);
      assert.deepEqual(s.names(), ['checkPlanFits', 'recordPlanChangeStatus']);
      assert.equal(s.inputOf('recordPlanChangeStatus').status, 'refused');
    });
  });

  it('waits for the period end, then checks again: usage that grew meanwhile refuses the downgrade', async () => {
    let checks = 0;
    const standIns = planStandIns({
      checkPlanFits: () => Promise.resolve(++checks === 1 ? fits : exceeds),
      readBillingPeriodEnd: () => Promise.resolve({ currentPeriodEnd: Date.now() + 1_500 }),
    });
    await harness.withWorker(standIns, async (s) => {
      const plan = input('downgrade', 'period-end');
      const handle = await s.start<typeof changePlan>('changePlan', plan, changePlanWorkflowId(plan.slug, 1));
      const failure = await failureOf(handle);
      assert.equal(failure.type, 'PlanChangeRefused');
      assert.deepEqual(s.names(), [
        'checkPlanFits',
        'readBillingPeriodEnd',
        'recordPlanChangeStatus',
        'checkPlanFits',
        'recordPlanChangeStatus',
      ]);
      assert.deepEqual(
        s.calls.filter((call) => call.name === 'recordPlanChangeStatus').map((call) => call.input.status),
        ['scheduled', 'refused'],
      );
    });
  });

  it('a downgrade without proration at the period end; a failure no retry fixes is recorded as failed', async () => {
    const standIns = planStandIns({
      readBillingPeriodEnd: () => Promise.resolve({ currentPeriodEnd: Date.now() + 300 }),
      changeSubscriptionPlan: () =>
        Promise.reject(ApplicationFailure.nonRetryable('Stripe refused the price', 'BillingError')),
    });
    await harness.withWorker(standIns, async (s) => {
      const plan = input('downgrade', 'period-end');
      const handle = await s.start<typeof changePlan>('changePlan', plan, changePlanWorkflowId(plan.slug, 1));
      const failure = await failureOf(handle);
      assert.equal(failure.type, 'PlanChangeFailed');
      assert.match(failure.message, /Stripe refused the price/);
      assert.equal(s.inputOf('changeSubscriptionPlan').prorate, false);
      assert.deepEqual(
        s.calls.filter((call) => call.name === 'recordPlanChangeStatus').map((call) => call.input.status),
        ['scheduled', 'failed'],
      );
    });
  });

  it('a change that needs approval waits for it; none in time ends it rejected, the subscription untouched', async () => {
    const standIns = { ...approvalStandIns(() => []), ...planStandIns() };
    await harness.withWorker(standIns, async (s) => {
      const plan = {
        ...input('upgrade', 'now'),
        approval: { requesterId: 'owner', timeoutMs: 1_000, policy: tenantApprovalPolicy(1_000) },
      };
      const handle = await s.start<typeof changePlan>('changePlan', plan, changePlanWorkflowId(plan.slug, 1));
      const failure = await failureOf(handle);
      assert.equal(failure.type, 'PlanChangeNotApproved');
      assert.match(failure.message, /not approved: no platform admin approved it within 1 s/);
      assert.equal(s.names().includes('changeSubscriptionPlan'), false);
      assert.deepEqual(s.inputOf('openApprovalRequest').subject, {
        kind: 'plan-change',
        id: `${plan.slug}/1`,
        label: `Plan change of ${plan.slug} from team to enterprise`,
      });
      assert.deepEqual(
        s.calls.filter((call) => call.name === 'recordPlanChangeStatus').map((call) => call.input.status),
        ['awaiting-approval', 'rejected'],
      );
    });
  });
});
