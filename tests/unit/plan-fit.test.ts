// Whether a tenant's usage fits a plan: the answer the API gives at once and the plan-change
// workflow gives again when a scheduled downgrade falls due.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { monthlyPeriodEnd } from '../../integrations/billing/local.ts';
import { planBlockers, planDirection } from '../../workflows/shared/plan-fit.ts';

describe('plan fit', () => {
  test('a tenant within every limit fits', () => {
    assert.deepEqual(planBlockers({ members: 3, environments: 1, connectors: 2, apiKeys: 2 }, 'free'), []);
  });

  test('each exceeded limit is named with how many to remove', () => {
    const blockers = planBlockers({ members: 5, environments: 1, connectors: 3, apiKeys: 2 }, 'free');
    assert.deepEqual(
      blockers.map((b) => [b.limit, b.used, b.allowed]),
      [
        ['members', 5, 3],
        ['connectors', 3, 2],
      ],
    );
    assert.equal(blockers[0]!.message, 'Remove 2 members (5 in use; the free plan allows 3).');
    assert.equal(blockers[1]!.message, 'Remove 1 connector (3 in use; the free plan allows 2).');
  });

  test('unlimited plans fit anything', () => {
    assert.deepEqual(
      planBlockers({ members: 10_000, environments: 50, connectors: 900, apiKeys: 500 }, 'enterprise'),
      [],
    );
  });

  test('direction follows the order free < team < enterprise', () => {
    assert.equal(planDirection('free', 'team'), 'upgrade');
    assert.equal(planDirection('enterprise', 'team'), 'downgrade');
    assert.equal(planDirection('team', 'team'), 'current');
  });
});

describe('local billing period', () => {
  test('ends on the monthly anniversary after now', () => {
    const start = new Date('2026-01-15T10:00:00Z');
    assert.equal(monthlyPeriodEnd(start, new Date('2026-01-20T00:00:00Z')).toISOString(), '2026-02-15T10:00:00.000Z');
    assert.equal(monthlyPeriodEnd(start, new Date('2026-03-15T10:00:00Z')).toISOString(), '2026-04-15T10:00:00.000Z');
    assert.equal(monthlyPeriodEnd(start, new Date('2026-03-14T23:00:00Z')).toISOString(), '2026-03-15T10:00:00.000Z');
  });
});
