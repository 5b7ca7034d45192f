import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planTestLanes } from '../../scripts/test-lanes.ts';

const unit = 'tests/unit/a.test.ts';
const integration = 'tests/integration/b.test.ts';
const e2e = ['tests/e2e/c.test.ts', 'tests/e2e/d.test.ts'];

describe('planTestLanes', () => {
  it('runs everything in one runner, one file at a time, at concurrency 1', () => {
    assert.deepEqual(planTestLanes([unit, integration, ...e2e], 1), [
      { name: 'all', files: [unit, integration, ...e2e], concurrency: 1 },
    ]);
  });

  it('gives browser tests a lane of their own, one at a time, beside the rest', () => {
    assert.deepEqual(planTestLanes([unit, ...e2e, integration], 3), [
      { name: 'browser', files: e2e, concurrency: 1 },
      { name: 'other', files: [unit, integration], concurrency: 2 },
    ]);
  });

  it('never runs two browser tests at once, even when only they are selected', () => {
    assert.deepEqual(planTestLanes(e2e, 4), [{ name: 'all', files: e2e, concurrency: 1 }]);
  });

  it('keeps the concurrency for a selection without browser tests', () => {
    assert.deepEqual(planTestLanes([unit, integration], 2), [
      { name: 'all', files: [unit, integration], concurrency: 2 },
    ]);
  });
});
