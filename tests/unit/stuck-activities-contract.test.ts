// The stuck-activities contract (contracts/stuck-activities.ts): the threshold is a duration
// between 1s and 30d, STUCK_ACTIVITY_THRESHOLD defaults to 5m and takes the same format, and
// terminating needs a reason that is not blank.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readApiConfig } from '../../api/config.ts';
import {
  RetryStuckActivityRequest,
  StuckActivitiesQuery,
  TerminateStuckWorkflowRequest,
} from '../../contracts/stuck-activities.ts';

describe('stuck activities contract', () => {
  it('takes thresholds from 1s to 30d', () => {
    assert.equal(StuckActivitiesQuery.parse({ olderThan: '5m' }).olderThan, 300_000);
    assert.equal(StuckActivitiesQuery.parse({ olderThan: '30d' }).olderThan, 30 * 86_400_000);
    assert.equal(StuckActivitiesQuery.parse({}).olderThan, undefined);
    for (const olderThan of ['soon', '0s', '999ms', '31d', '-5m', '5 m'])
      assert.equal(StuckActivitiesQuery.safeParse({ olderThan }).success, false, olderThan);
  });

  it('wants a reason to terminate, and an activity to retry', () => {
    assert.deepEqual(TerminateStuckWorkflowRequest.parse({ reason: ' gone ' }), { reason: 'gone' });
    for (const body of [{}, { reason: '' }, { reason: '   ' }, { reason: 'x'.repeat(501) }])
      assert.equal(TerminateStuckWorkflowRequest.safeParse(body).success, false, JSON.stringify(body));
    assert.equal(RetryStuckActivityRequest.safeParse({}).success, false);
    assert.equal(RetryStuckActivityRequest.safeParse({ activityId: '1', extra: true }).success, false);
  });

  it('reads STUCK_ACTIVITY_THRESHOLD once, 5m by default', () => {
    const base = { DATABASE_URL: 'postgres://localhost/atrium' };
    assert.equal(readApiConfig(base).settings.stuckActivityThresholdMs, 300_000);
    const hour = readApiConfig({ ...base, STUCK_ACTIVITY_THRESHOLD: '1h' });
    assert.equal(hour.settings.stuckActivityThresholdMs, 3_600_000);
    assert.throws(() => readApiConfig({ ...base, STUCK_ACTIVITY_THRESHOLD: '0s' }), /STUCK_ACTIVITY_THRESHOLD/);
  });
});
