// Comparing a declaration with the server's description: the forms differ (the server
// returns cron expressions compiled into calendar ranges with month and weekday names,
// durations in ms or absent, defaults it filled in) and must still compare equal; a
// real change must be named by part and field. The update carries the pause over.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScheduleDescription } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { canonicalFromDeclaration, canonicalFromServer } from '../../api/schedules/canonical-form.ts';
import { compareSchedules, updatable } from '../../api/schedules/compare.ts';
import type { ScheduleDeclaration } from '../../api/schedules/declaration.ts';
import { resolveDeclaration } from '../../api/schedules/declaration.ts';
import { updateOptions } from '../../api/schedules/server-options.ts';
import { OperationKindSearchAttribute, TenantIdSearchAttribute } from '../../workflows/shared/operation.contract.ts';

const declared: ScheduleDeclaration = {
  scheduleId: 'metering-reconcile',
  spec: { cronExpressions: ['0 9 * * MON-FRI', '*/15 * * * *'], intervals: [{ every: '1h' }] },
  action: {
    workflowType: 'reconcileMetering',
    taskQueue: 'atrium-metering',
    workflowId: 'metering-reconcile',
    args: [{ window: 'hour' }],
    tenantId: 'tenant-1',
    operationKind: 'metering-reconcile',
  },
  policies: { overlap: 'SKIP', catchupWindow: '1h' },
};

const one = <T>(start: T, end = start, step = 1) => [{ start, end, step }];

const searchAttributes = () =>
  new TypedSearchAttributes([
    { key: TenantIdSearchAttribute, value: 'tenant-1' },
    { key: OperationKindSearchAttribute, value: 'metering-reconcile' },
  ]);

/** What the SDK's describe() returns for the declaration above, as the server compiled it. */
function described(): ScheduleDescription {
  const calendar = {
    second: one(0, 0, 0),
    minute: one(0, 0, 0),
    dayOfMonth: one(1, 31),
    month: one('JANUARY' as const, 'DECEMBER' as const),
    year: [],
    comment: '',
  };
  return {
    scheduleId: 'metering-reconcile',
    spec: {
      // Listed in another order than declared, with `*/15` stored as a stepped range.
      calendars: [
        {
          ...calendar,
          minute: one(0, 59, 15),
          hour: one(0, 23),
          dayOfWeek: one('SUNDAY' as const, 'SATURDAY' as const),
        },
        { ...calendar, hour: one(9), dayOfWeek: one('MONDAY' as const, 'FRIDAY' as const) },
      ],
      intervals: [{ every: 3_600_000, offset: 0 }],
      skip: [],
      timezone: 'UTC',
    },
    action: {
      type: 'startWorkflow',
      workflowType: 'reconcileMetering',
      workflowId: 'metering-reconcile',
      taskQueue: 'atrium-metering',
      args: [{ window: 'hour' }],
      memo: undefined,
      retry: undefined,
      typedSearchAttributes: searchAttributes(),
      searchAttributes: {},
    },
    policies: { overlap: 'SKIP', catchupWindow: 3_600_000, pauseOnFailure: false },
    memo: undefined,
    searchAttributes: {},
    typedSearchAttributes: searchAttributes(),
    state: { paused: false, note: undefined },
  } as unknown as ScheduleDescription;
}

function differences(declaration: ScheduleDeclaration, server: ScheduleDescription) {
  const desired = resolveDeclaration(declaration);
  return compareSchedules(canonicalFromDeclaration(desired), canonicalFromServer(server), {
    comparePaused: desired.state.enforcePaused,
  });
}

describe('compareSchedules', () => {
  it('finds nothing when the server holds the declaration in its own form', () => {
    assert.deepEqual(differences(declared, described()), []);
  });

  it('takes what the server leaves out or zeroes as its defaults (time zone, jitter, offset, timeouts)', () => {
    const server = described();
    Object.assign(server.spec, {
      timezone: '',
      jitter: undefined,
      intervals: [{ every: 3_600_000, offset: undefined }],
    });
    // `temporal schedule update` writes zero timeouts, which mean none.
    Object.assign(server.action, { workflowExecutionTimeout: 0, workflowRunTimeout: 0, workflowTaskTimeout: 0 });
    assert.deepEqual(differences(declared, server), []);
  });

  it('names the spec field when a cron expression changes', () => {
    const changed = { ...declared, spec: { ...declared.spec, cronExpressions: ['0 10 * * MON-FRI', '*/15 * * * *'] } };
    assert.deepEqual(differences(changed, described()), [{ part: 'spec', field: 'calendars' }]);
  });

  it('names the action and policies fields that change', () => {
    const changed: ScheduleDeclaration = {
      ...declared,
      action: { ...declared.action, args: [{ window: 'day' }] },
      policies: { ...declared.policies, overlap: 'BUFFER_ONE' },
    };
    assert.deepEqual(differences(changed, described()), [
      { part: 'action', field: 'args' },
      { part: 'policies', field: 'overlap' },
    ]);
  });

  it("names the tenant in the action's and the schedule's search attributes", () => {
    const changed = { ...declared, action: { ...declared.action, tenantId: 'tenant-2' } };
    assert.deepEqual(differences(changed, described()), [
      { part: 'action', field: 'searchAttributes' },
      { part: 'searchAttributes', field: 'TenantId' },
    ]);
  });

  it('notices what a hand edit added that the declaration does not have', () => {
    const server = described();
    Object.assign(server.action, { retry: { maximumAttempts: 3 }, workflowTaskTimeout: 20_000 });
    server.spec.skip = [{ ...server.spec.calendars![1]!, comment: 'holidays' }];
    assert.deepEqual(differences(declared, server), [
      { part: 'spec', field: 'skip' },
      { part: 'action', field: 'workflowTaskTimeoutMs' },
      { part: 'action', field: 'retry' },
    ]);
  });

  it('leaves the pause alone unless the declaration enforces it', () => {
    const server = described();
    server.state.paused = true;
    assert.deepEqual(differences(declared, server), []);
    const enforced = { ...declared, state: { paused: false, enforcePaused: true } };
    assert.deepEqual(differences(enforced, server), [{ part: 'state', field: 'paused' }]);
  });

  it('reports a changed memo, which no update can apply', () => {
    const found = differences({ ...declared, memo: { owner: 'billing' } }, described());
    assert.deepEqual(found, [{ part: 'memo', field: 'owner' }]);
    assert.deepEqual(updatable(found), []);
  });
});

describe('updateOptions', () => {
  it("keeps the server's pause and note", () => {
    const server = described();
    server.state.paused = true;
    server.state.note = 'paused by ops: provider outage';
    const options = updateOptions(resolveDeclaration(declared), server);
    assert.deepEqual(options.state, {
      paused: true,
      note: 'paused by ops: provider outage',
      remainingActions: undefined,
    });
    assert.deepEqual(options.spec.cronExpressions, declared.spec.cronExpressions);
  });

  it('applies the declared pause when it is enforced', () => {
    const server = described();
    server.state.paused = true;
    server.state.note = 'paused by ops';
    const options = updateOptions(
      resolveDeclaration({ ...declared, state: { paused: false, enforcePaused: true, note: 'connection enabled' } }),
      server,
    );
    assert.deepEqual(options.state, { paused: false, note: 'connection enabled', remainingActions: undefined });
  });
});
