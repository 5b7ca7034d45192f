// The events a promotion's end emits (contracts/events.ts): recordPromotionOutcome, run twice
// for each outcome on one provisioned tenant, writes its event exactly once, in the
// transaction that records the outcome, with the promotion's environment, number, release,
// previous release, status, detail and operation; the second run changes, audits and emits
// nothing, and the bystander is untouched.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import promotions from '../../activities/promotions/index.ts';
import type { ActivityHarness, TestTenant } from '../support/activity-harness.ts';
import { startActivityHarness } from '../support/activity-harness.ts';
import { assertOneEvent, newEvents } from '../support/events.ts';

const IMAGE = (c: string) => `registry.test/shop/web@sha256:${c.repeat(64)}`;

describe('promotion outcome events', () => {
  let h: ActivityHarness;
  let a: ReturnType<typeof promotions.createActivities>;
  let t: TestTenant;

  before(async () => {
    h = await startActivityHarness({ slugPrefix: 'act-promo-ev' });
    a = promotions.createActivities(h.deps);
    t = h.newTenant();
    await h.provision(t);
    for (const [number, c] of [
      [1, 'a'],
      [2, 'b'],
    ] as const)
      await h.database.query(`INSERT INTO releases (tenant_id, number, image) VALUES ($1, $2, $3)`, [
        t.tenantId,
        number,
        IMAGE(c),
      ]);
  });
  after(async () => {
    await h?.stop();
  });

  /** A promotion as the API and the workflow leave it before its outcome. */
  async function promotion(
    environment: string,
    number: number,
    release: number,
    status: string,
    previous: number | null,
  ) {
    await h.database.query(
      `INSERT INTO promotions (tenant_id, environment, number, release_number, previous_release, status, operation_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [t.tenantId, environment, number, release, previous, status, `promotion/${t.slug}/${environment}/${number}`],
    );
  }

  const cases = [
    {
      environment: 'staging',
      number: 1,
      release: 1,
      previous: null,
      from: 'deploying',
      status: 'succeeded',
      detail: null,
    },
    {
      environment: 'staging',
      number: 2,
      release: 2,
      previous: 1,
      from: 'deploying',
      status: 'rolled-back',
      detail:
        'release 2 did not become available (ProgressDeadlineExceeded: stuck); rolled back to release 1, available again',
    },
    {
      environment: 'production',
      number: 1,
      release: 1,
      previous: null,
      from: 'awaiting-approval',
      status: 'rejected',
      detail: 'rejected: not during the freeze',
    },
    {
      environment: 'production',
      number: 2,
      release: 2,
      previous: null,
      from: 'requested',
      status: 'failed',
      detail: 'The tenant has no release 2.',
    },
  ] as const;
  const eventType = {
    succeeded: 'promotion.succeeded',
    'rolled-back': 'promotion.rolled_back',
    rejected: 'promotion.rejected',
    failed: 'promotion.failed',
  } as const;

  for (const c of cases)
    it(`recordPromotionOutcome ${c.status}: ${eventType[c.status]} written once, with the outcome`, async () => {
      await promotion(c.environment, c.number, c.release, c.from, c.previous);
      const run = await h.twice(
        a,
        'recordPromotionOutcome',
        { ...h.ref(t), environment: c.environment, number: c.number, status: c.status, detail: c.detail },
        { tenant: t },
      );
      assert.deepEqual(run.audit, [eventType[c.status]]);
      assertOneEvent(newEvents(run.before, run.after), eventType[c.status], {
        environment: c.environment,
        number: c.number,
        release: c.release,
        previousRelease: c.previous,
        status: c.status,
        detail: c.detail,
        operationId: `promotion/${t.slug}/${c.environment}/${c.number}`,
      });
      // The event commits with the outcome it reports.
      const [row] = await h.database.query<{ status: string; detail: string | null }>(
        `SELECT status, detail FROM promotions WHERE tenant_id = $1 AND environment = $2 AND number = $3`,
        [t.tenantId, c.environment, c.number],
      );
      assert.deepEqual(row, { status: c.status, detail: c.detail });
    });

  it('leaves the bystander untouched', async () => {
    await h.assertBystanderUntouched();
  });
});
