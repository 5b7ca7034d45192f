// The environments wire schemas (contracts/environments.ts): every mistake is reported on its
// field; freeze windows end after they start; defaults fill what a request leaves out; the active
// freeze window is found for one-off and weekly windows (in their time zone); and the plan caps
// the default environments provisioning makes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planDefaultEnvironments } from '../../activities/shared/tenant-namespace.ts';
import { toFieldErrors } from '../../api/http/validate.ts';
import type { FreezeWindow } from '../../contracts/environments.ts';
import {
  activeFreezeWindow,
  CreateEnvironmentRequest,
  freezeWindowEnd,
  DEFAULT_CONFIGURATION,
  DEFAULT_PROTECTION,
  UpdateEnvironmentRequest,
} from '../../contracts/environments.ts';

function errorPaths(schema: typeof CreateEnvironmentRequest | typeof UpdateEnvironmentRequest, value: unknown) {
  const result = schema.safeParse(value);
  assert.equal(result.success, false, `${JSON.stringify(value)} should be refused`);
  return toFieldErrors(result.error).map((error) => error.path);
}

describe('environment wire schemas', () => {
  it('fills defaults: one replica, no variables, anyone but viewers deploys, no soak, no freeze', () => {
    const parsed = CreateEnvironmentRequest.parse({ name: 'staging' });
    assert.deepEqual(parsed.configuration, { variables: {}, secretRefs: [], replicas: 1, resources: null });
    assert.deepEqual(parsed.protection, {
      deployRoles: ['owner', 'admin', 'developer'],
      soakMinutes: 0,
      freezeWindows: [],
    });
    assert.deepEqual(parsed.configuration, DEFAULT_CONFIGURATION);
    assert.deepEqual(parsed.protection, DEFAULT_PROTECTION);
  });

  it('takes names that fit a namespace and refuses the rest on `name`', () => {
    for (const name of ['dev', 'prod-eu', 'a', 'x1234567890abcd'])
      assert.ok(CreateEnvironmentRequest.safeParse({ name }).success, name);
    for (const name of ['Prod', '1st', 'dev-', 'a_b', '', 'x1234567890abcde'])
      assert.deepEqual(errorPaths(CreateEnvironmentRequest, { name }), ['name'], name);
  });

  it('names each bad part of the configuration', () => {
    assert.deepEqual(
      errorPaths(CreateEnvironmentRequest, {
        name: 'qa',
        configuration: {
          replicas: 1.5,
          secretRefs: ['db', 'DB'],
          resources: { requests: { cpu: 'lots', memory: '2Gi' }, limits: { memory: '1Gi' } },
        },
      }).sort(),
      [
        'configuration.replicas',
        'configuration.resources.requests.cpu',
        'configuration.resources.requests.memory',
        'configuration.secretRefs',
      ],
    );
  });

  it('validates freeze windows: end after start, days, times, time zones, a reason, a kind', () => {
    const window = (fields: Record<string, unknown>) => ({ name: 'qa', protection: { freezeWindows: [fields] } });
    const at = 'protection.freezeWindows.0';
    assert.deepEqual(
      errorPaths(
        CreateEnvironmentRequest,
        window({ kind: 'once', start: '2026-12-24T00:00:00Z', end: '2026-12-24T00:00:00Z', reason: 'x' }),
      ),
      [`${at}.end`],
    );
    assert.deepEqual(
      errorPaths(
        CreateEnvironmentRequest,
        window({ kind: 'once', start: 'tomorrow', end: '2026-12-24T00:00:00Z', reason: 'x' }),
      ),
      [`${at}.start`],
    );
    assert.deepEqual(
      errorPaths(
        CreateEnvironmentRequest,
        window({ kind: 'weekly', days: ['fri'], start: '18:00', end: '17:00', reason: 'x' }),
      ),
      [`${at}.end`],
    );
    assert.deepEqual(
      errorPaths(
        CreateEnvironmentRequest,
        window({
          kind: 'weekly',
          days: ['fri', 'fri', 'someday'],
          start: '25:00',
          end: '26:00',
          timeZone: 'Nowhere/City',
          reason: ' ',
        }),
      ).sort(),
      [`${at}.days.2`, `${at}.end`, `${at}.reason`, `${at}.start`, `${at}.timeZone`].sort(),
    );
    assert.deepEqual(
      errorPaths(
        CreateEnvironmentRequest,
        window({ kind: 'weekly', days: ['fri', 'fri'], start: '18:00', end: '19:00', reason: 'x' }),
      ),
      [`${at}.days`],
    );
    assert.deepEqual(errorPaths(CreateEnvironmentRequest, window({ kind: 'monthly', reason: 'x' })), [`${at}.kind`]);
  });

  it('asks an update for the configuration, the protection, or both', () => {
    assert.deepEqual(errorPaths(UpdateEnvironmentRequest, {}), ['(body)']);
    assert.ok(UpdateEnvironmentRequest.safeParse({ protection: { soakMinutes: 30 } }).success);
  });
});

describe('activeFreezeWindow', () => {
  const holidays: FreezeWindow = {
    kind: 'once',
    start: '2026-12-24T00:00:00Z',
    end: '2026-12-27T00:00:00Z',
    reason: 'holidays',
  };
  const weekend: FreezeWindow = {
    kind: 'weekly',
    days: ['fri'],
    start: '16:00',
    end: '23:00',
    timeZone: 'Europe/Berlin',
    reason: 'weekend',
  };

  it('finds a one-off window between its start (inclusive) and end (exclusive)', () => {
    assert.equal(activeFreezeWindow([holidays], new Date('2026-12-24T00:00:00Z')), holidays);
    assert.equal(activeFreezeWindow([holidays], new Date('2026-12-27T00:00:00Z')), null);
  });

  it('reads a weekly window in its time zone', () => {
    // Friday 2026-12-04 15:30 UTC is 16:30 in Berlin (winter time): frozen.
    assert.equal(activeFreezeWindow([weekend], new Date('2026-12-04T15:30:00Z')), weekend);
    // 14:30 UTC is 15:30 in Berlin: not yet.
    assert.equal(activeFreezeWindow([weekend], new Date('2026-12-04T14:30:00Z')), null);
    // A Thursday at the same time: not frozen.
    assert.equal(activeFreezeWindow([weekend], new Date('2026-12-03T15:30:00Z')), null);
  });

  it('ends a one-off window at its end, and a weekly one at its end of that day in its time zone', () => {
    assert.equal(freezeWindowEnd(holidays, new Date('2026-12-25T12:00:00Z')).toISOString(), '2026-12-27T00:00:00.000Z');
    // 16:30:15.250 in Berlin (winter, UTC+1); the window ends at 23:00 Berlin, 22:00 UTC.
    assert.equal(
      freezeWindowEnd(weekend, new Date('2026-12-04T15:30:15.250Z')).toISOString(),
      '2026-12-04T22:00:00.000Z',
    );
    // Summer time (UTC+2): 23:00 Berlin is 21:00 UTC.
    assert.equal(freezeWindowEnd(weekend, new Date('2026-07-03T15:00:00Z')).toISOString(), '2026-07-03T21:00:00.000Z');
    // The end is no longer in force: a promotion woken then goes on.
    const end = freezeWindowEnd(weekend, new Date('2026-12-04T15:30:00Z'));
    assert.equal(activeFreezeWindow([weekend], end), null);
  });
});

describe('the default environments of a plan', () => {
  it('takes CLUSTER_ENVIRONMENTS in order, as many as the plan allows', () => {
    const configured = ['dev', 'staging', 'production', 'canary'];
    assert.deepEqual(planDefaultEnvironments(configured, 'free'), ['dev']);
    assert.deepEqual(planDefaultEnvironments(configured, 'team'), ['dev', 'staging', 'production']);
    assert.deepEqual(planDefaultEnvironments(configured, 'enterprise'), configured);
  });
});
