// rotateSecret and scheduledSecretRotation with typed activity stand-ins: the automatic
// strategy's steps in order with the overlap window between switch and retire; a failed verify
// rolls back without switching; a manual rotation waits for its confirmation (an Update) or
// ends unconfirmed at its due date; a Schedule's run whose claim is refused starts nothing.
// rotateSigningKey: it switches only once every process holds the new key, removes the old one
// only after every process signs with the new one and the token lifetime has passed, and
// withdraws a new key that a process never takes.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import type { SecretRotationActivities } from '../../activities/secret-rotation/index.ts';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import {
  confirmManualRotationUpdate,
  databaseLoginScheduleId,
  rotateDatabaseLoginWorkflowId,
  rotateSecretWorkflowId,
  rotationScheduleId,
} from '../../workflows/secret-rotation/contract.ts';
import type { RotationPlan } from '../../workflows/secret-rotation/contract.ts';
import type { ApiProcessCheck } from '../../workflows/secret-rotation/contract.ts';
import type {
  rotateDatabaseLogin,
  rotateSecret,
  rotateSigningKey,
  scheduledDatabaseLoginRotation,
  scheduledSecretRotation,
} from '../../workflows/secret-rotation/index.ts';
import { getProgressQuery } from '../../workflows/shared/operation.contract.ts';
import { approvalStandIns } from '../support/approvals.ts';
import { recordHistory } from '../support/histories.ts';
import type { WorkflowHarness } from '../support/workflow-harness.ts';
import { startWorkflowHarness, TEST_TIMINGS } from '../support/workflow-harness.ts';

const member: AuditActor = { type: 'user', id: randomUUID(), requestId: null, ip: null };
const plan = (strategy: RotationPlan['strategy'], overlapMs = 300): RotationPlan => ({
  strategy,
  fromVersion: 3,
  consumers: ['web', 'worker'],
  overlapMs,
  confirmWithinMs: overlapMs,
});
const succeed = {
  prepareRotation: () => Promise.resolve(plan('generated')),
  createRotationVersion: () => Promise.resolve({ toVersion: 4 }),
  updateRotationConsumers: () => Promise.resolve({ ok: true, message: '2 consumer(s) updated.' }),
  verifyRotationConsumers: () => Promise.resolve({ ok: true, message: '2 consumer(s) verified.' }),
  switchRotationVersion: () => Promise.resolve({ overlapUntil: new Date(Date.now() + 300).toISOString() }),
  retireOldVersion: async () => {},
  rollBackRotation: async () => {},
  failRotation: async () => {},
  currentSecretVersion: () => Promise.resolve(3),
  sendRotationReminder: () => Promise.resolve({ recipients: ['owner@example.test'] }),
  recordManualConfirmation: () => Promise.resolve({ confirmedAt: new Date().toISOString() }),
  markRotationUnconfirmed: async () => {},
  claimScheduledRotation: () => Promise.resolve({ number: 1, skipped: null, actor: member }),
  // rotateSigningKey's steps: tests/integration/signing-key-rotation.test.ts runs them for real.
  publishNextSigningKey: () => Promise.reject(new Error('not a signing-key rotation')),
  checkApiProcesses: () => Promise.reject(new Error('not a signing-key rotation')),
  switchSigningKey: () => Promise.reject(new Error('not a signing-key rotation')),
  removeRetiredSigningKey: () => Promise.reject(new Error('not a signing-key rotation')),
  withdrawNextSigningKey: () => Promise.reject(new Error('not a signing-key rotation')),
  // Production secrets' changes and reveals: tests/integration/secret-approvals.test.ts runs them for real.
  applyStagedSecretVersion: () => Promise.reject(new Error('not a secret change')),
  discardStagedSecretVersion: () => Promise.reject(new Error('not a secret change')),
  grantSecretReveal: () => Promise.reject(new Error('not a secret reveal')),
  refuseSecretReveal: () => Promise.reject(new Error('not a secret reveal')),
  ...approvalStandIns(() => []),
  // rotateDatabaseLogin's steps: tests/integration/database-login-rotation.test.ts runs them for real.
  prepareDatabaseLoginRotation: () =>
    Promise.resolve({ fromLogin: 'tenant_x_login', toLogin: 'tenant_x_login_b', fromVersion: 1 }),
  setIdleLoginPassword: async () => {},
  updateDatabaseLoginConsumers: () =>
    Promise.resolve({
      consumers: [
        {
          consumer: 'secret-store:tenants/x/database',
          outcome: 'updated' as const,
          at: new Date().toISOString(),
          detail: null,
        },
      ],
    }),
  verifyDatabaseLoginConsumers: () =>
    Promise.resolve({
      ok: true,
      message: '1 consumer(s) connected as tenant_x_login_b.',
      consumers: [
        {
          consumer: 'secret-store:tenants/x/database',
          outcome: 'verified' as const,
          at: new Date().toISOString(),
          detail: null,
        },
      ],
    }),
  switchDatabaseLogin: () => Promise.resolve({ oldValidUntil: new Date(Date.now() + 300).toISOString() }),
  retireOldDatabaseLogin: () => Promise.resolve({ disabled: 'tenant_x_login' }),
  rollBackDatabaseLoginRotation: () => Promise.resolve({ currentLogin: 'tenant_x_login' }),
  checkScheduledDatabaseLoginRotation: () => Promise.resolve({ skipped: null, actor: member }),
} satisfies SecretRotationActivities;

describe('rotateSecret (activity stand-ins)', () => {
  let harness: WorkflowHarness;
  before(async () => {
    harness = await startWorkflowHarness('secret-rotation');
  });
  after(async () => {
    await harness?.stop();
  });

  const input = (number = 1) => ({
    tenantId: randomUUID(),
    slug: `wf-rot-${randomUUID().slice(0, 8)}`,
    secretId: randomUUID(),
    number,
    requestedBy: member,
    versionRetentionMs: 60_000,
    timings: TEST_TIMINGS,
  });

  it('rotates: new version, update, verify, switch, overlap window, retire', async () => {
    await harness.withWorker(succeed, async (s) => {
      const run = input();
      const handle = await s.start<typeof rotateSecret>(
        'rotateSecret',
        run,
        rotateSecretWorkflowId(run.slug, run.secretId, 1),
      );
      const started = Date.now();
      const result = await handle.result();
      assert.equal(result.outcome, 'completed');
      assert.equal(result.currentVersion, 4);
      assert.ok(Date.now() - started >= 300, 'the old version stayed valid for the overlap window');
      assert.deepEqual(s.names(), [
        'prepareRotation',
        'createRotationVersion',
        'updateRotationConsumers',
        'verifyRotationConsumers',
        'switchRotationVersion',
        'retireOldVersion',
      ]);
      assert.equal(s.inputOf('switchRotationVersion').overlapMs, 300);
      const progress = await handle.query(getProgressQuery);
      assert.equal(progress.phase, 'completed');
      assert.deepEqual(
        progress.steps.map((step) => `${step.name}:${step.status}`),
        [
          'prepare:completed',
          'create:completed',
          'update:completed',
          'verify:completed',
          'switch:completed',
          'retire:completed',
          'remind:skipped',
          'confirm:skipped',
        ],
      );
    });
  });

  it('rolls back when a consumer refuses the new value: never switches, the old version stays current', async () => {
    const standIns = {
      ...succeed,
      verifyRotationConsumers: () =>
        Promise.resolve({ ok: false, message: 'Verify failed for worker (verify: HTTP 403).' }),
    } satisfies Partial<SecretRotationActivities>;
    await harness.withWorker(standIns, async (s) => {
      const run = input();
      const handle = await s.start<typeof rotateSecret>(
        'rotateSecret',
        run,
        rotateSecretWorkflowId(run.slug, run.secretId, 1),
      );
      const result = await handle.result();
      assert.equal(result.outcome, 'rolled_back');
      assert.equal(result.currentVersion, 3);
      assert.deepEqual(s.names(), [
        'prepareRotation',
        'createRotationVersion',
        'updateRotationConsumers',
        'verifyRotationConsumers',
        'rollBackRotation',
      ]);
      const rollback = s.inputOf('rollBackRotation');
      assert.equal(rollback.toVersion, 4);
      assert.match(rollback.reason, /worker \(verify: HTTP 403\)/);
      const progress = await handle.query(getProgressQuery);
      assert.equal(progress.phase, 'failed');
      assert.match(progress.error ?? '', /Rolled back/);
      assert.equal(progress.steps.find((step) => step.name === 'verify')?.status, 'failed');
      assert.equal(progress.steps.find((step) => step.name === 'switch')?.status, 'skipped');
    });
  });

  it('rolls back when making the new version fails for good', async () => {
    const standIns = {
      ...succeed,
      createRotationVersion: () =>
        Promise.reject(ApplicationFailure.nonRetryable('not an API key of this tenant', 'SecretRotationUnusable')),
    } satisfies Partial<SecretRotationActivities>;
    await harness.withWorker(standIns, async (s) => {
      const run = input();
      const handle = await s.start<typeof rotateSecret>(
        'rotateSecret',
        run,
        rotateSecretWorkflowId(run.slug, run.secretId, 1),
      );
      const result = await handle.result();
      assert.equal(result.outcome, 'rolled_back');
      assert.equal(s.inputOf('rollBackRotation').toVersion, null);
    });
  });

  it('ends as failed when the secret cannot be rotated (deleted meanwhile), changing nothing', async () => {
    const standIns = {
      ...succeed,
      prepareRotation: () =>
        Promise.reject(
          ApplicationFailure.nonRetryable('Secret s-1 (rotation 1) no longer exists.', 'SecretRotationUnusable'),
        ),
    } satisfies Partial<SecretRotationActivities>;
    await harness.withWorker(standIns, async (s) => {
      const run = input();
      const handle = await s.start<typeof rotateSecret>(
        'rotateSecret',
        run,
        rotateSecretWorkflowId(run.slug, run.secretId, 1),
      );
      const result = await handle.result();
      assert.equal(result.outcome, 'failed');
      assert.deepEqual(s.names(), ['prepareRotation', 'failRotation', 'currentSecretVersion']);
      assert.match(s.inputOf('failRotation').message, /no longer exists/);
    });
  });

  it('manual: mails a reminder and records who confirmed (an Update); a second confirmation is refused', async () => {
    const standIns = { ...succeed, prepareRotation: () => Promise.resolve(plan('manual', 60_000)) };
    await harness.withWorker(standIns, async (s) => {
      const run = input();
      const handle = await s.start<typeof rotateSecret>(
        'rotateSecret',
        run,
        rotateSecretWorkflowId(run.slug, run.secretId, 1),
      );
      await s.waitUntil('the reminder', () => s.names().includes('sendRotationReminder'));
      const confirmed = await handle.executeUpdate(confirmManualRotationUpdate, { args: [{ actor: member }] });
      assert.ok(confirmed.confirmedAt);
      await assert.rejects(handle.executeUpdate(confirmManualRotationUpdate, { args: [{ actor: member }] }));
      const result = await handle.result();
      assert.equal(result.outcome, 'confirmed');
      assert.deepEqual(s.inputOf('recordManualConfirmation').actor, member);
      assert.ok(!s.names().includes('createRotationVersion'), 'Atrium made no value');
    });
  });

  it('manual: nobody confirms by the due date → unconfirmed, with the alert', async () => {
    const standIns = { ...succeed, prepareRotation: () => Promise.resolve(plan('manual', 400)) };
    await harness.withWorker(standIns, async (s) => {
      const run = input();
      const handle = await s.start<typeof rotateSecret>(
        'rotateSecret',
        run,
        rotateSecretWorkflowId(run.slug, run.secretId, 1),
      );
      const result = await handle.result();
      assert.equal(result.outcome, 'unconfirmed');
      assert.deepEqual(s.names(), ['prepareRotation', 'sendRotationReminder', 'markRotationUnconfirmed']);
      assert.equal(s.inputOf('markRotationUnconfirmed').dueAt, s.inputOf('sendRotationReminder').dueAt);
    });
  });

  it('scheduled: a refused claim starts no rotation; a claimed one runs as secret-rotate/<slug>/<secret>/<n>', async () => {
    const refused = {
      ...succeed,
      claimScheduledRotation: () =>
        Promise.resolve({ number: null, skipped: 'The tenant is suspended.', actor: member }),
    } satisfies Partial<SecretRotationActivities>;
    const { versionRetentionMs, tenantId, slug, secretId } = input();
    const scheduled = { tenantId, slug, secretId, versionRetentionMs, timings: TEST_TIMINGS };
    await harness.withWorker(refused, async (s) => {
      const handle = await s.start<typeof scheduledSecretRotation>(
        'scheduledSecretRotation',
        scheduled,
        `${rotationScheduleId(slug, secretId)}-refused`,
      );
      assert.deepEqual(await handle.result(), { number: null, skipped: 'The tenant is suspended.', outcome: null });
      assert.deepEqual(s.names(), ['claimScheduledRotation']);
    });
    await harness.withWorker(
      { ...succeed, claimScheduledRotation: () => Promise.resolve({ number: 7, skipped: null, actor: member }) },
      async (s) => {
        const handle = await s.start<typeof scheduledSecretRotation>(
          'scheduledSecretRotation',
          scheduled,
          `${rotationScheduleId(slug, secretId)}-claimed`,
        );
        assert.deepEqual(await handle.result(), { number: 7, skipped: null, outcome: 'completed' });
        const child = await harness.client.workflow.getHandle(rotateSecretWorkflowId(slug, secretId, 7)).describe();
        assert.equal(child.type, 'rotateSecret');
        assert.equal(s.inputOf('prepareRotation').number, 7);
      },
    );
  });
});

describe('rotateSigningKey (activity stand-ins)', () => {
  let harness: WorkflowHarness;
  before(async () => {
    harness = await startWorkflowHarness('secret-rotation');
  });
  after(async () => {
    await harness?.stop();
  });

  const input = () => ({
    rotationId: randomUUID(),
    keyringPath: 'platform/wf/signing-keys/access-tokens',
    requestedBy: member,
    reloadIntervalMs: 50,
    liveWithinMs: 150,
    distributionTimeoutMs: 1_000,
    jwksMaxAgeMs: 100,
    tokenLifetimeMs: 300,
    timings: TEST_TIMINGS,
  });
  /** Two processes; the second reports each new keyring version one check later than the first. */
  const processes = () => {
    let version = 1;
    const seen = new Map<number, number>();
    return {
      setVersion: (next: number) => (version = next),
      check: (asked: { keyringVersion: number }): Promise<ApiProcessCheck> => {
        const times = (seen.get(asked.keyringVersion) ?? 0) + 1;
        seen.set(asked.keyringVersion, times);
        const lagging = times < 2 ? version - 1 : version;
        const list = [
          { id: 'a', hostname: 'h', pid: 1, keyringVersion: version, signingKid: 'k' },
          { id: 'b', hostname: 'h', pid: 2, keyringVersion: lagging, signingKid: 'k' },
        ];
        return Promise.resolve({
          keyringVersion: asked.keyringVersion,
          processes: list,
          behind: list.filter((p) => p.keyringVersion < asked.keyringVersion).map((p) => p.id),
          checkedAt: new Date().toISOString(),
        });
      },
    };
  };

  it('publishes, waits for every process, switches, waits the token lifetime, removes', async () => {
    const fleet = processes();
    const standIns = {
      ...succeed,
      publishNextSigningKey: () =>
        Promise.resolve({ kid: 'new', keyringVersion: fleet.setVersion(2), currentKid: 'old' }),
      checkApiProcesses: fleet.check,
      switchSigningKey: () => Promise.resolve({ keyringVersion: fleet.setVersion(3) }),
      removeRetiredSigningKey: () => Promise.resolve({ keyringVersion: fleet.setVersion(4) }),
    } satisfies Partial<SecretRotationActivities>;
    await harness.withWorker(standIns, async (s) => {
      const run = input();
      const handle = await s.start<typeof rotateSigningKey>(
        'rotateSigningKey',
        run,
        `signing-key-rotate/wf/${run.rotationId}`,
      );
      const result = await handle.result();
      assert.equal(result.outcome, 'completed');
      assert.equal(result.oldKid, 'old');
      const names = s.names();
      const at = (name: string) => names.indexOf(name);
      assert.ok(at('publishNextSigningKey') === 0);
      // Each wait checked at least twice: the second process lagged once each time.
      assert.ok(
        names.slice(at('publishNextSigningKey'), at('switchSigningKey')).filter((n) => n === 'checkApiProcesses')
          .length >= 2,
      );
      assert.ok(
        names.slice(at('switchSigningKey'), at('removeRetiredSigningKey')).filter((n) => n === 'checkApiProcesses')
          .length >= 2,
      );
      assert.equal(names.at(-1), 'checkApiProcesses');
      assert.deepEqual(s.inputOf('switchSigningKey').oldKid, 'old');
      assert.deepEqual(s.inputOf('removeRetiredSigningKey').kid, 'old');
      for (const wait of ['publish', 'switch', 'remove'] as const) assert.deepEqual(result.checks[wait]!.behind, []);
      const switched = s.calls.findIndex((call) => call.name === 'switchSigningKey');
      const removed = s.calls.findIndex((call) => call.name === 'removeRetiredSigningKey');
      assert.ok(switched < removed);
      const progress = await handle.query(getProgressQuery);
      const step = (name: string) => progress.steps.find((x) => x.name === name)!;
      assert.ok(
        Date.parse(step('expire').completedAt!) - Date.parse(step('expire').startedAt!) >= 300,
        'the old key stayed the token lifetime after every process switched',
      );
      assert.ok(progress.steps.every((x) => x.status === 'completed'));
    });
  });

  it('withdraws a new key some process never takes, and never switches', async () => {
    const standIns = {
      ...succeed,
      publishNextSigningKey: () => Promise.resolve({ kid: 'new', keyringVersion: 2, currentKid: 'old' }),
      checkApiProcesses: (asked: { keyringVersion: number }) =>
        Promise.resolve({
          keyringVersion: asked.keyringVersion,
          processes: [{ id: 'stuck', hostname: 'h', pid: 1, keyringVersion: 1, signingKid: 'old' }],
          behind: ['stuck'],
          checkedAt: new Date().toISOString(),
        }),
      withdrawNextSigningKey: () => Promise.resolve({ keyringVersion: 3 }),
    } satisfies Partial<SecretRotationActivities>;
    await harness.withWorker(standIns, async (s) => {
      const run = input();
      const handle = await s.start<typeof rotateSigningKey>(
        'rotateSigningKey',
        run,
        `signing-key-rotate/wf/${run.rotationId}`,
      );
      const result = await handle.result();
      assert.equal(result.outcome, 'withdrawn');
      assert.equal(result.progress.phase, 'failed');
      assert.ok(!s.names().includes('switchSigningKey'));
      assert.equal(s.inputOf('withdrawNextSigningKey').kid, 'new');
      assert.deepEqual(
        result.progress.steps.map((step) => `${step.name}:${step.status}`),
        [
          'publish:compensated',
          'distribute:failed',
          'switch:skipped',
          'confirm:skipped',
          'expire:skipped',
          'remove:skipped',
          'settle:skipped',
        ],
      );
    });
  });

  it('ends refused, changing nothing, while another rotation is under way', async () => {
    const standIns = {
      ...succeed,
      publishNextSigningKey: () =>
        Promise.reject(
          ApplicationFailure.nonRetryable('Another rotation is under way: key k2 is next.', 'SigningKeyRotationBusy'),
        ),
    } satisfies Partial<SecretRotationActivities>;
    await harness.withWorker(standIns, async (s) => {
      const run = input();
      const handle = await s.start<typeof rotateSigningKey>(
        'rotateSigningKey',
        run,
        `signing-key-rotate/wf/${run.rotationId}`,
      );
      const result = await handle.result();
      assert.equal(result.outcome, 'refused');
      assert.equal(result.newKid, null);
      assert.match(result.progress.error ?? '', /under way/);
      assert.deepEqual(s.names(), ['publishNextSigningKey']);
    });
  });
});

describe('rotateDatabaseLogin (activity stand-ins)', () => {
  let harness: WorkflowHarness;
  before(async () => {
    harness = await startWorkflowHarness('secret-rotation');
  });
  after(async () => {
    await harness?.stop();
  });

  const input = () => ({
    tenantId: randomUUID(),
    slug: `wf-dbl-${randomUUID().slice(0, 8)}`,
    rotationId: randomUUID(),
    requestedBy: member,
    overlapMs: 300,
    timings: TEST_TIMINGS,
  });

  it('sets the idle login, updates and verifies the consumers, switches, waits the overlap, disables the old login', async () => {
    await harness.withWorker(succeed, async (s) => {
      const run = input();
      const handle = await s.start<typeof rotateDatabaseLogin>(
        'rotateDatabaseLogin',
        run,
        rotateDatabaseLoginWorkflowId(run.slug, run.rotationId),
      );
      const started = Date.now();
      const result = await handle.result();
      assert.equal(result.outcome, 'completed');
      assert.equal(result.currentLogin, 'tenant_x_login_b');
      assert.ok(Date.now() - started >= 300, 'the old login kept working for the overlap window');
      assert.deepEqual(s.names(), [
        'prepareDatabaseLoginRotation',
        'setIdleLoginPassword',
        'updateDatabaseLoginConsumers',
        'verifyDatabaseLoginConsumers',
        'switchDatabaseLogin',
        'retireOldDatabaseLogin',
      ]);
      assert.deepEqual(s.inputOf('switchDatabaseLogin').verified, ['secret-store:tenants/x/database']);
      const progress = await handle.query(getProgressQuery);
      assert.equal(progress.phase, 'completed');
      assert.ok(progress.steps.every((step) => step.status === 'completed'));
    });
  });

  it('rolls back when a consumer cannot connect as the new login: never switches, never disables the old login', async () => {
    const standIns = {
      ...succeed,
      verifyDatabaseLoginConsumers: () =>
        Promise.resolve({
          ok: false,
          message: 'Verify failed for secret-store:tenants/x/database (refused: 28P01).',
          consumers: [],
        }),
    } satisfies Partial<SecretRotationActivities>;
    await harness.withWorker(standIns, async (s) => {
      const run = input();
      const handle = await s.start<typeof rotateDatabaseLogin>(
        'rotateDatabaseLogin',
        run,
        rotateDatabaseLoginWorkflowId(run.slug, run.rotationId),
      );
      const result = await handle.result();
      assert.equal(result.outcome, 'rolled_back');
      assert.equal(result.currentLogin, 'tenant_x_login');
      assert.deepEqual(s.names(), [
        'prepareDatabaseLoginRotation',
        'setIdleLoginPassword',
        'updateDatabaseLoginConsumers',
        'verifyDatabaseLoginConsumers',
        'rollBackDatabaseLoginRotation',
      ]);
      assert.match(s.inputOf('rollBackDatabaseLoginRotation').reason, /28P01/);
      const progress = await handle.query(getProgressQuery);
      assert.deepEqual(
        progress.steps.map((step) => `${step.name}:${step.status}`),
        [
          'prepare:completed',
          'password:compensated',
          'update:compensated',
          'verify:failed',
          'switch:skipped',
          'retire:skipped',
        ],
      );
    });
  });

  it('ends failed, changing nothing, when another rotation of the login is open', async () => {
    const standIns = {
      ...succeed,
      prepareDatabaseLoginRotation: () =>
        Promise.reject(ApplicationFailure.nonRetryable('Rotation r1 is still open.', 'SecretRotationUnusable')),
    } satisfies Partial<SecretRotationActivities>;
    await harness.withWorker(standIns, async (s) => {
      const run = input();
      const handle = await s.start<typeof rotateDatabaseLogin>(
        'rotateDatabaseLogin',
        run,
        rotateDatabaseLoginWorkflowId(run.slug, run.rotationId),
      );
      const result = await handle.result();
      assert.equal(result.outcome, 'failed');
      assert.deepEqual(s.names(), ['prepareDatabaseLoginRotation', 'rollBackDatabaseLoginRotation']);
    });
  });

  it('scheduled: a skipped check starts nothing; otherwise the rotation runs as database-login-rotate/<slug>/<rotation id>', async () => {
    const { tenantId, slug } = input();
    const scheduled = { tenantId, slug, overlapMs: 300, timings: TEST_TIMINGS };
    const skipped = {
      ...succeed,
      checkScheduledDatabaseLoginRotation: () =>
        Promise.resolve({ skipped: 'The tenant is suspended.', actor: member }),
    } satisfies Partial<SecretRotationActivities>;
    await harness.withWorker(skipped, async (s) => {
      const handle = await s.start<typeof scheduledDatabaseLoginRotation>(
        'scheduledDatabaseLoginRotation',
        scheduled,
        `${databaseLoginScheduleId(slug)}-skipped`,
      );
      assert.deepEqual(await handle.result(), { rotationId: null, skipped: 'The tenant is suspended.', outcome: null });
      assert.deepEqual(s.names(), ['checkScheduledDatabaseLoginRotation']);
    });
    await harness.withWorker(succeed, async (s) => {
      const workflowId = `${databaseLoginScheduleId(slug)}-due`;
      const handle = await s.start<typeof scheduledDatabaseLoginRotation>(
        'scheduledDatabaseLoginRotation',
        scheduled,
        workflowId,
      );
      const result = await handle.result();
      assert.equal(result.outcome, 'completed');
      assert.ok(result.rotationId);
      const child = await harness.client.workflow
        .getHandle(rotateDatabaseLoginWorkflowId(slug, result.rotationId))
        .describe();
      assert.equal(child.type, 'rotateDatabaseLogin');
      assert.equal(s.inputOf('prepareDatabaseLoginRotation').rotationId, result.rotationId);
      assert.equal(s.inputOf('switchDatabaseLogin').overlapMs, 300);
      await recordHistory(harness.client, workflowId, 'scheduled-database-login-rotation-completed');
    });
  });
});
