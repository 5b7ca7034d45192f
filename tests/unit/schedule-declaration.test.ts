// A declaration is checked before anything reaches the server: defaults are filled in
// explicitly (so the comparison never depends on what the server would have guessed) and
// every problem is listed at once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScheduleDeclaration } from '../../api/schedules/declaration.ts';
import { DEFAULT_CATCHUP_WINDOW_MS, resolveDeclaration } from '../../api/schedules/declaration.ts';
import { InvalidScheduleDeclaration } from '../../api/schedules/errors.ts';

const declaration = (overrides: Partial<ScheduleDeclaration> = {}): ScheduleDeclaration => ({
  scheduleId: 'connector-sync/acme/github',
  spec: { cronExpressions: ['0 * * * *'] },
  action: {
    workflowType: 'syncConnector',
    taskQueue: 'atrium-connectors',
    workflowId: 'connector-sync/acme/github',
    args: [{ connectionId: 'c-1' }],
    tenantId: 'tenant-1',
    operationKind: 'connector-sync',
  },
  ...overrides,
});

function problemsOf(input: unknown): string[] {
  try {
    resolveDeclaration(input as ScheduleDeclaration);
  } catch (error) {
    assert.ok(error instanceof InvalidScheduleDeclaration, String(error));
    return error.problems;
  }
  assert.fail('the declaration was accepted');
}

describe('resolveDeclaration', () => {
  it('fills in every default explicitly', () => {
    const desired = resolveDeclaration(declaration());
    assert.deepEqual(desired.policies, {
      overlap: 'SKIP',
      catchupWindowMs: DEFAULT_CATCHUP_WINDOW_MS,
      pauseOnFailure: false,
    });
    assert.deepEqual(desired.state, { paused: false, note: null, enforcePaused: false });
    assert.equal(desired.spec.timezone, 'UTC');
    assert.equal(desired.spec.jitterMs, 0);
    assert.deepEqual(desired.spec.intervals, []);
    assert.deepEqual(desired.memo, {});
    assert.deepEqual(desired.action.searchAttributes, { TenantId: 'tenant-1', OperationKind: 'connector-sync' });
    assert.equal(desired.spec.calendars.length, 1);
    assert.deepEqual(
      desired.spec.calendars[0]?.hour,
      Array.from({ length: 24 }, (_, hour) => hour),
    );
  });

  it("puts a connection schedule's ConnectionId beside TenantId and OperationKind", () => {
    const desired = resolveDeclaration(declaration({ action: { ...declaration().action, connectionId: 'conn-1' } }));
    assert.deepEqual(desired.action.searchAttributes, {
      TenantId: 'tenant-1',
      OperationKind: 'connector-sync',
      ConnectionId: 'conn-1',
    });
  });

  it('reads durations in the configuration format or as milliseconds', () => {
    const desired = resolveDeclaration(
      declaration({
        spec: { intervals: [{ every: '1h', offset: '15m' }, { every: 90_000 }], jitter: '30s' },
        policies: { catchupWindow: '10m', overlap: 'BUFFER_ONE', pauseOnFailure: true },
      }),
    );
    assert.deepEqual(desired.spec.intervals, [
      { everyMs: 3_600_000, offsetMs: 900_000 },
      { everyMs: 90_000, offsetMs: 0 },
    ]);
    assert.equal(desired.spec.jitterMs, 30_000);
    assert.deepEqual(desired.policies, { overlap: 'BUFFER_ONE', catchupWindowMs: 600_000, pauseOnFailure: true });
  });

  it('leaves TenantId out for a platform-wide schedule', () => {
    const { tenantId: _omitted, ...action } = declaration().action;
    const desired = resolveDeclaration(declaration({ action }));
    assert.deepEqual(desired.action.searchAttributes, { OperationKind: 'connector-sync' });
  });

  it('hands args back as JSON, as the server will', () => {
    const at = new Date('2030-01-01T00:00:00Z');
    const desired = resolveDeclaration(
      declaration({ action: { ...declaration().action, args: [{ at, skip: undefined }] } }),
    );
    assert.deepEqual(desired.action.args, [{ at: '2030-01-01T00:00:00.000Z' }]);
  });

  it('lists every problem at once, each with its field', () => {
    const problems = problemsOf({
      scheduleId: 'has spaces',
      spec: {
        cronExpressions: ['0 25 * * *'],
        intervals: [{ every: '1h', offset: '2h' }, { every: '500ms' }],
        timezone: 'Mars/Olympus',
        startAt: new Date('2031-01-01'),
        endAt: new Date('2030-01-01'),
      },
      action: { workflowType: '', taskQueue: 'q', workflowId: 'w', args: [], operationKind: 'k', tenantId: '' },
      policies: { overlap: 'SOMETIMES', catchupWindow: '5s' },
      state: { pased: true },
    });
    const fields = problems.map((problem) => problem.split(':')[0]);
    assert.deepEqual(fields.sort(), [
      'action.tenantId',
      'action.workflowType',
      'policies.catchupWindow',
      'policies.overlap',
      'scheduleId',
      'spec.endAt',
      'spec.intervals.0.offset',
      'spec.intervals.1.every',
      'spec.timezone',
      'state',
    ]);
    assert.ok(problems.some((problem) => /at least 10s/.test(problem)));
    assert.ok(problems.includes('spec.intervals.0.offset: must be less than every'));
  });

  it('refuses a cron expression the server would read differently, and args that are not JSON', () => {
    const problems = problemsOf(
      declaration({
        spec: { cronExpressions: ['0 9 * * *', 'CRON_TZ=Europe/Paris 0 9 * * *'] },
        action: { ...declaration().action, args: [{ id: 10n }] },
      }),
    );
    assert.equal(problems.length, 2);
    assert.match(problems[0] ?? '', /^spec\.cronExpressions\.1: .*"timezone"/);
    assert.match(problems[1] ?? '', /^action\.args: must be JSON values \(a bigint\)/);
  });

  it('refuses a schedule that would never be due', () => {
    assert.match(problemsOf(declaration({ spec: {} })).join('\n'), /at least one cron expression or interval/);
  });
});
