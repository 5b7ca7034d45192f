// deliverWebhookEvents with typed activity stand-ins: the branches the platform tests reach
// only slowly — the disable timer of a paused endpoint finding it re-enabled (its resume
// signal lost), a stray wake-up that keeps the disable deadline, a suspended tenant's hold released by `resumeDelivery` without spending an
// attempt number, and a run carried over paused by the earlier code (no `head`), whose
// disable deadline counts from its start.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { WebhookActivities } from '../../activities/webhooks/index.ts';
import type { DeliverWebhookEventsInput, DeliveryPolicy } from '../../workflows/webhooks/contract.ts';
import {
  getDeliveryStateQuery,
  resumeDeliverySignal,
  webhookEndpointWorkflowId,
} from '../../workflows/webhooks/contract.ts';
import type { deliverWebhookEvents } from '../../workflows/webhooks/index.ts';
import type { Scenario, WorkflowHarness } from '../support/workflow-harness.ts';
import { startWorkflowHarness } from '../support/workflow-harness.ts';

type Activities = WebhookActivities;
type Outcome = Awaited<ReturnType<Activities['attemptWebhookDelivery']>>['outcome'];

const POLICY: DeliveryPolicy = {
  initialIntervalMs: 100,
  maxIntervalMs: 60_000,
  pauseAfterMs: 250,
  disableAfterMs: 1_500,
  idleTimeoutMs: 500,
  requestTimeoutMs: 1_000,
};

/** An attempt stand-in answering the given outcomes in turn, then `delivered`. */
function answers(...outcomes: Outcome[]) {
  return () => Promise.resolve({ outcome: outcomes.shift() ?? 'delivered', status: null });
}

describe('deliverWebhookEvents (activity stand-ins)', () => {
  let harness: WorkflowHarness;
  before(async () => {
    harness = await startWorkflowHarness('webhooks');
  });
  after(async () => {
    await harness?.stop();
  });

  function start(s: Scenario, extra: Partial<DeliverWebhookEventsInput> = {}) {
    const slug = `wf-hooks-${randomUUID().slice(0, 8)}`;
    const endpointId = randomUUID();
    const input: DeliverWebhookEventsInput = {
      tenantId: randomUUID(),
      slug,
      endpointId,
      policy: POLICY,
      queue: [{ sequence: '1', eventId: 'event-1' }],
      lastSequence: '1',
      ...extra,
    };
    return s.start<typeof deliverWebhookEvents>(
      'deliverWebhookEvents',
      input,
      webhookEndpointWorkflowId(slug, endpointId),
    );
  }

  it('at the disable deadline, an endpoint found re-enabled is delivered to, not disabled', async () => {
    // The receiver fails until the deadline came (and a member had re-enabled the endpoint).
    let deadlineCame = false;
    const standIns = {
      attemptWebhookDelivery: () =>
        Promise.resolve({ outcome: deadlineCame ? ('delivered' as const) : ('retry' as const), status: null }),
      pauseWebhookEndpoint: () => Promise.resolve({ status: 'paused' as const }),
      disablePausedWebhookEndpoint: () => {
        deadlineCame = true;
        return Promise.resolve({ status: 'enabled' as const });
      },
    } satisfies Partial<Activities>;
    await harness.withWorker(standIns, async (s) => {
      const handle = await start(s);
      const result = await handle.result();
      assert.deepEqual(result, { endpointId: result.endpointId, end: 'idle', delivered: 1, dropped: 0 });
      const names = s.names();
      const paused = names.indexOf('pauseWebhookEndpoint');
      assert.deepEqual(names.slice(paused, paused + 3), [
        'pauseWebhookEndpoint',
        'disablePausedWebhookEndpoint',
        'attemptWebhookDelivery',
      ]);
      const pause = s.inputOf('pauseWebhookEndpoint');
      const disable = s.inputOf('disablePausedWebhookEndpoint');
      assert.equal(disable.failingSince, pause.failingSince, 'the deadline counts from the first failure');
      assert.equal(
        Date.parse(pause.disableAt) - Date.parse(pause.failingSince),
        POLICY.disableAfterMs,
        'the pause mail names the deadline',
      );
      assert.deepEqual([disable.attempts, disable.dropped, disable.disableAfterMs], [pause.attempts, 1, 1_500]);
      // Attempt numbers go on where they were.
      const numbers = s.calls.filter((c) => c.name === 'attemptWebhookDelivery').map((c) => c.input.attempt);
      assert.deepEqual(
        numbers,
        numbers.map((_, i) => i + 1),
      );
    });
  });

  it('a stray wake-up while still paused keeps the disable deadline of the first failure', async () => {
    let pausedNow = false;
    const standIns = {
      attemptWebhookDelivery: () =>
        Promise.resolve({ outcome: pausedNow ? ('paused' as const) : ('retry' as const), status: null }),
      pauseWebhookEndpoint: () => {
        pausedNow = true;
        return Promise.resolve({ status: 'paused' as const });
      },
      disablePausedWebhookEndpoint: () => Promise.resolve({ status: 'disabled' as const }),
    } satisfies Partial<Activities>;
    await harness.withWorker(standIns, async (s) => {
      const handle = await start(s);
      await s.waitUntil('the pause', async () => (await handle.query(getDeliveryStateQuery)).status === 'paused');
      // A reactivation's or an offboarding's wake-up: the endpoint itself is still paused.
      await handle.signal(resumeDeliverySignal);
      const result = await handle.result();
      assert.equal(result.end, 'disabled-by-delivery');
      assert.equal(
        s.inputOf('disablePausedWebhookEndpoint').failingSince,
        s.inputOf('pauseWebhookEndpoint').failingSince,
      );
      const afterPause = s.names().slice(s.names().indexOf('pauseWebhookEndpoint') + 1);
      assert.deepEqual(afterPause, ['attemptWebhookDelivery', 'disablePausedWebhookEndpoint']);
    });
  });

  it("holds a suspended tenant's queue until resumeDelivery, spending no attempt number", async () => {
    const standIns = {
      attemptWebhookDelivery: answers('tenant-suspended'),
    } satisfies Partial<Activities>;
    await harness.withWorker(standIns, async (s) => {
      const handle = await start(s);
      await s.waitUntil(
        'the hold',
        async () => (await handle.query(getDeliveryStateQuery)).status === 'tenant-suspended',
      );
      // maxIntervalMs (a minute) is the re-check: only the signal can release it this soon.
      await handle.signal(resumeDeliverySignal);
      const result = await handle.result();
      assert.equal(result.delivered, 1);
      assert.deepEqual(
        s.calls.map((c) => [c.name, c.input.attempt]),
        [
          ['attemptWebhookDelivery', 1],
          ['attemptWebhookDelivery', 1],
        ],
      );
    });
  });

  it('a run carried over paused by the earlier code waits for its disable deadline from its start', async () => {
    const standIns = {
      attemptWebhookDelivery: answers(),
      disablePausedWebhookEndpoint: () => Promise.resolve({ status: 'disabled' as const }),
    } satisfies Partial<Activities>;
    await harness.withWorker(standIns, async (s) => {
      const started = Date.now();
      const handle = await start(s, { paused: true });
      const result = await handle.result();
      assert.deepEqual([result.end, result.dropped], ['disabled-by-delivery', 1]);
      assert.deepEqual(s.names(), ['disablePausedWebhookEndpoint']);
      const input = s.inputOf('disablePausedWebhookEndpoint');
      assert.equal(input.eventId, 'event-1');
      assert.ok(Date.parse(input.failingSince) >= started - 1_000, input.failingSince);
    });
  });
});
