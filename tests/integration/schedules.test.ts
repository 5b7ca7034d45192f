// Schedules against the real Temporal dev server: ensureSchedule creates, leaves alone,
// updates what changed (and the server then holds the new definition), keeps an operator's
// pause, and puts a hand edit back; pause, resume, trigger and backfill start real runs of
// a tiny workflow on an in-process worker; delete, then not-found errors that name the id.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import winston from 'winston';
import type { ScheduleDeclaration, ScheduleStatus } from '../../api/schedules/index.ts';
import {
  backfillSchedule,
  deleteSchedule,
  deleteScheduleIfPresent,
  describeSchedule,
  ensureSchedule,
  ensureSchedules,
  InvalidScheduleDeclaration,
  pauseSchedule,
  resumeSchedule,
  ScheduleNotFound,
  triggerSchedule,
} from '../../api/schedules/index.ts';
import type { OperationKind } from '../../workflows/shared/operation.contract.ts';
import { OperationKindSearchAttribute, TenantIdSearchAttribute } from '../../workflows/shared/operation.contract.ts';
import { testEnv } from '../support/env.ts';

// Every id of this file starts with it, so files (and runs) sharing the server never collide.
const PREFIX = `schedules-test-${randomBytes(4).toString('hex')}`;
const TASK_QUEUE = PREFIX;
const TENANT = `tenant-${PREFIX}`;
// No catalogue kind fits a test workflow; the value only labels the runs.
const KIND = 'schedule-test' as OperationKind;
// Due once a year (1 January, 03:00 UTC): schedules of this file take no action unless a test asks.
const RARELY = '0 3 1 1 *';

function declaration(name: string, changes: Partial<ScheduleDeclaration> = {}): ScheduleDeclaration {
  return {
    scheduleId: `${PREFIX}/${name}`,
    spec: { cronExpressions: [RARELY] },
    action: {
      workflowType: 'scheduledEcho',
      taskQueue: TASK_QUEUE,
      workflowId: `${PREFIX}/${name}/run`,
      args: [{ schedule: name }],
      tenantId: TENANT,
      operationKind: KIND,
    },
    ...changes,
  };
}

/** Polls `read` until `done` holds for its value; fails with the last value after the timeout. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      assert.fail(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await sleep(200);
  }
}

describe('schedules', () => {
  let connection: Connection;
  let client: Client;
  let workerConnection: NativeConnection;
  let worker: Worker;
  let workerRun: Promise<void>;

  before(async () => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    connection = await Connection.connect({ address: testEnv.ATRIUM_TEST_TEMPORAL_ADDRESS });
    client = new Client({ connection, namespace: 'default' });
    workerConnection = await NativeConnection.connect({ address: testEnv.ATRIUM_TEST_TEMPORAL_ADDRESS });
    worker = await Worker.create({
      connection: workerConnection,
      namespace: 'default',
      taskQueue: TASK_QUEUE,
      workflowsPath: fileURLToPath(new URL('../support/schedule-workflows.ts', import.meta.url)),
    });
    workerRun = worker.run();
  });

  after(async () => {
    // Schedules outlive the test otherwise (the dev server is shared by every file of the run).
    if (client) {
      for await (const schedule of client.schedule.list()) {
        if (schedule.scheduleId.startsWith(PREFIX)) await deleteSchedule(client, schedule.scheduleId).catch(() => {});
      }
    }
    if (worker) {
      worker.shutdown();
      await workerRun;
    }
    await workerConnection?.close();
    await connection?.close();
  });

  const serverSchedule = (scheduleId: string) => client.schedule.getHandle(scheduleId).describe();

  it('creates a missing schedule, then leaves the same declaration alone', async () => {
    const { tenantId: _platformWide, ...action } = declaration('create').action;
    const platformWide = declaration('create', { action, memo: { owner: 'billing' } });

    assert.deepEqual(await ensureSchedule(client, platformWide), {
      scheduleId: platformWide.scheduleId,
      outcome: 'created',
    });
    const created = await serverSchedule(platformWide.scheduleId);
    assert.deepEqual(created.memo, { owner: 'billing' });
    assert.equal(created.typedSearchAttributes.get(OperationKindSearchAttribute), KIND);
    assert.equal(created.typedSearchAttributes.get(TenantIdSearchAttribute), undefined, 'platform-wide: no TenantId');
    const status = await describeSchedule(client, platformWide.scheduleId);
    assert.equal(status.paused, false);
    assert.equal(status.workflowType, 'scheduledEcho');
    assert.match(status.nextActionTimes[0] ?? '', /^\d{4}-01-01T03:00:00\.000Z$/);

    assert.deepEqual(await ensureSchedule(client, platformWide), {
      scheduleId: platformWide.scheduleId,
      outcome: 'unchanged',
      memoOutdated: false,
    });
    const after = await serverSchedule(platformWide.scheduleId);
    assert.equal(after.info.lastUpdatedAt?.getTime(), created.info.lastUpdatedAt?.getTime(), 'no update was sent');
  });

  it('reads back every form of spec it can declare as unchanged', async () => {
    // Each of these the server stores in a compiled form of its own; all must compare equal.
    const rich = declaration('rich-spec', {
      spec: {
        cronExpressions: [
          '*/15 9-17 * * MON-FRI',
          '0 0 1 Jan,jul *',
          '30 2 * * 1/2 # odd weekdays and Sunday',
          '15 10 1-7 * SUN',
          '0 0 29 2 * 2028',
          '5 4 3 2 1 * 2099',
          '@weekly',
        ],
        intervals: [{ every: '90m', offset: '10m' }, { every: 45_000 }],
        jitter: '30s',
        timezone: 'Europe/Paris',
        startAt: new Date('2026-01-01T00:00:00Z'),
        endAt: new Date('2099-12-31T00:00:00Z'),
      },
      policies: { overlap: 'BUFFER_ALL', catchupWindow: '2h', pauseOnFailure: true },
      action: { ...declaration('rich-spec').action, workflowExecutionTimeout: '1h', workflowRunTimeout: '30m' },
      state: { paused: true, note: 'created paused' },
    });
    assert.equal((await ensureSchedule(client, rich)).outcome, 'created');
    assert.deepEqual(await ensureSchedule(client, rich), {
      scheduleId: rich.scheduleId,
      outcome: 'unchanged',
      memoOutdated: false,
    });
    const status = await describeSchedule(client, rich.scheduleId);
    assert.deepEqual([status.paused, status.note], [true, 'created paused']);
  });

  it('updates the spec when a cron expression changes, and the server then holds the new one', async () => {
    const first = declaration('cron');
    await ensureSchedule(client, first);
    const changed = declaration('cron', { spec: { cronExpressions: ['30 4 * * *'] } });

    assert.deepEqual(await ensureSchedule(client, changed), {
      scheduleId: changed.scheduleId,
      outcome: 'updated',
      differences: [{ part: 'spec', field: 'calendars' }],
      memoOutdated: false,
    });
    const { spec } = await serverSchedule(changed.scheduleId);
    assert.deepEqual(
      spec.calendars?.map(({ hour, minute }) => ({ hour, minute })),
      [{ hour: [{ start: 4, end: 4, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }] }],
    );
    const status = await describeSchedule(client, changed.scheduleId);
    assert.match(status.nextActionTimes[0] ?? '', /T04:30:00\.000Z$/);
    assert.equal((await ensureSchedule(client, changed)).outcome, 'unchanged');
  });

  it('updates the action when the args change, and the policies when the overlap policy changes', async () => {
    await ensureSchedule(client, declaration('action'));
    const newArgs = declaration('action', { action: { ...declaration('action').action, args: [{ schedule: 'v2' }] } });
    const argsResult = await ensureSchedule(client, newArgs);
    assert.equal(argsResult.outcome, 'updated');
    assert.deepEqual(argsResult.outcome === 'updated' && argsResult.differences, [{ part: 'action', field: 'args' }]);
    assert.deepEqual((await serverSchedule(newArgs.scheduleId)).action.args, [{ schedule: 'v2' }]);

    const newOverlap = { ...newArgs, policies: { overlap: 'BUFFER_ONE' as const } };
    const overlapResult = await ensureSchedule(client, newOverlap);
    assert.deepEqual(overlapResult.outcome === 'updated' && overlapResult.differences, [
      { part: 'policies', field: 'overlap' },
    ]);
    const { policies, action } = await serverSchedule(newArgs.scheduleId);
    assert.equal(policies.overlap, 'BUFFER_ONE');
    assert.deepEqual(action.args, [{ schedule: 'v2' }], 'the earlier update stays');
  });

  it("keeps an operator's pause across ensures, unless the declaration enforces its own", async () => {
    const schedule = declaration('paused');
    await ensureSchedule(client, schedule);
    await pauseSchedule(client, schedule.scheduleId, 'provider outage, ops');

    assert.equal((await ensureSchedule(client, schedule)).outcome, 'unchanged');
    const changed = declaration('paused', { spec: { cronExpressions: ['0 6 * * *'] } });
    assert.equal((await ensureSchedule(client, changed)).outcome, 'updated');
    const status = await describeSchedule(client, schedule.scheduleId);
    assert.deepEqual([status.paused, status.note], [true, 'provider outage, ops']);
    // The server lists what the spec has due even while paused: the new spec's times.
    assert.match(status.nextActionTimes[0] ?? '', /T06:00:00\.000Z$/);
    assert.equal((await serverSchedule(schedule.scheduleId)).spec.calendars?.[0]?.hour[0]?.start, 6);

    const enforced = { ...changed, state: { paused: false, enforcePaused: true, note: 'connection enabled' } };
    const result = await ensureSchedule(client, enforced);
    assert.deepEqual(result.outcome === 'updated' && result.differences, [{ part: 'state', field: 'paused' }]);
    const resumed = await describeSchedule(client, schedule.scheduleId);
    assert.deepEqual([resumed.paused, resumed.note], [false, 'connection enabled']);
  });

  it('puts back a hand edit of the spec and action, and keeps the pause made with it', async () => {
    const schedule = declaration('hand-edit');
    await ensureSchedule(client, schedule);
    // What an operator's `temporal schedule update` does: a whole new definition.
    await client.schedule.getHandle(schedule.scheduleId).update((previous) => ({
      ...previous,
      spec: { cronExpressions: ['*/5 * * * *'] },
      action: { ...previous.action, args: [{ schedule: 'edited by hand' }] },
      state: { paused: true, note: 'edited by hand' },
    }));

    const result = await ensureSchedule(client, schedule);
    assert.deepEqual(result.outcome === 'updated' && result.differences, [
      { part: 'spec', field: 'calendars' },
      { part: 'action', field: 'args' },
    ]);
    const server = await serverSchedule(schedule.scheduleId);
    assert.deepEqual(server.action.args, [{ schedule: 'hand-edit' }]);
    assert.deepEqual(server.spec.calendars?.[0]?.hour, [{ start: 3, end: 3, step: 1 }]);
    assert.deepEqual([server.state.paused, server.state.note], [true, 'edited by hand']);
  });

  it('pauses, triggers while paused (the workflow really runs), and resumes', async () => {
    const schedule = declaration('trigger');
    await ensureSchedule(client, schedule);

    await pauseSchedule(client, schedule.scheduleId, 'maintenance window');
    const paused = await describeSchedule(client, schedule.scheduleId);
    assert.deepEqual([paused.paused, paused.note], [true, 'maintenance window']);

    await triggerSchedule(client, schedule.scheduleId);
    const triggered = await eventually(
      () => describeSchedule(client, schedule.scheduleId),
      (status) => status.recentActions.length === 1,
    );
    const run = triggered.recentActions[0];
    assert.ok(run);
    assert.ok(run.workflowId.startsWith(`${schedule.action.workflowId}-`), run.workflowId);
    const handle = client.workflow.getHandle(run.workflowId, run.runId);
    assert.deepEqual(await handle.result(), schedule.action.args, 'the run got the declared args');
    const started = await handle.describe();
    assert.equal(started.typedSearchAttributes.get(TenantIdSearchAttribute), TENANT);
    assert.equal(started.typedSearchAttributes.get(OperationKindSearchAttribute), KIND);
    assert.equal(started.taskQueue, TASK_QUEUE);

    await resumeSchedule(client, schedule.scheduleId, 'maintenance over');
    const resumed = await describeSchedule(client, schedule.scheduleId);
    assert.deepEqual([resumed.paused, resumed.note], [false, 'maintenance over']);
  });

  it('backfills: starts the runs the spec had due in the range, and only those', async () => {
    // Due every minute but paused, so only the backfill (which ignores the pause) starts runs.
    const schedule = declaration('backfill', {
      spec: { cronExpressions: ['* * * * *'] },
      policies: { overlap: 'ALLOW_ALL' },
      state: { paused: true, note: 'backfill only' },
    });
    await ensureSchedule(client, schedule);
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
    const due = [1, 2, 3].map((n) => new Date(minute + n * 60_000).toISOString());

    await backfillSchedule(client, schedule.scheduleId, {
      start: new Date(minute + 30_000),
      end: new Date(minute + 3 * 60_000 + 30_000),
    });
    const status = await eventually(
      () => describeSchedule(client, schedule.scheduleId),
      (s: ScheduleStatus) => s.recentActions.length >= 3,
    );
    await sleep(1_000);
    const final = await describeSchedule(client, schedule.scheduleId);
    assert.deepEqual(final.recentActions.length, status.recentActions.length, 'no further runs');
    assert.deepEqual(
      final.recentActions.map((action) => action.scheduledAt),
      due,
    );
    for (const action of final.recentActions) {
      assert.equal(action.workflowId, `${schedule.action.workflowId}-${action.scheduledAt.replace('.000Z', 'Z')}`);
      assert.deepEqual(await client.workflow.getHandle(action.workflowId, action.runId).result(), schedule.action.args);
    }
  });

  it('refuses a backfill whose range is empty, before calling the server', async () => {
    const at = new Date();
    await assert.rejects(
      backfillSchedule(client, `${PREFIX}/never-created`, { start: at, end: at }),
      (error: unknown) => error instanceof RangeError && /must be before end/.test(error.message),
    );
  });

  it('deletes, then every control says the schedule does not exist, naming it', async () => {
    const schedule = declaration('delete');
    await ensureSchedule(client, schedule);
    await deleteSchedule(client, schedule.scheduleId);

    const notFound = (scheduleId: string) => (error: unknown) =>
      error instanceof ScheduleNotFound &&
      error.scheduleId === scheduleId &&
      error.message.includes(`"${scheduleId}"`) &&
      /temporal schedule list/.test(error.message);
    for (const scheduleId of [schedule.scheduleId, `${PREFIX}/never-created`]) {
      const range = { start: new Date(Date.now() - 60_000), end: new Date() };
      await assert.rejects(describeSchedule(client, scheduleId), notFound(scheduleId), 'describe');
      await assert.rejects(pauseSchedule(client, scheduleId, 'x'), notFound(scheduleId), 'pause');
      await assert.rejects(resumeSchedule(client, scheduleId), notFound(scheduleId), 'resume');
      await assert.rejects(triggerSchedule(client, scheduleId, { overlap: 'SKIP' }), notFound(scheduleId), 'trigger');
      await assert.rejects(triggerSchedule(client, scheduleId), notFound(scheduleId), 'trigger (own policy)');
      await assert.rejects(backfillSchedule(client, scheduleId, range), notFound(scheduleId), 'backfill');
      await assert.rejects(deleteSchedule(client, scheduleId), notFound(scheduleId), 'delete');
      await deleteScheduleIfPresent(client, scheduleId); // already gone is what it wants
    }
    // A deleted schedule that is still declared comes back.
    assert.equal((await ensureSchedule(client, schedule)).outcome, 'created');
  });

  it('two concurrent ensures of the same new declaration create it once, without an error', async () => {
    // Both must find it missing and try to create it at the same moment, as two API
    // processes booting together would: each create waits until the other has arrived.
    const racing = new Client({ connection, namespace: 'default' });
    const create = racing.schedule.create.bind(racing.schedule);
    let arrived = 0;
    let bothArrived!: () => void;
    const barrier = new Promise<void>((resolve) => (bothArrived = resolve));
    const attempts: ('succeeded' | 'failed')[] = [];
    racing.schedule.create = async (options: Parameters<typeof create>[0]) => {
      if (++arrived === 2) bothArrived();
      await barrier;
      try {
        const handle = await create(options);
        attempts.push('succeeded');
        return handle;
      } catch (error) {
        attempts.push('failed');
        throw error;
      }
    };

    const schedule = declaration('race');
    const results = await Promise.all([ensureSchedule(racing, schedule), ensureSchedule(racing, schedule)]);
    assert.deepEqual(attempts.sort(), ['failed', 'succeeded'], 'both tried to create it; the server took one');
    assert.deepEqual(results.map((result) => result.outcome).sort(), ['created', 'unchanged']);
    assert.equal((await describeSchedule(client, schedule.scheduleId)).workflowType, 'scheduledEcho');
  });

  it('ensureSchedules logs what it did for each declaration with structured fields', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = winston.createLogger({
      level: 'debug',
      format: winston.format.json(),
      transports: [
        new winston.transports.Stream({
          stream: new Writable({
            write(chunk: Buffer, _encoding, done) {
              lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
              done();
            },
          }),
        }),
      ],
    });
    await ensureSchedule(client, declaration('list-b'));
    await ensureSchedule(client, declaration('list-c'));
    const list = [
      declaration('list-a'),
      declaration('list-b', { spec: { cronExpressions: ['0 7 * * *'] } }),
      declaration('list-c'),
    ];

    const results = await ensureSchedules(client, list, logger);
    assert.deepEqual(
      results.map(({ outcome }) => outcome),
      ['created', 'updated', 'unchanged'],
    );
    const entry = (message: string) => lines.find((line) => line.message === message);
    assert.deepEqual(entry('Schedule created'), {
      level: 'info',
      message: 'Schedule created',
      scheduleId: `${PREFIX}/list-a`,
      workflowType: 'scheduledEcho',
      operationKind: KIND,
      tenantId: TENANT,
      outcome: 'created',
    });
    assert.deepEqual(entry('Schedule updated to match its declaration')?.differences, ['spec.calendars']);
    assert.equal(entry('Schedule updated to match its declaration')?.scheduleId, `${PREFIX}/list-b`);
    assert.equal(entry('Schedule matches its declaration')?.level, 'debug');
    assert.deepEqual(entry('Schedules ensured'), {
      level: 'info',
      message: 'Schedules ensured',
      created: 1,
      updated: 1,
      unchanged: 1,
      failed: 0,
    });
  });

  it('ensureSchedules refuses a list with an invalid declaration or a repeated id before creating any', async () => {
    const fresh = declaration('list-refused');
    const invalid = declaration('list-invalid', { spec: { cronExpressions: ['0 0 * * 7'] } });
    await assert.rejects(
      ensureSchedules(client, [fresh, invalid, fresh], winston.createLogger({ silent: true })),
      (error: unknown) =>
        error instanceof InvalidScheduleDeclaration &&
        error.problems.length === 2 &&
        error.problems.some((problem) => problem.includes('write 0 or SUN for Sunday')) &&
        error.problems.includes(`${fresh.scheduleId}: declared more than once`),
    );
    await assert.rejects(describeSchedule(client, fresh.scheduleId), ScheduleNotFound);
  });
});
