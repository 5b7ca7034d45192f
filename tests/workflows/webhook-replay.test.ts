// replayWebhookEvents with typed activity stand-ins: the events in order, each retried until
// delivered; and where a replay stops — an event that keeps failing, 410 Gone, an endpoint a
// member closed — without touching the events after it, failing the operation with its
// progress and counts. The real activity, receivers and log: tests/integration/webhook-replay.test.ts.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { WebhookActivities } from '../../activities/webhooks/index.ts';
import type { AttemptWebhookReplayResult } from '../../activities/webhooks/replay.ts';
import type { DeliveryPolicy, ReplayWebhookEventsInput } from '../../workflows/webhooks/contract.ts';
import { webhookReplayWorkflowId } from '../../workflows/webhooks/contract.ts';
import type { replayWebhookEvents } from '../../workflows/webhooks/index.ts';
import type { WorkflowHarness } from '../support/workflow-harness.ts';
import { failureOf, startWorkflowHarness } from '../support/workflow-harness.ts';

// Short retries. An event gives up after a second (the stops below), or after a minute, far
// more than two retries take on a busy machine (the workflow's clock counts the worker's time).
const POLICY: DeliveryPolicy = {
  initialIntervalMs: 20,
  maxIntervalMs: 200,
  pauseAfterMs: 1_000,
  idleTimeoutMs: 1_000,
  requestTimeoutMs: 1_000,
};
const PATIENT: DeliveryPolicy = { ...POLICY, pauseAfterMs: 60_000 };

type Outcome = AttemptWebhookReplayResult['outcome'];

/** A stand-in answering each event's attempts from a script (the last answer repeats). */
function attempts(script: Record<string, Outcome[]>) {
  const seen: Record<string, number> = {};
  return {
    attemptWebhookReplay: (input: { eventId: string; attempt: number }) => {
      const answers = script[input.eventId] ?? ['delivered'];
      seen[input.eventId] = (seen[input.eventId] ?? 0) + 1;
      assert.equal(input.attempt, seen[input.eventId], 'attempts are numbered per event from 1');
      const outcome = answers[Math.min(input.attempt, answers.length) - 1]!;
      return Promise.resolve({
        outcome,
        status: outcome === 'delivered' ? 200 : 503,
      } satisfies AttemptWebhookReplayResult);
    },
  } satisfies Partial<WebhookActivities>;
}

describe('replayWebhookEvents (activity stand-ins)', () => {
  let harness: WorkflowHarness;
  before(async () => {
    harness = await startWorkflowHarness('webhooks');
  });
  after(async () => {
    await harness?.stop();
  });

  const replayOf = (eventIds: string[], policy = POLICY): ReplayWebhookEventsInput => ({
    tenantId: randomUUID(),
    slug: `wf-replay-${randomUUID().slice(0, 8)}`,
    endpointId: randomUUID(),
    replayId: randomUUID(),
    events: eventIds.map((eventId, index) => ({ sequence: String(index + 10), eventId })),
    policy,
  });
  const start = (s: Parameters<Parameters<WorkflowHarness['withWorker']>[1]>[0], input: ReplayWebhookEventsInput) =>
    s.start<typeof replayWebhookEvents>(
      'replayWebhookEvents',
      input,
      webhookReplayWorkflowId(input.slug, input.endpointId, input.replayId),
    );

  it('sends the events in order, retrying one until it is delivered', async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    await harness.withWorker(
      attempts({ [b]: ['retry', 'retry', 'delivered'], [c]: ['already-delivered'] }),
      async (s) => {
        const input = replayOf([a, b, c], PATIENT);
        const result = await (await start(s, input)).result();
        assert.deepEqual(
          s.calls.map((call) => [call.input.eventId, call.input.attempt]),
          [
            [a, 1],
            [b, 1],
            [b, 2],
            [b, 3],
            [c, 1],
          ],
        );
        assert.ok(s.calls.every((call) => call.input.replayId === input.replayId));
        assert.deepEqual(
          { ...result, progress: undefined },
          {
            replayId: input.replayId,
            endpointId: input.endpointId,
            end: 'completed',
            delivered: 3,
            notSent: 0,
            progress: undefined,
          },
        );
        assert.equal(result.progress.phase, 'completed');
        assert.equal(result.progress.steps[0]?.status, 'completed');
      },
    );
  });

  for (const [label, script, end, message] of [
    ['keeps failing', ['retry'] as Outcome[], 'gave-up', /kept failing/],
    ['answers 410 Gone', ['disabled'] as Outcome[], 'disabled-by-delivery', /disable the endpoint/],
    ['finds the endpoint closed', ['endpoint-closed'] as Outcome[], 'endpoint-closed', /disabled or deleted/],
  ] as const) {
    it(`stops at an event that ${label}, sending nothing after it`, async () => {
      const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
      await harness.withWorker(attempts({ [b]: [...script] }), async (s) => {
        const handle = await start(s, replayOf([a, b, c]));
        const failure = await failureOf(handle);
        assert.equal(failure.type, 'WebhookReplayStopped');
        assert.match(failure.message, new RegExp(`stopped at event ${b}`));
        assert.match(failure.message, message);
        assert.match(failure.message, /1 of 3 events were sent again/);
        const [progress, counts] = failure.details as [
          { phase: string; steps: Array<{ status: string; error: string }> },
          { end: string; delivered: number; notSent: number },
        ];
        assert.equal(progress.phase, 'failed');
        assert.equal(progress.steps[0]?.status, 'failed');
        assert.deepEqual([counts.end, counts.delivered, counts.notSent], [end, 1, 2]);
        assert.ok(!s.calls.some((call) => call.input.eventId === c), 'nothing after it was sent');
        if (end === 'gave-up') assert.ok(s.calls.filter((call) => call.input.eventId === b).length >= 2, 'retried');
      });
    });
  }
});
